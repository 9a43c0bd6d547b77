/// @file
/// Tests for LoopingCall.
/// Twisted: twisted.test.test_task.LoopTests, ReactorLoopTests.
#include "tw/looping_call.hpp"

#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "result_helpers.hpp"
#include "tw/deferred_errors.hpp"
#include "tw/fakes/clock.hpp"

namespace {

using namespace std::chrono_literals;
using tw::Deferred;
using tw::LoopingCall;
using tw::fakes::Clock;
using tw::test::assertNoResult;
using tw::test::ExpectNoLoggedErrors;
using tw::test::failureResultOf;
using tw::test::GenericError;
using tw::test::successResultOf;

// Twisted: test_task.LoopTests.test_callbackTimeSkips
TEST(LoopingCallTests, callbackTimeSkips) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  std::vector<double> times;
  double callDuration = 2;
  LoopingCall call(clock, [&] {
    times.push_back(clock.seconds());
    clock.advance(tw::Seconds(callDuration));
  });
  auto d = call.start(0.5s);
  EXPECT_EQ(times, (std::vector<double>{0}));
  EXPECT_EQ(clock.seconds(), 2);
  clock.advance(0s);  // the iteration at 2 is the present, not the future: skipped
  EXPECT_EQ(times, (std::vector<double>{0}));
  callDuration = 1;
  clock.advance(0.5s);
  EXPECT_EQ(times, (std::vector<double>{0, 2.5}));
  EXPECT_EQ(clock.seconds(), 3.5);
  clock.advance(0s);
  EXPECT_EQ(times, (std::vector<double>{0, 2.5}));
  callDuration = 0;
  clock.advance(0.5s);
  EXPECT_EQ(times, (std::vector<double>{0, 2.5, 4}));
  EXPECT_EQ(clock.seconds(), 4);
  call.stop();
  EXPECT_EQ(successResultOf(d), &call);
}

// Twisted: test_task.LoopTests.test_reactorTimeSkips
TEST(LoopingCallTests, reactorTimeSkips) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  std::vector<double> times;
  LoopingCall call(clock, [&] { times.push_back(clock.seconds()); });
  auto d = call.start(0.5s);
  EXPECT_EQ(times, (std::vector<double>{0}));
  clock.advance(2s);
  EXPECT_EQ(times, (std::vector<double>{0, 2}));
  clock.advance(1s);
  EXPECT_EQ(times, (std::vector<double>{0, 2, 3}));
  clock.advance(0s);
  EXPECT_EQ(times, (std::vector<double>{0, 2, 3}));
  call.stop();
}

// Twisted: test_task.LoopTests.test_reactorTimeCountSkips
TEST(LoopingCallTests, reactorTimeCountSkips) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  std::vector<std::pair<double, std::int64_t>> times;
  auto call = LoopingCall::withCount(
      clock, [&](std::int64_t n) { times.emplace_back(clock.seconds(), n); });
  const double interval = 0.5;
  const double delay = 0.01;
  auto d = call.start(tw::Seconds(interval));
  using V = std::vector<std::pair<double, std::int64_t>>;
  EXPECT_EQ(times, (V{{0, 1}}));
  clock.advance(tw::Seconds(interval + delay));
  EXPECT_EQ(times, (V{{0, 1}, {interval + delay, 1}}));
  clock.advance(tw::Seconds(3 * interval + delay));
  EXPECT_EQ(times, (V{{0, 1}, {interval + delay, 1}, {4 * interval + 2 * delay, 3}}));
  clock.advance(0s);
  EXPECT_EQ(times.size(), 3u);
  call.stop();
}

// Twisted: test_task.LoopTests.test_countLengthyIntervalCounts
TEST(LoopingCallTests, countLengthyIntervalCounts) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  std::vector<std::pair<double, std::int64_t>> times;
  auto call = LoopingCall::withCount(
      clock, [&](std::int64_t n) { times.emplace_back(clock.seconds(), n); });
  const double interval = 0.5;
  const double delay = 0.01;
  auto d = call.start(tw::Seconds(interval));
  EXPECT_EQ(times.back(), (std::pair<double, std::int64_t>{0, 1}));
  clock.advance(tw::Seconds(interval + delay));
  EXPECT_EQ(times.back(), (std::pair<double, std::int64_t>{interval + delay, 1}));
  clock.advance(tw::Seconds(interval * 1.75));
  EXPECT_EQ(times.back(), (std::pair<double, std::int64_t>{2.75 * interval + delay, 1}));
  clock.advance(tw::Seconds(interval * 0.25));
  EXPECT_EQ(times.back(), (std::pair<double, std::int64_t>{3.0 * interval + delay, 1}));
  call.stop();
}

