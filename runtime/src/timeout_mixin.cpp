/// @file
/// TimeoutMixin.  Tests: tests/runtime/timeout_mixin_test.cpp
#include "tw/timeout_mixin.hpp"

#include "tw/protocol.hpp"

namespace tw {

TimeoutMixin::~TimeoutMixin() {
  if (timeoutCall_ && timeoutCall_->active()) timeoutCall_->cancel();
}

std::optional<Seconds> TimeoutMixin::setTimeout(std::optional<Seconds> period) {
  std::optional<Seconds> previous = timeOut_;
  forgetInactiveCall();
  timeOut_ = period;
  if (timeoutCall_) {
    if (!period) {
      if (timeoutCall_->active()) timeoutCall_->cancel();
      timeoutCall_ = nullptr;
    } else {
      timeoutCall_->reset(*period);
    }
  } else if (period) {
    timeoutCall_ = clock_->callLater(*period, [this] { timedOut(); });
  }
  return previous;
}

void TimeoutMixin::forgetInactiveCall() noexcept {
  // Cancelled from outside (e.g. by a test or a reactor shutting down): there is nothing to
  // reset or cancel any more.
  if (timeoutCall_ && !timeoutCall_->active()) timeoutCall_ = nullptr;
}

void TimeoutMixin::resetTimeout() {
  forgetInactiveCall();
  if (timeoutCall_ && timeOut_) timeoutCall_->reset(*timeOut_);
}

void TimeoutMixin::timedOut() {
  timeoutCall_ = nullptr;
  timeoutConnection();
}

void TimeoutMixin::timeoutConnection() {
  auto* protocol = dynamic_cast<Protocol*>(this);
  if (protocol != nullptr && protocol->connected() && protocol->transport() != nullptr) {
    protocol->transport()->loseConnection();
  }
}

}  // namespace tw
