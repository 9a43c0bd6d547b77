/// @file
/// Tests of the Deferred core: firing, callback pairs, chaining, pause, cancel, unhandled errors.
/// Twisted: twisted/test/test_defer.py (DeferredTests, AlreadyCalledTests, DeferredCancellerTests,
/// LogTests).
#include "tw/deferred.hpp"

#include <functional>
#include <memory>
#include <source_location>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "result_helpers.hpp"
#include "tw/deferred_errors.hpp"
#include "tw/failure.hpp"
#include "tw/logger.hpp"

namespace {

/// Twisted's GenericError: the failure these tests fire with.
class GenericError : public std::runtime_error {
 public:
  explicit GenericError(const std::string& what = "generic") : std::runtime_error(what) {}
};

/// A callable with several overloads, for addBoth on a Deferred<void>.
template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

using tw::test::ExpectNoLoggedErrors;

/// The "0x..." address in a repr such as "<Deferred at 0x1234>".
std::string addressIn(const std::string& repr) {
  const std::string prefix = "<Deferred at ";
  std::size_t end = repr.find_first_of(" >", prefix.size());
  return repr.substr(prefix.size(), end - prefix.size());
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

// Firing and callbacks ---------------------------------------------------------------------------

// A callback receives the value the Deferred is fired with; no errback runs.
// Twisted: test_defer.DeferredTests.testCallbackWithoutArgs
TEST(DeferredTests, callbackWithoutArgs) {
  std::vector<std::string> results;
  std::vector<tw::Failure> failures;
  tw::Deferred<std::string> deferred;
  deferred.addCallback([&](const std::string& s) { results.push_back(s); })
      .addErrback([&](tw::Failure f) { failures.push_back(f); });
  EXPECT_TRUE(results.empty());
  deferred.callback("hello");
  EXPECT_EQ(results, std::vector<std::string>{"hello"});
  EXPECT_TRUE(failures.empty());
}

// Extra arguments are bound into the callable: function pointers, bind objects and std::function
// are all accepted as callbacks.
// Twisted: test_defer.DeferredTests.testCallbackWithArgs, testCallbackWithKwArgs
TEST(DeferredTests, callbackWithArgs) {
  std::vector<std::string> results;
  auto record = [&](const std::string& a, const std::string& b) {
    results.push_back(a + " " + b);
    return a;
  };
  std::function<std::string(std::string)> viaFunction = [&](std::string s) {
    results.push_back("function " + s);
    return s;
  };
  std::string (*viaPointer)(std::string) = [](std::string s) { return s + "!"; };

  tw::Deferred<std::string> deferred;
  auto last = deferred.addCallback(std::bind_front(record, std::string("world")))
                  .addCallback(viaFunction)
                  .addCallback(viaPointer);
  deferred.callback("hello");
  EXPECT_EQ(results, (std::vector<std::string>{"world hello", "function world"}));
  ASSERT_NE(last.valueResult(), nullptr);
  EXPECT_EQ(*last.valueResult(), "world!");
}

// Each callback receives what the previous one returned.
// Twisted: test_defer.DeferredTests.testTwoCallbacks
TEST(DeferredTests, twoCallbacks) {
  std::vector<std::string> calls;
  tw::Deferred<std::string> deferred;
  deferred
      .addCallback([&](const std::string& s) {
        calls.push_back("1:" + s);
        return s;
      })
      .addCallback([&](const std::string& s) { calls.push_back("2:" + s); });
  deferred.callback("hello");
  EXPECT_EQ(calls, (std::vector<std::string>{"1:hello", "2:hello"}));
}

// The type of the chain follows what the callbacks return; every handle is on the same chain.
TEST(DeferredTests, callbacksChangeTheResultType) {
  tw::Deferred<int> d;
  tw::Deferred<std::string> s = d.addCallback([](int x) { return std::to_string(x + 1); });
  tw::Deferred<std::size_t> n = s.addCallback([](const std::string& v) { return v.size() * 10; });
  EXPECT_TRUE(d.sameChain(s));
  EXPECT_TRUE(s.sameChain(n));
  d.callback(41);
  ASSERT_NE(n.valueResult(), nullptr);
  EXPECT_EQ(*n.valueResult(), 20u);     // "42" has two characters
  EXPECT_EQ(d.valueResult(), nullptr);  // the chain no longer holds an int
  tw::Deferred<void> v = n.addCallback([](std::size_t) {});
  EXPECT_TRUE(v.hasResult());
  EXPECT_EQ(n.valueResult(), nullptr);
}

// A callback added to a fired Deferred runs before addCallback returns.
// Twisted: test_defer.DeferredTests.testImmediateSuccess
TEST(DeferredTests, immediateSuccess) {
  std::vector<std::string> results;
  tw::Deferred<std::string> d = tw::succeed(std::string("success"));
  d.addCallback([&](const std::string& s) { results.push_back(s); });
  EXPECT_EQ(results, std::vector<std::string>{"success"});
}

// An errback added to a failed Deferred runs at once with the failure.
// Twisted: test_defer.DeferredTests.testImmediateFailure
TEST(DeferredTests, immediateFailure) {
  ExpectNoLoggedErrors noErrors;
  std::vector<std::string> messages;
  tw::Deferred<void> d = tw::fail(GenericError("fail"));
  d.addErrback([&](const tw::Failure& f) { messages.push_back(f.getErrorMessage()); });
  EXPECT_EQ(messages, std::vector<std::string>{"fail"});
}

// succeed() holds its value without running anything; fail() holds the Failure it was given.
TEST(DeferredTests, succeedAndFail) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> ok = tw::succeed(7);
  EXPECT_TRUE(ok.called());
  ASSERT_NE(ok.valueResult(), nullptr);
  EXPECT_EQ(*ok.valueResult(), 7);

  tw::Deferred<void> none = tw::succeed();
  EXPECT_TRUE(none.hasResult());
  EXPECT_EQ(none.failureResult(), nullptr);

  tw::Failure failure(GenericError("bad"));
  tw::Deferred<int> bad = tw::fail<int>(failure);
  ASSERT_NE(bad.failureResult(), nullptr);
  EXPECT_EQ(*bad.failureResult(), failure);
  EXPECT_EQ(bad.valueResult(), nullptr);
  bad.addErrback([](const tw::Failure&) { return 0; });
}

// A callback that throws, or returns a Failure, sends the chain to the next errback.
// Twisted: test_defer.DeferredTests.testCallbackErrors
TEST(DeferredTests, callbackErrors) {
  ExpectNoLoggedErrors noErrors;
  std::vector<tw::Failure> failures;
  tw::Deferred<int> d1;
  d1.addCallback([](int) -> int {
      throw std::domain_error("division by zero");
    }).addErrback([&](tw::Failure f) {
    failures.push_back(f);
    return 0;
  });
  d1.callback(1);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].value<std::domain_error>(), nullptr);

  failures.clear();
  tw::Deferred<int> d2;
  d2.addCallback([](int) {
      return tw::Failure(std::domain_error("division by zero"));
    }).addErrback([&](tw::Failure f) {
    failures.push_back(f);
    return 0;
  });
  d2.callback(1);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].value<std::domain_error>(), nullptr);
}

// callback(failure) is errback(failure): the errbacks run.
// Twisted: DEF-58 (Deferred.callback with a Failure)
TEST(DeferredTests, callbackWithFailureIsErrback) {
  ExpectNoLoggedErrors noErrors;
  std::vector<std::string> calls;
  tw::Deferred<int> d;
  d.addCallbacks(
      [&](int) {
        calls.push_back("callback");
        return 0;
      },
      [&](const tw::Failure& f) {
        calls.push_back("errback " + f.getErrorMessage());
        return 0;
      });
  d.callback(tw::Failure(GenericError("x")));
  EXPECT_EQ(calls, std::vector<std::string>{"errback x"});
}

// errback() inside a catch block fires with the exception being handled; outside one it throws
// NoCurrentExceptionError and leaves the Deferred unfired.
// Twisted: test_defer.DeferredTests.test_errbackWithNoArgsNoDebug, DEF-60
TEST(DeferredTests, errbackWithNoArgs) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<void> d;
  EXPECT_THROW(d.errback(), tw::NoCurrentExceptionError);
  EXPECT_FALSE(d.called());

  const GenericError* thrown = nullptr;
  try {
    throw GenericError("Bang");
  } catch (const GenericError& e) {
    thrown = &e;
    d.errback();
    // The Failure shares the very exception object being handled.
    ASSERT_NE(d.failureResult(), nullptr);
    EXPECT_EQ(d.failureResult()->value<GenericError>(), thrown);
  }
  std::vector<std::string> messages;
  d.addErrback([&](const tw::Failure& f) { messages.push_back(f.getErrorMessage()); });
  EXPECT_EQ(messages, std::vector<std::string>{"Bang"});
}

// An errback that returns a value recovers: the next callback gets it.
TEST(DeferredTests, errbackRecovers) {
  std::vector<int> results;
  tw::Deferred<int> d;
  d.addErrback([](const tw::Failure&) { return 5; }).addCallback([&](int x) {
    results.push_back(x);
  });
  d.errback(GenericError());
  EXPECT_EQ(results, std::vector<int>{5});
}

