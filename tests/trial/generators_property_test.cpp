/// @file
/// Properties of the shipped generators: chunkings concatenate back to their input, have no
/// empty piece, and shrink towards fewer splits; callback chains run on tw end as their model
/// says; clock schedules run on the fake Clock fire as their model says; both shrink to the
/// empty value and to the simplest failing case.
#include "tw/trial/generators.hpp"

#include <chrono>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tw/fakes/clock.hpp"
#include "tw/fakes/memory_reactor.hpp"
#include "tw/logger.hpp"
#include "tw/trial/prop.hpp"

namespace {

using namespace std::chrono_literals;
using tw::trial::CallbackChain;
using tw::trial::ChainOutcome;
using tw::trial::ChainStep;
using tw::trial::ChainStepKind;
using tw::trial::ClockSchedule;
using tw::trial::Firing;
using tw::trial::ScheduleChange;
using tw::trial::ScheduledCall;

/// Follows the shrinks of `shrinkable` greedily, as RapidCheck does, while `fails` holds: the
/// value a failing property would be reported with.
template <class T, class P>
T smallestFailing(rc::Shrinkable<T> shrinkable, P fails) {
  for (bool progress = true; progress;) {
    progress = false;
    auto shrinks = shrinkable.shrinks();
    while (auto next = shrinks.next()) {
      if (fails(next->value())) {
        shrinkable = *next;
        progress = true;
        break;
      }
    }
  }
  return shrinkable.value();
}

/// The first value `gen` makes (seeds 1, 2, ...) for which `accept` holds.
template <class T, class P>
rc::Shrinkable<T> firstWhere(const rc::Gen<T>& gen, P accept) {
  for (std::uint64_t seed = 1;; ++seed) {
    auto shrinkable = gen(rc::Random(seed), 50);
    if (accept(shrinkable.value())) return shrinkable;
  }
}

template <class T>
std::string text(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string joined(const std::vector<std::string>& pieces) {
  return std::accumulate(pieces.begin(), pieces.end(), std::string());
}

// Every chunking concatenates to the input, with no empty piece.
RC_GTEST_PROP(GeneratorsPropertyTests, chunkingsConcatenateToTheInput, ()) {
  const auto data = *rc::gen::arbitrary<std::string>();
  const auto pieces = *tw::trial::chunkings(data);
  RC_ASSERT(joined(pieces) == data);
  if (!data.empty()) {
    for (const auto& p : pieces) RC_ASSERT(!p.empty());
  }
}

// Each shrink of a chunking is a chunking of the same input with no more pieces, and the
// shrinks reach the single piece.
TEST(GeneratorsPropertyTests, chunkingsShrinkTowardsFewerSplits) {
  const std::string data = "0123456789abcdefghij";
  auto shrinkable = tw::trial::chunkings(data)(rc::Random(7), 50);
  const auto original = shrinkable.value();
  bool reachedOnePiece = original.size() == 1;
  auto shrinks = shrinkable.shrinks();
  while (auto next = shrinks.next()) {
    const auto candidate = next->value();
    EXPECT_EQ(joined(candidate), data);
    EXPECT_LE(candidate.size(), original.size());
    if (candidate.size() == 1) reachedOnePiece = true;
  }
  EXPECT_TRUE(reachedOnePiece);
}

// splitAt ignores positions out of range and duplicates.
TEST(GeneratorsPropertyTests, splitAtIgnoresBadPositions) {
  EXPECT_EQ(tw::trial::splitAt("abcd", {0, 2, 2, 4, 9}), (std::vector<std::string>{"ab", "cd"}));
  EXPECT_EQ(tw::trial::splitAt("", {1}), std::vector<std::string>{""});
}

// Callback chains ----------------------------------------------------------------------------

// A random chain run on tw, with its input fired before or after the steps are added, ends as
// the model says, and leaves nothing logged.
RC_GTEST_PROP(GeneratorsPropertyTests, callbackChainsEndAsTheModelSays, ()) {
  const auto chain = *tw::trial::callbackChains();
  const auto input = *tw::trial::chainOutcomes();
  const bool fireFirst = *rc::gen::arbitrary<bool>();
  tw::LogCapture capture;
  const auto outcome = tw::trial::runChain(chain, input, fireFirst);
  RC_ASSERT(outcome.has_value());
  RC_ASSERT(*outcome == tw::trial::expected(chain, input));
  RC_ASSERT(capture.errors().empty());
}

// The same in a TW_PROP, the chain and input drawn as its arguments, the later steps fired by
// the case's reactor: nothing is left pending and nothing logged (the per-case janitor checks).
TW_PROP(GeneratorsPropertyTests, callbackChainsOnThePropReactor,
        (CallbackChain chain, ChainOutcome input)) {
  auto& reactor = tw::trial::propReactor();
  tw::Deferred<int> d;
  auto end = tw::trial::apply(chain, d, reactor);
  tw::trial::fire(d, input);
  reactor.advance(0s);
  RC_ASSERT(tw::trial::takeOutcome(end) == tw::trial::expected(chain, input));
}

// A later step leaves the chain waiting until the reactor fires its Deferred.
TEST(GeneratorsPropertyTests, laterStepsWaitForTheReactor) {
  const CallbackChain chain{{{ChainStepKind::kReturnLater, 2}, {ChainStepKind::kAdd, 1}}};
  tw::fakes::Clock clock;
  tw::Deferred<int> d;
  auto end = tw::trial::apply(chain, d, clock);
  d.callback(10);
  EXPECT_FALSE(end.hasResult());
  EXPECT_EQ(clock.pendingCount(), 1U);
  clock.advance(0s);
  EXPECT_EQ(tw::trial::takeOutcome(end), ChainOutcome::success(13));
}

// Hand-checked examples of the model; each chain was also written out and run on Twisted 22.4
// (with task.Clock for the later steps).
TEST(GeneratorsPropertyTests, modelExamples) {
  // 3 -> throw -> (+5 skipped) -> errback passes it on -> recover 7 -> later +2.
  // Twisted 22.4: value 9
  const CallbackChain recovering{{{ChainStepKind::kThrow, 1},
                                  {ChainStepKind::kAdd, 5},
                                  {ChainStepKind::kPassFailure, 0},
                                  {ChainStepKind::kRecover, 7},
                                  {ChainStepKind::kReturnLater, 2}}};
  EXPECT_EQ(tw::trial::expected(recovering, ChainOutcome::success(3)), ChainOutcome::success(9));
  EXPECT_EQ(tw::trial::runChain(recovering, ChainOutcome::success(3), true),
            ChainOutcome::success(9));
  // "input" -> (+1 skipped) -> rethrow -> addBoth recovers with 4 -> fail 6 -> recover 2 ->
  // addBoth fails. Twisted 22.4: failure "both 8"
  const CallbackChain failing{{{ChainStepKind::kAdd, 1},
                               {ChainStepKind::kRethrow, 0},
                               {ChainStepKind::kBothAdd, 4},
                               {ChainStepKind::kReturnFailed, 6},
                               {ChainStepKind::kRecover, 2},
                               {ChainStepKind::kBothFail, 8}}};
  EXPECT_EQ(tw::trial::expected(failing, ChainOutcome::failure("input")),
            ChainOutcome::failure("both 8"));
  EXPECT_EQ(tw::trial::runChain(failing, ChainOutcome::failure("input"), false),
            ChainOutcome::failure("both 8"));
  // v + k wraps around instead of overflowing.
  EXPECT_EQ(tw::trial::expected(CallbackChain{{{ChainStepKind::kAdd, 1}}},
                                ChainOutcome::success(2147483647)),
            ChainOutcome::success(-2147483647 - 1));
}

// A chain prints as its steps, so a counterexample reads like the code it stands for.
TEST(GeneratorsPropertyTests, callbackChainsPrintTheirSteps) {
  const CallbackChain chain{{{ChainStepKind::kAdd, 3},
                             {ChainStepKind::kRethrow, 0},
                             {ChainStepKind::kReturnLaterFailed, 4}}};
  EXPECT_EQ(text(chain),
            "[addCallback(+3), addErrback(rethrow), addCallback(return later fail 4)]");
  EXPECT_EQ(text(CallbackChain{}), "[]");
  EXPECT_EQ(text(ChainOutcome::failure("throw 1")), "failure \"throw 1\"");
  EXPECT_EQ(text(ChainOutcome::success(-2)), "value -2");
}

// Each shrink of a chain has no more steps, and the shrinks reach the empty chain.
TEST(GeneratorsPropertyTests, callbackChainsShrinkToTheEmptyChain) {
  auto shrinkable = firstWhere(tw::trial::callbackChains(),
                               [](const CallbackChain& c) { return c.steps.size() >= 3; });
  const auto original = shrinkable.value();
  bool reachedEmpty = false;
  auto shrinks = shrinkable.shrinks();
  while (auto next = shrinks.next()) {
    EXPECT_LE(next->value().steps.size(), original.steps.size());
    if (next->value().steps.empty()) reachedEmpty = true;
  }
  EXPECT_TRUE(reachedEmpty);
  EXPECT_EQ(smallestFailing(shrinkable, [](const CallbackChain&) { return true; }),
            CallbackChain{});
}

// A chain that fails on 0 shrinks to the simplest failing step: one addCallback(throw 0).
TEST(GeneratorsPropertyTests, callbackChainsShrinkToTheSimplestFailingStep) {
  auto endsFailed = [](const CallbackChain& c) {
    return !tw::trial::expected(c, ChainOutcome::success(0)).succeeded;
  };
  auto shrinkable = firstWhere(tw::trial::callbackChains(), [&](const CallbackChain& c) {
    return c.steps.size() >= 4 && endsFailed(c);
  });
  EXPECT_EQ(smallestFailing(shrinkable, endsFailed), (CallbackChain{{{ChainStepKind::kThrow, 0}}}));
}

// Clock schedules -------------------------------------------------------------------------

// A random schedule fires on the fake Clock as the model says, and leaves nothing pending.
RC_GTEST_PROP(GeneratorsPropertyTests, clockSchedulesFireAsTheModelSays, ()) {
  const auto schedule = *tw::trial::clockSchedules();
  tw::fakes::Clock clock;
  RC_ASSERT(tw::trial::run(schedule, clock) == tw::trial::expectedOrder(schedule));
  RC_ASSERT(clock.pendingCount() == 0U);
}

// The same on a MemoryReactorClock, through the IReactorTime overload.
RC_GTEST_PROP(GeneratorsPropertyTests, clockSchedulesFireOnAnyReactorTime, ()) {
  const auto schedule = *tw::trial::clockSchedules();
  tw::fakes::MemoryReactorClock reactor;
  const auto firings =
      tw::trial::run(schedule, reactor, [&](tw::Seconds amount) { reactor.advance(amount); });
  RC_ASSERT(firings == tw::trial::expectedOrder(schedule));
  RC_ASSERT(reactor.getDelayedCalls().empty());
}

// Drawn as a TW_PROP argument, on the case's reactor: nothing is left pending.
TW_PROP(GeneratorsPropertyTests, clockSchedulesOnThePropReactor, (ClockSchedule schedule)) {
  auto& reactor = tw::trial::propReactor();
  RC_ASSERT(tw::trial::run(schedule, reactor, [&](tw::Seconds s) { reactor.advance(s); }) ==
            tw::trial::expectedOrder(schedule));
}

// A hand-checked schedule: equal times in scheduling order, a reset measured from the time of
// the advance, a delay counting as scheduling anew, a cancelled call never running.
TEST(GeneratorsPropertyTests, clockScheduleExample) {
  ClockSchedule schedule;
  schedule.calls = {
      ScheduledCall{10, -1, ScheduleChange::kNone, -1, 0},   // #0 due 0.010
      ScheduledCall{0, -1, ScheduleChange::kNone, -1, 0},    // #1 due 0
      ScheduledCall{20, -1, ScheduleChange::kReset, 1, 10},  // #2 reset by #1 (at 0.010): 0.020
      ScheduledCall{10, -1, ScheduleChange::kCancel, 0, 0},  // #3 cancelled by #0
      ScheduledCall{0, 0, ScheduleChange::kNone, -1, 0},     // #4 scheduled by #0: due 0.010
      ScheduledCall{15, -1, ScheduleChange::kDelay, 4, 5},   // #5 delayed by #4: due 0.020
      ScheduledCall{5, -1, ScheduleChange::kCancel, 9, 0},   // #6 changer out of range: none
  };
  schedule.advancesMs = {10, 10};
  const std::vector<Firing> expected{{1, 0.0, 0.01},  {6, 0.005, 0.01}, {0, 0.01, 0.01},
                                     {4, 0.01, 0.01}, {2, 0.02, 0.02},  {5, 0.02, 0.02}};
  EXPECT_EQ(tw::trial::expectedOrder(schedule), expected);
  tw::fakes::Clock clock;
  EXPECT_EQ(tw::trial::run(schedule, clock), expected);
}

// run() leaves nothing pending on the clock, even when advancing throws.
TEST(GeneratorsPropertyTests, clockScheduleRunCancelsWhatIsLeft) {
  ClockSchedule schedule;
  schedule.calls = {ScheduledCall{5, -1, ScheduleChange::kNone, -1, 0},
                    ScheduledCall{50, -1, ScheduleChange::kNone, -1, 0}};
  schedule.advancesMs = {10, 10};
  tw::fakes::Clock clock;
  EXPECT_EQ(tw::trial::run(schedule, clock), (std::vector<Firing>{{0, 0.005, 0.01}}));
  EXPECT_EQ(clock.pendingCount(), 0U);
  EXPECT_THROW(tw::trial::run(schedule, clock,
                              [&](tw::Seconds amount) {
                                clock.advance(amount);
                                throw std::runtime_error("advance failed");
                              }),
               std::runtime_error);
  EXPECT_EQ(clock.pendingCount(), 0U);
}

// A schedule prints one call per line, then the advances.
TEST(GeneratorsPropertyTests, clockSchedulesPrintTheirCalls) {
  ClockSchedule schedule;
  schedule.calls = {ScheduledCall{5, -1, ScheduleChange::kNone, -1, 0},
                    ScheduledCall{7, 0, ScheduleChange::kReset, 0, 3}};
  schedule.advancesMs = {4, 6};
  EXPECT_EQ(text(schedule),
            "#0 callLater(5ms)\n#1 callLater(7ms) scheduled by #0, reset(3ms) by #0\n"
            "advance 4ms, 6ms");
  EXPECT_EQ(text(ClockSchedule{}), "advance nothing");
}

// Each shrink of a schedule has no more calls and advances, and the shrinks reach the empty
// schedule.
TEST(GeneratorsPropertyTests, clockSchedulesShrinkToTheEmptySchedule) {
  auto shrinkable = firstWhere(tw::trial::clockSchedules(), [](const ClockSchedule& s) {
    return s.calls.size() >= 3 && s.advancesMs.size() >= 2;
  });
  const auto original = shrinkable.value();
  auto shrinks = shrinkable.shrinks();
  while (auto next = shrinks.next()) {
    EXPECT_LE(next->value().calls.size(), original.calls.size());
    EXPECT_LE(next->value().advancesMs.size(), original.advancesMs.size());
  }
  EXPECT_EQ(smallestFailing(shrinkable, [](const ClockSchedule&) { return true; }),
            ClockSchedule{});
}

// A schedule in which something fires shrinks to one plain call of no delay and one advance
// of 0 ms; one in which a call is cancelled, to the two calls that make it.
TEST(GeneratorsPropertyTests, clockSchedulesShrinkToTheSimplestFailingSchedule) {
  auto fires = [](const ClockSchedule& s) { return !tw::trial::expectedOrder(s).empty(); };
  auto shrinkable = firstWhere(tw::trial::clockSchedules(), [&](const ClockSchedule& s) {
    return s.calls.size() >= 3 && fires(s);
  });
  ClockSchedule smallest;
  smallest.calls = {ScheduledCall{}};
  smallest.advancesMs = {0};
  EXPECT_EQ(smallestFailing(shrinkable, fires), smallest);

  // Fewer firings than calls scheduled at the start, with every start call due in the window.
  auto cancels = [](const ClockSchedule& s) {
    for (std::size_t i = 0; i < s.calls.size(); ++i) {
      const auto& c = s.calls[i];
      if (c.change == ScheduleChange::kCancel && c.changedBy >= 0 &&
          static_cast<std::size_t>(c.changedBy) < s.calls.size() &&
          static_cast<std::size_t>(c.changedBy) != i && c.scheduledBy < 0 &&
          s.calls[c.changedBy].scheduledBy < 0 && !s.advancesMs.empty()) {
        const auto firings = tw::trial::expectedOrder(s);
        bool fired = false;
        for (const Firing& f : firings) fired = fired || f.call == static_cast<int>(i);
        bool changerFired = false;
        for (const Firing& f : firings) changerFired = changerFired || f.call == c.changedBy;
        if (!fired && changerFired) return true;
      }
    }
    return false;
  };
  auto withCancel = firstWhere(tw::trial::clockSchedules(), [&](const ClockSchedule& s) {
    return s.calls.size() >= 3 && cancels(s);
  });
  const auto cancelled = smallestFailing(withCancel, cancels);
  ASSERT_EQ(cancelled.calls.size(), 2U) << text(cancelled);
  EXPECT_EQ(cancelled.advancesMs, std::vector<int>{0}) << text(cancelled);
}

}  // namespace
