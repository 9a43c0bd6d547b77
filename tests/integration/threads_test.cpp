/// @file
/// Tests of tw/threads.hpp with the real EpollReactor and a real ThreadPool: deferToThreadPool,
/// blockingCallFromThread, callMultipleInThread.  Twisted: twisted/test/test_threads.py.
#include "tw/threads.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reactors.hpp"
#include "tw/deferred.hpp"
#include "tw/error.hpp"
#include "tw/logger.hpp"
#include "tw/posix_reactor.hpp"
#include "tw/thread_pool.hpp"
#include "tw/trial/assertions.hpp"
#include "tw/trial/logged_errors.hpp"

namespace {

using namespace std::chrono_literals;

class ThreadsTests : public tw::testing::RealReactorTest<tw::EpollReactor> {
 protected:
  ThreadsTests() { pool.start(); }
  ~ThreadsTests() override { pool.stop(); }

  const std::thread::id reactorThread = std::this_thread::get_id();
  tw::ThreadPool pool{0, 4, "threads-test"};
};

// deferToThreadPool runs the function on a pool thread and fires the Deferred with its value on
// the reactor's thread.  Twisted: test_threads.DeferToThreadPoolTests.test_deferredResult.
TEST_F(ThreadsTests, deferToThreadPoolValue) {
  std::thread::id jobThread, callbackThread;
  int got = 0;
  reactor.callWhenRunning([&] {
    tw::deferToThreadPool(reactor, pool, [&] {
      jobThread = std::this_thread::get_id();
      return 42;
    }).addCallback([&](int v) {
      got = v;
      callbackThread = std::this_thread::get_id();
      reactor.stop();
    });
  });
  runBounded();
  EXPECT_EQ(got, 42);
  EXPECT_NE(jobThread, reactorThread);
  EXPECT_EQ(callbackThread, reactorThread);
}

// An exception thrown by the function reaches the errback as a Failure, on the reactor's thread.
// Twisted: test_threads.DeferToThreadPoolTests.test_deferredFailure.
TEST_F(ThreadsTests, deferToThreadPoolException) {
  std::thread::id errbackThread;
  std::string message;
  bool wasRuntimeError = false;
  reactor.callWhenRunning([&] {
    tw::deferToThreadPool(reactor, pool, []() -> int {
      throw std::runtime_error("in a thread");
    }).addErrback([&](tw::Failure f) {
      errbackThread = std::this_thread::get_id();
      wasRuntimeError = f.check<std::runtime_error>() != nullptr;
      message = f.getErrorMessage();
      reactor.stop();
      return 0;
    });
  });
  runBounded();
  EXPECT_TRUE(wasRuntimeError);
  EXPECT_EQ(message, "in a thread");
  EXPECT_EQ(errbackThread, reactorThread);
}

// A void function gives a Deferred<void>; a move-only function and result are accepted.
TEST_F(ThreadsTests, deferToThreadPoolVoidAndMoveOnly) {
  std::atomic<bool> ran{false};
  int moved = 0;
  reactor.callWhenRunning([&] {
    tw::Deferred<void> d = tw::deferToThreadPool(reactor, pool, [&] { ran = true; });
    d.addCallback([&] {
       return tw::deferToThreadPool(
           reactor, pool, [p = std::make_unique<int>(9)] { return std::make_unique<int>(*p + 1); });
     }).addCallback([&](std::unique_ptr<int> v) {
      moved = *v;
      reactor.stop();
    });
  });
  runBounded();
  EXPECT_TRUE(ran.load());
  EXPECT_EQ(moved, 10);
}

// Many jobs at once, on several threads, each Deferred fires once with its own value on the
// reactor's thread.
TEST_F(ThreadsTests, manyConcurrentJobs) {
  constexpr int kJobs = 500;
  std::vector<int> results(kJobs, -1);
  int fired = 0;
  bool allOnReactor = true;
  std::mutex threadsMutex;
  std::vector<std::thread::id> jobThreads;
  reactor.callWhenRunning([&] {
    for (int i = 0; i < kJobs; ++i) {
      tw::deferToThreadPool(reactor, pool, [&, i] {
        {
          std::lock_guard lock(threadsMutex);
          jobThreads.push_back(std::this_thread::get_id());
        }
        return i * i;
      }).addCallback([&, i](int v) {
        allOnReactor = allOnReactor && std::this_thread::get_id() == reactorThread;
        results[i] = v;
        if (++fired == kJobs) reactor.stop();
      });
    }
  });
  runBounded();
  EXPECT_EQ(fired, kJobs);
  EXPECT_TRUE(allOnReactor);
  for (int i = 0; i < kJobs; ++i) EXPECT_EQ(results[i], i * i);
  for (auto id : jobThreads) EXPECT_NE(id, reactorThread);
  EXPECT_LE(pool.workers(), 4u);
}

// blockingCallFromThread runs the function on the reactor's thread and returns its value to
// the waiting thread.  Twisted: test_threads.ThreadsTests.test_blockingCallFromThread-like
// (test_callFromThread / BlockingCallFromThreadTests.test_wait).
TEST_F(ThreadsTests, blockingCallFromThreadValue) {
  std::thread::id calledOn;
  int got = 0;
  reactor.callWhenRunning([&] {
    tw::deferToThreadPool(reactor, pool, [&] {
      return tw::blockingCallFromThread(reactor,
                                        [&] {
                                          calledOn = std::this_thread::get_id();
                                          return 20;
                                        }) +
             1;
    }).addCallback([&](int v) {
      got = v;
      reactor.stop();
    });
  });
  runBounded();
  EXPECT_EQ(got, 21);
  EXPECT_EQ(calledOn, reactorThread);
}

// blockingCallFromThread waits for a Deferred returned by the function, fired later by the
// reactor.  Twisted: test_threads.BlockingCallFromThreadTests.test_wait.
TEST_F(ThreadsTests, blockingCallFromThreadWaitsForDeferred) {
  std::string got;
  reactor.callWhenRunning([&] {
    tw::deferToThreadPool(reactor, pool, [&] {
      return tw::blockingCallFromThread(reactor, [&] {
        tw::Deferred<std::string> d;
        reactor.callLater(10ms, [d]() mutable { d.callback("later"); });
        return d;
      });
    }).addCallback([&](std::string v) {
      got = v;
      reactor.stop();
    });
  });
  runBounded();
  EXPECT_EQ(got, "later");
}

// A Deferred that fails makes blockingCallFromThread rethrow its exception in the waiting
// thread.  Twisted: test_threads.BlockingCallFromThreadTests.test_errorResult.
TEST_F(ThreadsTests, blockingCallFromThreadRethrowsDeferredFailure) {
  std::string caught;
  reactor.callWhenRunning([&] {
    tw::deferToThreadPool(reactor, pool, [&] {
      try {
        tw::blockingCallFromThread(reactor, [&] {
          tw::Deferred<void> d;
          reactor.callLater(0ms, [d]() mutable { d.errback(std::invalid_argument("deferred")); });
          return d;
        });
      } catch (const std::invalid_argument& e) {
        return std::string(e.what());
      }
      return std::string("nothing thrown");
    }).addCallback([&](std::string v) {
      caught = v;
      reactor.stop();
    });
  });
  runBounded();
  EXPECT_EQ(caught, "deferred");
}

// An exception thrown by the function itself is rethrown in the waiting thread.
// Twisted: test_threads.BlockingCallFromThreadTests.test_errorResult (synchronous raise).
TEST_F(ThreadsTests, blockingCallFromThreadRethrowsException) {
  std::string caught;
  std::atomic<bool> voidRan{false};
  reactor.callWhenRunning([&] {
    tw::deferToThreadPool(reactor, pool, [&] {
      tw::blockingCallFromThread(reactor, [&] { voidRan = true; });
      try {
        tw::blockingCallFromThread(reactor, []() -> int { throw std::out_of_range("direct"); });
      } catch (const std::out_of_range& e) {
        return std::string(e.what());
      }
      return std::string("nothing thrown");
    }).addCallback([&](std::string v) {
      caught = v;
      reactor.stop();
    });
  });
  runBounded();
  EXPECT_TRUE(voidRan.load());
  EXPECT_EQ(caught, "direct");
}

// blockingCallFromThread works from a plain std::thread too (not only from the pool), many
// times in a row, each call seeing the previous one's effect.
TEST_F(ThreadsTests, blockingCallFromThreadFromPlainThread) {
  int counter = 0;  // touched only on the reactor's thread
  int last = 0;
  std::thread worker;
  reactor.callWhenRunning([&] {
    worker = std::thread([&] {
      for (int i = 0; i < 100; ++i)
        last = tw::blockingCallFromThread(reactor, [&] { return ++counter; });
      reactor.callFromThread([&] { reactor.stop(); });
    });
  });
  runBounded();
  worker.join();
  EXPECT_EQ(last, 100);
  EXPECT_EQ(counter, 100);
}

// callMultipleInThread runs the calls in order on one pool thread.
// Twisted: test_threads.ThreadsTests.test_callMultiple.
TEST_F(ThreadsTests, callMultipleInThread) {
  std::vector<int> order;  // written by the pool thread, read after the hand-over below
  std::vector<std::thread::id> threads;
  std::vector<std::function<void()>> calls;
  for (int i = 0; i < 10; ++i) {
    calls.emplace_back([&, i] {
      order.push_back(i);
      threads.push_back(std::this_thread::get_id());
    });
  }
  calls.emplace_back([&] { reactor.callFromThread([&] { reactor.stop(); }); });
  reactor.callWhenRunning([&] { tw::callMultipleInThread(pool, std::move(calls)); });
  runBounded();
  ASSERT_EQ(order.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(order[i], i);
  for (auto id : threads) {
    EXPECT_EQ(id, threads.front());
    EXPECT_NE(id, reactorThread);
  }
}

// A job dropped by a pool stopped before running it never fires its Deferred (as in Twisted),
// and nothing leaks; a stopped pool refuses new work at once.
TEST_F(ThreadsTests, droppedJobNeverFires) {
  tw::ThreadPool idle(0, 1);  // never started
  bool fired = false;
  reactor.callWhenRunning([&] {
    tw::deferToThreadPool(reactor, idle, [] { return 1; }).addBoth([&](auto) {
      fired = true;
      return 0;
    });
    idle.stop();
    EXPECT_THROW(tw::deferToThreadPool(reactor, idle, [] { return 2; }), std::logic_error);
    reactor.callLater(50ms, [&] { reactor.stop(); });
  });
  runBounded();
  EXPECT_FALSE(fired);
}

// A Deferred fired with a thread's failure and left unhandled is logged on the reactor's thread,
// like any other.
TEST_F(ThreadsTests, unhandledThreadFailureIsLogged) {
  tw::LogCapture log;
  reactor.callWhenRunning([&] {
    tw::deferToThreadPool(reactor, pool, []() -> int { throw std::runtime_error("lost"); });
    tw::deferToThreadPool(reactor, pool, [] { return 0; }).addCallback([&](int) {
      reactor.callLater(10ms, [&] { reactor.stop(); });
    });
  });
  pool.adjustPoolsize(0, 1);  // one thread: the failing job finishes first
  runBounded();
  auto errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].failure->getErrorMessage(), "lost");
  tw::trial::flushLoggedErrors<std::runtime_error>();
}

