/// @file
/// Tests of tw::ThreadPool: lazy threads, ordering, sizes, start/stop, errors.
/// Twisted: twisted/test/test_threadpool.py.
#include "tw/thread_pool.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tw/logger.hpp"

namespace {

using namespace std::chrono_literals;

constexpr auto kLimit = 10s;  // every wait is bounded by this

/// A one-shot gate: threads wait (bounded) until it is opened.
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  /// True if the gate opened within the limit.
  bool wait() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kLimit, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

/// Waits (bounded) until `pred()` holds; returns whether it did. Polls: the pool's counters have
/// no notification of their own.
template <class P>
bool eventually(P pred) {
  auto deadline = std::chrono::steady_clock::now() + kLimit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

/// A thread-safe list of what ran.
struct Record {
  std::mutex mutex;
  std::vector<int> values;
  std::vector<std::thread::id> threads;
  void add(int v) {
    std::lock_guard lock(mutex);
    values.push_back(v);
    threads.push_back(std::this_thread::get_id());
  }
  std::vector<int> snapshot() {
    std::lock_guard lock(mutex);
    return values;
  }
};

// The defaults are Twisted's: 5 to 20 threads, not started, no thread made yet.
TEST(ThreadPoolTests, defaults) {
  tw::ThreadPool pool;
  EXPECT_EQ(pool.min(), 5u);
  EXPECT_EQ(pool.max(), 20u);
  EXPECT_FALSE(pool.started());
  EXPECT_FALSE(pool.joined());
  EXPECT_EQ(pool.workers(), 0u);
  EXPECT_FALSE(pool.name().empty());
}

// A minimum above the maximum is refused, at construction and in adjustPoolsize.
// Twisted: test_threadpool.ThreadPoolTestCase (the assertions of __init__/adjustPoolsize).
TEST(ThreadPoolTests, minimumAboveMaximumIsRefused) {
  EXPECT_THROW(tw::ThreadPool(3, 2), std::invalid_argument);
  tw::ThreadPool pool(1, 2, "p");
  EXPECT_THROW(pool.adjustPoolsize(3, std::nullopt), std::invalid_argument);
  EXPECT_THROW(pool.adjustPoolsize(std::nullopt, 0), std::invalid_argument);
  EXPECT_EQ(pool.min(), 1u);
  EXPECT_EQ(pool.max(), 2u);
  EXPECT_EQ(pool.name(), "p");
}

// start() makes the minimum number of threads at once; they wait for work.
// Twisted: test_threadpool.ThreadPoolTestCase.test_workerCount-like behaviour of start().
TEST(ThreadPoolTests, startMakesMinimumThreads) {
  tw::ThreadPool pool(3, 5);
  pool.start();
  EXPECT_TRUE(pool.started());
  EXPECT_EQ(pool.workers(), 3u);
  EXPECT_TRUE(eventually([&] { return pool.waiters() == 3u; }));
  pool.stop();
  EXPECT_EQ(pool.workers(), 0u);
  EXPECT_TRUE(pool.joined());
  EXPECT_FALSE(pool.started());
}

// Work given before start() waits in the queue without a thread, and runs after start().
// Twisted: test_threadpool.ThreadPoolTestCase.test_callBeforeStart... (start's backlog).
TEST(ThreadPoolTests, workQueuedBeforeStartRunsAfterStart) {
  tw::ThreadPool pool(0, 2);
  Gate ran;
  pool.callInThread([&] { ran.open(); });
  EXPECT_EQ(pool.queued(), 1u);
  EXPECT_EQ(pool.workers(), 0u);
  pool.start();
  EXPECT_EQ(pool.workers(), 1u);  // one thread for the one queued job
  EXPECT_TRUE(ran.wait());
  pool.stop();
}

// With one thread, jobs run in the order given, on that one thread (not the caller's).
TEST(ThreadPoolTests, jobsRunInOrderOnOneThread) {
  tw::ThreadPool pool(0, 1);
  pool.start();
  Record record;
  for (int i = 0; i < 100; ++i) pool.callInThread([&, i] { record.add(i); });
  pool.stop();
  ASSERT_EQ(record.values.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(record.values[i], i);
  for (auto id : record.threads) {
    EXPECT_EQ(id, record.threads.front());
    EXPECT_NE(id, std::this_thread::get_id());
  }
}

// Threads are made lazily, one per job that finds no idle thread, up to the maximum; the rest
// wait in the queue.  Twisted: test_threadpool.ThreadPoolTestCase.test_threadCreation-like.
TEST(ThreadPoolTests, threadsAreMadeLazilyUpToMaximum) {
  tw::ThreadPool pool(0, 3);
  pool.start();
  EXPECT_EQ(pool.workers(), 0u);
  Gate gate;
  std::atomic<int> done{0};
  for (int i = 0; i < 5; ++i) {
    pool.callInThread([&] {
      gate.wait();
      ++done;
    });
  }
  EXPECT_EQ(pool.workers(), 3u);
  EXPECT_TRUE(eventually([&] { return pool.working() == 3u; }));
  EXPECT_EQ(pool.queued(), 2u);
  gate.open();
  pool.stop();
  EXPECT_EQ(done.load(), 5);
  EXPECT_EQ(pool.queued(), 0u);
}

// An idle thread takes new work instead of a new thread being made.
TEST(ThreadPoolTests, idleThreadIsReused) {
  tw::ThreadPool pool(0, 5);
  pool.start();
  Gate first;
  pool.callInThread([&] { first.open(); });
  ASSERT_TRUE(first.wait());
  ASSERT_TRUE(eventually([&] { return pool.waiters() == 1u; }));
  Gate second;
  pool.callInThread([&] { second.open(); });
  EXPECT_TRUE(second.wait());
  EXPECT_EQ(pool.workers(), 1u);
  pool.stop();
}

// stop() waits for the running job and the queued ones (Twisted's workers drain the backlog),
// then joins every thread.
TEST(ThreadPoolTests, stopFinishesRunningAndQueuedJobsThenJoins) {
  tw::ThreadPool pool(0, 1);
  pool.start();
  Gate gate;
  Record record;
  pool.callInThread([&] {
    gate.wait();
    record.add(0);
  });
  for (int i = 1; i < 4; ++i) pool.callInThread([&, i] { record.add(i); });
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    pool.stop();
    stopped = true;
  });
  ASSERT_TRUE(eventually([&] { return pool.joined(); }));
  EXPECT_FALSE(stopped.load());  // the first job is still blocked
  gate.open();
  stopper.join();
  EXPECT_TRUE(stopped.load());
  EXPECT_EQ(record.snapshot(), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(pool.workers(), 0u);
  EXPECT_EQ(pool.waiters(), 0u);
}

// A pool stopped without ever having a thread drops its queue: the job never runs and is
// destroyed.  Twisted: the same (a quit team with no worker forgets its pending work).
TEST(ThreadPoolTests, stopWithoutThreadsDropsQueuedJobs) {
  tw::ThreadPool pool(0, 2);
  auto token = std::make_shared<int>(0);
  bool ran = false;
  pool.callInThread([&ran, token] { ran = true; });
  EXPECT_EQ(token.use_count(), 2);
  pool.stop();
  EXPECT_FALSE(ran);
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_EQ(pool.queued(), 0u);
}

// Work given after stop() is ignored; start() after stop() is refused.
TEST(ThreadPoolTests, afterStopWorkIsIgnoredAndStartRefused) {
  tw::ThreadPool pool(1, 2);
  pool.start();
  pool.stop();
  bool ran = false;
  pool.callInThread([&] { ran = true; });
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_FALSE(ran);
  EXPECT_THROW(pool.start(), std::logic_error);
  pool.stop();  // a second stop does nothing
}

// A job that throws is logged in "tw.threadpool" with its Failure; the thread goes on with the
// next job.  Twisted: test_threadpool.ThreadPoolTestCase.test_callInThreadException-like.
TEST(ThreadPoolTests, exceptionInJobIsLoggedAndWorkerGoesOn) {
  tw::LogCapture log;
  tw::ThreadPool pool(0, 1, "errs");
  pool.start();
  Gate after;
  pool.callInThread([] { throw std::runtime_error("job failed"); });
  pool.callInThread([&] { after.open(); });
  EXPECT_TRUE(after.wait());
  pool.stop();
  auto errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ns, "tw.threadpool");
  EXPECT_NE(errors[0].text.find("errs"), std::string::npos);
  ASSERT_TRUE(errors[0].failure.has_value());
  EXPECT_NE(errors[0].failure->check<std::runtime_error>(), nullptr);
  EXPECT_EQ(errors[0].failure->getErrorMessage(), "job failed");
}

// callInThreadWithCallback hands onResult (true, value) on the pool's thread.
// Twisted: test_threadpool.ThreadPoolTestCase.test_callbackThread / test_callInThreadWithCallback.
TEST(ThreadPoolTests, callInThreadWithCallbackValue) {
  tw::ThreadPool pool(0, 2);
  pool.start();
  Gate gate;
  bool ok = false;
  int value = 0;
  std::thread::id jobThread, callbackThread;
  pool.callInThreadWithCallback(
      [&](bool success, tw::Outcome<int> result) {
        ok = success;
        value = result.value();
        callbackThread = std::this_thread::get_id();
        gate.open();
      },
      [&] {
        jobThread = std::this_thread::get_id();
        return 42;
      });
  ASSERT_TRUE(gate.wait());
  pool.stop();
  EXPECT_TRUE(ok);
  EXPECT_EQ(value, 42);
  EXPECT_EQ(jobThread, callbackThread);
  EXPECT_NE(jobThread, std::this_thread::get_id());
}

// callInThreadWithCallback hands onResult (false, failure) when the job throws; nothing logged.
// Twisted: test_threadpool.ThreadPoolTestCase.test_callInThreadWithCallbackExceptionInCallback.
TEST(ThreadPoolTests, callInThreadWithCallbackFailure) {
  tw::LogCapture log;
  tw::ThreadPool pool(0, 2);
  pool.start();
  Gate gate;
  bool ok = true;
  std::string message;
  pool.callInThreadWithCallback(
      [&](bool success, tw::Outcome<void> result) {
        ok = success;
        message = result.failure().getErrorMessage();
        gate.open();
      },
      []() -> void { throw std::logic_error("bad"); });
  ASSERT_TRUE(gate.wait());
  pool.stop();
  EXPECT_FALSE(ok);
  EXPECT_EQ(message, "bad");
  EXPECT_TRUE(log.errors().empty());
}

// An exception thrown by onResult itself is logged, and the pool goes on.
// Twisted: test_threadpool.ThreadPoolTestCase.test_callInThreadWithCallbackExceptionInOnResult.
TEST(ThreadPoolTests, exceptionInOnResultIsLogged) {
  tw::LogCapture log;
  tw::ThreadPool pool(0, 1);
  pool.start();
  pool.callInThreadWithCallback([](bool, tw::Outcome<int>) { throw std::runtime_error("cb"); },
                                [] { return 1; });
  pool.stop();
  auto errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].failure->getErrorMessage(), "cb");
}