// An errback that rethrows, or returns a Failure, keeps the chain failing; returning a Failure
// does not rethrow.
TEST(DeferredTests, errbackKeepsFailing) {
  ExpectNoLoggedErrors noErrors;
  std::vector<std::string> calls;
  tw::Deferred<int> d;
  d.addErrback([&](tw::Failure f) -> int {
     calls.push_back("rethrow");
     f.raiseException();
   })
      .addErrback([&](tw::Failure f) {
        calls.push_back("return " + f.getErrorMessage());
        return tw::Failure(std::logic_error("replaced"));
      })
      .addCallback([&](int) { calls.push_back("callback"); })
      .addErrback([&](const tw::Failure& f) {
        calls.push_back("last " + f.getErrorMessage());
        EXPECT_NE(f.check<std::logic_error>(), nullptr);
      });
  d.errback(GenericError("first"));
  EXPECT_EQ(calls, (std::vector<std::string>{"rethrow", "return first", "last replaced"}));
}

// Pair semantics: only one side of an addCallbacks pair runs, and an exception thrown by the
// callback is seen by the next pair's errback, not by its own pair's.
// Twisted: DEF-04 (addCallbacks pair semantics)
TEST(DeferredTests, addCallbacksPairSemantics) {
  ExpectNoLoggedErrors noErrors;
  std::vector<std::string> calls;
  tw::Deferred<int> d;
  d.addCallbacks(
       [&](int x) -> int {
         calls.push_back("cb1 " + std::to_string(x));
         throw GenericError("from cb1");
       },
       [&](const tw::Failure&) {
         calls.push_back("eb1");
         return 0;
       })
      .addCallbacks(
          [&](int) {
            calls.push_back("cb2");
            return 0;
          },
          [&](const tw::Failure& f) {
            calls.push_back("eb2 " + f.getErrorMessage());
            return 2;
          })
      .addCallbacks(
          [&](int x) {
            calls.push_back("cb3 " + std::to_string(x));
            return x;
          },
          [&](const tw::Failure&) {
            calls.push_back("eb3");
            return 0;
          });
  d.callback(1);
  EXPECT_EQ(calls, (std::vector<std::string>{"cb1 1", "eb2 from cb1", "cb3 2"}));
}

// addCallback is (f, pass-through): a failure skips it and reaches the next errback unchanged.
// Twisted: test_defer.DeferredTests.test_addCallbacksNoneErrback
TEST(DeferredTests, addCallbacksNoneErrback) {
  ExpectNoLoggedErrors noErrors;
  bool called = false;
  std::vector<tw::Failure> failures;
  tw::Failure error(GenericError("oopsie"));
  tw::Deferred<int> deferred;
  deferred.addCallback([&](int x) {
    called = true;
    return x;
  });
  deferred.errback(error);
  deferred.addErrback([&](tw::Failure f) {
    failures.push_back(f);
    return 0;
  });
  EXPECT_FALSE(called);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0], error);  // the very same exception object
}

// addErrback is (pass-through, f): a value skips it.
TEST(DeferredTests, addErrbackPassesValuesThrough) {
  bool errbackCalled = false;
  std::vector<int> results;
  tw::Deferred<int> d;
  d.addErrback([&](const tw::Failure&) {
     errbackCalled = true;
     return 0;
   }).addCallback([&](int x) { results.push_back(x); });
  d.callback(3);
  EXPECT_FALSE(errbackCalled);
  EXPECT_EQ(results, std::vector<int>{3});
}

// addBoth runs its callable on either track, with the value or with the Failure.
TEST(DeferredTests, addBoth) {
  ExpectNoLoggedErrors noErrors;
  std::vector<std::string> calls;
  auto both = [&](auto result) {
    if constexpr (std::is_same_v<decltype(result), tw::Failure>) {
      calls.push_back("failure " + result.getErrorMessage());
    } else {
      calls.push_back("value " + std::to_string(result));
    }
    return result;
  };
  tw::Deferred<int> ok;
  ok.addBoth(both);
  ok.callback(1);
  tw::Deferred<int> bad;
  bad.addBoth(both).addErrback([](const tw::Failure&) { return 0; });
  bad.errback(GenericError("no"));
  EXPECT_EQ(calls, (std::vector<std::string>{"value 1", "failure no"}));

  calls.clear();
  tw::Deferred<void> v;
  v.addBoth(Overloaded{[&] { calls.push_back("void value"); },
                       [&](const tw::Failure&) { calls.push_back("void failure"); }});
  v.errback(GenericError());
  EXPECT_EQ(calls, std::vector<std::string>{"void failure"});
  EXPECT_TRUE(v.hasResult());
  EXPECT_EQ(v.failureResult(), nullptr);  // the errback side recovered
}

// An errback may recover with a Deferred: the chain waits for it.
TEST(DeferredTests, errbackReturningDeferred) {
  std::vector<int> results;
  tw::Deferred<int> later;
  tw::Deferred<int> d;
  d.addErrback([&](const tw::Failure&) { return later; }).addCallback([&](int x) {
    results.push_back(x);
  });
  d.errback(GenericError());
  EXPECT_TRUE(results.empty());
  EXPECT_TRUE(d.isWaiting());
  later.callback(9);
  EXPECT_EQ(results, std::vector<int>{9});
}

// A callback added by a callback of the same Deferred goes to the end of the chain.
// Twisted: test_defer.DeferredTests.test_reentrantRunCallbacks
TEST(DeferredTests, reentrantRunCallbacks) {
  tw::Deferred<void> deferred;
  std::vector<int> called;
  deferred.addCallback([&] {
    called.push_back(1);
    deferred.addCallback([&] { called.push_back(3); });
  });
  deferred.addCallback([&] { called.push_back(2); });
  deferred.callback();
  EXPECT_EQ(called, (std::vector<int>{1, 2, 3}));
}

// A callback added by a running callback does not run until that callback returns.
// Twisted: test_defer.DeferredTests.test_nonReentrantCallbacks
TEST(DeferredTests, nonReentrantCallbacks) {
  tw::Deferred<void> deferred;
  std::vector<int> called;
  deferred.addCallback([&] {
    called.push_back(1);
    deferred.addCallback([&] { called.push_back(2); });
    EXPECT_EQ(called, std::vector<int>{1});
  });
  deferred.callback();
  EXPECT_EQ(called, (std::vector<int>{1, 2}));
}

// An exception from a callback added by a callback reaches the first errback after it.
// Twisted: test_defer.DeferredTests.test_reentrantRunCallbacksWithFailure
TEST(DeferredTests, reentrantRunCallbacksWithFailure) {
  ExpectNoLoggedErrors noErrors;
  const std::string exceptionMessage = "callback raised exception";
  tw::Deferred<void> deferred;
  deferred.addCallback(
      [&] { deferred.addCallback([&] { throw std::runtime_error(exceptionMessage); }); });
  deferred.callback();
  ASSERT_NE(deferred.failureResult(), nullptr);
  EXPECT_NE(deferred.failureResult()->check<std::runtime_error>(), nullptr);
  EXPECT_EQ(deferred.failureResult()->getErrorMessage(), exceptionMessage);
  deferred.addErrback([](const tw::Failure&) {});
}

// A callback added through a stale handle, typed for a result the chain no longer holds, fails
// the chain with ResultTypeError instead of misreading the result.
TEST(DeferredTests, staleHandleGetsResultTypeError) {
  ExpectNoLoggedErrors noErrors;
  bool called = false;
  std::vector<tw::Failure> failures;
  tw::Deferred<int> d;
  d.addCallback([](int x) { return std::to_string(x); });
  d.addCallback([&](int) { called = true; })  // the chain holds a std::string by now
      .addErrback([&](tw::Failure f) { failures.push_back(f); });
  d.callback(1);
  EXPECT_FALSE(called);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].check<tw::ResultTypeError>(), nullptr);
  EXPECT_NE(failures[0].getErrorMessage().find("int"), std::string::npos);
}

// Firing twice ------------------------------------------------------------------------------

// A second callback() raises AlreadyCalledError.
// Twisted: test_defer.AlreadyCalledTests.testAlreadyCalled_CC
TEST(AlreadyCalledTests, alreadyCalledCC) {
  tw::Deferred<std::string> d;
  d.addCallbacks([](const std::string& s) { return s; }, [](const tw::Failure&) { return ""; });
  d.callback("hello");
  EXPECT_THROW(d.callback("twice"), tw::AlreadyCalledError);
  ASSERT_NE(d.valueResult(), nullptr);
  EXPECT_EQ(*d.valueResult(), "hello");
}

// errback() after callback() raises AlreadyCalledError.
// Twisted: test_defer.AlreadyCalledTests.testAlreadyCalled_CE
TEST(AlreadyCalledTests, alreadyCalledCE) {
  tw::Deferred<std::string> d;
  d.callback("hello");
  EXPECT_THROW(d.errback(std::runtime_error("")), tw::AlreadyCalledError);
  EXPECT_NE(d.valueResult(), nullptr);
}

