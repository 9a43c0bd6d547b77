/// @file
/// FileSender: a pull producer that sends a stream to a consumer, one chunk per request.
/// Twisted: twisted.protocols.basic.FileSender.  Tests: tests/runtime/file_sender_test.cpp
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <istream>
#include <optional>
#include <string>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_consumer.hpp"
#include "tw/interfaces/i_producer.hpp"

namespace tw {

/// Sends everything readable from a `std::istream` to a consumer: it registers itself as a pull
/// (non-streaming) producer and writes at most `chunkSize()` bytes each time the consumer calls
/// `resumeProducing()`.  At the end of the stream it unregisters and fires the Deferred with
/// the last byte sent (empty if the stream was empty).
///
/// @code
/// std::ifstream file("quote.txt", std::ios::binary);
/// tw::FileSender sender;
/// sender.beginFileTransfer(file, *transport()).addCallback([this](std::string) {
///   transport()->loseConnection();
/// });
/// @endcode
///
/// Lifetime: the stream, the consumer and the sender must stay alive until the Deferred fires.
class FileSender : public IPullProducer {
 public:
  /// Twisted's CHUNK_SIZE: 16 KiB.
  static constexpr std::size_t kDefaultChunkSize = 16 * 1024;

  /// Transforms each chunk before it is written (e.g. to encode it).
  using Transform = std::function<std::string(std::string)>;

  FileSender() = default;
  FileSender(const FileSender&) = delete;
  FileSender& operator=(const FileSender&) = delete;

  /// Starts sending `file` to `consumer`: registers this sender as its pull producer.
  /// @returns a Deferred that fires with the last byte sent, or fails with std::runtime_error
  ///          ("Consumer asked us to stop producing") if stopProducing() comes first, or with the
  ///          stream's error if reading fails.
  /// @throws std::logic_error if a transfer is already in progress.
  Deferred<std::string> beginFileTransfer(std::istream& file, IConsumer& consumer,
                                          Transform transform = nullptr);

  /// Sends the next chunk, or finishes at the end of the stream.
  void resumeProducing() override;

  /// Abandons the transfer; the Deferred fails.
  void stopProducing() override;

  /// No-op: a pull producer is only asked, never paused.
  void pauseProducing() {}

  std::size_t chunkSize() const noexcept { return chunkSize_; }
  void setChunkSize(std::size_t size) noexcept { chunkSize_ = size > 0 ? size : 1; }

 private:
  void finish(std::exception_ptr error = nullptr);

  std::istream* file_ = nullptr;
  IConsumer* consumer_ = nullptr;
  Transform transform_;
  std::optional<Deferred<std::string>> deferred_;
  std::string lastSent_;
  std::size_t chunkSize_ = kDefaultChunkSize;
};

}  // namespace tw
