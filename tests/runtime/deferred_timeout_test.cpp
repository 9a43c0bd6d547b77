/// @file
/// Tests for Deferred::addTimeout.
/// Twisted: twisted.test.test_defer.DeferredAddTimeoutTests.
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "result_helpers.hpp"
#include "tw/deferred.hpp"
#include "tw/deferred_errors.hpp"
#include "tw/failure.hpp"
#include "tw/fakes/clock.hpp"
#include "tw/outcome.hpp"

namespace {

using namespace std::chrono_literals;
using tw::Deferred;
using tw::Failure;
using tw::Outcome;
using tw::fakes::Clock;
using tw::test::assertNoResult;
using tw::test::ExpectNoLoggedErrors;
using tw::test::failureResultOf;
using tw::test::successResultOf;

/// Twisted's _overrideFunc: whatever the result, "OVERRIDDEN".
Outcome<std::string> overrideFunc(Outcome<std::string>, tw::Seconds) {
  return std::string("OVERRIDDEN");
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_timeoutChainable
TEST(DeferredTimeoutTests, timeoutChainable) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<void> d;
  auto s = d.addTimeout(5s, clock).addCallback([] { return std::string("done"); });
  d.callback();
  EXPECT_EQ(successResultOf(s), "done");
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_successResultBeforeTimeout
TEST(DeferredTimeoutTests, successResultBeforeTimeout) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<std::string> d;
  d.addTimeout(10s, clock);
  Deferred<void> inner;
  std::optional<std::string> seen;
  d.addCallback([&](std::string r) {
    seen = r;
    return inner;
  });
  d.callback("results");
  EXPECT_EQ(seen, "results");
  clock.advance(15s);
  assertNoResult(inner);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  inner.callback();
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_successResultBeforeTimeoutCustom
TEST(DeferredTimeoutTests, successResultBeforeTimeoutCustom) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<std::string> d;
  d.addTimeout(10s, clock, overrideFunc);
  Deferred<void> inner;
  std::optional<std::string> seen;
  d.addCallback([&](std::string r) {
    seen = r;
    return inner;
  });
  d.callback("results");
  EXPECT_EQ(seen, "results");
  clock.advance(15s);
  assertNoResult(inner);
  inner.callback();
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_failureBeforeTimeout
TEST(DeferredTimeoutTests, failureBeforeTimeout) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<void> d;
  d.addTimeout(10s, clock);
  Deferred<void> inner;
  std::optional<Failure> seen;
  d.addErrback([&](Failure f) {
    seen = f;
    return inner;
  });
  d.errback(std::invalid_argument("fail"));
  ASSERT_TRUE(seen);
  EXPECT_NE(seen->check<std::invalid_argument>(), nullptr);
  clock.advance(15s);
  assertNoResult(inner);
  inner.callback();
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_failureBeforeTimeoutCustom
TEST(DeferredTimeoutTests, failureBeforeTimeoutCustom) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<std::string> d;
  d.addTimeout(10s, clock, overrideFunc);
  Deferred<std::string> inner;
  std::optional<Failure> seen;
  d.addErrback([&](Failure f) {
    seen = f;
    return inner;
  });
  d.errback(std::invalid_argument("fail"));
  ASSERT_TRUE(seen);
  EXPECT_NE(seen->check<std::invalid_argument>(), nullptr);
  clock.advance(15s);
  assertNoResult(inner);
  inner.callback("x");
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_timedOut
TEST(DeferredTimeoutTests, timedOut) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<void> d;
  d.addTimeout(10s, clock);
  assertNoResult(d);
  clock.advance(9.5s);
  assertNoResult(d);
  clock.advance(5.5s);
  Failure f = failureResultOf<tw::TimeoutError>(d);
  EXPECT_EQ(f.getErrorMessage(), "Deferred timed out after 10 seconds");
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_timedOutCustom
TEST(DeferredTimeoutTests, timedOutCustom) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<std::string> d;
  d.addTimeout(10s, clock, overrideFunc);
  assertNoResult(d);
  clock.advance(15s);
  EXPECT_EQ(successResultOf(d), "OVERRIDDEN");
}

// The custom handler receives the result (the CancelledError) and the timeout.
TEST(DeferredTimeoutTests, customHandlerSeesResultAndTimeout) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<int> d;
  std::optional<double> seenTimeout;
  bool sawCancelled = false;
  d.addTimeout(2.5s, clock, [&](Outcome<int> r, tw::Seconds t) -> Outcome<int> {
    seenTimeout = t.count();
    sawCancelled = !r.succeeded() && r.failure().check<tw::CancelledError>() != nullptr;
    return Failure(std::runtime_error("custom"));
  });
  clock.advance(3s);
  EXPECT_EQ(seenTimeout, 2.5);
  EXPECT_TRUE(sawCancelled);
  EXPECT_EQ(failureResultOf<std::runtime_error>(d).getErrorMessage(), "custom");
}