// A second errback() raises AlreadyCalledError.
// Twisted: test_defer.AlreadyCalledTests.testAlreadyCalled_EE
TEST(AlreadyCalledTests, alreadyCalledEE) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<std::string> d;
  d.errback(std::runtime_error("first"));
  EXPECT_THROW(d.errback(std::runtime_error("second")), tw::AlreadyCalledError);
  ASSERT_NE(d.failureResult(), nullptr);
  EXPECT_EQ(d.failureResult()->getErrorMessage(), "first");
  d.addErrback([](const tw::Failure&) { return std::string(); });
}

// callback() after errback() raises AlreadyCalledError.
// Twisted: test_defer.AlreadyCalledTests.testAlreadyCalled_EC
TEST(AlreadyCalledTests, alreadyCalledEC) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<std::string> d;
  d.errback(std::runtime_error("first"));
  EXPECT_THROW(d.callback("twice"), tw::AlreadyCalledError);
  d.addErrback([](const tw::Failure&) { return std::string(); });
}

// The AlreadyCalledError message names the first fire and the second one (file:line of each).
// Twisted: test_defer.AlreadyCalledTests.testAlreadyCalledDebug_CC
TEST(AlreadyCalledTests, alreadyCalledNamesBothInvokers) {
  tw::Deferred<int> d;
  const unsigned firstLine = __LINE__ + 1;
  d.callback(1);
  std::string message;
  const unsigned secondLine = __LINE__ + 2;
  try {
    d.callback(2);
  } catch (const tw::AlreadyCalledError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("deferred_test.cpp:" + std::to_string(firstLine)), std::string::npos)
      << message;
  EXPECT_NE(message.find("deferred_test.cpp:" + std::to_string(secondLine)), std::string::npos)
      << message;
}

// Pause -------------------------------------------------------------------------------------

// A paused Deferred holds its failure until unpaused.
// Twisted: test_defer.DeferredTests.testPausedFailure
TEST(DeferredTests, pausedFailure) {
  ExpectNoLoggedErrors noErrors;
  std::vector<std::string> messages;
  tw::Deferred<void> d = tw::fail(GenericError("fail"));
  d.pause();
  d.addErrback([&](const tw::Failure& f) { messages.push_back(f.getErrorMessage()); });
  EXPECT_TRUE(messages.empty());
  EXPECT_FALSE(d.hasResult());
  d.unpause();
  EXPECT_EQ(messages, std::vector<std::string>{"fail"});
}

// pause() and unpause() before firing change nothing: the callbacks run when it fires.
// Twisted: test_defer.DeferredTests.testUnpauseBeforeCallback
TEST(DeferredTests, unpauseBeforeCallback) {
  std::vector<int> results;
  tw::Deferred<int> d;
  d.pause();
  d.addCallback([&](int x) { results.push_back(x); });
  d.unpause();
  EXPECT_TRUE(results.empty());
  d.callback(4);
  EXPECT_EQ(results, std::vector<int>{4});
}

// Pauses nest: the callbacks run after as many unpause() calls as pause() calls.
// Twisted: DEF-09, DEF-10
TEST(DeferredTests, pausesNest) {
  std::vector<int> results;
  tw::Deferred<int> d;
  d.addCallback([&](int x) { results.push_back(x); });
  d.pause();
  d.pause();
  EXPECT_EQ(d.paused(), 2);
  d.callback(1);
  d.unpause();
  EXPECT_TRUE(results.empty());
  EXPECT_EQ(d.paused(), 1);
  d.unpause();
  EXPECT_EQ(results, std::vector<int>{1});
  EXPECT_EQ(d.paused(), 0);
}

// unpause() without pause() throws NotPausedError and leaves the Deferred usable.
// Differs from Twisted: Twisted drives the count to -1 and the Deferred never runs again.
TEST(DeferredTests, unpauseWithoutPauseThrows) {
  std::vector<int> results;
  tw::Deferred<int> d;
  EXPECT_THROW(d.unpause(), tw::NotPausedError);
  EXPECT_EQ(d.paused(), 0);
  d.addCallback([&](int x) { results.push_back(x); });
  d.callback(2);
  EXPECT_THROW(d.unpause(), tw::NotPausedError);
  EXPECT_EQ(results, std::vector<int>{2});
}

// A callback that pauses its own Deferred does not stop the loop it runs in; callbacks added
// afterwards wait for unpause().
TEST(DeferredTests, pauseInsideCallback) {
  std::vector<int> calls;
  tw::Deferred<void> d;
  d.addCallback([&] {
    calls.push_back(1);
    d.pause();
  });
  d.addCallback([&] { calls.push_back(2); });
  d.callback();
  EXPECT_EQ(calls, (std::vector<int>{1, 2}));
  EXPECT_EQ(d.paused(), 1);
  d.addCallback([&] { calls.push_back(3); });
  EXPECT_EQ(calls, (std::vector<int>{1, 2}));
  d.unpause();
  EXPECT_EQ(calls, (std::vector<int>{1, 2, 3}));
}

// Chaining: a callback returning a Deferred -----------------------------------------------------

// A callback returning a paused Deferred makes the chain wait for its unpause, and the chain
// continues with that Deferred's result.
// Twisted: test_defer.DeferredTests.testReturnDeferred
TEST(DeferredTests, returnDeferred) {
  std::vector<int> results;
  tw::Deferred<int> d1;
  tw::Deferred<int> d2;
  d2.pause();
  d1.addCallback([&](int) { return d2; });
  d1.addCallback([&](int x) { results.push_back(x); });
  d1.callback(1);
  EXPECT_TRUE(results.empty());
  d2.callback(2);
  EXPECT_TRUE(results.empty());
  d2.unpause();
  EXPECT_EQ(results, std::vector<int>{2});
}

// A paused Deferred that has a result, returned from a callback, is waited on until unpaused.
// Twisted: test_defer.DeferredTests.test_chainedPausedDeferredWithResult
TEST(DeferredTests, chainedPausedDeferredWithResult) {
  std::vector<int> result;
  tw::Deferred<int> paused;
  paused.callback(42);
  paused.pause();
  tw::Deferred<void> chained;
  chained.addCallback([&] { return paused; }).addCallback([&](int x) { result.push_back(x); });
  chained.callback();
  EXPECT_TRUE(result.empty());
  EXPECT_TRUE(chained.isWaiting());
  paused.unpause();
  EXPECT_EQ(result, std::vector<int>{42});
}

// Pausing the waiting Deferred does not block the one it waits on: that one hands over its
// result and goes on with its own callbacks (which find the result taken).
// Twisted: test_defer.DeferredTests.test_pausedDeferredChained
// Differs from Twisted: the later callback gets ResultConsumedError, not None.
TEST(DeferredTests, pausedDeferredChained) {
  ExpectNoLoggedErrors noErrors;
  std::vector<std::string> calls;
  tw::Deferred<void> first;
  tw::Deferred<int> second;
  auto firstInt = first.addCallback([&] { return second; });
  first.callback();
  first.pause();
  second.callback(5);
  second.addCallback([&](int) { calls.push_back("second callback"); })
      .addErrback([&](const tw::Failure& f) {
        if (f.check<tw::ResultConsumedError>()) calls.push_back("second consumed");
      });
  EXPECT_EQ(calls, std::vector<std::string>{"second consumed"});
  firstInt.addCallback([&](int x) { calls.push_back("first " + std::to_string(x)); });
  EXPECT_EQ(calls.size(), 1u);
  first.unpause();
  EXPECT_EQ(calls, (std::vector<std::string>{"second consumed", "first 5"}));
}

// A fired Deferred returned from a callback gives its result to the outer one at once; its own
// result is taken (a later callback on it gets ResultConsumedError).
// Twisted: test_defer.DeferredTests.test_synchronousImplicitChain
// Differs from Twisted: the inner Deferred's later callbacks get ResultConsumedError, not None.
TEST(DeferredTests, synchronousImplicitChain) {
  ExpectNoLoggedErrors noErrors;
  auto object = std::make_shared<int>(1);
  tw::Deferred<std::shared_ptr<int>> first = tw::succeed(object);
  tw::Deferred<void> second;
  auto secondPtr = second.addCallback([&] { return first; });
  second.callback();
  EXPECT_TRUE(first.isConsumed());
  EXPECT_FALSE(second.isWaiting());

  std::vector<std::string> calls;
  first.addCallback([&](const std::shared_ptr<int>&) { calls.push_back("first callback"); })
      .addErrback([&](const tw::Failure& f) {
        EXPECT_NE(f.check<tw::ResultConsumedError>(), nullptr);
        calls.push_back("first consumed");
      });
  secondPtr.addCallback([&](const std::shared_ptr<int>& p) {
    EXPECT_EQ(p, object);
    calls.push_back("second");
  });
  EXPECT_EQ(calls, (std::vector<std::string>{"first consumed", "second"}));
}

