/// @file
/// Tests of coroutines returning Deferred: co_await, co_return, failures, cancellation, ownership.
/// Twisted: twisted/test/test_defer.py (EnsureDeferredTests), twisted/test/test_defgen.py
/// (InlineCallbacksTests), twisted/internet/test/test_inlinecb.py (CancellationTests).
// The header under test (coroutine support lives in it) first; clang-format would regroup it.
// clang-format off
#include "tw/deferred.hpp"
// clang-format on

#include <deque>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "result_helpers.hpp"
#include "tw/deferred_errors.hpp"
#include "tw/failure.hpp"
#include "tw/logger.hpp"

namespace {

/// The failure these tests fire with.
class GenericError : public std::runtime_error {
 public:
  explicit GenericError(const std::string& what = "generic") : std::runtime_error(what) {}
};

/// test_defgen's TerminalException.
class TerminalException : public std::runtime_error {
 public:
  explicit TerminalException(const std::string& what) : std::runtime_error(what) {}
};

/// test_inlinecb's exceptions: one a coroutine translates, the one it translates to, and one it
/// recovers from with the value it carries.
class UntranslatedError : public std::runtime_error {
 public:
  UntranslatedError() : std::runtime_error("untranslated") {}
};
class TranslatedError : public std::runtime_error {
 public:
  TranslatedError() : std::runtime_error("translated") {}
};
class DontFail : public std::runtime_error {
 public:
  explicit DontFail(int actual) : std::runtime_error("don't fail"), actualValue(actual) {}
  int actualValue;
};

using tw::test::ExpectNoLoggedErrors;

/// Sets a flag when destroyed: shows that a coroutine frame's locals were destroyed.
class SetOnDestruction {
 public:
  explicit SetOnDestruction(bool& flag) : flag_(&flag) {}
  SetOnDestruction(const SetOnDestruction&) = delete;
  SetOnDestruction& operator=(const SetOnDestruction&) = delete;
  ~SetOnDestruction() { *flag_ = true; }

 private:
  bool* flag_;
};

tw::Deferred<int> addOne(tw::Deferred<int> d) {
  int x = co_await std::move(d);
  co_return x + 1;
}

tw::Deferred<std::string> catchAt(tw::Deferred<int> d, const void** caught) {
  try {
    co_await std::move(d);
  } catch (const GenericError& e) {
    *caught = &e;
    co_return std::string("caught ") + e.what();
  }
  co_return std::string("not caught");
}

tw::Deferred<int> throwAfter(tw::Deferred<int> d) {
  int x = co_await std::move(d);
  if (x > 0) throw std::out_of_range("after " + std::to_string(x));
  co_return x;
}

tw::Deferred<void> waitVoid(tw::Deferred<void> d, std::vector<std::string>& calls) {
  calls.push_back("before");
  co_await std::move(d);
  calls.push_back("after");
}

}  // namespace

// co_await of a fired Deferred does not suspend: the coroutine's Deferred has its result before
// the call returns.
// Twisted: test_defer.EnsureDeferredTests.test_ensureDeferredCoroutine
TEST(DeferredCoroutineTests, awaitFiredDeferred) {
  tw::Deferred<int> result = addOne(tw::succeed(1));
  ASSERT_NE(result.valueResult(), nullptr);
  EXPECT_EQ(*result.valueResult(), 2);

  auto run = []() -> tw::Deferred<std::string> {
    std::string res = co_await tw::succeed(std::string("foo"));
    co_return res;
  };
  tw::Deferred<std::string> d = run();
  ASSERT_NE(d.valueResult(), nullptr);
  EXPECT_EQ(*d.valueResult(), "foo");
}

// co_await of an unfired Deferred suspends until it fires; its result is taken.
TEST(DeferredCoroutineTests, awaitUnfiredDeferred) {
  tw::Deferred<int> d;
  tw::Deferred<int> result = addOne(d);
  EXPECT_FALSE(result.called());
  d.callback(41);
  ASSERT_NE(result.valueResult(), nullptr);
  EXPECT_EQ(*result.valueResult(), 42);
  EXPECT_TRUE(d.isConsumed());
}