// A custom handler that throws makes the exception the result.
TEST(DeferredTimeoutTests, customHandlerThrows) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<int> d;
  d.addTimeout(1s, clock,
               [](Outcome<int>, tw::Seconds) -> Outcome<int> { throw std::logic_error("thrown"); });
  clock.advance(1s);
  failureResultOf<std::logic_error>(d);
}

// A custom handler may turn the canceller's value into another value.
TEST(DeferredTimeoutTests, customHandlerTransformsValue) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<int> d([](Deferred<int>& self) { self.callback(20); });
  d.addTimeout(1s, clock,
               [](Outcome<int> r, tw::Seconds) -> Outcome<int> { return r.value() + 1; });
  clock.advance(1s);
  EXPECT_EQ(successResultOf(d), 21);
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_timedOutProvidedCancelSuccess
TEST(DeferredTimeoutTests, timedOutProvidedCancelSuccess) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<std::string> d([](Deferred<std::string>& c) { c.callback("I was cancelled!"); });
  d.addTimeout(10s, clock);
  assertNoResult(d);
  clock.advance(15s);
  EXPECT_EQ(successResultOf(d), "I was cancelled!");
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_timedOutProvidedCancelFailure
TEST(DeferredTimeoutTests, timedOutProvidedCancelFailure) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<void> d([](Deferred<void>& c) { c.errback(std::invalid_argument("what!")); });
  d.addTimeout(10s, clock);
  assertNoResult(d);
  clock.advance(15s);
  Failure f = failureResultOf<std::invalid_argument>(d);
  EXPECT_EQ(f.getErrorMessage(), "what!");
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_cancelBeforeTimeout
TEST(DeferredTimeoutTests, cancelBeforeTimeout) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<void> d;
  d.addTimeout(10s, clock);
  Deferred<void> inner;
  std::optional<Failure> seen;
  auto end = d.addErrback([&](Failure f) {
    seen = f;
    return inner;
  });
  d.cancel();
  ASSERT_TRUE(seen);
  EXPECT_NE(seen->check<tw::CancelledError>(), nullptr);
  EXPECT_EQ(seen->check<tw::TimeoutError>(), nullptr);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  clock.advance(15s);
  assertNoResult(inner);
  inner.callback();
  successResultOf(end);
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_cancelBeforeTimeoutCustom
TEST(DeferredTimeoutTests, cancelBeforeTimeoutCustom) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<std::string> d;
  d.addTimeout(10s, clock, overrideFunc);
  Deferred<std::string> inner;
  std::optional<Failure> seen;
  d.addErrback([&](Failure f) {
    seen = f;
    return inner;
  });
  d.cancel();
  ASSERT_TRUE(seen);
  EXPECT_NE(seen->check<tw::CancelledError>(), nullptr);
  clock.advance(15s);
  assertNoResult(inner);
  inner.callback("x");
}

