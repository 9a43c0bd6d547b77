/// @file
/// IProducer, IPushProducer, IPullProducer: sources of data that a consumer paces.
/// Twisted: twisted.internet.interfaces.IProducer, IPushProducer, IPullProducer.
/// Tests: tests/fakes/string_transport_test.cpp
#pragma once

namespace tw {

/// Something that produces data for a consumer (IConsumer) and can be told to stop.
class IProducer {
 public:
  virtual ~IProducer() = default;

  /// Stop producing for good: the consumer is going away.  Called by the consumer, e.g. when
  /// its connection is lost.
  virtual void stopProducing() = 0;
};

/// A producer that writes on its own initiative (a "streaming" producer) until paused.
///
/// The consumer calls `pauseProducing()` when its buffer is full and `resumeProducing()` when it
/// has drained.
class IPushProducer : public virtual IProducer {
 public:
  /// Stop writing until resumeProducing() is called.
  virtual void pauseProducing() = 0;
  /// Start writing again after pauseProducing().
  virtual void resumeProducing() = 0;
};

/// A producer that writes only when asked: each `resumeProducing()` call produces one chunk.
class IPullProducer : public virtual IProducer {
 public:
  /// Produce one more chunk by calling the consumer's write().
  virtual void resumeProducing() = 0;
};

}  // namespace tw
