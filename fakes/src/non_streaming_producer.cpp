/// @file
/// NonStreamingProducer.  Tests: tests/fakes/non_streaming_producer_test.cpp
#include "tw/fakes/non_streaming_producer.hpp"

#include <stdexcept>
#include <string>

namespace tw::fakes {

void NonStreamingProducer::resumeProducing() {
  if (consumer_ == nullptr || counter_ >= 10) {
    throw std::runtime_error("BUG: resume after unregister/stop.");
  }
  consumer_->write(std::to_string(counter_));
  ++counter_;
  if (counter_ == 10) {
    consumer_->unregisterProducer();
    done();
  }
}

void NonStreamingProducer::pauseProducing() {
  throw std::runtime_error("BUG: pause should never be called.");
}

void NonStreamingProducer::stopProducing() {
  stopped_ = true;
  done();
}

void NonStreamingProducer::done() {
  consumer_ = nullptr;
  if (!result_.called()) result_.callback();
}

}  // namespace tw::fakes