// An unfired Deferred returned from a callback: the outer Deferred gets its result as soon as it
// fires, before the callbacks added to the inner one after the outer began waiting (those find
// the result taken).
// Twisted: test_defer.DeferredTests.test_asynchronousImplicitChain
// Differs from Twisted: the inner Deferred's later callbacks get ResultConsumedError, not None.
TEST(DeferredTests, asynchronousImplicitChain) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> first;
  tw::Deferred<void> second;
  auto secondInt = second.addCallback([&] { return first; });
  second.callback();

  std::vector<std::string> calls;
  first.addCallback([&](int x) { calls.push_back("first " + std::to_string(x)); })
      .addErrback([&](const tw::Failure& f) {
        if (f.check<tw::ResultConsumedError>()) calls.push_back("first consumed");
      });
  secondInt.addCallback([&](int x) { calls.push_back("second " + std::to_string(x)); });
  EXPECT_TRUE(calls.empty());

  first.callback(17);
  EXPECT_EQ(calls, (std::vector<std::string>{"second 17", "first consumed"}));
}

// A failed Deferred returned from a callback: the outer Deferred gets the failure, and the inner
// one no longer holds it (nothing is logged for it).
// Twisted: test_defer.DeferredTests.test_synchronousImplicitErrorChain
TEST(DeferredTests, synchronousImplicitErrorChain) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<void> first = tw::fail(std::runtime_error("First Deferred's Failure"));
  tw::Deferred<void> second;
  second.addCallback([&] { return first; });
  second.callback();
  EXPECT_TRUE(first.isConsumed());
  EXPECT_EQ(first.failureResult(), nullptr);
  ASSERT_NE(second.failureResult(), nullptr);
  EXPECT_NE(second.failureResult()->check<std::runtime_error>(), nullptr);
  second.addErrback([](const tw::Failure&) {});
}

// An unfired Deferred returned from a callback fails later: the outer gets the failure.
// Twisted: test_defer.DeferredTests.test_asynchronousImplicitErrorChain
TEST(DeferredTests, asynchronousImplicitErrorChain) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<void> first;
  tw::Deferred<void> second;
  second.addCallback([&] { return first; });
  second.callback();
  std::vector<tw::Failure> secondErrors;
  std::vector<std::string> secondResults;
  second.addErrback([&](tw::Failure f) { secondErrors.push_back(f); });
  second.addCallback([&] { secondResults.push_back("recovered"); });
  EXPECT_TRUE(secondErrors.empty());

  first.errback(std::runtime_error("First Deferred's Failure"));
  ASSERT_EQ(secondErrors.size(), 1u);
  EXPECT_NE(secondErrors[0].check<std::runtime_error>(), nullptr);
  EXPECT_EQ(secondResults, std::vector<std::string>{"recovered"});
  EXPECT_TRUE(first.isConsumed());
}

// Chaining is transitive: C waits on B waits on A; A's result reaches C.
// Twisted: test_defer.DeferredTests.test_doubleAsynchronousImplicitChaining
TEST(DeferredTests, doubleAsynchronousImplicitChaining) {
  tw::Deferred<int> first;
  tw::Deferred<void> second;
  auto secondInt = second.addCallback([&] { return first; });
  tw::Deferred<void> third;
  std::vector<int> thirdResult;
  third.addCallback([&] { return secondInt; }).addCallback([&](int x) {
    thirdResult.push_back(x);
  });
  second.callback();
  third.callback();
  EXPECT_TRUE(thirdResult.empty());
  EXPECT_TRUE(second.isWaiting());
  EXPECT_TRUE(third.isWaiting());
  first.callback(99);
  EXPECT_EQ(thirdResult, std::vector<int>{99});
  EXPECT_FALSE(second.isWaiting());
  EXPECT_FALSE(third.isWaiting());
}

// A callback may return a Deferred that is itself waiting on another: the middle Deferred's
// callbacks run when the innermost fires, before the outer goes on.
// Twisted: test_defer.DeferredTests.test_nestedAsynchronousChainedDeferreds
TEST(DeferredTests, nestedAsynchronousChainedDeferreds) {
  ExpectNoLoggedErrors noErrors;
  std::vector<std::string> results;
  std::vector<tw::Failure> failures;
  tw::Deferred<std::string> inner;

  auto cb = [&](const std::string& result) {
    results.push_back("start-of-cb " + result);
    tw::Deferred<std::string> d = tw::succeed(std::string("inner"));
    auto out = d.addCallback([&](const std::string&) {
                  results.push_back("firstCallback inner");
                  return inner;
                }).addCallback([&](const std::string& r) {
      results.push_back("secondCallback " + r);
      return r + r;
    });
    out.addErrback([&](tw::Failure f) {
      failures.push_back(f);
      return std::string();
    });
    return out;
  };

  tw::Deferred<std::string> outer = tw::succeed(std::string("outer"));
  outer.addCallback(cb).addCallback([&](const std::string& r) { results.push_back(r); });
  EXPECT_EQ(results, (std::vector<std::string>{"start-of-cb outer", "firstCallback inner"}));

  inner.callback("orange");
  EXPECT_TRUE(failures.empty());
  EXPECT_EQ(results, (std::vector<std::string>{"start-of-cb outer", "firstCallback inner",
                                               "secondCallback orange", "orangeorange"}));
}

// As above, with a callback added to the innermost Deferred before it is returned: that callback
// runs first and transforms the value the outer chains see.
// Twisted: test_defer.DeferredTests.test_nestedAsynchronousChainedDeferredsWithExtraCallbacks
TEST(DeferredTests, nestedAsynchronousChainedDeferredsWithExtraCallbacks) {
  ExpectNoLoggedErrors noErrors;
  std::vector<std::string> results;
  tw::Deferred<std::string> inner;
  using Strings = std::vector<std::string>;

  auto cb = [&](const std::string& result) {
    results.push_back("start-of-cb " + result);
    tw::Deferred<std::string> d = tw::succeed(std::string("inner"));
    return d
        .addCallback([&](const std::string& r) {
          results.push_back("firstCallback " + r);
          return inner.addCallback([](const std::string& s) { return Strings{s}; });
        })
        .addCallback([&](const Strings& r) {
          results.push_back("secondCallback [" + r[0] + "]");
          Strings twice = r;
          twice.insert(twice.end(), r.begin(), r.end());
          return twice;
        });
  };

  tw::Deferred<std::string> outer = tw::succeed(std::string("outer"));
  std::vector<Strings> finals;
  outer.addCallback(cb).addCallback([&](const Strings& r) { finals.push_back(r); });
  EXPECT_EQ(results, (std::vector<std::string>{"start-of-cb outer", "firstCallback inner"}));

  inner.callback("withers");
  EXPECT_EQ(results, (std::vector<std::string>{"start-of-cb outer", "firstCallback inner",
                                               "secondCallback [withers]"}));
  EXPECT_EQ(finals, (std::vector<Strings>{{"withers", "withers"}}));
}

// Callbacks on a fired Deferred that waits on a third are kept and run, in order, once the third
// fires, before the outermost Deferred gets the result.
// Twisted: test_defer.DeferredTests.test_innerCallbacksPreserved
TEST(DeferredTests, innerCallbacksPreserved) {
  ExpectNoLoggedErrors noErrors;
  std::vector<std::string> results;
  tw::Deferred<std::string> inner;
  auto cb = [&](const std::string& result) {
    results.push_back("start-of-cb " + result);
    tw::Deferred<std::string> d = tw::succeed(std::string("inner"));
    return d
        .addCallback([&](const std::string&) {
          results.push_back("firstCallback inner");
          return inner;
        })
        .addCallback([&](const std::string& r) {
          results.push_back("secondCallback " + r);
          return r + r;
        });
  };
  tw::Deferred<std::string> outer = tw::succeed(std::string("outer"));
  auto last = outer.addCallback(cb);
  inner.callback("orange");
  last.addCallback([&](const std::string& r) { results.push_back(r); });
  EXPECT_EQ(results, (std::vector<std::string>{"start-of-cb outer", "firstCallback inner",
                                               "secondCallback orange", "orangeorange"}));
}

// The continuation of a waiting Deferred need not be the first callback of the Deferred it
// waits on: the callbacks before it run first.
// Twisted: test_defer.DeferredTests.test_continueCallbackNotFirst
TEST(DeferredTests, continueCallbackNotFirst) {
  ExpectNoLoggedErrors noErrors;
  using Strings = std::vector<std::string>;
  std::vector<std::string> results;
  tw::Deferred<std::string> a;
  auto cb = [&](const std::string& result) {
    results.push_back("cb " + result);
    tw::Deferred<void> d;
    auto out =
        d.addCallback([&] {
           results.push_back("firstCallback");
           return a.addCallback([](const std::string& s) { return Strings{s}; });
         }).addCallback([&](const Strings& r) { results.push_back("secondCallback " + r[0]); });
    d.callback();
    return out;
  };
  tw::Deferred<std::string> outer = tw::succeed(std::string("outer"));
  outer.addCallback(cb);
  EXPECT_EQ(results, (std::vector<std::string>{"cb outer", "firstCallback"}));
  a.callback("withers");
  EXPECT_EQ(results,
            (std::vector<std::string>{"cb outer", "firstCallback", "secondCallback withers"}));
  EXPECT_TRUE(outer.hasResult());
}