// The reactor's own pool is made on first use, started when the reactor runs, and stopped by
// its shutdown; deferToThread(reactor, f) uses it.  Twisted: test_threads.ThreadsTests.
// test_deferToThread and ReactorBase._initThreadPool / _stopThreadPool.
TEST_F(ThreadsTests, reactorDeferToThread) {
  EXPECT_EQ(reactor.threadpool(), nullptr);
  tw::ThreadPool& reactorPool = reactor.getThreadPool();
  EXPECT_EQ(reactor.threadpool(), &reactorPool);
  EXPECT_EQ(reactorPool.max(), 10u);
  EXPECT_EQ(reactorPool.name(), "tw.reactor");
  EXPECT_FALSE(reactorPool.started());
  bool startedWhenRunning = false;
  std::thread::id jobThread, callbackThread;
  int got = 0;
  reactor.callWhenRunning([&] {
    startedWhenRunning = reactorPool.started();
    tw::deferToThread(reactor, [&] {
      jobThread = std::this_thread::get_id();
      return 5;
    }).addCallback([&](int v) {
      got = v;
      callbackThread = std::this_thread::get_id();
      reactor.stop();
    });
  });
  runBounded();
  EXPECT_TRUE(startedWhenRunning);
  EXPECT_EQ(got, 5);
  EXPECT_NE(jobThread, reactorThread);
  EXPECT_EQ(callbackThread, reactorThread);
  EXPECT_TRUE(reactorPool.joined());  // stopped by the shutdown
  EXPECT_EQ(reactorPool.workers(), 0u);
}