// Move-only jobs and callbacks are accepted.
TEST(ThreadPoolTests, moveOnlyCallables) {
  tw::ThreadPool pool(0, 1);
  pool.start();
  auto p = std::make_unique<int>(5);
  int got = 0;
  pool.callInThreadWithCallback(
      [&got, q = std::make_unique<int>(1)](bool, tw::Outcome<int> r) { got = r.value() + *q; },
      [p = std::move(p)] { return *p; });
  pool.stop();
  EXPECT_EQ(got, 6);
}

// adjustPoolsize makes threads up to a new minimum at once and quits threads above a new
// maximum.  Twisted: test_threadpool.ThreadPoolTestCase.test_adjustingWhenPoolStarted... .
TEST(ThreadPoolTests, adjustPoolsizeGrowsAndShrinks) {
  tw::ThreadPool pool(0, 4);
  pool.adjustPoolsize(2, std::nullopt);  // not started: only remembered
  EXPECT_EQ(pool.workers(), 0u);
  pool.start();
  EXPECT_EQ(pool.workers(), 2u);
  pool.adjustPoolsize(3, 4);
  EXPECT_EQ(pool.workers(), 3u);
  pool.adjustPoolsize(0, 1);
  EXPECT_EQ(pool.workers(), 1u);
  EXPECT_TRUE(eventually([&] { return pool.waiters() == 1u; }));
  // The remaining thread still works.
  Gate gate;
  pool.callInThread([&] { gate.open(); });
  EXPECT_TRUE(gate.wait());
  pool.stop();
  EXPECT_EQ(pool.workers(), 0u);
}

