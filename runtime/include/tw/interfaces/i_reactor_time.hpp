/// @file
/// IReactorTime and IDelayedCall: scheduling a function to run later, and the handle on it.
/// Twisted: twisted.internet.interfaces.IReactorTime, IDelayedCall.
/// Tests: tests/runtime/delayed_call_test.cpp, tests/fakes/clock_test.cpp
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <source_location>
#include <string>
#include <vector>

namespace tw {

/// A duration in seconds, as Twisted counts time: a double.  Every `std::chrono` duration
/// converts to it implicitly, so `callLater(250ms, f)` and `advance(5s)` read naturally.
using Seconds = std::chrono::duration<double>;

/// A call scheduled by IReactorTime::callLater, seen from the caller's side.
///
/// A DelayedCall is *active* from `callLater` until it runs or is cancelled.  `cancel`, `delay`
/// and `reset` are only allowed while it is active; afterwards they throw
/// tw::error::AlreadyCalled (it ran, or is running) or tw::error::AlreadyCancelled.
class IDelayedCall {
 public:
  virtual ~IDelayedCall() = default;

  /// The time at which the call will run, on its reactor's `seconds()` clock.
  virtual double getTime() const = 0;

  /// Unschedules the call: it will not run.
  /// @throws tw::error::AlreadyCalled, tw::error::AlreadyCancelled when not active.
  virtual void cancel() = 0;

  /// Moves the call later by `secondsLater` (earlier if negative), from its current time.
  /// @throws tw::error::AlreadyCalled, tw::error::AlreadyCancelled when not active.
  virtual void delay(Seconds secondsLater) = 0;

  /// Reschedules the call to run `secondsFromNow` after the reactor's current time.
  /// @throws tw::error::AlreadyCalled, tw::error::AlreadyCancelled when not active.
  virtual void reset(Seconds secondsFromNow) = 0;

  /// True until the call has run (or started running) or been cancelled.
  virtual bool active() const = 0;

  /// True once the call has started running.  Twisted: DelayedCall.called.
  virtual bool called() const = 0;

  /// True once the call was cancelled.  Twisted: DelayedCall.cancelled.
  virtual bool cancelled() const = 0;

  /// Where `callLater` was called; the janitor names it when a test leaves the call pending.
  /// tw's own addition.
  virtual const std::source_location& where() const = 0;

  /// A one-line description for diagnostics, e.g.
  /// "<DelayedCall 0x55d0 [2.5s] called=0 cancelled=0 scheduled at proto.cpp:42>".
  /// Twisted: DelayedCall.__repr__.
  virtual std::string repr() const = 0;
};

/// A shared handle on a scheduled call.  The reactor keeps its own reference until the call runs
/// or is cancelled, so dropping this handle neither cancels nor frees the call.
using DelayedCallPtr = std::shared_ptr<IDelayedCall>;

/// Time-based scheduling: the clock, and calls scheduled on it.
///
/// Implemented by every reactor and by tw::fakes::Clock.  Library code takes an `IReactorTime&`
/// rather than reaching for a global reactor, so a test can pass a Clock and drive time by hand.
///
/// Ordering (every implementation): calls run in order of their time; calls due at the same time
/// run in the order they were scheduled (a `reset` or `delay` counts as scheduling anew).
class IReactorTime {
 public:
  virtual ~IReactorTime() = default;

  /// The current time in seconds.  Twisted: IReactorTime.seconds.
  virtual double seconds() const = 0;

  /// Schedules `f` to run `delay` from now and returns the handle on the call.
  ///
  /// @param delay  how long from now; must not be negative.
  /// @param f      what to run; an exception it throws is the reactor's to report (the Clock
  ///               lets it escape `advance`, as Twisted's does; a real reactor logs it).
  /// @param where  recorded for diagnostics; leave it defaulted.
  /// @throws std::invalid_argument if `delay` is negative or not finite.
  DelayedCallPtr callLater(Seconds delay, std::function<void()> f,
                           std::source_location where = std::source_location::current()) {
    return doCallLater(delay, std::move(f), where);
  }

  /// Every call still pending (active), in no particular order.  Twisted: getDelayedCalls.
  virtual std::vector<DelayedCallPtr> getDelayedCalls() const = 0;

 protected:
  /// Implements callLater (non-virtual interface, so the defaults live in one place).
  virtual DelayedCallPtr doCallLater(Seconds delay, std::function<void()> f,
                                     const std::source_location& where) = 0;
};

}  // namespace tw
