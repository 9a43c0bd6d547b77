/// @file
/// Tests for tw::fakes::Clock.
/// Twisted: twisted.test.test_task.ClockTests.
#include "tw/fakes/clock.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tw/error.hpp"

namespace {

using namespace std::chrono_literals;
using tw::fakes::Clock;

// Twisted: test_task.ClockTests.testSeconds
TEST(ClockTests, secondsStartsAtZero) {
  Clock c;
  EXPECT_EQ(c.seconds(), 0);
}

// Twisted: test_task.ClockTests.testCallLater
TEST(ClockTests, callLaterReturnsActiveDelayedCall) {
  Clock c;
  tw::DelayedCallPtr call = c.callLater(1s, [] {});
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->getTime(), 1);
  EXPECT_TRUE(call->active());
}

// Twisted: test_task.ClockTests.testCallLaterCancelled
TEST(ClockTests, callLaterCancelled) {
  Clock c;
  auto call = c.callLater(1s, [] {});
  call->cancel();
  EXPECT_FALSE(call->active());
}

// Twisted: test_task.ClockTests.test_callLaterOrdering
TEST(ClockTests, callLaterReturnsDistinctCalls) {
  Clock c;
  auto call1 = c.callLater(10s, [] {});
  auto call2 = c.callLater(1s, [] {});
  EXPECT_NE(call1, call2);
}

// Twisted: test_task.ClockTests.testAdvance
TEST(ClockTests, advanceRunsDueCalls) {
  Clock c;
  int events = 0;
  auto call = c.callLater(2s, [&] { ++events; });
  c.advance(1s);
  EXPECT_EQ(events, 0);
  c.advance(1s);
  EXPECT_EQ(events, 1);
  EXPECT_FALSE(call->active());
}

// Twisted: test_task.ClockTests.testAdvanceCancel
TEST(ClockTests, cancelInsideCallRaisesAlreadyCalled) {
  Clock c;
  tw::DelayedCallPtr call;
  bool raised = false;
  call = c.callLater(1s, [&] {
    EXPECT_THROW(call->cancel(), tw::error::AlreadyCalled);
    raised = true;
  });
  c.advance(1s);
  EXPECT_TRUE(raised);
}

// Twisted: test_task.ClockTests.testCallLaterDelayed
TEST(ClockTests, callLaterDelayed) {
  Clock c;
  int events = 0;
  auto call = c.callLater(1s, [&] { ++events; });
  call->delay(1s);
  EXPECT_EQ(call->getTime(), 2);
  c.advance(1.5s);
  EXPECT_EQ(events, 0);
  c.advance(1s);
  EXPECT_EQ(events, 1);
}

// Twisted: test_task.ClockTests.testCallLaterResetLater
TEST(ClockTests, callLaterResetLater) {
  Clock c;
  int events = 0;
  auto call = c.callLater(2s, [&] { ++events; });
  c.advance(1s);
  call->reset(3s);
  EXPECT_EQ(call->getTime(), 4);
  c.advance(2s);
  EXPECT_EQ(events, 0);
  c.advance(1s);
  EXPECT_EQ(events, 1);
}

// Twisted: test_task.ClockTests.testCallLaterResetSooner
TEST(ClockTests, callLaterResetSooner) {
  Clock c;
  int events = 0;
  auto call = c.callLater(4s, [&] { ++events; });
  call->reset(3s);
  EXPECT_EQ(call->getTime(), 3);
  c.advance(3s);
  EXPECT_EQ(events, 1);
}

// Twisted: test_task.ClockTests.test_getDelayedCalls
TEST(ClockTests, getDelayedCallsListsPending) {
  Clock c;
  auto call = c.callLater(1s, [] {});
  auto call2 = c.callLater(2s, [] {});
  auto calls = c.getDelayedCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_TRUE((calls[0] == call && calls[1] == call2) || (calls[0] == call2 && calls[1] == call));
  call->cancel();
  calls = c.getDelayedCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0], call2);
  EXPECT_EQ(c.pendingCount(), 1u);
}

// Twisted: test_task.ClockTests.test_getDelayedCallsEmpty
TEST(ClockTests, getDelayedCallsEmpty) {
  Clock c;
  EXPECT_TRUE(c.getDelayedCalls().empty());
}

// Twisted: test_task.ClockTests.test_providesIReactorTime
TEST(ClockTests, providesIReactorTime) {
  Clock c;
  tw::IReactorTime& time = c;
  EXPECT_EQ(time.seconds(), 0);
}

