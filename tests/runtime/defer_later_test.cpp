/// @file
/// Tests for deferLater.
/// Twisted: twisted.test.test_task.DeferLaterTests.
#include "tw/defer_later.hpp"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "result_helpers.hpp"
#include "tw/deferred_errors.hpp"
#include "tw/fakes/clock.hpp"

namespace {

using namespace std::chrono_literals;
using tw::deferLater;
using tw::Deferred;
using tw::fakes::Clock;
using tw::test::assertNoResult;
using tw::test::ExpectNoLoggedErrors;
using tw::test::failureResultOf;
using tw::test::GenericError;
using tw::test::successResultOf;

// Twisted: test_task.DeferLaterTests.test_callback
TEST(DeferLaterTests, callback) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  std::vector<std::pair<std::string, std::string>> results;
  auto d = deferLater(clock, 3s, [&] {
    results.emplace_back("foo", "bar");
    return std::string("flag");
  });
  clock.advance(2s);
  EXPECT_TRUE(results.empty());
  assertNoResult(d);
  clock.advance(1s);
  EXPECT_EQ(results.size(), 1u);
  EXPECT_EQ(successResultOf(d), "flag");
}

// Twisted: test_task.DeferLaterTests.test_errback
TEST(DeferLaterTests, errback) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  auto d = deferLater(clock, 1s, []() -> int { throw GenericError("boom"); });
  clock.advance(1s);
  failureResultOf<GenericError>(d);
}

// Twisted: test_task.DeferLaterTests.test_cancel
TEST(DeferLaterTests, cancel) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  bool called = false;
  auto d = deferLater(clock, 1s, [&] { called = true; });
  d.cancel();
  failureResultOf<tw::CancelledError>(d);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  clock.advance(2s);
  EXPECT_FALSE(called);
}

// Twisted: test_task.DeferLaterTests.test_noCallback
TEST(DeferLaterTests, noCallback) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<void> d = deferLater(clock, 2s);
  assertNoResult(d);
  clock.advance(2s);
  successResultOf(d);
}

// A function returning a Deferred: deferLater's Deferred waits for it and takes its result.
TEST(DeferLaterTests, functionReturningDeferredIsWaitedOn) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Deferred<int> inner;
  Deferred<int> d = deferLater(clock, 1s, [&] { return inner; });
  clock.advance(1s);
  assertNoResult(d);
  inner.callback(5);
  EXPECT_EQ(successResultOf(d), 5);
}

// Cancelling while the function's Deferred is pending cancels that Deferred.
TEST(DeferLaterTests, cancelWhileWaitingCancelsInner) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  bool innerCancelled = false;
  Deferred<int> inner([&](Deferred<int>&) { innerCancelled = true; });
  Deferred<int> d = deferLater(clock, 1s, [&] { return inner; });
  clock.advance(1s);
  d.cancel();
  EXPECT_TRUE(innerCancelled);
  failureResultOf<tw::CancelledError>(d);
}

// Cancelling after the result arrived does nothing.
TEST(DeferLaterTests, cancelAfterResultIsNoOp) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  auto d = deferLater(clock, 1s, [] { return 4; });
  clock.advance(1s);
  d.cancel();
  EXPECT_EQ(successResultOf(d), 4);
}

// The pending call keeps the Deferred alive when every handle is dropped.
TEST(DeferLaterTests, pendingCallKeepsDeferredAlive) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  std::optional<int> seen;
  deferLater(clock, 1s, [] { return 9; }).addCallback([&](int v) { seen = v; });
  clock.advance(1s);
  EXPECT_EQ(seen, 9);
}

// Equal delays fire in the order deferLater was called.
TEST(DeferLaterTests, equalDelaysFireInOrder) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  std::vector<int> order;
  for (int i = 0; i < 4; ++i) deferLater(clock, 1s, [&order, i] { order.push_back(i); });
  clock.advance(1s);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

}  // namespace