// A busy thread above a lowered maximum quits after its job, and a queued job still runs on
// the threads that stay.
TEST(ThreadPoolTests, shrinkingQuitsBusyThreadAfterItsJob) {
  tw::ThreadPool pool(0, 2);
  pool.start();
  Gate gate;
  Record record;
  for (int i = 0; i < 2; ++i) {
    pool.callInThread([&, i] {
      gate.wait();
      record.add(i);
    });
  }
  ASSERT_TRUE(eventually([&] { return pool.working() == 2u; }));
  pool.adjustPoolsize(0, 1);
  pool.callInThread([&] { record.add(2); });
  EXPECT_EQ(pool.workers(), 1u);
  gate.open();
  EXPECT_TRUE(eventually([&] { return record.snapshot().size() == 3u; }));
  EXPECT_TRUE(eventually([&] { return pool.waiters() == 1u; }));
  pool.stop();
}

// startAWorker / stopAWorker add and remove one thread.
TEST(ThreadPoolTests, startAndStopAWorker) {
  tw::ThreadPool pool(0, 2);
  pool.startAWorker();  // not started: nothing
  EXPECT_EQ(pool.workers(), 0u);
  pool.start();
  pool.startAWorker();
  pool.startAWorker();
  pool.startAWorker();  // the maximum is 2
  EXPECT_EQ(pool.workers(), 2u);
  pool.stopAWorker();
  EXPECT_EQ(pool.workers(), 1u);
  EXPECT_TRUE(eventually([&] { return pool.waiters() == 1u; }));
  pool.stop();
}

