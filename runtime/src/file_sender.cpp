/// @file
/// FileSender.  Tests: tests/runtime/file_sender_test.cpp
#include "tw/file_sender.hpp"

#include <stdexcept>

namespace tw {

Deferred<std::string> FileSender::beginFileTransfer(std::istream& file, IConsumer& consumer,
                                                    Transform transform) {
  if (deferred_) throw std::logic_error("FileSender: a transfer is already in progress");
  file_ = &file;
  consumer_ = &consumer;
  transform_ = std::move(transform);
  lastSent_.clear();
  Deferred<std::string> d;
  deferred_ = d;
  consumer.registerProducer(*this, false);
  return d;
}

void FileSender::finish(std::exception_ptr error) {
  file_ = nullptr;
  IConsumer* consumer = consumer_;
  consumer_ = nullptr;
  if (consumer != nullptr) consumer->unregisterProducer();
  if (deferred_) {
    Deferred<std::string> d = std::move(*deferred_);
    deferred_.reset();
    if (error) {
      d.errback(Failure(error));
    } else {
      d.callback(lastSent_);
    }
  }
}

void FileSender::resumeProducing() {
  std::string chunk;
  if (file_ != nullptr) {
    chunk.resize(chunkSize_);
    file_->read(chunk.data(), static_cast<std::streamsize>(chunkSize_));
    chunk.resize(static_cast<std::size_t>(file_->gcount()));
    if (chunk.empty() && file_->bad()) {
      finish(std::make_exception_ptr(std::runtime_error("FileSender: reading the file failed")));
      return;
    }
  }
  if (chunk.empty()) {
    finish();
    return;
  }
  if (transform_) chunk = transform_(std::move(chunk));
  if (consumer_ != nullptr) consumer_->write(chunk);
  if (!chunk.empty()) lastSent_ = chunk.substr(chunk.size() - 1);
}

void FileSender::stopProducing() {
  // The consumer is going away: do not unregister from it.
  consumer_ = nullptr;
  finish(std::make_exception_ptr(std::runtime_error("Consumer asked us to stop producing")));
}

}  // namespace tw