// The callbacks a Deferred has when awaited run first; the coroutine gets what they return.
TEST(DeferredCoroutineTests, awaitAfterCallbacks) {
  tw::Deferred<int> d;
  tw::Deferred<int> doubled = d.addCallback([](int x) { return x * 2; });
  tw::Deferred<int> result = addOne(doubled);
  d.callback(5);
  ASSERT_NE(result.valueResult(), nullptr);
  EXPECT_EQ(*result.valueResult(), 11);
}

// A Failure is thrown at the co_await as the original exception object, and can be caught.
// Twisted: test_defgen.InlineCallbacksTests.testHandledTerminalFailure
TEST(DeferredCoroutineTests, failureThrownAtAwait) {
  ExpectNoLoggedErrors noErrors;
  tw::Failure failure(GenericError("boom"));
  const void* caught = nullptr;
  tw::Deferred<int> d;
  tw::Deferred<std::string> result = catchAt(d, &caught);
  d.errback(failure);
  ASSERT_NE(result.valueResult(), nullptr);
  EXPECT_EQ(*result.valueResult(), "caught boom");
  EXPECT_EQ(caught, failure.value<GenericError>());

  // Already failed: thrown without suspending.
  tw::Deferred<std::string> sync = catchAt(tw::fail<int>(GenericError("now")), &caught);
  ASSERT_NE(sync.valueResult(), nullptr);
  EXPECT_EQ(*sync.valueResult(), "caught now");
}

// A failure the coroutine does not catch fails its Deferred with the same exception object.
TEST(DeferredCoroutineTests, uncaughtFailurePropagates) {
  ExpectNoLoggedErrors noErrors;
  tw::Failure failure(GenericError("through"));
  tw::Deferred<int> d;
  tw::Deferred<int> result = addOne(d);
  d.errback(failure);
  ASSERT_NE(result.failureResult(), nullptr);
  EXPECT_EQ(*result.failureResult(), failure);
  result.addErrback([](const tw::Failure&) { return 0; });
}

// An exception escaping the coroutine errbacks its Deferred with that exception.
// Twisted: test_defgen.InlineCallbacksTests.testBuggy
TEST(DeferredCoroutineTests, exceptionEscapingErrbacks) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> d;
  tw::Deferred<int> result = throwAfter(d);
  std::vector<std::string> messages;
  result.addErrback([&](const tw::Failure& f) {
    EXPECT_NE(f.check<std::out_of_range>(), nullptr);
    messages.push_back(f.getErrorMessage());
    return 0;
  });
  d.callback(3);
  EXPECT_EQ(messages, std::vector<std::string>{"after 3"});
}

// A coroutine returning Deferred<void> fires it (with nothing) when it finishes.
// Twisted: test_defgen.InlineCallbacksTests.testReturnNoValue
TEST(DeferredCoroutineTests, voidCoroutine) {
  std::vector<std::string> calls;
  tw::Deferred<void> d;
  tw::Deferred<void> result = waitVoid(d, calls);
  result.addCallback([&] { calls.push_back("fired"); });
  EXPECT_EQ(calls, std::vector<std::string>{"before"});
  d.callback();
  EXPECT_EQ(calls, (std::vector<std::string>{"before", "after", "fired"}));
}

// A coroutine that never awaits has its result at once.
// Twisted: test_defgen.InlineCallbacksTests.testNothing, testReturnValue
TEST(DeferredCoroutineTests, noAwait) {
  auto nothing = []() -> tw::Deferred<void> { co_return; };
  tw::Deferred<void> n = nothing();
  EXPECT_TRUE(n.hasResult());
  EXPECT_EQ(n.failureResult(), nullptr);

  auto six = []() -> tw::Deferred<int> { co_return 6; };
  tw::Deferred<int> s = six();
  ASSERT_NE(s.valueResult(), nullptr);
  EXPECT_EQ(*s.valueResult(), 6);
}

