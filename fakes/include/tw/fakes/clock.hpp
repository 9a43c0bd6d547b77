/// @file
/// Clock: an IReactorTime whose time moves only when a test says so.
/// Twisted: twisted.internet.task.Clock.  Tests: tests/fakes/clock_test.cpp,
/// tests/fakes/clock_property_test.cpp
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <vector>

#include "tw/delayed_call.hpp"
#include "tw/interfaces/i_reactor_time.hpp"

namespace tw::fakes {

/// A manual clock for deterministic tests: `seconds()` starts at 0 and changes only through
/// `advance`, `pump` and `step`.
///
/// @code
/// tw::fakes::Clock clock;
/// bool fired = false;
/// clock.callLater(5s, [&] { fired = true; });
/// clock.advance(4s);   // fired == false
/// clock.advance(1s);   // fired == true, clock.seconds() == 5
/// @endcode
///
/// Ordering, as Twisted's Clock:
///  1. `advance(amount)` first moves the time to now + amount, then runs every call due at or
///     before the new time, earliest first.
///  2. Calls due at the same time run in the order they were scheduled (a reset or delay counts
///     as scheduling anew).
///  3. A call that a running call schedules (or resets) at or before the new time runs in the
///     same `advance`.
///  4. An exception thrown by a call escapes `advance`; the calls not yet run stay pending.
///
/// Scheduling, cancelling, resetting and running a call each cost O(log n) (Twisted's Clock
/// re-sorts a list: O(n) each); an advance that makes many calls due at once sorts them once
/// (TimerQueue::prepareDue). A million callLater and one advance through them take about 0.3 s
/// (tests/benchmarks/clock_benchmark.cpp; Twisted needs hours).
///
/// Differs from Twisted: a negative or non-finite delay throws std::invalid_argument (Twisted's
/// Clock accepts it and runs the call at the next advance).
class Clock : public IReactorTime {
 public:
  Clock() : queue_(*this) {}
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;
  ~Clock() override = default;

  /// The current time, 0 at construction.
  double seconds() const override { return now_; }

  /// Moves time forward by `amount` and runs what is due (see the ordering above).
  /// @throws std::invalid_argument if `amount` is negative or not finite.
  void advance(Seconds amount);

  /// advance() by each amount in turn.  Twisted: Clock.pump.
  void pump(std::span<const Seconds> timings);
  void pump(std::initializer_list<Seconds> timings) {
    pump(std::span<const Seconds>(timings.begin(), timings.size()));
  }

  /// Runs the earliest pending call with the time set to *its* time (never moving time back):
  /// each callback sees `seconds()` equal to its scheduled time, as on a real reactor
  /// (twisted#9819).  Returns false, and does nothing, when no call is pending.
  bool step();

  /// Like advance(amount), but moves time call by call: each call due by now + amount runs with
  /// the time set to its own scheduled time; the time ends at now + amount.  A call scheduled
  /// meanwhile that is due by then runs too, at its own time.  An exception thrown by a call
  /// escapes with the time left at that call's time; the calls not yet run stay pending.
  /// @throws std::invalid_argument if `amount` is negative or not finite.
  void advanceStepwise(Seconds amount);

  /// Every pending call.  Twisted: Clock.getDelayedCalls.
  std::vector<DelayedCallPtr> getDelayedCalls() const override { return queue_.pending(); }

  /// The number of pending calls.
  std::size_t pendingCount() const noexcept { return queue_.size(); }

 protected:
  DelayedCallPtr doCallLater(Seconds delay, std::function<void()> f,
                             const std::source_location& where) override;

 private:
  double now_ = 0.0;
  TimerQueue queue_;
};

}  // namespace tw::fakes