// Twisted: test_task.LoopTests.test_withCountFloatingPointBoundary
TEST(LoopingCallTests, withCountFloatingPointBoundary) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  std::vector<std::int64_t> accumulator;
  auto call = LoopingCall::withCount(clock, [&](std::int64_t n) { accumulator.push_back(n); });
  const int count = 10;
  const double timespan = 1.0;
  const double interval = timespan / count;
  auto d = call.start(tw::Seconds(interval), false);
  for (int x = 0; x < count; ++x) clock.advance(tw::Seconds(interval));
  double sum = 0;
  for (int x = 0; x < count; ++x) sum += interval;
  const double epsilon = timespan - sum;
  clock.advance(tw::Seconds(epsilon));
  ASSERT_GT(std::abs(epsilon), 0.0);  // the test is only meaningful with an inexact sum
  EXPECT_GE(clock.seconds(), timespan);
  EXPECT_EQ(std::accumulate(accumulator.begin(), accumulator.end(), std::int64_t{0}), count);
  for (std::int64_t n : accumulator) EXPECT_NE(n, 0);
  call.stop();
}

// Twisted: test_task.LoopTests.test_withCountIntervalZero
TEST(LoopingCallTests, withCountIntervalZero) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  std::vector<std::int64_t> accumulator;
  LoopingCall* self = nullptr;  // the function cannot name the LoopingCall it is passed to
  auto loop = LoopingCall::withCount(clock, [&](std::int64_t n) {
    accumulator.push_back(n);
    if (accumulator.size() > 4) self->stop();
  });
  self = &loop;
  auto d = loop.start(0s, false);
  clock.advance(0s);
  EXPECT_EQ(successResultOf(d), &loop);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1, 1, 1, 1}));
}

// Twisted: test_task.LoopTests.test_withCountIntervalZeroDelay
TEST(LoopingCallTests, withCountIntervalZeroDelay) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<void> deferred;
  std::vector<std::int64_t> accumulator;
  LoopingCall* self = nullptr;
  auto loop = LoopingCall::withCount(clock, [&](std::int64_t n) -> Deferred<void> {
    accumulator.push_back(n);
    if (accumulator.size() == 2) return deferred;
    if (accumulator.size() > 4) self->stop();
    return tw::succeed();
  });
  self = &loop;
  auto d = loop.start(0s, false);
  clock.advance(0s);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1}));
  clock.advance(2s);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1}));
  deferred.callback();
  clock.advance(0s);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1, 1, 1, 1}));
  successResultOf(d);
}

// Twisted: test_task.LoopTests.test_withCountIntervalZeroDelayThenNonZeroInterval
TEST(LoopingCallTests, withCountIntervalZeroDelayThenNonZeroInterval) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<void> deferred;
  std::vector<std::int64_t> accumulator;
  auto loop = LoopingCall::withCount(clock, [&](std::int64_t n) -> Deferred<void> {
    accumulator.push_back(n);
    if (accumulator.size() == 2) return deferred;
    return tw::succeed();
  });
  auto d = loop.start(0s, false);
  clock.advance(10s);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1}));
  loop.setInterval(2s);
  deferred.callback();
  clock.advance(7s);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1, 3}));
  clock.advance(2s);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1, 3, 1}));
  clock.advance(4s);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1, 3, 1, 2}));
  loop.stop();
}

// Twisted: test_task.LoopTests.testBasicFunction
TEST(LoopingCallTests, basicFunction) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  int calls = 0;
  LoopingCall lc(clock, [&] { ++calls; });
  std::optional<LoopingCall*> result;
  auto d = lc.start(0.1s);
  d.addCallback([&](LoopingCall* r) { result = r; });
  clock.pump({0.05s, 0.1s, 0.1s});
  EXPECT_EQ(calls, 3);
  EXPECT_TRUE(lc.running());
  EXPECT_EQ(lc.interval(), tw::Seconds(0.1));
  lc.stop();
  EXPECT_FALSE(lc.running());
  EXPECT_EQ(result, &lc);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// Twisted: test_task.LoopTests.testDelayedStart
TEST(LoopingCallTests, delayedStart) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  int calls = 0;
  LoopingCall lc(clock, [&] { ++calls; });
  std::optional<LoopingCall*> result;
  lc.start(0.1s, false).addCallback([&](LoopingCall* r) { result = r; });
  clock.pump({0.05s, 0.1s, 0.1s});
  EXPECT_EQ(calls, 2);
  lc.stop();
  EXPECT_EQ(result, &lc);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// Twisted: test_task.LoopTests.testBadDelay