// Awaiting a Deferred that succeeds, then one that fails (caught), then returning a value.
// Twisted: test_defgen.InlineCallbacksTests.testBasics
TEST(DeferredCoroutineTests, basics) {
  ExpectNoLoggedErrors noErrors;
  std::vector<std::string> calls;
  auto genBasics = [&calls](tw::Deferred<std::string> thing,
                            tw::Deferred<int> owie) -> tw::Deferred<std::string> {
    std::string x = co_await std::move(thing);
    calls.push_back("got " + x);
    try {
      co_await std::move(owie);
    } catch (const std::domain_error& e) {
      calls.push_back(std::string("caught ") + e.what());
    }
    co_return "WOOSH";
  };
  tw::Deferred<std::string> thing;
  tw::Deferred<int> owie;
  tw::Deferred<std::string> result = genBasics(thing, owie);
  thing.callback("hi");
  EXPECT_EQ(calls, std::vector<std::string>{"got hi"});
  owie.errback(std::domain_error("OMG"));
  EXPECT_EQ(calls, (std::vector<std::string>{"got hi", "caught OMG"}));
  ASSERT_NE(result.valueResult(), nullptr);
  EXPECT_EQ(*result.valueResult(), "WOOSH");
}

// A failure of a Deferred that fires later is thrown in, and the coroutine handles it.
// Twisted: test_defgen.InlineCallbacksTests.testHandledTerminalAsyncFailure
TEST(DeferredCoroutineTests, handledTerminalAsyncFailure) {
  ExpectNoLoggedErrors noErrors;
  auto gen = [](tw::Deferred<void> d) -> tw::Deferred<void> {
    try {
      co_await std::move(d);
    } catch (const TerminalException&) {
    }
  };
  tw::Deferred<void> d;
  tw::Deferred<void> result = gen(d);
  EXPECT_FALSE(result.called());
  d.errback(TerminalException("Handled Terminal Failure"));
  EXPECT_TRUE(result.hasResult());
  EXPECT_EQ(result.failureResult(), nullptr);
}

// A loop awaiting 1,000,000 already-fired Deferreds runs without suspending or growing the stack.
// Twisted: test_defgen.InlineCallbacksTests.testStackUsage
TEST(DeferredCoroutineTests, awaitManyFiredDeferreds) {
  constexpr long kCount = 1000000;
  const void* firstFrame = nullptr;
  const void* lastFrame = nullptr;
  auto loop = [&firstFrame, &lastFrame]() -> tw::Deferred<long> {
    long total = 0;
    for (long i = 0; i < kCount; ++i) {
      total += co_await tw::succeed(1L);
      if (i == 0) firstFrame = __builtin_frame_address(0);
    }
    lastFrame = __builtin_frame_address(0);
    co_return total;
  };
  tw::Deferred<long> result = loop();
  ASSERT_NE(result.valueResult(), nullptr);
  EXPECT_EQ(*result.valueResult(), kCount);
  EXPECT_EQ(firstFrame, lastFrame);
}

// A coroutine resumed by each of 100,000 Deferreds fired one after another runs each step at the
// same stack depth.
TEST(DeferredCoroutineTests, awaitManyDeferredsFiredLater) {
  constexpr int kCount = 100000;
  std::deque<tw::Deferred<int>> pending;
  std::vector<const void*> frames;
  auto loop = [&pending, &frames]() -> tw::Deferred<int> {
    int total = 0;
    for (int i = 0; i < kCount; ++i) {
      pending.emplace_back();
      total += co_await pending.back();
      if (i == 0 || i == kCount - 1) frames.push_back(__builtin_frame_address(0));
    }
    co_return total;
  };
  tw::Deferred<int> result = loop();
  while (!pending.empty()) {
    tw::Deferred<int> next = std::move(pending.front());
    pending.pop_front();
    next.callback(1);
  }
  ASSERT_NE(result.valueResult(), nullptr);
  EXPECT_EQ(*result.valueResult(), kCount);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], frames[1]);
}

