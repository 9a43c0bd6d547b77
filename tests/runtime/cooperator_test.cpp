/// @file
/// Tests for Cooperator and CooperativeTask.
/// Twisted: twisted.test.test_cooperator (CooperatorTests, RunStateTests).
#include "tw/cooperator.hpp"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "result_helpers.hpp"
#include "tw/deferred_list.hpp"
#include "tw/fakes/clock.hpp"

namespace {

using namespace std::chrono_literals;
using tw::Cooperator;
using tw::Deferred;
using tw::Failure;
using tw::TaskStep;
using tw::fakes::Clock;
using tw::test::assertNoResult;
using tw::test::ExpectNoLoggedErrors;
using tw::test::failureResultOf;
using tw::test::successResultOf;

/// One step per tick: the predicate always says "stop now".
Cooperator::TerminationPredicateFactory oneStep() {
  return [] { return std::function<bool()>([] { return true; }); };
}
/// Never stop within a tick.
Cooperator::TerminationPredicateFactory unbounded() {
  return [] { return std::function<bool()>([] { return false; }); };
}

/// Twisted's FakeDelayedCall: a handle that only records cancel().
class FakeDelayedCall : public tw::IDelayedCall {
 public:
  double getTime() const override { return 0; }
  void cancel() override { cancelled_ = true; }
  void delay(tw::Seconds) override {}
  void reset(tw::Seconds) override {}
  bool active() const override { return !cancelled_; }
  bool called() const override { return false; }
  bool cancelled() const override { return cancelled_; }
  const std::source_location& where() const override { return where_; }
  std::string repr() const override { return "<FakeDelayedCall>"; }

 private:
  bool cancelled_ = false;
  std::source_location where_ = std::source_location::current();
};

/// A step function that counts to `n` and is then done.
auto countTo(int n, std::vector<int>* out = nullptr) {
  return [i = 0, n, out]() mutable {
    if (i >= n) return false;
    ++i;
    if (out != nullptr) out->push_back(i);
    return true;
  };
}

// Twisted: test_cooperator.CooperatorTests.testStoppedRejectsNewTasks
TEST(CooperatorTests, stoppedRejectsNewTasks) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Cooperator c(clock);
  c.stop();
  auto d = c.coiterate([] { return false; });
  failureResultOf<tw::SchedulerStopped>(d);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// Twisted: test_cooperator.CooperatorTests.testStopRunning
TEST(CooperatorTests, stopRunning) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Cooperator c(clock);
  std::vector<int> out;
  auto d = c.coiterate(countTo(3, &out));
  c.stop();
  failureResultOf<tw::SchedulerStopped>(d);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// Twisted: test_cooperator.CooperatorTests.testStopOutstanding
TEST(CooperatorTests, stopOutstanding) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Cooperator c(clock);
  Deferred<void> outstanding;
  int steps = 0;
  auto d = c.coiterate([&]() -> TaskStep {
    ++steps;
    return TaskStep::wait(outstanding);
  });
  clock.advance(1s);
  EXPECT_EQ(steps, 1);
  c.stop();
  outstanding.callback();
  failureResultOf<tw::SchedulerStopped>(d);
  clock.advance(1s);
  EXPECT_EQ(steps, 1);
}

// Twisted: test_cooperator.CooperatorTests.testUnexpectedError
TEST(CooperatorTests, unexpectedError) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Cooperator c(clock);
  auto d = c.coiterate([]() -> bool { throw std::runtime_error("boom"); });
  clock.advance(1s);
  failureResultOf<std::runtime_error>(d);
}

// Twisted: test_cooperator.CooperatorTests.testUnexpectedErrorActuallyLater
TEST(CooperatorTests, unexpectedErrorActuallyLater) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Cooperator c(clock);
  auto d = c.coiterate([&]() -> TaskStep {
    Deferred<void> later;
    clock.callLater(0s, [later]() mutable { later.errback(std::runtime_error("later")); });
    return TaskStep::wait(later);
  });
  clock.advance(1s);
  clock.advance(0s);
  failureResultOf<std::runtime_error>(d);
}

