/// @file
/// Tests of DeferredQueue.
/// Twisted: twisted/test/test_defer.py (OtherPrimitivesTests: testQueue, test_cancelQueue*).
#include "tw/deferred_queue.hpp"

#include <memory>
#include <optional>
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
using tw::test::successResultOf;

}  // namespace

// Gets wait for puts in order; backlog bounds waiting gets, size bounds kept items.
// Twisted: test_defer.OtherPrimitivesTests.testQueue
TEST(DeferredQueueTests, queue) {
  constexpr int kN = 2;
  constexpr int kM = 2;
  tw::DeferredQueue<int> queue(kN, kM);

  std::vector<int> gotten;
  auto append = [&](int x) { gotten.push_back(x); };
  for (int i = 0; i < kM; ++i) queue.get().addCallback(append);
  EXPECT_THROW(queue.get(), tw::QueueUnderflow);

  for (int i = 0; i < kM; ++i) {
    queue.put(i);
    std::vector<int> expected;
    for (int j = 0; j <= i; ++j) expected.push_back(j);
    EXPECT_EQ(gotten, expected);
  }
  for (int i = 0; i < kN; ++i) {
    queue.put(kN + i);
    EXPECT_EQ(gotten, (std::vector<int>{0, 1}));
  }
  EXPECT_THROW(queue.put(0), tw::QueueOverflow);

  gotten.clear();
  for (int i = 0; i < kN; ++i) {
    queue.get().addCallback(append);
    std::vector<int> expected;
    for (int j = kN; j <= kN + i; ++j) expected.push_back(j);
    EXPECT_EQ(gotten, expected);
  }

  tw::DeferredQueue<int> unbounded;
  gotten.clear();
  for (int i = 0; i < kN; ++i) unbounded.get().addCallback(append);
  for (int i = 0; i < kN; ++i) unbounded.put(i);
  EXPECT_EQ(gotten, (std::vector<int>{0, 1}));

  tw::DeferredQueue<int> noRoom(0);
  EXPECT_THROW(noRoom.put(0), tw::QueueOverflow);

  tw::DeferredQueue<int> noBacklog(std::nullopt, 0);
  EXPECT_THROW(noBacklog.get(), tw::QueueUnderflow);
}

// Cancelling a get that already fired does nothing.
// Twisted: test_defer.OtherPrimitivesTests.test_cancelQueueAfterSynchronousGet
TEST(DeferredQueueTests, cancelQueueAfterSynchronousGet) {
  tw::DeferredQueue<int> queue;
  tw::Deferred<int> d = queue.get();
  bool errback = false;
  d.addErrback([&](tw::Failure f) {
    errback = true;
    return f;
  });
  queue.put(0);
  d.cancel();
  EXPECT_FALSE(errback);
  EXPECT_EQ(successResultOf(d), 0);
}

// A cancelled waiting get fails with CancelledError and leaves the waiters: put() skips it.
// Twisted: test_defer.OtherPrimitivesTests.test_cancelQueueAfterGet
TEST(DeferredQueueTests, cancelQueueAfterGet) {
  ExpectNoLoggedErrors noErrors;
  tw::DeferredQueue<int> queue;
  tw::Deferred<int> d = queue.get();
  d.cancel();
  std::optional<tw::Failure> failure;
  tw::Deferred<int> recovered = d.addErrback([&](tw::Failure f) {
    failure = f;
    return -1;
  });
  ASSERT_TRUE(failure.has_value());
  EXPECT_NE(failure->check<tw::CancelledError>(), nullptr);

  std::vector<int> done;
  recovered
      .addCallback([&](int) {
        // If the Deferred were still linked with the queue, put() would fail with
        // AlreadyCalledError.
        queue.put(5);
        return queue.get().addCallback([](int x) { return x; });
      })
      .addCallback([&](int x) { done.push_back(x); });
  EXPECT_EQ(done, std::vector<int>{5});
}

// Items are handed out in FIFO order; a cancelled waiter is skipped.
TEST(DeferredQueueTests, cancelledGetIsSkipped) {
  tw::DeferredQueue<std::string> queue;
  tw::Deferred<std::string> first = queue.get();
  tw::Deferred<std::string> second = queue.get();
  tw::Deferred<std::string> third = queue.get();
  EXPECT_EQ(queue.waiting().size(), 3u);
  second.cancel();
  failureResultOf<tw::CancelledError>(second);
  EXPECT_EQ(queue.waiting().size(), 2u);
  queue.put("a");
  queue.put("b");
  queue.put("c");
  EXPECT_EQ(successResultOf(first), "a");
  EXPECT_EQ(successResultOf(third), "b");
  ASSERT_EQ(queue.pending().size(), 1u);
  EXPECT_EQ(queue.pending().front(), "c");
  EXPECT_EQ(successResultOf(queue.get()), "c");
}

// size() and backlog() report the limits; copies share the queue.
TEST(DeferredQueueTests, limitsAndSharing) {
  tw::DeferredQueue<int> queue(3, 4);
  EXPECT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue.backlog(), 4u);
  tw::DeferredQueue<int> unlimited;
  EXPECT_FALSE(unlimited.size().has_value());
  EXPECT_FALSE(unlimited.backlog().has_value());

  tw::DeferredQueue<int> copy = queue;
  copy.put(1);
  EXPECT_EQ(successResultOf(queue.get()), 1);
}

// Move-only items move through the queue.
TEST(DeferredQueueTests, moveOnlyItems) {
  tw::DeferredQueue<std::unique_ptr<int>> queue;
  tw::Deferred<std::unique_ptr<int>> waiting = queue.get();
  queue.put(std::make_unique<int>(1));
  queue.put(std::make_unique<int>(2));
  EXPECT_EQ(*successResultOf(waiting), 1);
  EXPECT_EQ(*successResultOf(queue.get()), 2);
}

// A queue dropped with waiting gets releases them; a get kept elsewhere can still be cancelled.
TEST(DeferredQueueTests, droppedQueueWithWaiters) {
  tw::Deferred<int> waiter;
  {
    tw::DeferredQueue<int> queue;
    waiter = queue.get();
  }
  assertNoResult(waiter);
  waiter.cancel();
  failureResultOf<tw::CancelledError>(waiter);
}