// A Deferred returned by a coroutine can be returned from a callback: the chain waits for it.
TEST(DeferredCoroutineTests, coroutineDeferredChains) {
  tw::Deferred<int> inner;
  std::vector<int> results;
  tw::Deferred<int> outer;
  outer.addCallback([&](int) { return addOne(inner); }).addCallback([&](int x) {
    results.push_back(x);
  });
  outer.callback(0);
  EXPECT_TRUE(results.empty());
  inner.callback(9);
  EXPECT_EQ(results, std::vector<int>{10});
}

// co_await takes the result: a later callback on the awaited Deferred gets ResultConsumedError,
// and a failure consumed by co_await is not reported as unhandled.
TEST(DeferredCoroutineTests, awaitConsumesResult) {
  ExpectNoLoggedErrors noErrors;
  const void* caught = nullptr;
  tw::Deferred<int> d;
  tw::Deferred<std::string> result = catchAt(d, &caught);
  d.errback(GenericError("taken"));
  EXPECT_TRUE(d.isConsumed());
  std::vector<std::string> calls;
  d.addCallback([&](int) { calls.push_back("value"); }).addErrback([&](const tw::Failure& f) {
    if (f.check<tw::ResultConsumedError>()) calls.push_back("consumed");
  });
  EXPECT_EQ(calls, std::vector<std::string>{"consumed"});
}

// Awaiting a Deferred whose result another consumer took throws ResultConsumedError.
TEST(DeferredCoroutineTests, awaitConsumedDeferred) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> d = tw::succeed(1);
  tw::Deferred<int> taker = addOne(d);
  ASSERT_TRUE(d.isConsumed());
  auto again = [](tw::Deferred<int> awaited) -> tw::Deferred<std::string> {
    try {
      co_await std::move(awaited);
    } catch (const tw::ResultConsumedError&) {
      co_return "consumed";
    }
    co_return "value";
  };
  tw::Deferred<std::string> result = again(d);
  ASSERT_NE(result.valueResult(), nullptr);
  EXPECT_EQ(*result.valueResult(), "consumed");
}

// Two coroutines awaiting one Deferred: the first gets the result, the second
// ResultConsumedError.
TEST(DeferredCoroutineTests, twoAwaitersOfOneDeferred) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> d;
  tw::Deferred<int> first = addOne(d);
  tw::Deferred<int> second = addOne(d);
  d.callback(1);
  ASSERT_NE(first.valueResult(), nullptr);
  EXPECT_EQ(*first.valueResult(), 2);
  ASSERT_NE(second.failureResult(), nullptr);
  EXPECT_NE(second.failureResult()->check<tw::ResultConsumedError>(), nullptr);
  second.addErrback([](const tw::Failure&) { return 0; });
}

// Awaiting a paused Deferred that has a result suspends until it is unpaused.
TEST(DeferredCoroutineTests, awaitPausedDeferred) {
  tw::Deferred<int> d = tw::succeed(1);
  d.pause();
  tw::Deferred<int> result = addOne(d);
  EXPECT_FALSE(result.called());
  d.unpause();
  ASSERT_NE(result.valueResult(), nullptr);
  EXPECT_EQ(*result.valueResult(), 2);
}

// When every handle on the awaited Deferred goes before it fires, the coroutine frame is
// destroyed (its locals' destructors run) and its Deferred never fires; cancelling it then
// gives CancelledError.
TEST(DeferredCoroutineTests, droppedAwaitedDeferredDestroysFrame) {
  bool destroyed = false;
  auto waitForever = [](tw::Deferred<int> awaited, bool& flag) -> tw::Deferred<int> {
    SetOnDestruction local(flag);
    int x = co_await std::move(awaited);
    co_return x;
  };
  tw::LogCapture log;
  tw::Deferred<int> d;
  tw::Deferred<int> result = waitForever(d, destroyed);
  EXPECT_FALSE(destroyed);
  d = tw::Deferred<int>();
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(result.called());
  // The abandonment is logged as an error naming the co_await (trial fails a test for it).
  std::vector<tw::LogEvent> errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  ASSERT_TRUE(errors[0].failure.has_value());
  EXPECT_NE(errors[0].failure->check<tw::AbandonedCoroutineError>(), nullptr);
  EXPECT_THAT(errors[0].failure->getErrorMessage(),
              ::testing::HasSubstr("abandoned at the co_await at " + std::string(__FILE__)));

  std::vector<std::string> calls;
  result.addErrback([&](const tw::Failure& f) {
    if (f.check<tw::CancelledError>()) calls.push_back("cancelled");
    return 0;
  });
  result.cancel();
  EXPECT_EQ(calls, std::vector<std::string>{"cancelled"});
}