// callInThread runs on the reactor's pool, suggestThreadPoolSize sets its maximum, and the
// shutdown waits for a job still running.  Twisted: test_threads.ThreadsTests.test_callInThread,
// test_suggestThreadPoolSize.  Through the IReactorThreads interface, as user code holds it.
TEST_F(ThreadsTests, reactorCallInThreadAndShutdownWaits) {
  tw::IReactorThreads& threads = reactor;
  threads.suggestThreadPoolSize(3);
  EXPECT_EQ(reactor.getThreadPool().max(), 3u);
  std::mutex mutex;
  std::condition_variable cv;
  bool shutdownBegun = false;
  std::atomic<bool> finished{false};
  bool finishedAfterShutdown = false;
  std::thread::id jobThread;
  reactor.addSystemEventTrigger("before", "shutdown", [&] {
    std::lock_guard lock(mutex);
    shutdownBegun = true;
    cv.notify_all();
  });
  reactor.addSystemEventTrigger("after", "shutdown",
                                [&] { finishedAfterShutdown = finished.load(); });
  reactor.callWhenRunning([&] {
    threads.callInThread([&] {
      jobThread = std::this_thread::get_id();
      threads.callFromThread([&] { reactor.stop(); });
      // Still running when the shutdown begins: its "during" phase must wait for this job.
      std::unique_lock lock(mutex);
      cv.wait_for(lock, 10s, [&] { return shutdownBegun; });
      finished = true;
    });
  });
  runBounded();
  EXPECT_TRUE(finishedAfterShutdown);
  EXPECT_NE(jobThread, reactorThread);
  EXPECT_TRUE(reactor.getThreadPool().joined());
}