// Twisted: test_task.ClockTests.test_callLaterKeepsCallsOrdered
TEST(ClockTests, callLaterKeepsCallsOrdered) {
  Clock c;
  std::vector<std::pair<std::string, double>> result;
  auto logtime = [&](std::string n) { return [&, n] { result.emplace_back(n, c.seconds()); }; };
  auto callA = c.callLater(1s, logtime("a"));
  callA->reset(3s);
  c.callLater(2s, logtime("b"));
  c.pump({1s, 1s, 1s});
  EXPECT_EQ(result, (std::vector<std::pair<std::string, double>>{{"b", 2.0}, {"a", 3.0}}));
}

// Twisted: test_task.ClockTests.test_callLaterResetKeepsCallsOrdered
TEST(ClockTests, callLaterResetKeepsCallsOrdered) {
  Clock c;
  std::vector<std::pair<std::string, double>> result;
  auto logtime = [&](std::string n) { return [&, n] { result.emplace_back(n, c.seconds()); }; };
  auto callA = c.callLater(1s, logtime("a"));
  c.callLater(2s, logtime("b"));
  callA->reset(3s);
  c.pump({1s, 1s, 1s});
  EXPECT_EQ(result, (std::vector<std::pair<std::string, double>>{{"b", 2.0}, {"a", 3.0}}));
}

// Twisted: test_task.ClockTests.test_callLaterResetInsideCallKeepsCallsOrdered
TEST(ClockTests, callLaterResetInsideCallKeepsCallsOrdered) {
  Clock c;
  std::vector<std::pair<std::string, double>> result;
  auto logtime = [&](std::string n) { return [&, n] { result.emplace_back(n, c.seconds()); }; };
  auto callB = c.callLater(2s, logtime("b"));
  c.callLater(1s, [&] { callB->reset(3s); });
  c.callLater(3s, logtime("c"));
  std::vector<tw::Seconds> timings(10, 0.5s);
  c.pump(timings);
  EXPECT_EQ(result, (std::vector<std::pair<std::string, double>>{{"c", 3.0}, {"b", 4.0}}));
}

// advance sets the time first: every call it runs sees the final time.
TEST(ClockTests, advanceSetsTimeFirst) {
  Clock c;
  std::vector<double> seen;
  c.callLater(1s, [&] { seen.push_back(c.seconds()); });
  c.callLater(2s, [&] { seen.push_back(c.seconds()); });
  c.advance(5s);
  EXPECT_EQ(seen, (std::vector<double>{5, 5}));
  EXPECT_EQ(c.seconds(), 5);
}