TEST(LoopingCallTests, badDelay) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  LoopingCall lc(clock, [] {});
  EXPECT_THROW(lc.start(-1s), std::invalid_argument);
  EXPECT_THROW(lc.start(tw::Seconds(INFINITY)), std::invalid_argument);
  EXPECT_FALSE(lc.running());
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// Twisted: test_task.LoopTests.testStopAtOnce
TEST(LoopingCallTests, stopAtOnce) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  int ran = 0;
  LoopingCall lc(clock, [&] { ++ran; });
  auto d = lc.start(0s, false);
  lc.stop();
  EXPECT_EQ(ran, 0);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  EXPECT_EQ(successResultOf(d), &lc);
}

// Twisted: test_task.LoopTests.testStoppingBeforeDelayedStart
TEST(LoopingCallTests, stoppingBeforeDelayedStart) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  int ran = 0;
  LoopingCall lc(clock, [&] { ++ran; });
  auto d = lc.start(10s, false);
  lc.stop();
  clock.advance(20s);
  EXPECT_EQ(ran, 0);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// Twisted: test_task.LoopTests.test_reset
TEST(LoopingCallTests, reset) {
  ExpectNoLoggedErrors noErrors;
  Clock c;
  int ran = 0;
  LoopingCall lc(c, [&] { ++ran; });
  auto d = lc.start(2s, false);
  c.advance(1s);
  lc.reset();
  EXPECT_EQ(lc.starttime(), 1);
  c.advance(1s);
  EXPECT_EQ(ran, 0);
  c.advance(1s);
  EXPECT_EQ(ran, 1);
  lc.stop();
}

// Misuse throws: start while running, stop and reset while not running.
TEST(LoopingCallTests, misuseThrows) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  LoopingCall lc(clock, [] {});
  EXPECT_THROW(lc.stop(), std::logic_error);
  EXPECT_THROW(lc.reset(), std::logic_error);
  auto d = lc.start(1s);
  EXPECT_THROW(lc.start(1s), std::logic_error);
  lc.stop();
  EXPECT_THROW(lc.stop(), std::logic_error);
  successResultOf(d);
}

// A stopped LoopingCall can be started again with a new Deferred.
TEST(LoopingCallTests, restartAfterStop) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  int ran = 0;
  LoopingCall lc(clock, [&] { ++ran; });
  auto d1 = lc.start(1s);
  lc.stop();
  auto d2 = lc.start(1s);
  EXPECT_FALSE(d1.sameChain(d2));
  clock.advance(1s);
  EXPECT_EQ(ran, 3);
  lc.stop();
  successResultOf(d1);
  successResultOf(d2);
}

// Twisted: test_task.ReactorLoopTests.testFailure
TEST(LoopingCallTests, failure) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  LoopingCall lc(clock, [] { throw GenericError("bar"); });
  auto d = lc.start(0.1s);
  EXPECT_EQ(failureResultOf<GenericError>(d).getErrorMessage(), "bar");
  EXPECT_FALSE(lc.running());
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// The function failing on a later iteration errbacks start()'s Deferred then.
TEST(LoopingCallTests, failureLater) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  int ran = 0;
  LoopingCall lc(clock, [&] {
    if (++ran == 3) throw GenericError("third");
  });
  auto d = lc.start(1s);
  clock.advance(1s);
  assertNoResult(d);
  clock.advance(1s);
  failureResultOf<GenericError>(d);
  EXPECT_FALSE(lc.running());
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// Twisted: test_task.ReactorLoopTests.testFailAndStop
TEST(LoopingCallTests, failAndStop) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  LoopingCall* self = nullptr;
  LoopingCall lc(clock, [&] {
    self->stop();
    throw GenericError("bar");
  });
  self = &lc;
  auto d = lc.start(0.1s);
  failureResultOf<GenericError>(d);
}

// Twisted: test_task.ReactorLoopTests.testEveryIteration
TEST(LoopingCallTests, everyIteration) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  int ran = 0;
  LoopingCall* self = nullptr;
  LoopingCall lc(clock, [&] {
    if (++ran > 5) self->stop();
  });
  self = &lc;
  auto d = lc.start(0s);
  clock.advance(0s);
  EXPECT_EQ(successResultOf(d), &lc);
  EXPECT_EQ(ran, 6);
}

// Twisted: test_task.ReactorLoopTests.testStopAtOnceLater
TEST(LoopingCallTests, stopAtOnceLater) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  bool ran = false;
  LoopingCall lc(clock, [&] { ran = true; });
  auto d = lc.start(1s, false);
  clock.callLater(0s, [&] { lc.stop(); });
  clock.advance(0s);
  clock.advance(2s);
  EXPECT_FALSE(ran);
  successResultOf(d);
}