// Awaiting a temporary that nobody else holds (so nothing can ever fire it) destroys the frame
// at once.
TEST(DeferredCoroutineTests, awaitingUnreachableDeferredDestroysFrame) {
  bool destroyed = false;
  auto waitOnNothing = [](bool& flag) -> tw::Deferred<void> {
    SetOnDestruction local(flag);
    co_await tw::Deferred<void>();
  };
  tw::LogCapture log;
  tw::Deferred<void> result = waitOnNothing(destroyed);
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(result.called());
  EXPECT_EQ(log.errors().size(), 1u);
}

// Cancellation -----------------------------------------------------------------------------------

namespace {

/// test_inlinecb.CancellationTests: a coroutine awaiting the Deferred `getChildDeferred` returns,
/// translating UntranslatedError and recovering from DontFail, then returning x + 1.
tw::Deferred<int> sampleInlineCB(std::function<tw::Deferred<int>()> getChildDeferred) {
  int x = 0;
  try {
    x = co_await getChildDeferred();
  } catch (const UntranslatedError&) {
    throw TranslatedError();
  } catch (const DontFail& df) {
    x = df.actualValue - 2;
  }
  co_return x + 1;
}

}  // namespace

// Cancelling the coroutine's Deferred cancels the Deferred it awaits.
// Twisted: test_inlinecb.CancellationTests.test_cascadeCancellingOnCancel
TEST(DeferredCoroutineTests, cascadeCancellingOnCancel) {
  ExpectNoLoggedErrors noErrors;
  bool childCancelled = false;
  std::vector<tw::Deferred<int>> outstanding;
  auto getChildDeferred = [&] {
    tw::Deferred<int> d;
    outstanding.push_back(d);
    return d.addErrback([&](tw::Failure f) {
      childCancelled = f.check<tw::CancelledError>() != nullptr;
      return f;
    });
  };
  tw::Deferred<int> d = sampleInlineCB(getChildDeferred);
  d.addErrback([](const tw::Failure&) { return 0; });
  d.cancel();
  EXPECT_TRUE(childCancelled);
}

// The CancelledError of the awaited Deferred, not caught, fails the coroutine's Deferred; the
// awaited Deferred (canceller-less) then swallows one late fire.
// Twisted: test_inlinecb.CancellationTests.test_errbackCancelledErrorOnCancel
TEST(DeferredCoroutineTests, errbackCancelledErrorOnCancel) {
  ExpectNoLoggedErrors noErrors;
  std::vector<tw::Deferred<int>> outstanding;
  tw::Deferred<int> d = sampleInlineCB([&] {
    outstanding.emplace_back();
    return outstanding.back();
  });
  d.cancel();
  ASSERT_NE(d.failureResult(), nullptr);
  EXPECT_THROW(d.failureResult()->raiseException(), tw::CancelledError);
  d.addErrback([](const tw::Failure&) { return 0; });
  for (tw::Deferred<int>& child : outstanding) EXPECT_NO_THROW(child.callback(0));
}