// Calls due at the same time run in the order they were scheduled.
TEST(ClockTests, equalTimesRunInSchedulingOrder) {
  Clock c;
  std::vector<int> order;
  for (int i = 0; i < 10; ++i) c.callLater(1s, [&order, i] { order.push_back(i); });
  c.advance(1s);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

// A call scheduled during advance that is already due runs in the same advance.
TEST(ClockTests, dueCallScheduledDuringAdvanceRunsInSameAdvance) {
  Clock c;
  std::vector<int> order;
  c.callLater(1s, [&] {
    order.push_back(1);
    c.callLater(0s, [&] { order.push_back(3); });
    c.callLater(1s, [&] { order.push_back(4); });
    c.callLater(5s, [&] { order.push_back(5); });
  });
  c.callLater(1s, [&] { order.push_back(2); });
  c.advance(2s);  // now 2: the 0s call is due, the 1s one (at 3) is not
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(c.pendingCount(), 2u);
  c.advance(1s);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

// An exception escapes advance; the calls not yet run stay pending and run at the next advance.
TEST(ClockTests, exceptionEscapesAdvanceAndLeavesRestPending) {
  Clock c;
  std::vector<int> order;
  c.callLater(1s, [&] { order.push_back(1); });
  auto bad = c.callLater(2s, [&] { throw std::runtime_error("boom"); });
  c.callLater(3s, [&] { order.push_back(3); });
  EXPECT_THROW(c.advance(5s), std::runtime_error);
  EXPECT_EQ(order, (std::vector<int>{1}));
  EXPECT_TRUE(bad->called());
  EXPECT_EQ(c.pendingCount(), 1u);
  EXPECT_EQ(c.seconds(), 5);
  c.advance(0s);
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
}

// Twisted: test_task.ClockTests pump: pump advances by each amount in turn.
TEST(ClockTests, pumpAdvancesByEachAmount) {
  Clock c;
  std::vector<double> seen;
  c.callLater(1s, [&] { seen.push_back(c.seconds()); });
  c.callLater(2s, [&] { seen.push_back(c.seconds()); });
  c.pump({0.5s, 1s, 1s});
  EXPECT_EQ(seen, (std::vector<double>{1.5, 2.5}));
  EXPECT_EQ(c.seconds(), 2.5);
}

// Negative or non-finite amounts are refused.
TEST(ClockTests, badAmountsThrow) {
  Clock c;
  EXPECT_THROW(c.advance(-1s), std::invalid_argument);
  EXPECT_THROW(c.advance(tw::Seconds(NAN)), std::invalid_argument);
  EXPECT_THROW(c.callLater(-1s, [] {}), std::invalid_argument);
  EXPECT_THROW(c.callLater(tw::Seconds(INFINITY), [] {}), std::invalid_argument);
  EXPECT_THROW(c.advanceStepwise(-1s), std::invalid_argument);
  EXPECT_EQ(c.seconds(), 0);
  EXPECT_EQ(c.pendingCount(), 0u);
}

// step() runs the earliest call with the time set to its own time (twisted#9819).
TEST(ClockTests, stepRunsEarliestAtItsOwnTime) {
  Clock c;
  std::vector<double> seen;
  c.callLater(2s, [&] { seen.push_back(c.seconds()); });
  c.callLater(1s, [&] { seen.push_back(c.seconds()); });
  EXPECT_TRUE(c.step());
  EXPECT_EQ(seen, (std::vector<double>{1}));
  EXPECT_EQ(c.seconds(), 1);
  EXPECT_TRUE(c.step());
  EXPECT_EQ(seen, (std::vector<double>{1, 2}));
  EXPECT_FALSE(c.step());
  EXPECT_EQ(c.seconds(), 2);
}

// step() never moves time back: a call already overdue runs at the current time.
TEST(ClockTests, stepNeverMovesTimeBack) {
  Clock c;
  c.advance(5s);
  auto call = c.callLater(1s, [] {});
  call->reset(-2s);
  EXPECT_TRUE(c.step());
  EXPECT_EQ(c.seconds(), 5);
}

// advanceStepwise runs each due call at its own time and ends at now + amount.
TEST(ClockTests, advanceStepwiseEachCallSeesOwnTime) {
  Clock c;
  std::vector<double> seen;
  c.callLater(1s, [&] {
    seen.push_back(c.seconds());
    c.callLater(0.5s, [&] { seen.push_back(c.seconds()); });
  });
  c.callLater(3s, [&] { seen.push_back(c.seconds()); });
  c.callLater(10s, [&] { seen.push_back(c.seconds()); });
  c.advanceStepwise(4s);
  EXPECT_EQ(seen, (std::vector<double>{1, 1.5, 3}));
  EXPECT_EQ(c.seconds(), 4);
  EXPECT_EQ(c.pendingCount(), 1u);
}

// An exception escapes advanceStepwise at the failing call's time; the rest stay pending.
TEST(ClockTests, advanceStepwiseExceptionLeavesRestPending) {
  Clock c;
  int ran = 0;
  c.callLater(1s, [&] { throw std::runtime_error("boom"); });
  c.callLater(2s, [&] { ++ran; });
  EXPECT_THROW(c.advanceStepwise(3s), std::runtime_error);
  EXPECT_EQ(c.seconds(), 1);
  EXPECT_EQ(ran, 0);
  c.advanceStepwise(2s);
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(c.seconds(), 3);
}

// Destroying a Clock with pending calls cancels them and releases their functions.
TEST(ClockTests, destroyedClockCancelsPendingCalls) {
  tw::DelayedCallPtr call;
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> weak = token;
  {
    Clock c;
    call = c.callLater(1s, [token] {});
    token.reset();
  }
  EXPECT_TRUE(weak.expired());
  EXPECT_TRUE(call->cancelled());
}

}  // namespace

namespace {

// With many calls due at once (TimerQueue's sorted batch), a call reset into the past from
// inside a running call runs next, before the due calls later than its new time.
TEST(ClockTests, manyDueResetIntoPastRunsNext) {
  Clock c;
  std::vector<int> order;
  std::vector<tw::DelayedCallPtr> calls;
  for (int i = 0; i < 1000; ++i) {
    calls.push_back(c.callLater(tw::Seconds(1 + i * 0.001), [&order, i] { order.push_back(i); }));
  }
  c.callLater(1.0005s, [&] { calls[900]->reset(-9.5s); });  // to 0.5: before all the rest
  c.callLater(1.0015s, [&] { calls[950]->cancel(); });      // runs after call 1
  c.advance(10s);
  ASSERT_EQ(order.size(), 999u);
  EXPECT_EQ(order[0], 0);
  EXPECT_EQ(order[1], 900);
  EXPECT_EQ(order[2], 1);
  EXPECT_EQ(std::count(order.begin(), order.end(), 950), 0);
  EXPECT_EQ(c.pendingCount(), 0u);
}

}  // namespace
