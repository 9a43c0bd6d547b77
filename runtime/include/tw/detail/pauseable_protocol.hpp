/// @file
/// PauseableProtocol: a Protocol that is also the push producer of the data it receives, so a
/// consumer can pause its parsing.  Twisted: twisted.protocols.basic._PauseableMixin.
/// Tests: tests/runtime/line_receiver_test.cpp, tests/runtime/int_n_string_receiver_test.cpp
#pragma once

#include "tw/interfaces/i_producer.hpp"
#include "tw/protocol.hpp"

namespace tw::detail {

/// The pausing half of LineReceiver and IntNStringReceiver.
///
/// While paused() the receiver keeps buffering what arrives but delivers nothing;
/// resumeProducing() delivers what was buffered (by calling dataReceived("")).
class PauseableProtocol : public Protocol, public IPushProducer {
 public:
  /// True after pauseProducing() or stopProducing(), until resumeProducing().
  bool paused() const noexcept { return paused_; }

  /// Stops delivering messages (the rest of the current chunk stays buffered) and pauses the
  /// transport, so it stops reading.  May be called from inside a delivery callback.
  void pauseProducing() override {
    paused_ = true;
    if (ITransport* t = transport()) t->pauseProducing();
  }

  /// Resumes the transport, then delivers what was buffered while paused.
  void resumeProducing() override {
    paused_ = false;
    if (ITransport* t = transport()) t->resumeProducing();
    dataReceived({});
  }

  /// Stops delivering, and stops the transport.  Twisted: paused for good (a consumer does not
  /// resume a stopped producer).
  void stopProducing() override {
    paused_ = true;
    if (ITransport* t = transport()) t->stopProducing();
  }

 private:
  bool paused_ = false;
};

}  // namespace tw::detail
