/// @file
/// NonStreamingProducer: a pull producer that writes ten counters and stops, for testing
/// consumers.  Twisted: twisted.internet.testing.NonStreamingProducer.
/// Tests: tests/fakes/non_streaming_producer_test.cpp
#pragma once

#include "tw/deferred.hpp"
#include "tw/interfaces/i_consumer.hpp"
#include "tw/interfaces/i_producer.hpp"

namespace tw::fakes {

/// Each `resumeProducing()` writes the next counter ("0", "1", ... "9") to the consumer; after
/// the tenth it unregisters itself and fires `result()`.  Resuming after that, or pausing at
/// all, throws std::runtime_error (it is a pull producer: a consumer must never pause it).
class NonStreamingProducer : public IPullProducer {
 public:
  /// The consumer must outlive the production.
  explicit NonStreamingProducer(IConsumer& consumer) : consumer_(&consumer) {}

  /// Writes the next counter.
  /// @throws std::runtime_error "BUG: resume after unregister/stop." after the tenth or a stop.
  void resumeProducing() override;
  /// @throws std::runtime_error "BUG: pause should never be called."
  void pauseProducing();
  /// Stops; fires result().
  void stopProducing() override;

  /// Fires when production ends (ten writes, or a stop).
  Deferred<void> result() const { return result_; }
  /// The consumer, or nullptr once done.
  IConsumer* consumer() const noexcept { return consumer_; }
  int counter() const noexcept { return counter_; }
  bool stopped() const noexcept { return stopped_; }

 private:
  void done();

  IConsumer* consumer_;
  Deferred<void> result_;
  int counter_ = 0;
  bool stopped_ = false;
};

}  // namespace tw::fakes
