/// @file
/// RapidCheck generators for users' own properties: chunkings of a byte string (feed a
/// protocol the same bytes in any split), random callback chains on a Deferred<int> with a
/// reference model of their outcome, and random schedules of delayed calls on a Clock with a
/// reference model of their firing order.  Twisted: none (Hypothesis users write these by hand).
/// Tests: tests/trial/generators_property_test.cpp
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "tw/deferred.hpp"
#include "tw/fakes/clock.hpp"
#include "tw/interfaces/i_reactor_time.hpp"

namespace tw::trial {

/// Splits `data` at the given positions (sorted and deduplicated; positions outside 1..size-1
/// are ignored): the pieces, in order, concatenate to `data`; none is empty unless `data` is.
std::vector<std::string> splitAt(const std::string& data, std::vector<std::size_t> positions);

/// Every way of cutting `data` into non-empty pieces, from one piece to one byte per piece.
///
/// Shrinking removes split points (and moves the rest towards the start), so a failing case
/// shrinks to the fewest splits that still fail: usually one.
///
/// @code
/// RC_GTEST_PROP(MyProtocolProperty, anySplitGivesTheSameLines, ()) {
///   const std::string input = "add 1 2\r\nadd 3 4\r\n";
///   auto pieces = *tw::trial::chunkings(input);
///   MyProtocol p; tw::fakes::StringTransport t; p.makeConnection(t);
///   for (const auto& piece : pieces) p.dataReceived(piece);
///   RC_ASSERT(t.value() == "3\r\n7\r\n");
/// }
/// @endcode
inline rc::Gen<std::vector<std::string>> chunkings(std::string data) {
  if (data.size() < 2) return rc::gen::just(std::vector<std::string>{data});
  const std::size_t size = data.size();
  return rc::gen::map(
      rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(1, size)),
      [data = std::move(data)](std::vector<std::size_t> positions) {
        return splitAt(data, std::move(positions));
      });
}

// Callback chains -------------------------------------------------------------------------------

/// What one step of a CallbackChain adds to a `Deferred<int>`, simplest first (shrinking moves
/// a step towards kAdd).  `k` is the step's number; "v + k" wraps around on overflow; every
/// failure a step makes is a std::runtime_error whose message names the step, e.g. "throw 3".
enum class ChainStepKind : std::uint8_t {
  kAdd,                ///< addCallback: v -> v + k
  kThrow,              ///< addCallback: throws "throw k"
  kRecover,            ///< addErrback: recovers with k
  kPassFailure,        ///< addErrback: returns its Failure unchanged
  kRethrow,            ///< addErrback: rethrows the Failure's exception
  kBothAdd,            ///< addBoth: v -> v + k, and a failure -> k
  kBothFail,           ///< addBoth: anything -> a failure "both k"
  kReturnSucceeded,    ///< addCallback: returns tw::succeed(v + k)
  kReturnFailed,       ///< addCallback: returns tw::fail("fail k")
  kReturnLater,        ///< addCallback: returns a Deferred fired later with v + k
  kReturnLaterFailed,  ///< addCallback: returns a Deferred failed later with "later k"
  kRecoverLater,       ///< addErrback: returns a Deferred fired later with k
};

/// One step of a CallbackChain.
struct ChainStep {
  ChainStepKind kind = ChainStepKind::kAdd;
  int k = 0;
  friend bool operator==(const ChainStep&, const ChainStep&) = default;
};

/// A chain of callbacks to add to a `Deferred<int>`: a plain value, printable, comparable.
/// Build one by hand or draw one from callbackChains(); attach it with apply(); predict what it
/// ends with with expected().
struct CallbackChain {
  std::vector<ChainStep> steps;
  friend bool operator==(const CallbackChain&, const CallbackChain&) = default;
};

/// What a `Deferred<int>` holds (or is fired with): a value, or a failure with its message.
struct ChainOutcome {
  bool succeeded = true;
  int value = 0;        ///< when succeeded
  std::string message;  ///< when failed: Failure::getErrorMessage()

  static ChainOutcome success(int value) { return {true, value, {}}; }
  static ChainOutcome failure(std::string message) { return {false, 0, std::move(message)}; }
  friend bool operator==(const ChainOutcome&, const ChainOutcome&) = default;
};

/// "addCallback(+3)", "addErrback(recover 5)", ...
std::ostream& operator<<(std::ostream& out, const ChainStep& step);
/// "[addCallback(+3), addCallback(throw 1)]"; the empty chain prints "[]".
std::ostream& operator<<(std::ostream& out, const CallbackChain& chain);
/// "value 3" or "failure \"throw 1\"".
std::ostream& operator<<(std::ostream& out, const ChainOutcome& outcome);
/// RapidCheck prints counterexamples with these.
void showValue(const CallbackChain& chain, std::ostream& out);
void showValue(const ChainOutcome& outcome, std::ostream& out);