// A plain cancel() after addTimeout (not through the timer) keeps CancelledError.
TEST(DeferredTimeoutTests, manualCancelIsNotTranslated) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<void> d;
  auto t = d.addTimeout(10s, clock);
  d.cancel();
  failureResultOf<tw::CancelledError>(t);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_providedCancelCalledBeforeTimeoutCustom
TEST(DeferredTimeoutTests, providedCancelCalledBeforeTimeoutCustom) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<std::string> d(
      [](Deferred<std::string>& c) { c.errback(std::invalid_argument("what!")); });
  d.addTimeout(10s, clock, overrideFunc);
  assertNoResult(d);
  clock.advance(15s);
  EXPECT_EQ(successResultOf(d), "OVERRIDDEN");
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_errbackAddedBeforeTimeout
TEST(DeferredTimeoutTests, errbackAddedBeforeTimeout) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<void> d;
  std::optional<Failure> seen;
  d.addErrback([&](Failure f) {
    seen = f;
    return f;
  });
  d.addTimeout(10s, clock);
  clock.advance(15s);
  ASSERT_TRUE(seen);
  EXPECT_NE(seen->check<tw::CancelledError>(), nullptr);
  failureResultOf<tw::TimeoutError>(d);
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_errbackAddedBeforeTimeoutSuppressesCancellation
TEST(DeferredTimeoutTests, errbackAddedBeforeTimeoutSuppressesCancellation) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<void> d;
  std::optional<Failure> seen;
  d.addErrback([&](Failure f) {
    seen = f;
    f.trap<tw::CancelledError>();
  });
  d.addTimeout(10s, clock);
  clock.advance(15s);
  ASSERT_TRUE(seen);
  EXPECT_NE(seen->check<tw::CancelledError>(), nullptr);
  successResultOf(d);
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_errbackAddedBeforeTimeoutCustom
TEST(DeferredTimeoutTests, errbackAddedBeforeTimeoutCustom) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<std::string> d;
  std::optional<Failure> seen;
  d.addErrback([&](Failure f) {
    seen = f;
    return f;
  });
  d.addTimeout(10s, clock, overrideFunc);
  clock.advance(15s);
  ASSERT_TRUE(seen);
  EXPECT_NE(seen->check<tw::CancelledError>(), nullptr);
  EXPECT_EQ(successResultOf(d), "OVERRIDDEN");
}

// Twisted:
// test_defer.DeferredAddTimeoutTests.test_errbackAddedBeforeTimeoutSuppressesCancellationCustom
TEST(DeferredTimeoutTests, errbackAddedBeforeTimeoutSuppressesCancellationCustom) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<std::string> d;
  std::optional<Failure> seen;
  d.addErrback([&](Failure f) -> std::string {
    seen = f;
    return "recovered";
  });
  d.addTimeout(10s, clock, overrideFunc);
  clock.advance(15s);
  ASSERT_TRUE(seen);
  EXPECT_EQ(successResultOf(d), "OVERRIDDEN");
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_callbackAddedToCancelerBeforeTimeout
TEST(DeferredTimeoutTests, callbackAddedToCancelerBeforeTimeout) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<std::string> d([](Deferred<std::string>& self) { self.callback("success"); });
  std::optional<std::string> seen;
  d.addCallback([&](std::string v) {
    seen = v;
    return v;
  });
  d.addTimeout(10s, clock);
  clock.advance(15s);
  EXPECT_EQ(seen, "success");
  EXPECT_EQ(successResultOf(d), "success");
}

// Twisted: test_defer.DeferredAddTimeoutTests.test_callbackAddedToCancelerBeforeTimeoutCustom
TEST(DeferredTimeoutTests, callbackAddedToCancelerBeforeTimeoutCustom) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<std::string> d([](Deferred<std::string>& self) { self.callback("success"); });
  std::optional<std::string> seen;
  d.addCallback([&](std::string v) {
    seen = v;
    return v;
  });
  d.addTimeout(10s, clock, overrideFunc);
  clock.advance(15s);
  EXPECT_EQ(seen, "success");
  EXPECT_EQ(successResultOf(d), "OVERRIDDEN");
}

