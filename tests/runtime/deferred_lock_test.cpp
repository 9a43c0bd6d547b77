/// @file
/// Tests of DeferredLock and DeferredSemaphore.
/// Twisted: twisted/test/test_defer.py (OtherPrimitivesTests: testLock, test_cancelLock*,
/// testSemaphore, test_semaphoreInvalidTokens, test_cancelSemaphore*).
#include "tw/deferred_lock.hpp"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "result_helpers.hpp"
#include "tw/deferred.hpp"
#include "tw/deferred_errors.hpp"
#include "tw/failure.hpp"

namespace {

using tw::test::assertNoResult;
using tw::test::ExpectNoLoggedErrors;
using tw::test::failureResultOf;
using tw::test::GenericError;
using tw::test::successResultOf;

/// Increments `shared` while holding `lock`, awaiting `gate` between the read and the write.
tw::Deferred<int> lockedIncrement(tw::DeferredLock lock, tw::Deferred<void> gate, int& shared) {
  co_await lock.acquire();
  int before = shared;
  co_await std::move(gate);
  shared = before + 1;
  lock.release();  // the next waiter runs here, before this coroutine goes on
  co_return before + 1;
}

}  // namespace

// DeferredLock ------------------------------------------------------------------------------------

// acquire() queues while locked, release() hands over, run() holds the lock until f is done.
// Twisted: test_defer.OtherPrimitivesTests.testLock
TEST(DeferredLockTests, lock) {
  ExpectNoLoggedErrors noErrors;
  int counter = 0;
  auto incr = [&](tw::DeferredLock) { ++counter; };
  tw::DeferredLock lock;
  lock.acquire().addCallback(incr);
  EXPECT_TRUE(lock.locked());
  EXPECT_EQ(counter, 1);

  lock.acquire().addCallback(incr);
  EXPECT_TRUE(lock.locked());
  EXPECT_EQ(counter, 1);

  lock.release();
  EXPECT_TRUE(lock.locked());
  EXPECT_EQ(counter, 2);

  lock.release();
  EXPECT_FALSE(lock.locked());
  EXPECT_EQ(counter, 2);

  // (Twisted's `lock.run()` without a callable raising TypeError does not compile here.)
  std::string result;
  tw::Deferred<std::string> controlDeferred;
  tw::Deferred<std::string> resultDeferred = lock.run([&] {
    result = "firstUnique";
    return controlDeferred;
  });
  EXPECT_TRUE(lock.locked());
  EXPECT_EQ(result, "firstUnique");

  resultDeferred.addCallback([&](std::string r) { result = r; });

  lock.acquire().addCallback(incr);
  EXPECT_TRUE(lock.locked());
  EXPECT_EQ(counter, 2);

  controlDeferred.callback("secondUnique");
  EXPECT_EQ(result, "secondUnique");
  EXPECT_TRUE(lock.locked());
  EXPECT_EQ(counter, 3);

  std::optional<tw::Failure> failure;
  tw::Deferred<void> d =
      lock.acquire().addCallbacks([](tw::DeferredLock) {}, [&](tw::Failure f) { failure = f; });
  d.cancel();
  ASSERT_TRUE(failure.has_value());
  EXPECT_NE(failure->check<tw::CancelledError>(), nullptr);

  lock.release();
  EXPECT_FALSE(lock.locked());
}

// Cancelling an acquire that already has the lock does nothing.
// Twisted: test_defer.OtherPrimitivesTests.test_cancelLockAfterAcquired
TEST(DeferredLockTests, cancelLockAfterAcquired) {
  tw::DeferredLock lock;
  tw::Deferred<tw::DeferredLock> d = lock.acquire();
  bool errback = false;
  d.addErrback([&](tw::Failure f) {
    errback = true;
    return f;
  });
  d.cancel();
  EXPECT_FALSE(errback);
  EXPECT_TRUE(lock.locked());
}

// Cancelling an acquire that waits for the lock fails it with CancelledError.
// Twisted: test_defer.OtherPrimitivesTests.test_cancelLockBeforeAcquired
TEST(DeferredLockTests, cancelLockBeforeAcquired) {
  tw::DeferredLock lock;
  lock.acquire();
  tw::Deferred<tw::DeferredLock> d = lock.acquire();
  d.cancel();
  failureResultOf<tw::CancelledError>(d);
  EXPECT_TRUE(lock.waiting().empty());
}

// A cancelled waiter is skipped: the lock goes to the next one, in FIFO order.
TEST(DeferredLockTests, cancelledWaiterIsRemoved) {
  tw::DeferredLock lock;
  std::vector<int> order;
  lock.acquire();
  tw::Deferred<void> first =
      lock.acquire().addCallback([&](tw::DeferredLock) { order.push_back(1); });
  tw::Deferred<void> second =
      lock.acquire().addCallback([&](tw::DeferredLock) { order.push_back(2); });
  tw::Deferred<void> third =
      lock.acquire().addCallback([&](tw::DeferredLock) { order.push_back(3); });
  ASSERT_EQ(lock.waiting().size(), 3u);
  second.cancel();
  failureResultOf<tw::CancelledError>(second);
  ASSERT_EQ(lock.waiting().size(), 2u);
  lock.release();
  lock.release();
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
  EXPECT_TRUE(lock.locked());
  lock.release();
  EXPECT_FALSE(lock.locked());
}