/// Adds the steps of `chain` to `d`, in order, and returns the handle on the end of the chain.
///
/// The "later" steps return a Deferred that `reactor.callLater(0s, ...)` fires; with a
/// tw::fakes::Clock, one `clock.advance(0s)` after `d` fired therefore runs the whole chain
/// (each later Deferred is created, and scheduled, only when its step runs).
/// `d` may be fired before or after apply(); the outcome is the same (see expected()).
///
/// Preconditions: `reactor` outlives the chain's callbacks (they capture it).
Deferred<int> apply(const CallbackChain& chain, Deferred<int> d, IReactorTime& reactor);

/// What a chain ends with when its Deferred is fired with `input` and every later Deferred has
/// fired, by Twisted's rules: a value goes to the next callback, a failure to the next errback,
/// a step that throws or returns a failure switches to failures, an errback that returns a
/// value recovers, a returned Deferred is waited on and its result taken.  (Replaying 2000
/// generated chains on Twisted 22.4, fired before or after the steps were added, gave the same
/// outcome for every one.)
ChainOutcome expected(const CallbackChain& chain, const ChainOutcome& input);

/// Fires `d` with `input` (callback(value) or errback(std::runtime_error(message))).
void fire(Deferred<int>& d, const ChainOutcome& input);

/// Takes the result of `d` (consuming it: a failure is handled, so nothing is logged), or
/// nullopt when `d` has no result yet.
std::optional<ChainOutcome> takeOutcome(Deferred<int> d);

/// Runs `chain` on tw with its own Clock: a new Deferred, fired with `input` before apply()
/// when `fireFirst`, after it otherwise, then the Clock advanced by 0s.  The result, or nullopt
/// when the chain did not finish.
std::optional<ChainOutcome> runChain(const CallbackChain& chain, const ChainOutcome& input,
                                     bool fireFirst);

/// One random step: a kind (each as likely as the others) and k in [0, 100).  The kind shrinks
/// to every simpler kind in turn (not by halving the distance, which could skip the simplest
/// kind that still fails), k towards 0.
rc::Gen<ChainStep> chainSteps();

/// Random callback chains on a `Deferred<int>`: up to 12 steps, of every ChainStepKind.
/// Also `rc::gen::arbitrary<CallbackChain>()`, so a TW_PROP may take a CallbackChain argument.
///
/// Shrinking removes steps (first all of them: the empty chain), then simplifies each step
/// towards `addCallback(+0)`: a failing case shrinks to the fewest, simplest steps that still
/// fail.
///
/// @code
/// // My retry wrapper must not change what a chain computes.
/// RC_GTEST_PROP(RetryProperty, keepsTheOutcome, ()) {
///   const auto chain = *tw::trial::callbackChains();
///   const int input = *rc::gen::inRange(-100, 100);
///   tw::fakes::Clock clock;
///   tw::Deferred<int> d = tw::trial::apply(chain, withRetries(clock, [&] {
///     return tw::succeed(input);
///   }), clock);
///   clock.advance(0s);
///   RC_ASSERT(tw::trial::takeOutcome(d) ==
///             tw::trial::expected(chain, tw::trial::ChainOutcome::success(input)));
/// }
/// @endcode
rc::Gen<CallbackChain> callbackChains();

/// Random inputs for a chain: mostly values in [-1000, 1000], sometimes a failure "input".
/// Shrinks towards the value 0.
rc::Gen<ChainOutcome> chainOutcomes();

// Clock schedules ---------------------------------------------------------------------------

/// What happens to a ScheduledCall while it is pending, done by another call when that one runs.
enum class ScheduleChange : std::uint8_t {
  kNone,
  kCancel,  ///< cancel()
  kReset,   ///< reset(amountMs): due amountMs after the time of the change
  kDelay,   ///< delay(amountMs): due amountMs later than it was
};

/// One delayed call of a ClockSchedule.  Indices refer to the schedule's `calls`; an index that
/// does not fit (out of range, or not earlier for `scheduledBy`, or itself for `changedBy`)
/// means "none", so that any value, and any shrink of one, is a valid schedule.
/// Preconditions (for run()): delays and amounts are not negative.
struct ScheduledCall {
  int delayMs = 0;       ///< callLater(delayMs) from the time it is scheduled
  int scheduledBy = -1;  ///< -1: at the start; else an earlier call that schedules it as it runs
  ScheduleChange change = ScheduleChange::kNone;
  int changedBy = -1;  ///< the call that, as it runs, makes `change` (if this is pending)
  int amountMs = 0;    ///< of kReset and kDelay
  friend bool operator==(const ScheduledCall&, const ScheduledCall&) = default;
};

