/// @file
/// LoopingCall: call a function every interval, on an injected clock.
/// Twisted: twisted.internet.task.LoopingCall.  Tests: tests/runtime/looping_call_test.cpp
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_reactor_time.hpp"

namespace tw {

/// Calls a function repeatedly, every `interval` seconds of an IReactorTime.
///
/// @code
/// tw::fakes::Clock clock;
/// int ticks = 0;
/// tw::LoopingCall lc(clock, [&] { ++ticks; });
/// tw::Deferred<tw::LoopingCall*> done = lc.start(1s);  // ticks == 1 (now = true)
/// clock.advance(3s);                                    // ticks == 2: one missed beat skipped
/// lc.stop();                                            // done fires with &lc
/// @endcode
///
/// Scheduling, as Twisted's:
/// 1. `start(interval, now)` records the start time; with `now` the function runs at once,
///    inside start(), otherwise at start + interval.
/// 2. After each call, the next one is scheduled at the next multiple of `interval` after the
///    start time that is still in the future: missed intervals are skipped, never replayed (a
///    boundary equal to now counts as past). With interval 0 the next call is scheduled 0 s from
///    now (on a fake Clock it runs within the same advance).
/// 3. If the function returns a Deferred, nothing is scheduled until it fires; if it fails (or
///    the function throws) the loop stops and start()'s Deferred fails with that Failure.
/// 4. `stop()` cancels the pending call and fires start()'s Deferred at once; called from
///    inside the function, or while the function's Deferred is pending, start()'s Deferred
///    fires when that call completes (the function's Deferred is not cancelled).
///
/// The function is `void()` or `Deferred<void>()`; `withCount` makes one that receives the
/// number of intervals elapsed since its last call.
///
/// Lifetime: not copyable or movable (start()'s Deferred fires with its address). Destroying a
/// running LoopingCall stops it: the pending call is cancelled and start()'s Deferred fails with
/// CancelledError; a Deferred the function returned and that fires later is ignored.
///
/// Thread safety: none; it belongs to its clock's thread.
///
/// Differs from Twisted:
/// 1. start()'s Deferred fires with a pointer to the LoopingCall (Twisted: the LoopingCall).
/// 2. Misuse (start while running, stop or reset while not running) throws std::logic_error
///    (Twisted: AssertionError); a negative or non-finite interval throws
///    std::invalid_argument (Twisted: ValueError for negative).
/// 3. The clock is a constructor argument (Twisted: the `clock` attribute, the global reactor
///    by default).
class LoopingCall {
 public:
  /// The function, as stored: called once per iteration.
  using Function = std::function<Deferred<void>()>;
  /// withCount's function: receives the number of intervals since its last call (>= 1).
  using CountFunction = std::function<Deferred<void>(std::int64_t)>;

  /// A LoopingCall of `f` (`void()` or `Deferred<void>()`) on `clock`, which must outlive it.
  template <class F>
  requires std::is_invocable_v<F&> LoopingCall(IReactorTime& clock, F f)
      : clock_(clock), f_(wrap(std::move(f))) {}

  /// A LoopingCall whose function receives, at each call, how many intervals elapsed since its
  /// previous call (or since start): normally 1, more when calls were missed; always 1 with
  /// interval 0. Twisted: LoopingCall.withCount.
  template <class F>
  requires std::is_invocable_v<F&, std::int64_t>
  static LoopingCall withCount(IReactorTime& clock, F f) {
    return LoopingCall(clock, CountTag{}, wrapCount(std::move(f)));
  }

  LoopingCall(const LoopingCall&) = delete;
  LoopingCall& operator=(const LoopingCall&) = delete;
  /// Stops a running loop (see Lifetime above).
  ~LoopingCall();

  /// Starts calling the function every `interval`.
  /// @param now  call it at once (inside start) rather than after the first interval.
  /// @return a Deferred that fires with `this` once stop() takes effect, or fails with the
  ///         function's failure.
  /// @throws std::logic_error when already running; std::invalid_argument when `interval` is
  ///         negative or not finite.
  Deferred<LoopingCall*> start(Seconds interval, bool now = true);

  /// Stops the loop (see rule 4 above).
  /// @throws std::logic_error when not running.
  void stop();

  /// Skips the next iteration and restarts the interval from now (only when a call is pending;
  /// while the function's Deferred is pending it does nothing). Twisted: LoopingCall.reset.
  /// @throws std::logic_error when not running.
  void reset();

  /// True from start() until stop() or a failure.
  [[nodiscard]] bool running() const noexcept { return running_; }

  /// The interval given to start() (or setInterval), 0 before start.
  [[nodiscard]] Seconds interval() const noexcept { return Seconds(interval_); }

  /// Changes the interval used from the next scheduling on (Twisted assigns `lc.interval`).
  /// @throws std::invalid_argument when negative or not finite.
  void setInterval(Seconds interval);

  /// The clock time of start() (or of the last reset()). Twisted: LoopingCall.starttime.
  [[nodiscard]] double starttime() const noexcept { return starttime_; }

  /// "LoopingCall<1.5>(function)" (Twisted's repr names the function; C++ cannot).
  [[nodiscard]] std::string repr() const;

 private:
  struct CountTag {};
  LoopingCall(IReactorTime& clock, CountTag, CountFunction f)
      : clock_(clock), counted_(std::move(f)) {}

  template <class F>
  static Function wrap(F f) {
    using R = std::invoke_result_t<F&>;
    if constexpr (std::is_void_v<R>) {
      return [f = std::move(f)]() mutable {
        f();
        return succeed();
      };
    } else {
      static_assert(std::is_same_v<std::remove_cvref_t<R>, Deferred<void>>,
                    "a LoopingCall's function returns void or Deferred<void>");
      return Function(std::move(f));
    }
  }
  template <class F>
  static CountFunction wrapCount(F f) {
    using R = std::invoke_result_t<F&, std::int64_t>;
    if constexpr (std::is_void_v<R>) {
      return [f = std::move(f)](std::int64_t n) mutable {
        f(n);
        return succeed();
      };
    } else {
      static_assert(std::is_same_v<std::remove_cvref_t<R>, Deferred<void>>,
                    "a LoopingCall's function returns void or Deferred<void>");
      return CountFunction(std::move(f));
    }
  }

  void call();
  Deferred<void> invoke();
  void scheduleFrom(double when);
  std::int64_t intervalOf(double t) const;
  void fireStopped();

  IReactorTime& clock_;
  Function f_;
  CountFunction counted_;
  bool running_ = false;
  bool runAtStart_ = false;
  double interval_ = 0;
  double starttime_ = 0;
  std::optional<double> realLastTime_;
  DelayedCallPtr call_;
  std::optional<Deferred<LoopingCall*>> deferred_;
  std::shared_ptr<LoopingCall*> alive_ = std::make_shared<LoopingCall*>(this);
};

}  // namespace tw