// Twisted: test_cooperator.CooperatorTests.testUnexpectedErrorNotActuallyLater
TEST(CooperatorTests, unexpectedErrorNotActuallyLater) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Cooperator c(clock);
  auto d = c.coiterate([] { return TaskStep::wait(tw::fail(std::runtime_error("now"))); });
  clock.advance(1s);
  failureResultOf<std::runtime_error>(d);
}

// Twisted: test_cooperator.CooperatorTests.testCooperation
TEST(CooperatorTests, cooperationIsRoundRobin) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Cooperator c(clock, tw::Seconds(1e-8), unbounded());
  std::string seen;
  std::vector<std::string> groups{"abc", "123", "def", "456"};
  std::vector<Deferred<void>> tasks;
  for (const std::string& g : groups) {
    tasks.push_back(c.coiterate([&seen, g, i = std::size_t{0}]() mutable {
      if (i == g.size()) return false;
      seen += g[i++];
      return true;
    }));
  }
  clock.advance(1s);
  EXPECT_EQ(seen, "a1d4b2e5c3f6");
  for (auto& t : tasks) successResultOf(t);
}

// Twisted: test_cooperator.CooperatorTests.testResourceExhaustion
TEST(CooperatorTests, terminationPredicateEndsTick) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  bool stopped = false;
  int factories = 0;
  Cooperator c(clock, tw::Seconds(1e-8), [&] {
    ++factories;
    return std::function<bool()>([&] { return stopped; });
  });
  std::vector<int> output;
  auto d = c.coiterate([&, i = 0]() mutable {
    output.push_back(i);
    if (i == 9) stopped = true;
    return ++i < 100;
  });
  clock.advance(1s);
  EXPECT_EQ(factories, 1);
  EXPECT_EQ(output.size(), 10u);
  c.stop();
  failureResultOf<tw::SchedulerStopped>(d);
}

// Twisted: test_cooperator.CooperatorTests.testCallbackReCoiterate
TEST(CooperatorTests, callbackReCoiterate) {
  ExpectNoLoggedErrors noErrors;
  std::vector<std::function<void()>> calls;
  Cooperator c(
      [&](std::function<void()> f) -> tw::DelayedCallPtr {
        EXPECT_TRUE(calls.empty());
        calls.push_back(std::move(f));
        return std::make_shared<FakeDelayedCall>();
      },
      oneStep());
  bool done = false;
  auto d = c.coiterate([] { return false; }).addCallback([&] {
    c.coiterate([] { return false; }).addCallback([&] { done = true; });
  });
  int work = 0;
  while (!done) {
    ++work;
    while (!calls.empty()) {
      auto f = std::move(calls.front());
      calls.erase(calls.begin());
      f();
      ++work;
    }
    ASSERT_LE(work, 50) << "Cooperator took too long";
  }
  successResultOf(d);
}

// Twisted: test_cooperator.CooperatorTests.test_removingLastTaskStopsScheduledCall
TEST(CooperatorTests, removingLastTaskStopsScheduledCall) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Cooperator c(clock);
  auto task1 = c.cooperate(countTo(2));
  auto task2 = c.cooperate(countTo(2));
  auto done1 = task1->whenDone();
  auto done2 = task2->whenDone();
  ASSERT_EQ(clock.getDelayedCalls().size(), 1u);
  auto tick = clock.getDelayedCalls()[0];
  task1->stop();
  EXPECT_TRUE(tick->active());
  task2->stop();
  EXPECT_TRUE(tick->cancelled());
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  auto task3 = c.cooperate(countTo(2));
  EXPECT_EQ(clock.getDelayedCalls().size(), 1u);
  failureResultOf<tw::TaskStopped>(done1);
  failureResultOf<tw::TaskStopped>(done2);
  task3->stop();
  failureResultOf<tw::TaskStopped>(task3->whenDone());
}

// Twisted: test_cooperator.CooperatorTests.test_runningWhen*
TEST(CooperatorTests, running) {
  Clock clock;
  Cooperator started(clock);
  EXPECT_TRUE(started.running());
  Cooperator notStarted(clock, tw::Seconds(1e-8), Cooperator::timeSlice(), false);
  EXPECT_FALSE(notStarted.running());
  notStarted.start();
  EXPECT_TRUE(notStarted.running());
  notStarted.stop();
  EXPECT_FALSE(notStarted.running());
}