// A callback added after one that returned a Deferred runs after that Deferred's callbacks.
// Twisted: test_defer.DeferredTests.test_callbackOrderPreserved
TEST(DeferredTests, callbackOrderPreserved) {
  ExpectNoLoggedErrors noErrors;
  using Strings = std::vector<std::string>;
  std::vector<std::string> results;
  tw::Deferred<std::string> a;
  auto cb = [&](const std::string& result) {
    results.push_back("cb " + result);
    tw::Deferred<void> d;
    auto out =
        d.addCallback([&] {
           results.push_back("firstCallback");
           return a.addCallback([](const std::string& s) { return Strings{s}; });
         }).addCallback([&](const Strings& r) { results.push_back("secondCallback " + r[0]); });
    d.callback();
    return out;
  };
  tw::Deferred<std::string> outer;
  outer.addCallback(cb).addCallback([&] { results.push_back("final"); });
  outer.callback("outer");
  EXPECT_EQ(results, (std::vector<std::string>{"cb outer", "firstCallback"}));
  a.callback("withers");
  EXPECT_EQ(results, (std::vector<std::string>{"cb outer", "firstCallback",
                                               "secondCallback withers", "final"}));
}

// With A waiting on B waiting on C, B's callbacks added after the chain formed run once C fires
// (and find the result handed on to A).
// Twisted: test_defer.DeferredTests.test_resultOfDeferredResultOfDeferredOfFiredDeferredCalled
// Differs from Twisted: B's late callback gets ResultConsumedError instead of None.
TEST(DeferredTests, resultOfDeferredResultOfDeferredOfFiredDeferredCalled) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<void> first;
  tw::Deferred<void> second;
  tw::Deferred<int> third;
  auto secondInt = second.addCallback([&] { return third; });
  auto firstInt = first.addCallback([&] { return secondInt; });
  second.callback();
  first.callback();
  third.callback(3);
  std::vector<std::string> results;
  second.addCallback([&] { results.push_back("second value"); }).addErrback([&](tw::Failure f) {
    if (f.check<tw::ResultConsumedError>()) results.push_back("second consumed");
  });
  firstInt.addCallback([&](int x) { results.push_back("first " + std::to_string(x)); });
  EXPECT_EQ(results, (std::vector<std::string>{"second consumed", "first 3"}));
}

// A waiting Deferred records what it waits on until that one fires.
// Twisted: test_defer.DeferredTests.test_chainDeferredRecordsImplicitChain,
// test_explicitChainClearedWhenResolved
TEST(DeferredTests, implicitChainRecordedUntilResolved) {
  tw::Deferred<void> a;
  tw::Deferred<void> b;
  a.addCallback([&] { return b; });
  EXPECT_FALSE(a.isWaiting());
  a.callback();
  EXPECT_TRUE(a.isWaiting());
  EXPECT_EQ(a.paused(), 1);
  EXPECT_FALSE(a.hasResult());
  b.callback();
  EXPECT_FALSE(a.isWaiting());
  EXPECT_EQ(a.paused(), 0);
  EXPECT_TRUE(a.hasResult());
}

// A callback returning its own Deferred fails the chain with CallbackReturnedSelfError (at that
// callback's addCallback site), and later callbacks run.
// Twisted: test_defer.DeferredTests.test_circularChainWarning, test_circularChainException
// Differs from Twisted: Twisted warns, then waits on itself forever.
TEST(DeferredTests, callbackReturningItsOwnDeferred) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<std::string> d;
  const unsigned line = __LINE__ + 1;
  d.addCallback([&](const std::string&) { return d; });
  std::vector<tw::Failure> failures;
  d.addErrback([&](tw::Failure f) {
    failures.push_back(f);
    return std::string("recovered");
  });
  d.callback("foo");
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].check<tw::CallbackReturnedSelfError>(), nullptr);
  EXPECT_EQ(failures[0].where().line(), line);
  EXPECT_FALSE(d.isWaiting());
  EXPECT_EQ(d.paused(), 0);
  ASSERT_NE(d.valueResult(), nullptr);
  EXPECT_EQ(*d.valueResult(), "recovered");
}

// A callback returning a Deferred whose result another consumer took fails the chain with
// ResultConsumedError.
// Differs from Twisted: Twisted would continue with None.
TEST(DeferredTests, returningConsumedDeferred) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> inner = tw::succeed(1);
  tw::Deferred<void> taker;
  taker.addCallback([&] { return inner; });
  taker.callback();
  ASSERT_TRUE(inner.isConsumed());

  std::vector<std::string> calls;
  tw::Deferred<void> late;
  late.addCallback([&] { return inner; })
      .addCallback([&](int) { calls.push_back("value"); })
      .addErrback([&](const tw::Failure& f) {
        if (f.check<tw::ResultConsumedError>()) calls.push_back("consumed");
      });
  late.callback();
  EXPECT_EQ(calls, std::vector<std::string>{"consumed"});
}

// chainDeferred ---------------------------------------------------------------------------------

// chainDeferred(other) fires other with this Deferred's value; this chain continues with void.
// Twisted: DEF-28 (chainDeferred)
TEST(DeferredTests, chainDeferredValue) {
  std::vector<std::string> calls;
  tw::Deferred<int> a;
  tw::Deferred<int> b;
  b.addCallback([&](int x) { calls.push_back("b " + std::to_string(x)); });
  tw::Deferred<void> rest = a.chainDeferred(b);
  rest.addCallback([&] { calls.push_back("a continues"); });
  EXPECT_FALSE(b.called());
  a.callback(3);
  EXPECT_EQ(calls, (std::vector<std::string>{"b 3", "a continues"}));
}

// chainDeferred(other) errbacks other with this Deferred's failure; this chain recovers.
TEST(DeferredTests, chainDeferredFailure) {
  ExpectNoLoggedErrors noErrors;
  tw::Failure failure(GenericError("chained"));
  std::vector<tw::Failure> received;
  tw::Deferred<void> a;
  tw::Deferred<void> b;
  b.addErrback([&](tw::Failure f) { received.push_back(f); });
  tw::Deferred<void> rest = a.chainDeferred(b);
  a.errback(failure);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0], failure);
  EXPECT_TRUE(rest.hasResult());
  EXPECT_EQ(rest.failureResult(), nullptr);
}

// chainDeferred to a Deferred that has already fired fails this chain with AlreadyCalledError.
TEST(DeferredTests, chainDeferredToFiredDeferred) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> a;
  tw::Deferred<int> b = tw::succeed(1);
  std::vector<tw::Failure> failures;
  a.chainDeferred(b).addErrback([&](tw::Failure f) { failures.push_back(f); });
  a.callback(2);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].check<tw::AlreadyCalledError>(), nullptr);
  EXPECT_EQ(*b.valueResult(), 1);
}

// maybeDeferred ---------------------------------------------------------------------------------

// maybeDeferred wraps a synchronous result in a fired Deferred.
// Twisted: test_defer.DeferredTests.test_maybeDeferredSync, test_maybeDeferredSyncWithArgs
TEST(DeferredTests, maybeDeferredSync) {
  std::vector<int> results;
  bool failed = false;
  auto plusFive = [](int x) { return x + 5; };
  tw::Deferred<int> d = tw::maybeDeferred([&] { return plusFive(10); });
  d.addCallbacks(
      [&](int x) {
        results.push_back(x);
        return x;
      },
      [&](const tw::Failure&) {
        failed = true;
        return 0;
      });
  EXPECT_FALSE(failed);
  EXPECT_EQ(results, std::vector<int>{15});

  bool ran = false;
  tw::Deferred<void> v = tw::maybeDeferred([&] { ran = true; });
  EXPECT_TRUE(ran);
  EXPECT_TRUE(v.hasResult());
  EXPECT_EQ(v.failureResult(), nullptr);
}

// maybeDeferred turns an exception thrown by the function into a failed Deferred.
// Twisted: test_defer.DeferredTests.test_maybeDeferredSyncException
TEST(DeferredTests, maybeDeferredSyncException) {
  ExpectNoLoggedErrors noErrors;
  std::string expected;
  try {
    (void)std::stoi("ten");
  } catch (const std::invalid_argument& e) {
    expected = e.what();
  }
  std::vector<tw::Failure> errors;
  tw::Deferred<int> d = tw::maybeDeferred([] { return std::stoi("ten") + 5; });
  d.addErrback([&](tw::Failure f) {
    errors.push_back(f);
    return 0;
  });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].check<std::invalid_argument>(), nullptr);
  EXPECT_EQ(errors[0].getErrorMessage(), expected);
}

// maybeDeferred errbacks with a Failure the function returns (the same one).
// Twisted: test_defer.DeferredTests.test_maybeDeferredSyncFailure
TEST(DeferredTests, maybeDeferredSyncFailure) {
  ExpectNoLoggedErrors noErrors;
  tw::Failure expected(std::invalid_argument("bad"));
  std::vector<tw::Failure> errors;
  tw::Deferred<void> d = tw::maybeDeferred([&] { return expected; });
  d.addErrback([&](tw::Failure f) { errors.push_back(f); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], expected);
}