// A reactor destroyed while its pool runs a job waits for the job, and the job's result, handed
// to the dying reactor, is dropped without firing or leaking anything.
TEST(ReactorThreadPoolTests, destroyedReactorWaitsForItsPool) {
  std::atomic<bool> finished{false};
  bool fired = false;
  {
    tw::EpollReactor r;
    r.getThreadPool().start();
    tw::deferToThread(r, [&] {
      std::this_thread::sleep_for(50ms);
      finished = true;
      return 1;
    }).addCallback([&](int) { fired = true; });
  }
  EXPECT_TRUE(finished);
  EXPECT_FALSE(fired);
}

// resolve() answers an IP literal at once, and looks a name up on the reactor's pool: the
// loop is not blocked.  Twisted: test_base.ThreadedResolverTests.test_success.
TEST_F(ThreadsTests, resolveUsesThePool) {
  EXPECT_EQ(tw::trial::successResultOf(reactor.resolve("10.1.2.3", 5s)), "10.1.2.3");
  EXPECT_EQ(reactor.threadpool(), nullptr);  // no pool needed for a literal
  std::string got;
  reactor.callWhenRunning([&] {
    reactor.resolve("localhost", 5s).addCallback([&](std::string address) {
      got = std::move(address);
      reactor.stop();
    });
  });
  runBounded();
  EXPECT_EQ(got, "127.0.0.1");
  ASSERT_NE(reactor.threadpool(), nullptr);
  EXPECT_TRUE(reactor.threadpool()->joined());
}

