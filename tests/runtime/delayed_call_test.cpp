/// @file
/// Tests for DelayedCall and TimerQueue: the IDelayedCall contract and the heap's order.
/// Twisted: twisted.test.test_internet.TimeTests, twisted.internet.test.test_base.DelayedCall*.
#include "tw/delayed_call.hpp"

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/error.hpp"

namespace {

using namespace std::chrono_literals;

/// A minimal IReactorTime over a TimerQueue whose time the test sets by hand.
class ManualTime : public tw::IReactorTime {
 public:
  ManualTime() : queue_(*this) {}
  double seconds() const override { return now_; }
  std::vector<tw::DelayedCallPtr> getDelayedCalls() const override { return queue_.pending(); }

  void setTime(double t) { now_ = t; }
  /// Runs every call due by now, in order.
  void runDue() {
    while (!queue_.empty() && queue_.nextTime() <= now_) tw::TimerQueue::run(queue_.popNext());
  }
  tw::TimerQueue& queue() { return queue_; }

 protected:
  tw::DelayedCallPtr doCallLater(tw::Seconds delay, std::function<void()> f,
                                 const std::source_location& where) override {
    return queue_.schedule(now_ + delay.count(), std::move(f), where);
  }

 private:
  double now_ = 0;
  tw::TimerQueue queue_;
};

// Twisted: test_internet.TimeTests.test_callLaterUsesReactorSecondsInDelayedCall
TEST(DelayedCallTests, getTimeIsClockTimePlusDelay) {
  ManualTime time;
  time.setTime(100);
  auto call = time.callLater(5s, [] {});
  EXPECT_EQ(call->getTime(), 105);
  call->cancel();
}

// Twisted: test_task.ClockTests.testCallLater
TEST(DelayedCallTests, newCallIsActive) {
  ManualTime time;
  auto call = time.callLater(1s, [] {});
  EXPECT_TRUE(call->active());
  EXPECT_FALSE(call->called());
  EXPECT_FALSE(call->cancelled());
}

// Twisted: test_internet.TimeTests.test_cancelDelayedCall
TEST(DelayedCallTests, cancelledCallDoesNotRun) {
  ManualTime time;
  bool ran = false;
  auto call = time.callLater(0s, [&] { ran = true; });
  call->cancel();
  time.runDue();
  EXPECT_FALSE(ran);
  EXPECT_FALSE(call->active());
  EXPECT_TRUE(call->cancelled());
  EXPECT_TRUE(time.getDelayedCalls().empty());
}

// Twisted: test_internet.TimeTests.test_cancelCancelledDelayedCall
TEST(DelayedCallTests, cancelTwiceRaisesAlreadyCancelled) {
  ManualTime time;
  auto call = time.callLater(0s, [] {});
  call->cancel();
  EXPECT_THROW(call->cancel(), tw::error::AlreadyCancelled);
  EXPECT_THROW(call->reset(1s), tw::error::AlreadyCancelled);
  EXPECT_THROW(call->delay(1s), tw::error::AlreadyCancelled);
}

// Twisted: test_internet.TimeTests.test_cancelCalledDelayedCallSynchronous
TEST(DelayedCallTests, cancelInsideOwnFunctionRaisesAlreadyCalled) {
  ManualTime time;
  tw::DelayedCallPtr call;
  bool raised = false;
  call = time.callLater(0s, [&] {
    EXPECT_TRUE(call->called());
    EXPECT_FALSE(call->active());
    try {
      call->cancel();
    } catch (const tw::error::AlreadyCalled&) {
      raised = true;
    }
  });
  time.runDue();
  EXPECT_TRUE(raised);
}

// Twisted: test_internet.TimeTests.test_cancelCalledDelayedCallAsynchronous
TEST(DelayedCallTests, cancelAfterRunRaisesAlreadyCalled) {
  ManualTime time;
  auto call = time.callLater(0s, [] {});
  time.runDue();
  EXPECT_TRUE(call->called());
  EXPECT_THROW(call->cancel(), tw::error::AlreadyCalled);
  EXPECT_THROW(call->reset(1s), tw::error::AlreadyCalled);
  EXPECT_THROW(call->delay(1s), tw::error::AlreadyCalled);
}

// Twisted: test_internet.TimeTests.testDelayedCallSecondsOverride
TEST(DelayedCallTests, resetMeasuresFromClockNow) {
  ManualTime time;
  auto call = time.callLater(5s, [] {});
  time.setTime(10);
  call->reset(3s);
  EXPECT_EQ(call->getTime(), 13);
  call->cancel();
}

// Twisted: test_task.ClockTests.testCallLaterDelayed
TEST(DelayedCallTests, delayMovesFromCurrentTime) {
  ManualTime time;
  auto call = time.callLater(1s, [] {});
  call->delay(1s);
  EXPECT_EQ(call->getTime(), 2);
  call->delay(-1.5s);
  EXPECT_EQ(call->getTime(), 0.5);
  call->cancel();
}

// A reset to a non-finite time is refused and leaves the call as it was.
TEST(DelayedCallTests, resetToInfinityThrows) {
  ManualTime time;
  auto call = time.callLater(1s, [] {});
  EXPECT_THROW(call->reset(tw::Seconds(INFINITY)), std::invalid_argument);
  EXPECT_EQ(call->getTime(), 1);
  EXPECT_TRUE(call->active());
  call->cancel();
}

// Scheduling at a non-finite time is refused.
TEST(DelayedCallTests, scheduleNonFiniteThrows) {
  ManualTime time;
  EXPECT_THROW(time.queue().schedule(
                   NAN, [] {}, std::source_location::current()),
               std::invalid_argument);
  EXPECT_TRUE(time.queue().empty());
}

// The function and what it captured are released once the call has run.
TEST(DelayedCallTests, functionReleasedAfterRun) {
  ManualTime time;
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> weak = token;
  auto call = time.callLater(0s, [token] {});
  token.reset();
  EXPECT_FALSE(weak.expired());
  time.runDue();
  EXPECT_TRUE(weak.expired());
}

// The function and what it captured are released at cancel().
TEST(DelayedCallTests, functionReleasedAfterCancel) {
  ManualTime time;
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> weak = token;
  auto call = time.callLater(1s, [token] {});
  token.reset();
  call->cancel();
  EXPECT_TRUE(weak.expired());
}

// The function is released even when it throws.
TEST(DelayedCallTests, functionReleasedWhenItThrows) {
  ManualTime time;
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> weak = token;
  time.callLater(0s, [token] { throw std::runtime_error("boom"); });
  token.reset();
  EXPECT_THROW(time.runDue(), std::runtime_error);
  EXPECT_TRUE(weak.expired());
}

// Dropping the caller's handle neither cancels nor frees a pending call.
TEST(DelayedCallTests, droppingHandleKeepsCallScheduled) {
  ManualTime time;
  bool ran = false;
  time.callLater(1s, [&] { ran = true; });
  EXPECT_EQ(time.getDelayedCalls().size(), 1u);
  time.setTime(1);
  time.runDue();
  EXPECT_TRUE(ran);
}

// A queue destroyed while handles remain marks its calls cancelled and releases their functions.
TEST(DelayedCallTests, queueDestroyedWhileHandlesRemain) {
  tw::DelayedCallPtr call;
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> weak = token;
  {
    ManualTime time;
    call = time.callLater(1s, [token] {});
    token.reset();
  }
  EXPECT_TRUE(weak.expired());
  EXPECT_TRUE(call->cancelled());
  EXPECT_FALSE(call->active());
  EXPECT_THROW(call->cancel(), tw::error::AlreadyCancelled);
  EXPECT_THROW(call->reset(1s), tw::error::AlreadyCancelled);
  EXPECT_NE(call->repr().find("cancelled=1"), std::string::npos);
}

/// Cancels a call of the same queue when destroyed.
struct CancelOnDestroy {
  std::shared_ptr<tw::DelayedCallPtr> other;
  ~CancelOnDestroy() {
    if (other && *other && (*other)->active()) (*other)->cancel();
  }
};

// A function whose destructor cancels another call of the dying queue is safe.
TEST(DelayedCallTests, queueDestroyedWhileFunctionCancelsAnother) {
  auto other = std::make_shared<tw::DelayedCallPtr>();
  tw::DelayedCallPtr first;
  {
    ManualTime time;
    auto guard = std::make_shared<CancelOnDestroy>(CancelOnDestroy{other});
    first = time.callLater(1s, [guard] {});
    *other = time.callLater(2s, [] {});
    guard.reset();
  }
  EXPECT_TRUE(first->cancelled());
  EXPECT_TRUE((*other)->cancelled());
}

// A function whose destructor cancels another call, at cancel(), is safe.
TEST(DelayedCallTests, cancelWhoseFunctionCancelsAnother) {
  ManualTime time;
  auto other = std::make_shared<tw::DelayedCallPtr>();
  auto guard = std::make_shared<CancelOnDestroy>(CancelOnDestroy{other});
  auto first = time.callLater(1s, [guard] {});
  *other = time.callLater(2s, [] {});
  guard.reset();
  first->cancel();
  EXPECT_TRUE((*other)->cancelled());
  EXPECT_TRUE(time.queue().empty());
}

// Twisted: test_internet.TimeTests.testDelayedCallStringification
TEST(DelayedCallTests, reprNamesStateAndPlace) {
  ManualTime time;
  auto call = time.callLater(2.5s, [] {});
  std::string r = call->repr();
  EXPECT_EQ(r.rfind("<DelayedCall 0x", 0), 0u) << r;
  EXPECT_NE(r.find("[2.5s]"), std::string::npos) << r;
  EXPECT_NE(r.find("called=0 cancelled=0"), std::string::npos) << r;
  EXPECT_NE(r.find("delayed_call_test.cpp:"), std::string::npos) << r;
  EXPECT_EQ(r.back(), '>');
  EXPECT_EQ(call->where().line(), __LINE__ - 7);
  call->cancel();
  EXPECT_NE(call->repr().find("called=0 cancelled=1"), std::string::npos);
}

// The repr of a call that ran says called=1.
TEST(DelayedCallTests, reprAfterRun) {
  ManualTime time;
  auto call = time.callLater(0s, [] {});
  time.runDue();
  EXPECT_NE(call->repr().find("called=1 cancelled=0"), std::string::npos);
}

// Calls come out of the queue by time, then by scheduling order.
TEST(TimerQueueTests, popsByTimeThenSchedulingOrder) {
  ManualTime time;
  std::vector<int> order;
  time.callLater(2s, [&] { order.push_back(3); });
  time.callLater(1s, [&] { order.push_back(1); });
  time.callLater(1s, [&] { order.push_back(2); });
  time.callLater(0.5s, [&] { order.push_back(0); });
  time.setTime(2);
  time.runDue();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

// A reset counts as scheduling anew: the call runs after those already due at its new time.
TEST(TimerQueueTests, resetTakesNewSchedulingOrder) {
  ManualTime time;
  std::vector<int> order;
  auto a = time.callLater(1s, [&] { order.push_back(1); });
  time.callLater(1s, [&] { order.push_back(2); });
  a->reset(1s);
  time.setTime(1);
  time.runDue();
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
}

// Cancelling calls in the middle of the heap keeps the others in order.
TEST(TimerQueueTests, cancelInMiddleKeepsOrder) {
  ManualTime time;
  std::vector<int> order;
  std::vector<tw::DelayedCallPtr> calls;
  for (int i = 0; i < 50; ++i) {
    int t = (i * 37) % 50;
    calls.push_back(time.callLater(tw::Seconds(t), [&order, t] { order.push_back(t); }));
  }
  for (int i = 0; i < 50; i += 3) calls[i]->cancel();
  EXPECT_EQ(time.queue().size(), 50u - 17u);
  time.setTime(100);
  time.runDue();
  ASSERT_EQ(order.size(), 33u);
  for (std::size_t i = 1; i < order.size(); ++i) EXPECT_LT(order[i - 1], order[i]);
}

// nextTime is the earliest pending time; size counts pending calls.
TEST(TimerQueueTests, nextTimeAndSize) {
  ManualTime time;
  EXPECT_TRUE(time.queue().empty());
  auto a = time.callLater(3s, [] {});
  auto b = time.callLater(2s, [] {});
  EXPECT_EQ(time.queue().nextTime(), 2);
  EXPECT_EQ(time.queue().size(), 2u);
  b->cancel();
  EXPECT_EQ(time.queue().nextTime(), 3);
  a->delay(-2s);
  EXPECT_EQ(time.queue().nextTime(), 1);
  a->cancel();
  EXPECT_TRUE(time.queue().empty());
}

}  // namespace