// maybeDeferred returns a Deferred the function returns, unchanged.
// Twisted: test_defer.DeferredTests.test_maybeDeferredAsync
TEST(DeferredTests, maybeDeferredAsync) {
  tw::Deferred<std::string> d1;
  tw::Deferred<std::string> d2 = tw::maybeDeferred([&] { return d1; });
  EXPECT_TRUE(d2 == d1);
  d1.callback("Success");
  std::vector<std::string> result;
  d2.addCallback([&](const std::string& s) { result.push_back(s); });
  EXPECT_EQ(result, std::vector<std::string>{"Success"});
}

// maybeDeferred of a function returning a Deferred that fails gives that failure.
// Twisted: test_defer.DeferredTests.test_maybeDeferredAsyncError
TEST(DeferredTests, maybeDeferredAsyncError) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<void> d1;
  tw::Deferred<void> d2 = tw::maybeDeferred([&] { return d1; });
  d1.errback(std::runtime_error("async"));
  ASSERT_NE(d2.failureResult(), nullptr);
  EXPECT_NE(d2.failureResult()->check<std::runtime_error>(), nullptr);
  d2.addErrback([](const tw::Failure&) {});
}

// repr ------------------------------------------------------------------------------------------

// repr() of an unfired Deferred shows its address only.
// Twisted: test_defer.DeferredTests.test_repr
TEST(DeferredTests, repr) {
  tw::Deferred<void> d;
  const std::string r = d.repr();
  EXPECT_EQ(r.rfind("<Deferred at 0x", 0), 0u) << r;
  EXPECT_EQ(r, "<Deferred at " + addressIn(r) + ">");
  EXPECT_GT(addressIn(r).size(), 2u);
  tw::Deferred<void> other;
  EXPECT_NE(addressIn(other.repr()), addressIn(r));
  tw::Deferred<void> copy = d;
  EXPECT_EQ(copy.repr(), r);  // handles on one chain share one repr
}

// repr() of a fired Deferred shows its current result (the type of a value, the Failure).
// Twisted: test_defer.DeferredTests.test_reprWithResult
// Differs from Twisted: a value is shown by its type (C++ values have no generic repr).
TEST(DeferredTests, reprWithResult) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> d;
  const std::string address = addressIn(d.repr());
  d.callback(1);
  EXPECT_EQ(d.repr(), "<Deferred at " + address + " current result: int>");

  tw::Deferred<int> bad;
  const std::string badAddress = addressIn(bad.repr());
  bad.errback(std::runtime_error("orange"));
  EXPECT_EQ(bad.repr(), "<Deferred at " + badAddress +
                            " current result: <tw::Failure std::runtime_error: orange>>");
  bad.addErrback([](const tw::Failure&) { return 0; });
}

// repr() of a Deferred waiting on another names that one; once resolved it no longer does.
// Twisted: test_defer.DeferredTests.test_reprWithChaining
TEST(DeferredTests, reprWithChaining) {
  tw::Deferred<void> a;
  tw::Deferred<void> b;
  const std::string aAddress = addressIn(a.repr());
  const std::string bAddress = addressIn(b.repr());
  a.addCallback([&] { return b; });
  a.callback();
  EXPECT_EQ(a.repr(), "<Deferred at " + aAddress + " waiting on Deferred at " + bAddress + ">");
  b.callback();
  EXPECT_EQ(b.repr(), "<Deferred at " + bAddress + " result consumed>");
  EXPECT_EQ(a.repr().rfind("<Deferred at " + aAddress + " current result: ", 0), 0u) << a.repr();
}

// Bounded stack depth ---------------------------------------------------------------------------

namespace {

/// Twisted's chainDeferreds(howMany): top waits on inner[n-1], which waits on inner[n-2], ...,
/// inner[0] waits on `last`. Returns the frame address at which top's next callback runs when
/// `last` fires.
const void* chainDeferreds(int howMany) {
  const void* frame = nullptr;
  tw::Deferred<void> top;
  std::vector<tw::Deferred<void>> innerDeferreds(howMany);
  std::vector<tw::Deferred<void>> originalInners = innerDeferreds;
  tw::Deferred<void> last;

  tw::Deferred<void> inner = innerDeferreds.back();
  innerDeferreds.pop_back();
  top.addCallback([inner] { return inner; });
  top.addCallback([&frame] { frame = __builtin_frame_address(0); });
  while (!innerDeferreds.empty()) {
    tw::Deferred<void> newInner = innerDeferreds.back();
    innerDeferreds.pop_back();
    inner.addCallback([newInner] { return newInner; });
    inner = newInner;
  }
  inner.addCallback([&last] { return last; });

  top.callback();
  for (tw::Deferred<void>& d : originalInners) d.callback();
  EXPECT_EQ(frame, nullptr);  // not yet: everything waits on `last`
  last.callback();
  EXPECT_TRUE(top.hasResult());
  return frame;
}

}  // namespace

// The stack does not grow with the number of Deferreds chained: the callback at the top of a
// chain of 100,000 Deferreds, each waiting on the next, runs at the same depth as with one.
// Twisted: test_defer.DeferredTests.test_boundedStackDepth
TEST(DeferredTests, boundedStackDepth) {
  const void* one = chainDeferreds(1);
  const void* two = chainDeferreds(2);
  const void* many = chainDeferreds(100000);
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one, two);
  EXPECT_EQ(one, many);
}

// 100,000 callbacks on one Deferred run in one loop: the first and the last at the same depth.
TEST(DeferredTests, longCallbackChainDoesNotGrowTheStack) {
  constexpr int kCallbacks = 100000;
  const void* firstFrame = nullptr;
  const void* lastFrame = nullptr;
  tw::Deferred<int> d;
  d.addCallback([&](int x) {
    firstFrame = __builtin_frame_address(0);
    return x + 1;
  });
  for (int i = 2; i < kCallbacks; ++i) d.addCallback([](int x) { return x + 1; });
  d.addCallback([&](int x) {
    lastFrame = __builtin_frame_address(0);
    return x + 1;
  });
  d.callback(0);
  ASSERT_NE(firstFrame, nullptr);
  EXPECT_EQ(firstFrame, lastFrame);
  ASSERT_NE(d.valueResult(), nullptr);
  EXPECT_EQ(*d.valueResult(), kCallbacks);
}

// 100,000 callbacks each returning an already-fired Deferred are taken in a loop.
TEST(DeferredTests, longChainOfFiredDeferredsIsIterative) {
  constexpr int kCallbacks = 100000;
  tw::Deferred<int> d;
  for (int i = 0; i < kCallbacks; ++i) {
    d.addCallback([](int x) { return tw::succeed(x + 1); });
  }
  d.callback(0);
  ASSERT_NE(d.valueResult(), nullptr);
  EXPECT_EQ(*d.valueResult(), kCallbacks);
}

// Dropping a chain of 100,000 unfired Deferreds, each waiting on the next, frees them all
// without recursion.
TEST(DeferredTests, droppingLongWaitingChainIsIterative) {
  constexpr int kDeferreds = 100000;
  std::vector<tw::Deferred<void>> chain(kDeferreds);
  for (int i = kDeferreds - 2; i >= 0; --i) {
    tw::Deferred<void> next = chain[i + 1];
    chain[i].addCallback([next] { return next; });
    chain[i].callback();
  }
  EXPECT_TRUE(chain.front().isWaiting());
  chain.clear();  // the last Deferred owns, through its continuation, all the others
}

// Cancellation ----------------------------------------------------------------------------------

// cancel() without a canceller errbacks with CancelledError; the callback does not run.
// Twisted: test_defer.DeferredCancellerTests.test_noCanceller
TEST(DeferredCancellerTests, noCanceller) {
  std::vector<std::string> calls;
  tw::Deferred<void> d;
  d.addCallbacks([&] { calls.push_back("callback"); },
                 [&](const tw::Failure& f) {
                   if (f.check<tw::CancelledError>()) calls.push_back("cancelled");
                 });
  d.cancel();
  EXPECT_EQ(calls, std::vector<std::string>{"cancelled"});
}

// After a canceller-less cancel(), one callback() is swallowed; the next fire raises.
// Twisted: test_defer.DeferredCancellerTests.test_raisesAfterCancelAndCallback
TEST(DeferredCancellerTests, raisesAfterCancelAndCallback) {
  tw::Deferred<int> d;
  d.addErrback([](const tw::Failure&) { return 0; });
  d.cancel();
  EXPECT_NO_THROW(d.callback(1));
  EXPECT_THROW(d.callback(2), tw::AlreadyCalledError);
  EXPECT_THROW(d.errback(std::runtime_error("")), tw::AlreadyCalledError);
}

// After a canceller-less cancel(), one errback() is swallowed; the next fire raises.
// Twisted: test_defer.DeferredCancellerTests.test_raisesAfterCancelAndErrback
TEST(DeferredCancellerTests, raisesAfterCancelAndErrback) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> d;
  d.addErrback([](const tw::Failure&) { return 0; });
  d.cancel();
  EXPECT_NO_THROW(d.errback(GenericError()));
  EXPECT_THROW(d.callback(2), tw::AlreadyCalledError);
  EXPECT_THROW(d.errback(std::runtime_error("")), tw::AlreadyCalledError);
}