// Callbacks added after addTimeout see the translated TimeoutError, not CancelledError.
TEST(DeferredTimeoutTests, callbacksAddedAfterSeeTimeoutError) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<int> d;
  std::optional<Failure> seen;
  d.addTimeout(1s, clock).addErrback([&](Failure f) -> int {
    seen = f;
    return 0;
  });
  clock.advance(1s);
  ASSERT_TRUE(seen);
  EXPECT_NE(seen->check<tw::TimeoutError>(), nullptr);
}

// Timeout and result racing at the same time: the one scheduled first wins.
TEST(DeferredTimeoutTests, resultScheduledBeforeTimeoutAtSameTimeWins) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<int> d;
  clock.callLater(5s, [d]() mutable { d.callback(7); });
  d.addTimeout(5s, clock);
  clock.advance(5s);
  EXPECT_EQ(successResultOf(d), 7);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// Timeout and result racing at the same time: a timer scheduled first wins, and the late fire
// of the producer is swallowed (the cancelled Deferred had no canceller).
TEST(DeferredTimeoutTests, timeoutScheduledBeforeResultAtSameTimeWins) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<int> d;
  d.addTimeout(5s, clock);
  clock.callLater(5s, [d]() mutable { d.callback(7); });
  clock.advance(5s);
  failureResultOf<tw::TimeoutError>(d);
}

// A Deferred waiting on another when it times out cancels the inner one; the result is a
// TimeoutError.
TEST(DeferredTimeoutTests, chainedDeferredIsCancelled) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<int> d;
  bool innerCancelled = false;
  Deferred<int> inner([&](Deferred<int>&) { innerCancelled = true; });
  auto waiting = d.addCallback([inner](int) { return inner; });
  waiting.addTimeout(10s, clock);
  d.callback(1);
  EXPECT_TRUE(waiting.isWaiting());
  clock.advance(10s);
  EXPECT_TRUE(innerCancelled);
  EXPECT_TRUE(inner.isConsumed());  // its CancelledError went to `waiting`
  failureResultOf<tw::TimeoutError>(waiting);
}

// The pending timer keeps the Deferred alive after every handle is dropped, and still cancels it.
TEST(DeferredTimeoutTests, timerKeepsDeferredAlive) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  std::optional<Failure> seen;
  {
    Deferred<int> d;
    d.addTimeout(1s, clock).addErrback([&](Failure f) -> int {
      seen = f;
      return 0;
    });
  }
  clock.advance(1s);
  ASSERT_TRUE(seen);
  EXPECT_NE(seen->check<tw::TimeoutError>(), nullptr);
}

// addTimeout on a Deferred that already has a result cancels its timer at once.
TEST(DeferredTimeoutTests, alreadyFiredCancelsTimerAtOnce) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  auto d = tw::succeed(3).addTimeout(1s, clock);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  EXPECT_EQ(successResultOf(d), 3);
}

// A negative timeout is refused before anything is added to the chain.
TEST(DeferredTimeoutTests, negativeTimeoutThrows) {
  ExpectNoLoggedErrors noErrors;
  struct Refusing : Clock {
   protected:
    tw::DelayedCallPtr doCallLater(tw::Seconds delay, std::function<void()> f,
                                   const std::source_location& where) override {
      if (delay.count() < 0) throw std::invalid_argument("negative");
      return Clock::doCallLater(delay, std::move(f), where);
    }
  } clock;
  Deferred<int> d;
  EXPECT_THROW(d.addTimeout(-1s, clock), std::invalid_argument);
  d.callback(1);
  EXPECT_EQ(successResultOf(d), 1);
}

}  // namespace
