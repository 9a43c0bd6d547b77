/// @file
/// LoopingCall.  Twisted: twisted.internet.task.LoopingCall.
/// Tests: tests/runtime/looping_call_test.cpp
#include "tw/looping_call.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace tw {

namespace {
void checkInterval(double interval) {
  if (!std::isfinite(interval) || interval < 0) {
    throw std::invalid_argument("LoopingCall: interval must be >= 0 and finite");
  }
}
}  // namespace

LoopingCall::~LoopingCall() {
  alive_.reset();  // callbacks on a pending Deferred of the function now do nothing
  if (call_ != nullptr && call_->active()) call_->cancel();
  call_.reset();
  running_ = false;
  if (deferred_) {
    Deferred<LoopingCall*> d = std::move(*deferred_);
    deferred_.reset();
    if (!d.called()) d.errback(CancelledError("LoopingCall destroyed while running"));
  }
}

Deferred<LoopingCall*> LoopingCall::start(Seconds interval, bool now) {
  if (running_) throw std::logic_error("Tried to start an already running LoopingCall.");
  checkInterval(interval.count());
  running_ = true;
  // The loop may stop inside this call (now = true) and clear deferred_: keep a local handle.
  Deferred<LoopingCall*> d;
  deferred_ = d;
  starttime_ = clock_.seconds();
  interval_ = interval.count();
  runAtStart_ = now;
  realLastTime_.reset();
  if (now) {
    call();
  } else {
    scheduleFrom(starttime_);
  }
  return d;
}

void LoopingCall::stop() {
  if (!running_) throw std::logic_error("Tried to stop a LoopingCall that was not running.");
  running_ = false;
  if (call_ != nullptr) {
    call_->cancel();
    call_.reset();
    fireStopped();
  }
}

void LoopingCall::reset() {
  if (!running_) throw std::logic_error("Tried to reset a LoopingCall that was not running.");
  if (call_ != nullptr) {
    call_->cancel();
    call_.reset();
    starttime_ = clock_.seconds();
    scheduleFrom(starttime_);
  }
}

void LoopingCall::setInterval(Seconds interval) {
  checkInterval(interval.count());
  interval_ = interval.count();
}

void LoopingCall::fireStopped() {
  if (!deferred_) return;
  Deferred<LoopingCall*> d = std::move(*deferred_);
  deferred_.reset();
  d.callback(this);
}

std::int64_t LoopingCall::intervalOf(double t) const {
  return static_cast<std::int64_t>((t - starttime_) / interval_);
}

Deferred<void> LoopingCall::invoke() {
  if (!counted_) return f_();
  // Twisted's withCount counter.
  const double now = clock_.seconds();
  if (interval_ == 0) {
    realLastTime_ = now;
    return counted_(1);
  }
  double lastTime;
  if (realLastTime_) {
    lastTime = *realLastTime_;
  } else {
    lastTime = starttime_;
    if (runAtStart_) lastTime -= interval_;
  }
  const std::int64_t count = intervalOf(now) - intervalOf(lastTime);
  if (count > 0) {
    realLastTime_ = now;
    return counted_(count);
  }
  return succeed();
}

void LoopingCall::call() {
  call_.reset();
  Deferred<void> d;
  try {
    d = invoke();
  } catch (...) {
    d = fail(Failure::fromCurrentException());
  }
  std::weak_ptr<LoopingCall*> alive = alive_;
  d.addCallback([alive] {
     auto self = alive.lock();
     if (!self) return;
     LoopingCall& lc = **self;
     if (lc.running_) {
       lc.scheduleFrom(lc.clock_.seconds());
     } else {
       lc.fireStopped();
     }
   }).addErrback([alive](Failure failure) {
    auto self = alive.lock();
    if (!self) return;
    LoopingCall& lc = **self;
    lc.running_ = false;
    if (!lc.deferred_) return;
    Deferred<LoopingCall*> out = std::move(*lc.deferred_);
    lc.deferred_.reset();
    out.errback(std::move(failure));
  });
}

void LoopingCall::scheduleFrom(double when) {
  double delay;
  if (interval_ == 0) {
    delay = 0;
  } else {
    const double runningFor = when - starttime_;
    double rem = std::fmod(runningFor, interval_);  // Python's %: the sign of the divisor
    if (rem < 0) rem += interval_;
    const double untilNextInterval = interval_ - rem;
    // A delay too small to change `when` means the boundary is now: take a full interval.
    delay = (when == when + untilNextInterval) ? interval_ : untilNextInterval;
  }
  call_ = clock_.callLater(Seconds(delay), [this] { call(); });
}

std::string LoopingCall::repr() const {
  char text[64];
  std::snprintf(text, sizeof text, "LoopingCall<%g>(function)", interval_);
  return text;
}

}  // namespace tw