// After cancel() and the swallowed callback(), further cancel() calls change nothing.
// Twisted: test_defer.DeferredCancellerTests.test_noCancellerMultipleCancelsAfterCancelAndCallback
TEST(DeferredCancellerTests, noCancellerMultipleCancelsAfterCancelAndCallback) {
  std::vector<tw::Failure> errors;
  tw::Deferred<int> d;
  d.addErrback([&](tw::Failure f) {
    errors.push_back(f);
    return 0;
  });
  d.cancel();
  d.callback(1);
  d.cancel();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].check<tw::CancelledError>(), nullptr);
  EXPECT_EQ(*d.valueResult(), 0);
}

// After cancel() and the swallowed errback(), the result is still the CancelledError, and
// further cancel() calls change nothing.
// Twisted: test_defer.DeferredCancellerTests.test_noCancellerMultipleCancelsAfterCancelAndErrback
TEST(DeferredCancellerTests, noCancellerMultipleCancelsAfterCancelAndErrback) {
  ExpectNoLoggedErrors noErrors;
  std::vector<tw::Failure> errors;
  tw::Deferred<int> d;
  d.addErrback([&](tw::Failure f) {
    errors.push_back(f);
    return 0;
  });
  d.cancel();
  d.errback(GenericError());
  d.cancel();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].check<tw::CancelledError>(), nullptr);
}

// Cancelling twice without a canceller: one CancelledError, no error from the second cancel().
// Twisted: test_defer.DeferredCancellerTests.test_noCancellerMultipleCancel
TEST(DeferredCancellerTests, noCancellerMultipleCancel) {
  std::vector<tw::Failure> errors;
  tw::Deferred<void> d;
  d.addErrback([&](tw::Failure f) { errors.push_back(f); });
  d.cancel();
  EXPECT_NO_THROW(d.cancel());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].check<tw::CancelledError>(), nullptr);
}

// A canceller that does not fire: CancelledError; cancelling again does not call it again.
// Twisted: test_defer.DeferredCancellerTests.test_cancellerMultipleCancel
TEST(DeferredCancellerTests, cancellerMultipleCancel) {
  int cancellerCallCount = 0;
  std::vector<tw::Failure> errors;
  tw::Deferred<void> d([&](tw::Deferred<void>&) { ++cancellerCallCount; });
  d.addErrback([&](tw::Failure f) { errors.push_back(f); });
  d.cancel();
  d.cancel();
  EXPECT_EQ(cancellerCallCount, 1);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].check<tw::CancelledError>(), nullptr);
}

// A canceller is called on cancel(); later fires are not swallowed.
// Twisted: test_defer.DeferredCancellerTests.test_simpleCanceller
TEST(DeferredCancellerTests, simpleCanceller) {
  int cancellerCallCount = 0;
  std::vector<tw::Failure> errors;
  tw::Deferred<int> d([&](tw::Deferred<int>&) { ++cancellerCallCount; });
  d.addErrback([&](tw::Failure f) {
    errors.push_back(f);
    return 0;
  });
  d.cancel();
  EXPECT_EQ(cancellerCallCount, 1);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].check<tw::CancelledError>(), nullptr);
  EXPECT_THROW(d.callback(1), tw::AlreadyCalledError);
  EXPECT_THROW(d.errback(std::runtime_error("")), tw::AlreadyCalledError);
}

// The canceller receives the Deferred being cancelled.
// Twisted: test_defer.DeferredCancellerTests.test_cancellerArg
TEST(DeferredCancellerTests, cancellerArg) {
  bool sameDeferred = false;
  tw::Deferred<void>* self = nullptr;
  tw::Deferred<void> d([&](tw::Deferred<void>& d1) { sameDeferred = (d1 == *self); });
  self = &d;
  d.addErrback([](const tw::Failure&) {});
  d.cancel();
  EXPECT_TRUE(sameDeferred);
}

// cancel() after callback() does nothing: the canceller is not called, the result stays.
// Twisted: test_defer.DeferredCancellerTests.test_cancelAfterCallback
TEST(DeferredCancellerTests, cancelAfterCallback) {
  int cancellerCallCount = 0;
  std::vector<std::string> calls;
  tw::Deferred<std::string> d([&](tw::Deferred<std::string>& self) {
    ++cancellerCallCount;
    self.errback(GenericError());
  });
  d.addCallbacks(
      [&](const std::string& s) {
        calls.push_back("callback " + s);
        return s;
      },
      [&](const tw::Failure&) {
        calls.push_back("errback");
        return std::string();
      });
  d.callback("biff!");
  d.cancel();
  EXPECT_EQ(cancellerCallCount, 0);
  EXPECT_EQ(calls, std::vector<std::string>{"callback biff!"});
  EXPECT_EQ(*d.valueResult(), "biff!");
}

// cancel() after errback() does nothing: the failure stays, no CancelledError.
// Twisted: test_defer.DeferredCancellerTests.test_cancelAfterErrback
TEST(DeferredCancellerTests, cancelAfterErrback) {
  ExpectNoLoggedErrors noErrors;
  int cancellerCallCount = 0;
  tw::Deferred<void> d([&](tw::Deferred<void>& self) {
    ++cancellerCallCount;
    self.errback(std::runtime_error("from canceller"));
  });
  d.errback(GenericError("first"));
  d.cancel();
  EXPECT_EQ(cancellerCallCount, 0);
  std::vector<tw::Failure> errors;
  d.addErrback([&](tw::Failure f) { errors.push_back(f); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].check<GenericError>(), nullptr);
}

// A canceller that errbacks wins over CancelledError.
// Twisted: test_defer.DeferredCancellerTests.test_cancellerThatErrbacks
TEST(DeferredCancellerTests, cancellerThatErrbacks) {
  ExpectNoLoggedErrors noErrors;
  int cancellerCallCount = 0;
  std::vector<tw::Failure> errors;
  tw::Deferred<void> d([&](tw::Deferred<void>& self) {
    ++cancellerCallCount;
    self.errback(GenericError());
  });
  d.addErrback([&](tw::Failure f) { errors.push_back(f); });
  d.cancel();
  EXPECT_EQ(cancellerCallCount, 1);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].check<GenericError>(), nullptr);
  EXPECT_EQ(errors[0].check<tw::CancelledError>(), nullptr);
}

// A canceller that callbacks wins: the callback runs, no errback.
// Twisted: test_defer.DeferredCancellerTests.test_cancellerThatCallbacks
TEST(DeferredCancellerTests, cancellerThatCallbacks) {
  int cancellerCallCount = 0;
  std::vector<std::string> calls;
  tw::Deferred<std::string> d([&](tw::Deferred<std::string>& self) {
    ++cancellerCallCount;
    self.callback("hello!");
  });
  d.addCallbacks(
      [&](const std::string& s) {
        calls.push_back(s);
        return s;
      },
      [&](const tw::Failure&) {
        calls.push_back("errback");
        return std::string();
      });
  d.cancel();
  EXPECT_EQ(cancellerCallCount, 1);
  EXPECT_EQ(calls, std::vector<std::string>{"hello!"});
}

// cancel() on a Deferred waiting on another cancels that other one (not its own canceller), and
// the CancelledError comes back through the chain.
// Twisted: test_defer.DeferredCancellerTests.test_cancelNestedDeferred
TEST(DeferredCancellerTests, cancelNestedDeferred) {
  int innerCancels = 0;
  bool outerCancellerCalled = false;
  std::vector<tw::Failure> errors;
  tw::Deferred<void> b([&](tw::Deferred<void>&) { ++innerCancels; });
  tw::Deferred<void> a([&](tw::Deferred<void>&) { outerCancellerCalled = true; });
  a.callback();
  a.addCallback([&] { return b; });
  a.cancel();
  a.addErrback([&](tw::Failure f) { errors.push_back(f); });
  EXPECT_EQ(innerCancels, 1);
  EXPECT_FALSE(outerCancellerCalled);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].check<tw::CancelledError>(), nullptr);
  EXPECT_TRUE(b.isConsumed());
}

// Cancelling the outer end of a transitive chain cancels the innermost Deferred.
TEST(DeferredCancellerTests, cancelForwardsThroughTransitiveChain) {
  std::vector<std::string> calls;
  tw::Deferred<void> c([&](tw::Deferred<void>&) { calls.push_back("c canceller"); });
  tw::Deferred<void> b([&](tw::Deferred<void>&) { calls.push_back("b canceller"); });
  tw::Deferred<void> a;
  b.addCallback([&] { return c; });
  b.callback();
  a.addCallback([&] { return b; });
  a.callback();
  a.cancel();
  a.addErrback([&](const tw::Failure& f) {
    if (f.check<tw::CancelledError>()) calls.push_back("a cancelled");
  });
  EXPECT_EQ(calls, (std::vector<std::string>{"c canceller", "a cancelled"}));
}