/// Delayed calls and the advances that run them: a plain value, printable, comparable.
struct ClockSchedule {
  std::vector<ScheduledCall> calls;
  std::vector<int> advancesMs;  ///< clock.advance(ms) in turn, after scheduling the start calls
  friend bool operator==(const ClockSchedule&, const ClockSchedule&) = default;
};

/// One call that ran: which, when it was due, and the clock's time as it ran.
struct Firing {
  int call = 0;
  double due = 0;  ///< seconds, its getTime()
  double now = 0;  ///< seconds, the clock's seconds()
  friend bool operator==(const Firing&, const Firing&) = default;
};

std::ostream& operator<<(std::ostream& out, const ScheduledCall& call);
/// One line per call, then the advances.
std::ostream& operator<<(std::ostream& out, const ClockSchedule& schedule);
/// "#2 due 0.005 at 0.007".
std::ostream& operator<<(std::ostream& out, const Firing& firing);
void showValue(const ClockSchedule& schedule, std::ostream& out);
void showValue(const Firing& firing, std::ostream& out);

/// Runs `schedule` on `clock`: schedules the start calls in order, then advances by each amount
/// in turn.  A call, as it runs, records its Firing, makes the changes it is the `changedBy` of
/// (in index order, on the calls still pending) and then schedules the calls it is the
/// `scheduledBy` of (in index order).  Returns the firings in order; the calls still pending
/// at the end are cancelled, so nothing is left on `clock`.
std::vector<Firing> run(const ClockSchedule& schedule, fakes::Clock& clock);

/// run() on any IReactorTime: `advance(amount)` must move `reactor`'s time forward by `amount`
/// and run what is due (e.g. a MemoryReactorClock's advance).
std::vector<Firing> run(const ClockSchedule& schedule, IReactorTime& reactor,
                        const std::function<void(Seconds)>& advance);

/// The firings that IReactorTime's rules give for `schedule` (computing times with the same
/// double arithmetic as a Clock): calls run in order of due time; equal times run in the order
/// they were scheduled, a reset or delay counting as scheduling anew; a cancelled call never
/// runs; a call due by the end of an advance runs in that advance, even when scheduled (or
/// moved) during it.
///
/// Differs from Twisted: as tw's DelayedCall, a reset or delayed call counts as scheduled anew
/// for ties; Twisted's task.Clock may run it before calls due at the same time that were
/// scheduled earlier.  (Replaying 2000 generated schedules on Twisted 22.4 gave the same firings
/// for all but 24, each of which reset or delayed a call.)
std::vector<Firing> expectedOrder(const ClockSchedule& schedule);

/// Random schedules: up to 10 calls (delays and amounts up to 2.375 s; half scheduled at the
/// start, the others by earlier calls; half cancelled, reset or delayed by another call) and up
/// to 5 advances up to 3.625 s.  Every generated time is a multiple of 125 ms, which doubles add
/// exactly, so that equal due times (the ties the ordering rules are about) are common;
/// schedules written by hand may use any number of milliseconds.
///
/// Shrinking removes calls and advances (first all of them), then makes delays and amounts
/// smaller and the calls plainer (scheduled at the start, unchanged).
///
/// @code
/// // My reactor's timers behave as IReactorTime says.
/// RC_GTEST_PROP(MyReactorProperty, timersFireInOrder, ()) {
///   const auto schedule = *tw::trial::clockSchedules();
///   MyReactor reactor;  // an IReactorTime with a virtual-time advance()
///   auto firings = tw::trial::run(schedule, reactor, [&](tw::Seconds s) { reactor.advance(s); });
///   RC_ASSERT(firings == tw::trial::expectedOrder(schedule));
/// }
/// @endcode
rc::Gen<ClockSchedule> clockSchedules();

}  // namespace tw::trial

namespace rc {

/// `TW_PROP(S, N, (tw::trial::CallbackChain chain))` and `*rc::gen::arbitrary<CallbackChain>()`
/// draw from tw::trial::callbackChains().
template <>
struct Arbitrary<tw::trial::CallbackChain> {
  static Gen<tw::trial::CallbackChain> arbitrary() { return tw::trial::callbackChains(); }
};

/// Draws from tw::trial::chainOutcomes().
template <>
struct Arbitrary<tw::trial::ChainOutcome> {
  static Gen<tw::trial::ChainOutcome> arbitrary() { return tw::trial::chainOutcomes(); }
};

/// Draws from tw::trial::clockSchedules().
template <>
struct Arbitrary<tw::trial::ClockSchedule> {
  static Gen<tw::trial::ClockSchedule> arbitrary() { return tw::trial::clockSchedules(); }
};

}  // namespace rc