// The acquire Deferred fires with the lock itself (a handle on the same lock).
TEST(DeferredLockTests, acquireFiresWithTheLock) {
  tw::DeferredLock lock;
  tw::DeferredLock acquired = successResultOf(lock.acquire());
  EXPECT_EQ(acquired, lock);
  EXPECT_NE(acquired, tw::DeferredLock());
  acquired.release();
  EXPECT_FALSE(lock.locked());
}

// Releasing an unlocked lock throws.
// Twisted: DeferredLock.release asserts "Tried to release an unlocked lock"
TEST(DeferredLockTests, releaseUnlockedThrows) {
  tw::DeferredLock lock;
  try {
    lock.release();
    FAIL() << "release() of an unlocked lock did not throw";
  } catch (const std::logic_error& e) {
    EXPECT_EQ(std::string(e.what()), "Tried to release an unlocked lock");
  }
}

// run() releases the lock when f fails, synchronously or not, and passes the failure on.
TEST(DeferredLockTests, runReleasesOnFailure) {
  tw::DeferredLock lock;
  tw::Deferred<int> thrown = lock.run([]() -> int { throw GenericError("sync"); });
  EXPECT_FALSE(lock.locked());
  failureResultOf<GenericError>(thrown);

  tw::Deferred<int> inner;
  tw::Deferred<int> later = lock.run([&] { return inner; });
  EXPECT_TRUE(lock.locked());
  inner.errback(GenericError("async"));
  EXPECT_FALSE(lock.locked());
  failureResultOf<GenericError>(later);
}

// run() of a function returning nothing gives a Deferred<void>; run() waits for the lock.
TEST(DeferredLockTests, runWaitsForTheLock) {
  tw::DeferredLock lock;
  lock.acquire();
  bool ran = false;
  tw::Deferred<void> d = lock.run([&] { ran = true; });
  EXPECT_FALSE(ran);
  lock.release();
  EXPECT_TRUE(ran);
  successResultOf(d);
  EXPECT_FALSE(lock.locked());
}

// Cancelling run() while it waits for the lock withdraws it: f never runs.
TEST(DeferredLockTests, cancelRunWhileWaiting) {
  tw::DeferredLock lock;
  lock.acquire();
  bool ran = false;
  tw::Deferred<void> d = lock.run([&] { ran = true; });
  d.cancel();
  failureResultOf<tw::CancelledError>(d);
  lock.release();
  EXPECT_FALSE(ran);
  EXPECT_FALSE(lock.locked());
}

// Cancelling run() while f's Deferred is pending cancels that Deferred and releases the lock.
TEST(DeferredLockTests, cancelRunWhileRunning) {
  tw::DeferredLock lock;
  tw::Deferred<int> inner;
  tw::Deferred<int> d = lock.run([&] { return inner; });
  d.cancel();
  failureResultOf<tw::CancelledError>(d);
  EXPECT_TRUE(inner.called());
  EXPECT_FALSE(lock.locked());
}

// A lock dropped with waiters releases them; a waiter kept elsewhere can still be cancelled.
TEST(DeferredLockTests, droppedLockWithWaiters) {
  tw::Deferred<tw::DeferredLock> waiter;
  {
    tw::DeferredLock lock;
    lock.acquire();
    waiter = lock.acquire();
  }
  assertNoResult(waiter);
  waiter.cancel();
  failureResultOf<tw::CancelledError>(waiter);
}

// Two coroutines incrementing under the lock do not interleave.
TEST(DeferredLockTests, coroutinesSerialize) {
  tw::DeferredLock lock;
  int shared = 0;
  tw::Deferred<void> gate1, gate2;
  tw::Deferred<int> a = lockedIncrement(lock, gate1, shared);
  tw::Deferred<int> b = lockedIncrement(lock, gate2, shared);
  gate2.callback();
  gate1.callback();
  EXPECT_EQ(successResultOf(a), 1);
  EXPECT_EQ(successResultOf(b), 2);
  EXPECT_FALSE(lock.locked());
}

// DeferredSemaphore -------------------------------------------------------------------------------

