/// @file
/// IConsumer: something that receives data from a producer and paces it.
/// Twisted: twisted.internet.interfaces.IConsumer.  Tests: tests/fakes/string_transport_test.cpp
#pragma once

#include <string_view>

#include "tw/interfaces/i_producer.hpp"

namespace tw {

/// A consumer of bytes that may have a producer registered to feed it.
///
/// Ownership: the consumer does not own its producer.  A registered producer must stay alive
/// until `unregisterProducer()` is called or the consumer's connection is lost (the consumer
/// then calls `stopProducing()` and forgets it).
class IConsumer {
 public:
  virtual ~IConsumer() = default;

  /// Registers the producer that feeds this consumer.
  ///
  /// @param producer   an IPushProducer when `streaming` is true, an IPullProducer otherwise.
  /// @param streaming  true for a push producer (paused and resumed by the consumer), false for
  ///                   a pull producer (asked for each chunk with resumeProducing()).
  /// @throws std::runtime_error if a producer is already registered, std::invalid_argument if the
  ///         producer does not implement the interface `streaming` calls for.
  virtual void registerProducer(IProducer& producer, bool streaming) = 0;

  /// Forgets the registered producer.
  /// With none registered, StringTransport throws std::runtime_error (as Twisted's); other
  /// transports ignore the call.
  virtual void unregisterProducer() = 0;

  /// Consumes bytes.
  virtual void write(std::string_view data) = 0;
};

}  // namespace tw