// A Cooperator created not started runs nothing until start().
TEST(CooperatorTests, notStartedQueuesTasks) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Cooperator c(clock, tw::Seconds(1e-8), unbounded(), false);
  std::vector<int> out;
  auto d = c.coiterate(countTo(3, &out));
  clock.advance(1s);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  c.start();
  clock.advance(1s);
  EXPECT_EQ(out, (std::vector<int>{1, 2, 3}));
  successResultOf(d);
}

// Stopping the Cooperator completes every task, including paused ones (Twisted skips every
// other task of its list here).
TEST(CooperatorTests, stopCompletesEveryTask) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  Cooperator c(clock);
  std::vector<Deferred<void>> done;
  for (int i = 0; i < 3; ++i) done.push_back(c.coiterate(countTo(100)));
  c.stop();
  for (auto& d : done) failureResultOf<tw::SchedulerStopped>(d);
}

// Destroying the Cooperator stops its tasks; a task resumed afterwards completes.
TEST(CooperatorTests, destroyedCooperatorStopsTasks) {
  ExpectNoLoggedErrors noErrors;
  Clock clock;
  std::shared_ptr<tw::CooperativeTask> task;
  Deferred<void> done;
  {
    Cooperator c(clock);
    task = c.cooperate(countTo(100));
    done = task->whenDone();
  }
  failureResultOf<tw::SchedulerStopped>(done);
  EXPECT_TRUE(task->finished());
  EXPECT_THROW(task->pause(), tw::SchedulerStopped);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

/// Twisted's RunStateTests fixture: a worker that yields an ascending count, or a Deferred, or
/// completes, or dies, as the test says; one unit of work per tick.
class RunStateTests : public ::testing::Test {
 protected:
  RunStateTests()
      : cooperator_(clock_, tw::Seconds(1e-8), oneStep()),
        task_(cooperator_.cooperate([this] { return worker(); })) {}

  TaskStep worker() {
    ++i_;
    if (deferNext_) {
      deferNext_ = false;
      Deferred<void> d;
      deferreds_.push_back(d);
      work_.push_back(-1);
      return TaskStep::wait(d);
    }
    if (stopNext_) return TaskStep::done();
    if (dieNext_) throw std::logic_error("unhandled");
    work_.push_back(i_);
    return TaskStep::more();
  }
  void pump() { clock_.advance(1s); }

  ExpectNoLoggedErrors noErrors_;
  Clock clock_;
  Cooperator cooperator_;
  std::shared_ptr<tw::CooperativeTask> task_;
  std::vector<int> work_;
  std::vector<Deferred<void>> deferreds_;
  int i_ = 0;
  bool deferNext_ = false;
  bool stopNext_ = false;
  bool dieNext_ = false;
};

// Twisted: test_cooperator.RunStateTests.test_pauseResume
TEST_F(RunStateTests, pauseResume) {
  pump();
  EXPECT_EQ(work_, (std::vector<int>{1}));
  pump();
  EXPECT_EQ(work_, (std::vector<int>{1, 2}));
  task_->pause();
  pump();
  EXPECT_EQ(work_, (std::vector<int>{1, 2}));
  task_->resume();
  EXPECT_EQ(work_, (std::vector<int>{1, 2}));  // resuming itself does no work
  pump();
  EXPECT_EQ(work_, (std::vector<int>{1, 2, 3}));
  task_->stop();
}

// Twisted: test_cooperator.RunStateTests.test_resumeNotPaused
TEST_F(RunStateTests, resumeNotPaused) {
  EXPECT_THROW(task_->resume(), tw::NotPaused);
  task_->pause();
  task_->resume();
  EXPECT_THROW(task_->resume(), tw::NotPaused);
  task_->stop();
}

// Twisted: test_cooperator.RunStateTests.test_pauseTwice
TEST_F(RunStateTests, pauseTwice) {
  task_->pause();
  pump();
  EXPECT_TRUE(work_.empty());
  task_->pause();
  pump();
  EXPECT_TRUE(work_.empty());
  task_->resume();
  pump();
  EXPECT_TRUE(work_.empty());
  task_->resume();
  pump();
  EXPECT_EQ(work_, (std::vector<int>{1}));
  task_->stop();
}

// Twisted: test_cooperator.RunStateTests.test_pauseWhileDeferred
TEST_F(RunStateTests, pauseWhileDeferred) {
  deferNext_ = true;
  pump();
  ASSERT_EQ(work_.size(), 1u);
  pump();
  EXPECT_EQ(work_.size(), 1u);
  task_->pause();
  pump();
  EXPECT_EQ(work_.size(), 1u);
  task_->resume();
  pump();
  EXPECT_EQ(work_.size(), 1u);
  deferreds_[0].callback();
  pump();
  ASSERT_EQ(work_.size(), 2u);
  EXPECT_EQ(work_[1], 2);
  task_->stop();
}

// Twisted: test_cooperator.RunStateTests.test_whenDone
TEST_F(RunStateTests, whenDone) {
  auto d1 = task_->whenDone();
  auto d2 = task_->whenDone();
  EXPECT_FALSE(d1.sameChain(d2));
  auto r1 = d1.addCallback([] { return 1; });
  auto r2 = d2.addCallback([] { return 2; });
  stopNext_ = true;
  pump();
  EXPECT_EQ(successResultOf(r1), 1);
  EXPECT_EQ(successResultOf(r2), 2);
}

// Twisted: test_cooperator.RunStateTests.test_whenDoneError
TEST_F(RunStateTests, whenDoneError) {
  auto d = task_->whenDone();
  dieNext_ = true;
  pump();
  failureResultOf<std::logic_error>(d);
  EXPECT_THROW(task_->stop(), tw::TaskFailed);
}

// Twisted: test_cooperator.RunStateTests.test_whenDoneStop
TEST_F(RunStateTests, whenDoneStop) {
  auto d = task_->whenDone();
  task_->stop();
  failureResultOf<tw::TaskStopped>(d);
}

// Twisted: test_cooperator.RunStateTests.test_whenDoneAlreadyDone
TEST_F(RunStateTests, whenDoneAlreadyDone) {
  stopNext_ = true;
  pump();
  successResultOf(task_->whenDone());
  EXPECT_THROW(task_->pause(), tw::TaskDone);
}

// Twisted: test_cooperator.RunStateTests.test_stopStops
TEST_F(RunStateTests, stopStops) {
  task_->stop();
  pump();
  EXPECT_TRUE(work_.empty());
  EXPECT_THROW(task_->stop(), tw::TaskStopped);
  EXPECT_THROW(task_->pause(), tw::TaskStopped);
  pump();
  EXPECT_TRUE(work_.empty());
}

// Twisted: test_cooperator.RunStateTests.test_pauseStopResume
TEST_F(RunStateTests, pauseStopResume) {
  task_->pause();
  task_->stop();
  task_->resume();
  pump();
  EXPECT_TRUE(work_.empty());
}

// Twisted: test_cooperator.RunStateTests.test_stopDeferred
TEST_F(RunStateTests, stopDeferred) {
  deferNext_ = true;
  pump();
  ASSERT_EQ(deferreds_.size(), 1u);
  pump();
  task_->stop();
  pump();
  deferreds_[0].callback();
  pump();
  EXPECT_EQ(work_.size(), 1u);
  EXPECT_TRUE(clock_.getDelayedCalls().empty());
}

// Twisted: test_cooperator.RunStateTests.test_stopExhausted
TEST_F(RunStateTests, stopExhausted) {
  stopNext_ = true;
  pump();
  EXPECT_THROW(task_->stop(), tw::TaskDone);
}

// Twisted: test_cooperator.RunStateTests.test_stopErrored
TEST_F(RunStateTests, stopErrored) {
  dieNext_ = true;
  pump();
  EXPECT_THROW(task_->stop(), tw::TaskFailed);
  failureResultOf<std::logic_error>(task_->whenDone());
}

// Twisted: test_cooperator.RunStateTests.test_stopCooperatorReentrancy
TEST_F(RunStateTests, stopCooperatorReentrancy) {
  auto d = task_->whenDone().addCallback([this] { cooperator_.stop(); });
  stopNext_ = true;
  pump();
  successResultOf(d);
}

}  // namespace