// N acquires succeed at once, the next waits; releases hand tokens to waiters; run() holds one.
// Twisted: test_defer.OtherPrimitivesTests.testSemaphore
TEST(DeferredSemaphoreTests, semaphore) {
  ExpectNoLoggedErrors noErrors;
  constexpr int kN = 13;
  tw::DeferredSemaphore sem(kN);
  int counter = 0;
  auto incr = [&](tw::DeferredSemaphore) { ++counter; };

  tw::Deferred<void> controlDeferred;
  std::string helperArg;
  tw::Deferred<void> resultDeferred = sem.run([&] {
    helperArg = "uniqueObject";
    return controlDeferred;
  });
  std::vector<int> results;
  resultDeferred.addCallback([&] { results.push_back(1); }).addCallback([&] { ++counter; });
  EXPECT_TRUE(results.empty());
  EXPECT_EQ(helperArg, "uniqueObject");
  controlDeferred.callback();
  EXPECT_EQ(results, std::vector<int>{1});
  EXPECT_EQ(counter, 1);

  counter = 0;
  for (int i = 1; i <= kN; ++i) {
    sem.acquire().addCallback(incr);
    EXPECT_EQ(counter, i);
  }

  std::vector<bool> success;
  tw::Deferred<void> d =
      sem.acquire().addCallbacks([&](tw::DeferredSemaphore) { success.push_back(false); },
                                 [&](tw::Failure) { success.push_back(true); });
  d.cancel();
  EXPECT_EQ(success, std::vector<bool>{true});

  sem.acquire().addCallback(incr);
  EXPECT_EQ(counter, kN);

  sem.release();
  EXPECT_EQ(counter, kN + 1);

  for (int i = 1; i <= kN; ++i) {
    sem.release();
    EXPECT_EQ(counter, kN + 1);
  }
}

// Fewer than one token is invalid.
// Twisted: test_defer.OtherPrimitivesTests.test_semaphoreInvalidTokens
TEST(DeferredSemaphoreTests, semaphoreInvalidTokens) {
  EXPECT_THROW(tw::DeferredSemaphore(0), std::invalid_argument);
  EXPECT_THROW(tw::DeferredSemaphore(-1), std::invalid_argument);
}

// Cancelling an acquire that already has a token does nothing.
// Twisted: test_defer.OtherPrimitivesTests.test_cancelSemaphoreAfterAcquired
TEST(DeferredSemaphoreTests, cancelSemaphoreAfterAcquired) {
  tw::DeferredSemaphore sem(1);
  tw::Deferred<tw::DeferredSemaphore> d = sem.acquire();
  bool errback = false;
  d.addErrback([&](tw::Failure f) {
    errback = true;
    return f;
  });
  d.cancel();
  EXPECT_FALSE(errback);
  EXPECT_EQ(sem.tokens(), 0);
}

// Cancelling an acquire that waits for a token fails it with CancelledError.
// Twisted: test_defer.OtherPrimitivesTests.test_cancelSemaphoreBeforeAcquired
TEST(DeferredSemaphoreTests, cancelSemaphoreBeforeAcquired) {
  tw::DeferredSemaphore sem(1);
  sem.acquire();
  tw::Deferred<tw::DeferredSemaphore> d = sem.acquire();
  d.cancel();
  failureResultOf<tw::CancelledError>(d);
  EXPECT_TRUE(sem.waiting().empty());
}

// tokens() counts down with acquires and back up with releases; limit() stays.
TEST(DeferredSemaphoreTests, tokensAndLimit) {
  tw::DeferredSemaphore sem(2);
  EXPECT_EQ(sem.tokens(), 2);
  EXPECT_EQ(sem.limit(), 2);
  sem.acquire();
  sem.acquire();
  EXPECT_EQ(sem.tokens(), 0);
  tw::Deferred<tw::DeferredSemaphore> waiting = sem.acquire();
  assertNoResult(waiting);
  sem.release();  // handed to the waiter
  EXPECT_EQ(sem.tokens(), 0);
  EXPECT_EQ(successResultOf(waiting), sem);
  sem.release();
  sem.release();
  EXPECT_EQ(sem.tokens(), 2);
  EXPECT_EQ(sem.limit(), 2);
}

// Releasing more often than acquiring throws.
// Twisted: DeferredSemaphore.release asserts "Someone released me too many times"
TEST(DeferredSemaphoreTests, releasedTooManyTimes) {
  tw::DeferredSemaphore sem(1);
  try {
    sem.release();
    FAIL() << "release() past the limit did not throw";
  } catch (const std::logic_error& e) {
    EXPECT_EQ(std::string(e.what()), "Someone released me too many times: too many tokens!");
  }
  EXPECT_EQ(sem.tokens(), 1);
}

// run() bounds the concurrency: with two tokens, a third call waits for one of the first two.
TEST(DeferredSemaphoreTests, runBoundsConcurrency) {
  tw::DeferredSemaphore sem(2);
  std::vector<tw::Deferred<int>> work(3);
  int running = 0;
  std::vector<tw::Deferred<int>> results;
  for (int i = 0; i < 3; ++i) {
    results.push_back(sem.run([&, i] {
      ++running;
      return work[i];
    }));
  }
  EXPECT_EQ(running, 2);
  work[1].callback(1);
  EXPECT_EQ(running, 3);
  EXPECT_EQ(successResultOf(results[1]), 1);
  work[0].callback(0);
  work[2].callback(2);
  EXPECT_EQ(successResultOf(results[2]), 2);
  EXPECT_EQ(sem.tokens(), 2);
}