// An unknown name fails with DNSLookupError naming it.  Twisted: ThreadedResolverTests.
// test_failure.
TEST_F(ThreadsTests, resolveUnknownNameFails) {
  std::string message;
  reactor.callWhenRunning([&] {
    reactor.resolve("no-such-host.invalid", 5s)
        .addCallbacks([&](const std::string& a) { ADD_FAILURE() << "resolved to " << a; },
                      [&](tw::Failure f) {
                        EXPECT_TRUE(f.check<tw::error::DNSLookupError>());
                        message = f.getErrorMessage();
                      })
        .addBoth([&](auto...) { reactor.stop(); });
  });
  runBounded();
  EXPECT_THAT(message, ::testing::HasSubstr("no-such-host.invalid"));
}

// A lookup that takes longer than its timeout fails with DNSLookupError at the timeout; the late
// answer is dropped.  Twisted: ThreadedResolverTests.test_timeout.  The pool's only thread is
// kept busy, so the lookup cannot even start before the timeout.
TEST_F(ThreadsTests, resolveTimesOut) {
  reactor.suggestThreadPoolSize(1);
  std::string message;
  double failedAfter = -1;
  reactor.callWhenRunning([&] {
    reactor.callInThread([] { std::this_thread::sleep_for(300ms); });
    const double start = reactor.seconds();
    reactor.resolve("localhost", 50ms)
        .addCallbacks([&](const std::string& a) { ADD_FAILURE() << "resolved to " << a; },
                      [&, start](tw::Failure f) {
                        EXPECT_TRUE(f.check<tw::error::DNSLookupError>());
                        message = f.getErrorMessage();
                        failedAfter = reactor.seconds() - start;
                      })
        // Let the busy job and the late lookup finish before stopping.
        .addBoth([&](auto...) { reactor.callLater(400ms, [&] { reactor.stop(); }); });
  });
  runBounded();
  EXPECT_THAT(message, ::testing::HasSubstr("timeout"));
  EXPECT_GE(failedAfter, 0.05);
  EXPECT_LT(failedAfter, 0.3);
}

// Destroyed before the reactor ran: the triggers go away and the (unstarted) pool is stopped;
// the reactor then runs without them.
TEST_F(ThreadsTests, reactorThreadsDestroyedBeforeRun) {
  {
    tw::ReactorThreads threads(reactor);
    threads.callInThread([] {});
  }
  bool ran = false;
  reactor.callWhenRunning([&] {
    ran = true;
    reactor.stop();
  });
  runBounded();
  EXPECT_TRUE(ran);
}

// A job given to the reactor's pool that throws is logged in "tw.threadpool" (from the pool's
// thread), and the pool goes on.  Twisted: test_threads.ThreadsTests.test_callInThread...
// (log.err).
TEST_F(ThreadsTests, reactorThreadsJobErrorIsLogged) {
  tw::ReactorThreads threads(reactor);
  tw::LogCapture log;
  threads.suggestThreadPoolSize(1);
  reactor.callWhenRunning([&] {
    threads.callInThread([] { throw std::domain_error("pool job"); });
    threads.callInThread([&] { threads.callFromThread([&] { reactor.stop(); }); });
  });
  runBounded();
  auto errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ns, "tw.threadpool");
  EXPECT_EQ(errors[0].failure->getErrorMessage(), "pool job");
  EXPECT_EQ(tw::trial::flushLoggedErrors<std::domain_error>().size(), 1u);
}

}  // namespace