// The coroutine may translate the error the awaited Deferred's canceller produced into another.
// Twisted: test_inlinecb.CancellationTests.test_errorToErrorTranslation
TEST(DeferredCoroutineTests, errorToErrorTranslation) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> a([](tw::Deferred<int>& it) { it.errback(UntranslatedError()); });
  tw::Deferred<int> d = sampleInlineCB([&] { return a; });
  d.cancel();
  ASSERT_NE(d.failureResult(), nullptr);
  EXPECT_THROW(d.failureResult()->raiseException(), TranslatedError);
  d.addErrback([](const tw::Failure&) { return 0; });
}

// The coroutine may translate the error the awaited Deferred's canceller produced into a value.
// Twisted: test_inlinecb.CancellationTests.test_errorToSuccessTranslation
TEST(DeferredCoroutineTests, errorToSuccessTranslation) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> a([](tw::Deferred<int>& it) { it.errback(DontFail(4321)); });
  tw::Deferred<int> d = sampleInlineCB([&] { return a; });
  std::vector<int> results;
  d.addCallback([&](int x) { results.push_back(x); });
  d.cancel();
  EXPECT_EQ(results, std::vector<int>{4320});
}

// The coroutine may catch the CancelledError and recover with a value of its own.
TEST(DeferredCoroutineTests, cancelledErrorCaughtInside) {
  ExpectNoLoggedErrors noErrors;
  auto recover = [](tw::Deferred<int> awaited) -> tw::Deferred<std::string> {
    try {
      co_await std::move(awaited);
    } catch (const tw::CancelledError&) {
      co_return "cancelled, recovered";
    }
    co_return "fired";
  };
  tw::Deferred<int> child;
  tw::Deferred<std::string> d = recover(child);
  d.cancel();
  ASSERT_NE(d.valueResult(), nullptr);
  EXPECT_EQ(*d.valueResult(), "cancelled, recovered");
  EXPECT_TRUE(child.isConsumed());
}

// When the cancelled Deferred does not reach the coroutine at once (its errback waits on
// another Deferred), the coroutine's Deferred has no result until that one fires.
// Twisted: test_inlinecb.CancellationTests.test_asynchronousCancellation
TEST(DeferredCoroutineTests, asynchronousCancellation) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> moreDeferred;
  std::vector<tw::Deferred<int>> outstanding;
  auto deferMe = [&] {
    tw::Deferred<int> d;
    outstanding.push_back(d);
    return d.addErrback([&](const tw::Failure& result) {
      result.trap<tw::CancelledError>();
      return moreDeferred;
    });
  };
  tw::Deferred<int> d = sampleInlineCB(deferMe);
  d.cancel();
  EXPECT_FALSE(d.called());
  EXPECT_FALSE(d.hasResult());
  moreDeferred.callback(6543);
  ASSERT_NE(d.valueResult(), nullptr);
  EXPECT_EQ(*d.valueResult(), 6544);
}

// A coroutine that caught the CancelledError may go on awaiting other Deferreds; its Deferred
// waits for it, and a second cancel() reaches what it awaits then.
TEST(DeferredCoroutineTests, cancelAgainWhileAwaitingAfterCancellation) {
  ExpectNoLoggedErrors noErrors;
  std::vector<std::string> calls;
  tw::Deferred<int> first;
  tw::Deferred<int> second;
  auto worker = [&calls](tw::Deferred<int> a, tw::Deferred<int> b) -> tw::Deferred<int> {
    try {
      co_await std::move(a);
    } catch (const tw::CancelledError&) {
      calls.push_back("first cancelled");
    }
    try {
      co_await std::move(b);
    } catch (const tw::CancelledError&) {
      calls.push_back("second cancelled");
      co_return -1;
    }
    co_return 2;
  };
  tw::Deferred<int> d = worker(first, second);
  d.cancel();
  EXPECT_EQ(calls, std::vector<std::string>{"first cancelled"});
  EXPECT_FALSE(d.called());
  d.cancel();
  EXPECT_EQ(calls, (std::vector<std::string>{"first cancelled", "second cancelled"}));
  ASSERT_NE(d.valueResult(), nullptr);
  EXPECT_EQ(*d.valueResult(), -1);
}