// A job may give more work to its own pool; stop() from a pool thread is refused (it would wait
// for itself).
TEST(ThreadPoolTests, jobsMayCallBackIntoThePool) {
  tw::ThreadPool pool(0, 2);
  pool.start();
  Gate gate;
  bool refused = false;
  pool.callInThread([&] {
    try {
      pool.stop();
    } catch (const std::logic_error&) {
      refused = true;
    }
    pool.callInThread([&] { gate.open(); });
  });
  EXPECT_TRUE(gate.wait());
  pool.stop();
  EXPECT_TRUE(refused);
}

// Destroying a started pool stops it: queued work finishes first.
TEST(ThreadPoolTests, destructorStops) {
  std::atomic<int> done{0};
  {
    tw::ThreadPool pool(0, 2);
    pool.start();
    for (int i = 0; i < 10; ++i) pool.callInThread([&] { ++done; });
  }
  EXPECT_EQ(done.load(), 10);
}

// Many jobs from several threads at once all run exactly once.
TEST(ThreadPoolTests, manyJobsFromManyThreads) {
  tw::ThreadPool pool(2, 8);
  pool.start();
  std::atomic<int> sum{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&] {
      for (int i = 1; i <= 250; ++i) pool.callInThread([&, i] { sum += i; });
    });
  }
  for (auto& t : producers) t.join();
  pool.stop();
  EXPECT_EQ(sum.load(), 4 * (250 * 251 / 2));
  EXPECT_LE(pool.max(), 8u);
}

// jobs() lists the running jobs, then the queued ones in order, each with where it was
// submitted; a job leaves the list once it returned.  (What trial's janitor reports.)
TEST(ThreadPoolTests, jobsNameWhereEachWasSubmitted) {
  tw::ThreadPool pool(0, 1);
  pool.start();
  Gate started, release;
  pool.callInThread([&] {
    started.open();
    release.wait();
  });
  const int runningLine = __LINE__ - 4;
  pool.callInThreadWithCallback([](bool, tw::Outcome<int>) {}, [] { return 1; });
  const int queuedLine = __LINE__ - 1;
  ASSERT_TRUE(started.wait());
  std::vector<tw::ThreadPool::JobInfo> jobs = pool.jobs();
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_TRUE(jobs[0].running);
  EXPECT_EQ(static_cast<int>(jobs[0].submittedAt.line()), runningLine);
  EXPECT_STREQ(jobs[0].submittedAt.file_name(), __FILE__);
  EXPECT_FALSE(jobs[1].running);
  EXPECT_EQ(static_cast<int>(jobs[1].submittedAt.line()), queuedLine);
  release.open();
  EXPECT_TRUE(eventually([&] { return pool.jobs().empty(); }));
  pool.stop();
}

}  // namespace