// Twisted: test_task.ReactorLoopTests.testWaitDeferred
TEST(LoopingCallTests, waitDeferred) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  LoopingCall* self = nullptr;
  int calls = 0;
  LoopingCall lc(clock, [&] {
    ++calls;
    Deferred<void> d;
    auto out = d.addCallback([&] { self->stop(); });
    clock.callLater(1s, [d]() mutable { d.callback(); });
    return out;
  });
  self = &lc;
  auto done = lc.start(0.2s);
  clock.pump({0.2s, 0.8s});
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  EXPECT_EQ(successResultOf(done), &lc);
}

// Twisted: test_task.ReactorLoopTests.testFailurePropagation
TEST(LoopingCallTests, failurePropagation) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  LoopingCall lc(clock, [&] {
    Deferred<void> d;
    clock.callLater(0.3s, [d]() mutable { d.errback(GenericError("later")); });
    return d;
  });
  auto d = lc.start(1s);
  assertNoResult(d);
  clock.pump({0.3s});
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  failureResultOf<GenericError>(d);
  EXPECT_FALSE(lc.running());
}

// Twisted: test_task.ReactorLoopTests.test_deferredWithCount
TEST(LoopingCallTests, deferredWithCount) {
  ExpectNoLoggedErrors noErrors;
  Clock testClock;
  Deferred<void> d;
  std::vector<std::int64_t> counts;
  auto lc = LoopingCall::withCount(testClock, [&](std::int64_t n) -> Deferred<void> {
    counts.push_back(n);
    if (counts.size() == 1) return d;
    return tw::succeed();
  });
  auto done = lc.start(0.2s, false);
  EXPECT_TRUE(counts.empty());
  testClock.pump({0.2s, 0.4s});
  EXPECT_EQ(counts.size(), 1u);
  d.callback();
  testClock.pump({0.2s});
  EXPECT_EQ(counts, (std::vector<std::int64_t>{1, 3}));
  lc.stop();
}

// stop() while the function's Deferred is pending fires start()'s Deferred only when it fires,
// and does not cancel it (twisted#11814).
TEST(LoopingCallTests, stopWhileWaitingFiresWhenFunctionDeferredFires) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  bool cancelled = false;
  Deferred<void> pending([&](Deferred<void>&) { cancelled = true; });
  LoopingCall lc(clock, [&] { return pending; });
  auto d = lc.start(1s);
  lc.stop();
  assertNoResult(d);
  EXPECT_FALSE(cancelled);
  pending.callback();
  EXPECT_EQ(successResultOf(d), &lc);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// reset() while the function's Deferred is pending does nothing.
TEST(LoopingCallTests, resetWhileWaitingDoesNothing) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<void> pending;
  int calls = 0;
  LoopingCall lc(clock, [&]() -> Deferred<void> {
    ++calls;
    return calls == 1 ? pending : tw::succeed();
  });
  auto d = lc.start(1s);
  clock.advance(0.5s);
  lc.reset();
  EXPECT_EQ(lc.starttime(), 0);
  pending.callback();
  clock.advance(0.5s);
  EXPECT_EQ(calls, 2);
  lc.stop();
}

// A LoopingCall destroyed while running cancels its call and fails start()'s Deferred.
TEST(LoopingCallTests, destroyedWhileRunning) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  int ran = 0;
  Deferred<LoopingCall*> d;
  {
    LoopingCall lc(clock, [&] { ++ran; });
    d = lc.start(1s);
  }
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  failureResultOf<tw::CancelledError>(d);
  clock.advance(5s);
  EXPECT_EQ(ran, 1);
}

// A LoopingCall destroyed while the function's Deferred is pending ignores it when it fires.
TEST(LoopingCallTests, destroyedWhileWaiting) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<void> pending;
  Deferred<LoopingCall*> d;
  {
    LoopingCall lc(clock, [&] { return pending; });
    d = lc.start(1s);
  }
  failureResultOf<tw::CancelledError>(d);
  pending.callback();
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// repr names the interval.
TEST(LoopingCallTests, reprNamesInterval) {
  Clock clock;
  LoopingCall lc(clock, [] {});
  EXPECT_EQ(lc.repr(), "LoopingCall<0>(function)");
  auto d = lc.start(1.5s, false);
  EXPECT_EQ(lc.repr(), "LoopingCall<1.5>(function)");
  lc.stop();
}

}  // namespace