// A coroutine whose frame goes away while it handles the cancellation (it then awaits a
// Deferred nobody can fire) leaves its Deferred failed with CancelledError.
TEST(DeferredCoroutineTests, frameDestroyedDuringCancellation) {
  tw::LogCapture log;
  bool destroyed = false;
  auto worker = [](tw::Deferred<int> a, bool& flag) -> tw::Deferred<int> {
    SetOnDestruction local(flag);
    try {
      co_await std::move(a);
    } catch (const tw::CancelledError&) {
    }
    co_return co_await tw::Deferred<int>();
  };
  tw::Deferred<int> child;
  tw::Deferred<int> d = worker(child, destroyed);
  std::vector<std::string> calls;
  d.addErrback([&](const tw::Failure& f) {
    if (f.check<tw::CancelledError>()) calls.push_back("cancelled");
    return 0;
  });
  d.cancel();
  EXPECT_TRUE(destroyed);
  EXPECT_EQ(calls, std::vector<std::string>{"cancelled"});
  // The only error is the abandonment at the co_await of an unreachable Deferred.
  std::vector<tw::LogEvent> errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].failure->check<tw::AbandonedCoroutineError>(), nullptr);
}

// Cancelling a coroutine that awaits a paused Deferred with a result changes nothing there: the
// coroutine's Deferred waits, and gets the coroutine's value after the unpause.
TEST(DeferredCoroutineTests, cancelWhileAwaitingPausedDeferred) {
  tw::Deferred<int> paused = tw::succeed(1);
  paused.pause();
  tw::Deferred<int> d = addOne(paused);
  d.cancel();
  EXPECT_FALSE(d.called());
  paused.unpause();
  ASSERT_NE(d.valueResult(), nullptr);
  EXPECT_EQ(*d.valueResult(), 2);
}

// A coroutine cancelling its own Deferred while running: the Deferred fails with CancelledError
// at once, the coroutine runs on, and its later co_return is swallowed (nothing logged).
TEST(DeferredCoroutineTests, coroutineCancelsItselfWhileRunning) {
  ExpectNoLoggedErrors noErrors;
  std::vector<std::string> calls;
  tw::Deferred<int> self;
  auto selfCancelling = [&calls, &self](tw::Deferred<int> trigger) -> tw::Deferred<int> {
    int x = co_await std::move(trigger);
    calls.push_back("resumed");
    self.cancel();
    calls.push_back("after cancel");
    co_return x;
  };
  tw::Deferred<int> trigger;
  self = selfCancelling(trigger);
  self.addCallbacks(
      [&](int) {
        calls.push_back("value");
        return 0;
      },
      [&](const tw::Failure& f) {
        if (f.check<tw::CancelledError>()) calls.push_back("cancelled");
        return 0;
      });
  trigger.callback(5);
  EXPECT_EQ(calls, (std::vector<std::string>{"resumed", "cancelled", "after cancel"}));
}

// A coroutine that finishes after its Deferred was fired through another handle: its result is
// dropped and an error is logged; the Deferred keeps the first result.
TEST(DeferredCoroutineTests, finishingAfterDeferredFiredElsewhereIsLogged) {
  tw::LogCapture log;
  {
    tw::Deferred<int> trigger;
    tw::Deferred<int> result = addOne(trigger);
    result.callback(7);
    trigger.callback(1);
    ASSERT_NE(result.valueResult(), nullptr);
    EXPECT_EQ(*result.valueResult(), 7);
  }
  std::vector<tw::LogEvent> errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ns, "tw.deferred");
  EXPECT_NE(errors[0].text.find("coroutine finished after its Deferred"), std::string::npos)
      << errors[0].text;
}

// Cancelling a coroutine's Deferred after it finished does nothing.
TEST(DeferredCoroutineTests, cancelAfterFinishIsNoop) {
  tw::Deferred<int> result = addOne(tw::succeed(1));
  result.cancel();
  ASSERT_NE(result.valueResult(), nullptr);
  EXPECT_EQ(*result.valueResult(), 2);
}