// A cancel() that cycles back to a Deferred being cancelled is cut there and logged as an error;
// the cancellation still completes.
// Differs from Twisted: Twisted recurses until RecursionError.
TEST(DeferredCancellerTests, cancelCycleIsCutAndLogged) {
  tw::LogCapture log;
  std::vector<std::string> calls;
  {
    tw::Deferred<void> a;
    tw::Deferred<void> b([a](tw::Deferred<void>&) mutable { a.cancel(); });
    a.addCallback([&] { return b; });
    a.callback();
    a.cancel();
    a.addErrback([&](const tw::Failure& f) {
      if (f.check<tw::CancelledError>()) calls.push_back("a cancelled");
    });
  }
  EXPECT_EQ(calls, std::vector<std::string>{"a cancelled"});
  std::vector<tw::LogEvent> errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].level, tw::LogLevel::error);
  EXPECT_EQ(errors[0].ns, "tw.deferred");
  EXPECT_NE(errors[0].text.find("cycle"), std::string::npos) << errors[0].text;
}

// A Deferred left waiting on one that everybody dropped stays paused; cancel() then fails it.
// Differs from Twisted: the waiter does not keep the awaited Deferred alive.
TEST(DeferredCancellerTests, cancelWhileWaitingOnDroppedDeferred) {
  std::vector<std::string> calls;
  tw::Deferred<void> a;
  {
    tw::Deferred<void> b;
    a.addCallback([b] { return b; });
    a.callback();
    EXPECT_TRUE(a.isWaiting());
  }
  EXPECT_FALSE(a.isWaiting());
  EXPECT_EQ(a.paused(), 1);
  a.addCallbacks([&] { calls.push_back("value"); },
                 [&](const tw::Failure& f) {
                   if (f.check<tw::CancelledError>()) calls.push_back("cancelled");
                 });
  EXPECT_TRUE(calls.empty());
  a.cancel();
  EXPECT_EQ(calls, std::vector<std::string>{"cancelled"});
  EXPECT_EQ(a.paused(), 0);
}

// Unhandled failures ----------------------------------------------------------------------------

// A Deferred dropped with a failure result logs one critical "Unhandled error in Deferred"
// event carrying the Failure, when its last handle goes.
// Twisted: test_defer.LogTests.test_errorLog, test_errorLogWithInnerFrameRef
TEST(LogTests, errorLog) {
  tw::LogCapture log;
  tw::Failure failure(std::domain_error("division by zero"));
  {
    tw::Deferred<int> d;
    d.addCallback([](int) -> int { throw std::domain_error("division by zero"); });
    d.callback(1);
    tw::Deferred<int> copy = d;
    { tw::Deferred<int> last = tw::fail<int>(failure); }
    ASSERT_EQ(log.errors().size(), 1u);
    d = tw::Deferred<int>();
    EXPECT_EQ(log.errors().size(), 1u);  // `copy` still holds the first one
  }
  std::vector<tw::LogEvent> errors = log.errors();
  ASSERT_EQ(errors.size(), 2u);
  for (const tw::LogEvent& event : errors) {
    EXPECT_EQ(event.level, tw::LogLevel::critical);
    EXPECT_EQ(event.ns, "tw.deferred");
    EXPECT_TRUE(event.isError());
    EXPECT_EQ(event.text.rfind("Unhandled error in Deferred", 0), 0u) << event.text;
    ASSERT_TRUE(event.failure.has_value());
    EXPECT_NE(event.failure->check<std::domain_error>(), nullptr);
  }
  EXPECT_EQ(*errors[0].failure, failure);
  EXPECT_NE(errors[0].text.find("deferred_test.cpp"), std::string::npos) << errors[0].text;
}

// A failure that an errback handled is not logged.
TEST(LogTests, handledFailureIsNotLogged) {
  tw::LogCapture log;
  {
    tw::Deferred<int> d = tw::fail<int>(GenericError());
    d.addErrback([](const tw::Failure&) { return 1; });
  }
  EXPECT_TRUE(log.errors().empty());
}

// A failure moved into another Deferred by chaining is not logged for the inner Deferred; the
// outer one, handled, logs nothing either.
// Twisted: test_defer.LogTests.test_chainedErrorCleanup
TEST(LogTests, chainedErrorCleanup) {
  tw::LogCapture log;
  {
    tw::Deferred<void> d;
    d.addCallback([] { return tw::fail(std::runtime_error("zoop")); });
    d.callback();
    std::vector<std::string> results;
    std::vector<tw::Failure> errors;
    d.addCallbacks([&] { results.push_back("value"); },
                   [&](tw::Failure f) { errors.push_back(f); });
    EXPECT_TRUE(results.empty());
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].check<std::exception>(), nullptr);
  }
  EXPECT_TRUE(log.errors().empty());
}

// A failed Deferred whose errback chains it to an unfired Deferred no longer holds a failure:
// dropping both logs nothing.
// Twisted: test_defer.LogTests.test_errorClearedByChaining
TEST(LogTests, errorClearedByChaining) {
  tw::LogCapture log;
  {
    tw::Deferred<void> bad = tw::fail(std::runtime_error("oh no"));
    tw::Deferred<void> good;
    bad.addErrback([good](const tw::Failure&) { return good; });
  }
  EXPECT_TRUE(log.errors().empty());
}

// A failure reaching a Deferred whose handles are all gone (kept alive only by the Deferred it
// waits on) is logged when that chain run ends.
TEST(LogTests, failureReachingDroppedWaiterIsLogged) {
  tw::LogCapture log;
  tw::Deferred<void> inner;
  {
    tw::Deferred<void> outer;
    outer.addCallback([&] { return inner; });
    outer.callback();
  }
  EXPECT_TRUE(log.errors().empty());
  inner.errback(GenericError("late"));
  std::vector<tw::LogEvent> errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  ASSERT_TRUE(errors[0].failure.has_value());
  EXPECT_EQ(errors[0].failure->getErrorMessage(), "late");
  EXPECT_TRUE(inner.isConsumed());
}

// Source locations ------------------------------------------------------------------------------

// A Failure made by errback(exception) records the errback() call site.
TEST(DeferredTests, failureRecordsErrbackCallSite) {
  ExpectNoLoggedErrors noErrors;
  std::vector<tw::Failure> failures;
  tw::Deferred<int> d;
  d.addErrback([&](tw::Failure f) {
    failures.push_back(f);
    return 0;
  });
  const unsigned line = __LINE__ + 1;
  d.errback(GenericError("here"));
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].where().line(), line);
  EXPECT_TRUE(endsWith(failures[0].where().file_name(), "deferred_test.cpp"))
      << failures[0].where().file_name();

  // errback() in a catch block records its own call site too.
  tw::Deferred<int> d2;
  d2.addErrback([&](tw::Failure f) {
    failures.push_back(f);
    return 0;
  });
  unsigned line2 = 0;
  try {
    throw GenericError("caught");
  } catch (...) {
    line2 = __LINE__ + 1;
    d2.errback();
  }
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[1].where().line(), line2);

  // errback(failure) keeps the Failure's own location.
  tw::Deferred<int> d3;
  d3.addErrback([&](tw::Failure f) {
    failures.push_back(f);
    return 0;
  });
  const unsigned line3 = __LINE__ + 1;
  tw::Failure made(GenericError("made"));
  d3.errback(made);
  ASSERT_EQ(failures.size(), 3u);
  EXPECT_EQ(failures[2].where().line(), line3);
}

// A Failure made from a callback's exception records where that callback was added.
TEST(DeferredTests, failureRecordsThrowingCallbacksAddSite) {
  ExpectNoLoggedErrors noErrors;
  std::vector<tw::Failure> failures;
  tw::Deferred<int> d;
  d.addCallback([](int x) { return x; });
  const unsigned line = __LINE__ + 1;
  d.addCallback([](int) -> int { throw GenericError("thrown"); });
  d.addErrback([&](tw::Failure f) {
    failures.push_back(f);
    return 0;
  });
  d.callback(1);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].where().line(), line);
  EXPECT_TRUE(endsWith(failures[0].where().file_name(), "deferred_test.cpp"));
  EXPECT_NE(failures[0].getTraceback().find("deferred_test.cpp:" + std::to_string(line)),
            std::string::npos)
      << failures[0].getTraceback();
}

// created() is where the Deferred was constructed.
TEST(DeferredTests, createdLocation) {
  const unsigned line = __LINE__ + 1;
  tw::Deferred<int> d;
  EXPECT_EQ(d.created().line(), line);
  EXPECT_TRUE(endsWith(d.created().file_name(), "deferred_test.cpp"));
}

// An exception from the canceller escapes cancel(), the Deferred stays unfired, and the next
// cancel() calls the canceller again.
// Twisted 22.4: both cancel() calls raise, the canceller ran twice.
TEST(DeferredCancellerTests, cancellerThatRaisesIsCalledAgain) {
  int calls = 0;
  tw::Deferred<int> d([&](tw::Deferred<int>&) {
    ++calls;
    throw std::runtime_error("not now");
  });
  EXPECT_THROW(d.cancel(), std::runtime_error);
  EXPECT_FALSE(d.called());
  EXPECT_THROW(d.cancel(), std::runtime_error);
  EXPECT_EQ(calls, 2);
  d.callback(5);
  EXPECT_EQ(*d.valueResult(), 5);
}
