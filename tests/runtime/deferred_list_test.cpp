/// @file
/// Tests of DeferredList, gatherResults, race, FailureGroup and Outcome.
/// Twisted: twisted/test/test_defer.py (DeferredTests.testDeferredList*, test_cancelDeferredList*,
/// test_gatherResults*, test_cancelGatherResults*, DeferredListEmptyTests; RaceTests from trunk).
#include "tw/deferred_list.hpp"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "result_helpers.hpp"
#include "tw/deferred.hpp"
#include "tw/deferred_errors.hpp"
#include "tw/failure.hpp"
#include "tw/logger.hpp"
#include "tw/outcome.hpp"

namespace {

using tw::test::assertNoResult;
using tw::test::ExpectNoLoggedErrors;
using tw::test::failureResultOf;
using tw::test::GenericError;
using tw::test::successResultOf;

template <class T>
using Results = typename tw::DeferredList<T>::Result;

/// Twisted's fakeCallbackCanceller: a canceller that fires the Deferred with "Callback Result".
void fakeCallbackCanceller(tw::Deferred<std::string>& d) { d.callback("Callback Result"); }

/// Twisted's _setupRaceState: `n` Deferreds whose cancellers only count their calls.
struct RaceState {
  explicit RaceState(std::size_t n) : cancelled(std::make_shared<std::vector<int>>(n, 0)) {
    for (std::size_t i = 0; i < n; ++i) {
      ds.emplace_back([counts = cancelled, i](tw::Deferred<int>&) { ++(*counts)[i]; });
    }
  }
  std::shared_ptr<std::vector<int>> cancelled;
  std::vector<tw::Deferred<int>> ds;
};

/// The error events whose text starts with "Unhandled error in Deferred".
std::vector<tw::LogEvent> unhandledErrors(const tw::LogCapture& log) {
  std::vector<tw::LogEvent> out;
  for (const tw::LogEvent& e : log.errors()) {
    if (e.text.rfind("Unhandled error in Deferred", 0) == 0) out.push_back(e);
  }
  return out;
}

/// A coroutine awaiting a DeferredList of `a` and `b`: their sum.
tw::Deferred<int> sumOfBoth(tw::Deferred<int> a, tw::Deferred<int> b) {
  std::vector<tw::Deferred<int>> inputs{std::move(a), std::move(b)};
  Results<int> r = co_await tw::DeferredList<int>(std::move(inputs));
  co_return r[0].second.value() + r[1].second.value();
}

}  // namespace

// Outcome -----------------------------------------------------------------------------------------

// An Outcome holds a value or a Failure; value() of a failure rethrows its exception.
TEST(OutcomeTests, valueOrFailure) {
  tw::Outcome<int> ok(3);
  EXPECT_TRUE(ok.succeeded());
  EXPECT_EQ(ok.value(), 3);
  EXPECT_THROW((void)ok.failure(), std::logic_error);

  tw::Outcome<int> bad(tw::Failure(GenericError("bad")));
  EXPECT_FALSE(bad.succeeded());
  EXPECT_EQ(bad.failure().getErrorMessage(), "bad");
  EXPECT_THROW((void)bad.value(), GenericError);

  tw::Outcome<void> done;
  EXPECT_TRUE(done.succeeded());
}

// Outcomes compare equal for equal values, for the same failure, and always for void successes.
TEST(OutcomeTests, comparison) {
  tw::Failure f(GenericError("x"));
  EXPECT_EQ(tw::Outcome<int>(1), tw::Outcome<int>(1));
  EXPECT_NE(tw::Outcome<int>(1), tw::Outcome<int>(2));
  EXPECT_EQ(tw::Outcome<int>(f), tw::Outcome<int>(f));
  EXPECT_NE(tw::Outcome<int>(f), tw::Outcome<int>(tw::Failure(GenericError("x"))));
  EXPECT_NE(tw::Outcome<int>(f), tw::Outcome<int>(1));
  EXPECT_EQ(tw::Outcome<void>(), tw::Outcome<void>());
  EXPECT_NE(tw::Outcome<void>(), tw::Outcome<void>(f));
}

// FailureGroup ------------------------------------------------------------------------------------

// A FailureGroup holds its failures in order and names them in what().
TEST(FailureGroupTests, holdsFailuresInOrder) {
  tw::Failure a(GenericError("a"));
  tw::Failure b(std::runtime_error("b"));
  tw::FailureGroup group({a, b});
  ASSERT_EQ(group.failures().size(), 2u);
  EXPECT_EQ(group.failures()[0], a);
  EXPECT_EQ(group.failures()[1], b);
  EXPECT_EQ(std::string(group.what()), "FailureGroup[#0 " + a.repr() + ", #1 " + b.repr() + "]");
}

// DeferredList ------------------------------------------------------------------------------------

// Once every input fired, the list fires with (success, result) pairs in input order.
// Twisted: test_defer.DeferredTests.testDeferredList
TEST(DeferredListTests, deferredList) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<std::string> defr1, defr2, defr3;
  tw::DeferredList<std::string> dl({defr1, defr2, defr3});
  std::optional<Results<std::string>> result;
  dl.addCallback([&](Results<std::string> r) { result = std::move(r); });

  defr1.callback("1");
  defr2.addErrback([](tw::Failure) { return std::string("caught"); });
  defr2.errback(GenericError("2"));
  EXPECT_FALSE(result.has_value());
  defr3.callback("3");

  ASSERT_TRUE(result.has_value());
  ASSERT_EQ(result->size(), 3u);
  EXPECT_EQ((*result)[0], std::make_pair(true, tw::Outcome<std::string>("1")));
  EXPECT_FALSE((*result)[1].first);
  EXPECT_NE((*result)[1].second.failure().check<GenericError>(), nullptr);
  EXPECT_EQ((*result)[1].second.failure().getErrorMessage(), "2");
  EXPECT_EQ((*result)[2], std::make_pair(true, tw::Outcome<std::string>("3")));
}

// An empty list fires at once with []; with fireOnOneCallback it never fires.
// Twisted: test_defer.DeferredTests.testEmptyDeferredList, DeferredListEmptyTests
TEST(DeferredListTests, emptyDeferredList) {
  tw::DeferredList<int> dl1({});
  EXPECT_TRUE(successResultOf(dl1).empty());

  auto dl2 = tw::DeferredList<int>::fireOnOneCallback({});
  assertNoResult(dl2);
}

// With fireOnOneErrback, the first failure fails the list with FirstError(failure, index).
// Twisted: test_defer.DeferredTests.testDeferredListFireOnOneError
TEST(DeferredListTests, fireOnOneErrback) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<std::string> defr1, defr2, defr3;
  tw::DeferredList<std::string> dl({defr1, defr2, defr3}, {.fireOnOneErrback = true});
  std::vector<tw::Failure> result;
  dl.addErrback([&](tw::Failure f) {
    result.push_back(f);
    return Results<std::string>{};
  });
  // Consume errors after they pass through the DeferredList.
  defr2.addErrback([](tw::Failure) { return std::string(); });

  defr1.callback("1");
  EXPECT_TRUE(result.empty());
  defr2.errback(GenericError("from def2"));
  ASSERT_EQ(result.size(), 1u);

  const tw::FirstError* firstError = result[0].value<tw::FirstError>();
  ASSERT_NE(firstError, nullptr) << result[0].repr();
  EXPECT_NE(firstError->subFailure().check<GenericError>(), nullptr);
  EXPECT_EQ(firstError->subFailure().getErrorMessage(), "from def2");
  EXPECT_EQ(firstError->index(), 1u);
  defr3.callback("3");  // recorded; the list does not fire again
  EXPECT_EQ(dl.finishedCount(), 3u);
}

// Without consumeErrors, an input's errback added afterwards still sees its failure.
// Twisted: test_defer.DeferredTests.testDeferredListDontConsumeErrors
TEST(DeferredListTests, dontConsumeErrors) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<void> d1;
  tw::DeferredList<void> dl({d1});
  std::vector<tw::Failure> errorTrap;
  d1.addErrback([&](tw::Failure f) { errorTrap.push_back(f); });
  std::vector<Results<void>> resultLists;
  dl.addCallback([&](Results<void> r) { resultLists.push_back(std::move(r)); });

  d1.errback(GenericError("Bang"));
  ASSERT_EQ(errorTrap.size(), 1u);
  EXPECT_EQ(errorTrap[0].getErrorMessage(), "Bang");
  ASSERT_EQ(resultLists.size(), 1u);
  EXPECT_EQ(resultLists[0][0].second.failure().getErrorMessage(), "Bang");
}

// With consumeErrors, an input's errback added afterwards does not see the failure.
// Twisted: test_defer.DeferredTests.testDeferredListConsumeErrors
TEST(DeferredListTests, consumeErrors) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<void> d1;
  tw::DeferredList<void> dl({d1}, {.consumeErrors = true});
  std::vector<tw::Failure> errorTrap;
  d1.addErrback([&](tw::Failure f) { errorTrap.push_back(f); });
  std::vector<Results<void>> resultLists;
  dl.addCallback([&](Results<void> r) { resultLists.push_back(std::move(r)); });

  d1.errback(GenericError("Bang"));
  EXPECT_TRUE(errorTrap.empty());
  ASSERT_EQ(resultLists.size(), 1u);
  EXPECT_EQ(resultLists[0][0].second.failure().getErrorMessage(), "Bang");
}

// Inputs that failed before the list was built fail it at once with fireOnOneErrback.
// Twisted: test_defer.DeferredTests.testDeferredListFireOnOneErrorWithAlreadyFiredDeferreds
TEST(DeferredListTests, fireOnOneErrbackWithAlreadyFiredDeferreds) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<void> d1, d2;
  d1.errback(GenericError("Bang"));
  tw::DeferredList<void> dl({d1, d2}, {.fireOnOneErrback = true});
  failureResultOf<tw::FirstError>(dl);
  d1.addErrback([](tw::Failure) {});  // swallow the error
}

// Inputs that fired before the list was built are collected at once.
// Twisted: test_defer.DeferredTests.testDeferredListWithAlreadyFiredDeferreds
TEST(DeferredListTests, withAlreadyFiredDeferreds) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> d1, d2;
  d1.errback(GenericError("Bang"));
  d2.callback(2);
  tw::DeferredList<int> dl({d1, d2});
  Results<int> result = successResultOf(dl);
  ASSERT_EQ(result.size(), 2u);
  EXPECT_FALSE(result[0].first);
  EXPECT_EQ(result[1], std::make_pair(true, tw::Outcome<int>(2)));
  d1.addErrback([](tw::Failure) { return 0; });  // swallow the error
}

// The results come in input order whatever the firing order.
TEST(DeferredListTests, resultsInInputOrder) {
  std::vector<tw::Deferred<int>> ds(4);
  tw::DeferredList<int> dl(ds);
  for (int i = 3; i >= 0; --i) ds[i].callback(i * 10);
  Results<int> result = successResultOf(dl);
  ASSERT_EQ(result.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(result[i].second.value(), i * 10);
}

// Cancelling an unfired list cancels every input.
// Twisted: test_defer.DeferredTests.test_cancelDeferredList
TEST(DeferredListTests, cancelDeferredList) {
  tw::Deferred<void> deferredOne, deferredTwo;
  tw::DeferredList<void> dl({deferredOne, deferredTwo});
  dl.cancel();
  failureResultOf<tw::CancelledError>(deferredOne);
  failureResultOf<tw::CancelledError>(deferredTwo);
  Results<void> result = successResultOf(dl);
  EXPECT_FALSE(result[0].first);
  EXPECT_FALSE(result[1].first);
}

// Cancelling a list whose input's canceller fires it with a value gives that value in the list.
// Twisted: test_defer.DeferredTests.test_cancelDeferredListCallback
TEST(DeferredListTests, cancelDeferredListCallback) {
  tw::Deferred<std::string> deferredOne(fakeCallbackCanceller);
  tw::Deferred<std::string> deferredTwo;
  tw::DeferredList<std::string> dl({deferredOne, deferredTwo});
  dl.cancel();
  failureResultOf<tw::CancelledError>(deferredTwo);
  Results<std::string> result = successResultOf(dl);
  EXPECT_TRUE(result[0].first);
  EXPECT_EQ(result[0].second.value(), "Callback Result");
  EXPECT_FALSE(result[1].first);
  EXPECT_NE(result[1].second.failure().check<tw::CancelledError>(), nullptr);
}

// Cancelling an unfired fireOnOneCallback list cancels every input.
// Twisted: test_defer.DeferredTests.test_cancelDeferredListWithFireOnOneCallback
TEST(DeferredListTests, cancelDeferredListWithFireOnOneCallback) {
  tw::Deferred<void> deferredOne, deferredTwo;
  auto dl = tw::DeferredList<void>::fireOnOneCallback({deferredOne, deferredTwo});
  dl.cancel();
  failureResultOf<tw::CancelledError>(deferredOne);
  failureResultOf<tw::CancelledError>(deferredTwo);
  // Twisted fires with the list of failures; tw fails with them in a FailureGroup.
  tw::Failure f = failureResultOf<tw::FailureGroup>(dl);
  EXPECT_EQ(f.value<tw::FailureGroup>()->failures().size(), 2u);
}

// Cancelling a fireOnOneCallback list whose input's canceller fires it gives (result, index).
// Twisted: test_defer.DeferredTests.test_cancelDeferredListWithFireOnOneCallbackAndDeferredCallback
TEST(DeferredListTests, cancelDeferredListWithFireOnOneCallbackAndDeferredCallback) {
  tw::Deferred<std::string> deferredOne(fakeCallbackCanceller);
  tw::Deferred<std::string> deferredTwo;
  auto dl = tw::DeferredList<std::string>::fireOnOneCallback({deferredOne, deferredTwo});
  dl.cancel();
  failureResultOf<tw::CancelledError>(deferredTwo);
  EXPECT_EQ(successResultOf(dl), std::make_pair(std::string("Callback Result"), std::size_t{0}));
}

// Cancelling an unfired fireOnOneErrback list cancels every input; it fails with FirstError.
// Twisted: test_defer.DeferredTests.test_cancelDeferredListWithFireOnOneErrback
TEST(DeferredListTests, cancelDeferredListWithFireOnOneErrback) {
  tw::Deferred<void> deferredOne, deferredTwo;
  tw::DeferredList<void> dl({deferredOne, deferredTwo}, {.fireOnOneErrback = true});
  dl.cancel();
  failureResultOf<tw::CancelledError>(deferredOne);
  failureResultOf<tw::CancelledError>(deferredTwo);
  tw::Failure f = failureResultOf<tw::FirstError>(dl);
  EXPECT_NE(f.value<tw::FirstError>()->subFailure().check<tw::CancelledError>(), nullptr);
}

// A fireOnOneErrback list whose inputs all fire values when cancelled fires with the list.
// Twisted: test_defer.DeferredTests.test_cancelDeferredListWithFireOnOneErrbackAllDeferredsCallback
TEST(DeferredListTests, cancelDeferredListWithFireOnOneErrbackAllDeferredsCallback) {
  tw::Deferred<std::string> deferredOne(fakeCallbackCanceller);
  tw::Deferred<std::string> deferredTwo(fakeCallbackCanceller);
  tw::DeferredList<std::string> dl({deferredOne, deferredTwo}, {.fireOnOneErrback = true});
  dl.cancel();
  Results<std::string> result = successResultOf(dl);
  EXPECT_EQ(result[0], std::make_pair(true, tw::Outcome<std::string>("Callback Result")));
  EXPECT_EQ(result[1], std::make_pair(true, tw::Outcome<std::string>("Callback Result")));
}

// The list copies its inputs: a Deferred added to the caller's vector later is not cancelled.
// Twisted: test_defer.DeferredTests.test_cancelDeferredListWithOriginalDeferreds
TEST(DeferredListTests, cancelDeferredListWithOriginalDeferreds) {
  tw::Deferred<void> deferredOne, deferredTwo, deferredThree;
  std::vector<tw::Deferred<void>> argumentList{deferredOne, deferredTwo};
  tw::DeferredList<void> dl(argumentList);
  argumentList.push_back(deferredThree);
  dl.cancel();
  failureResultOf<tw::CancelledError>(deferredOne);
  failureResultOf<tw::CancelledError>(deferredTwo);
  assertNoResult(deferredThree);
}

// A throwing input canceller is logged, the others still cancelled; the list waits for that one.
// Twisted: test_defer.DeferredTests.test_cancelDeferredListWithException
TEST(DeferredListTests, cancelDeferredListWithException) {
  tw::LogCapture log;
  tw::Deferred<void> deferredOne([](tw::Deferred<void>&) { throw std::runtime_error("test"); });
  tw::Deferred<void> deferredTwo;
  tw::DeferredList<void> dl({deferredOne, deferredTwo});
  dl.cancel();
  failureResultOf<tw::CancelledError>(deferredTwo);
  std::vector<tw::LogEvent> errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].text, "Exception raised from user supplied canceller");
  ASSERT_TRUE(errors[0].failure.has_value());
  EXPECT_NE(errors[0].failure->check<std::runtime_error>(), nullptr);
  EXPECT_EQ(errors[0].failure->getErrorMessage(), "test");

  assertNoResult(dl);
  deferredOne.callback();
  Results<void> result = successResultOf(dl);
  EXPECT_TRUE(result[0].first);
  EXPECT_FALSE(result[1].first);
}

// Cancelling a list whose input fired but is paused leaves the list waiting; it fires once the
// input unpauses. Twisted: DeferredList.cancel (checked on Twisted 22.4)
TEST(DeferredListTests, cancelWithPausedInputKeepsWaiting) {
  tw::Deferred<int> d;
  d.callback(1);
  d.pause();
  tw::DeferredList<int> dl({d});
  dl.cancel();
  assertNoResult(dl);
  d.unpause();
  EXPECT_EQ(successResultOf(dl)[0], std::make_pair(true, tw::Outcome<int>(1)));
}

// Cancelling a list that nothing can fire any more fails it with CancelledError (tw; Twisted's
// waits forever): an empty fireOnOneCallback list, or inputs dropped unfired.
TEST(DeferredListTests, cancelWithNothingLeftToFire) {
  auto empty = tw::DeferredList<int>::fireOnOneCallback({});
  empty.cancel();
  failureResultOf<tw::CancelledError>(empty);

  tw::DeferredList<int> dropped({tw::Deferred<int>()});
  dropped.cancel();
  failureResultOf<tw::CancelledError>(dropped);
}

// A second cancel() cancels again the inputs that still have no result; a canceller that threw
// is called again, and the list keeps waiting.
// Twisted 22.4: the canceller runs twice, two errors are logged, dl.called stays False.
TEST(DeferredListTests, cancelAgainAfterWaiting) {
  tw::LogCapture log;
  int calls = 0;
  tw::Deferred<int> stubborn([&](tw::Deferred<int>&) {
    ++calls;
    throw std::runtime_error("not now");
  });
  tw::DeferredList<int> dl({stubborn}, {.consumeErrors = true});
  dl.cancel();
  assertNoResult(dl);
  dl.cancel();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(log.errors().size(), 2u);
  assertNoResult(dl);
  stubborn.errback(std::runtime_error("finally"));
  EXPECT_EQ(successResultOf(dl)[0].second.failure().getErrorMessage(), "finally");
}

// Once a fireOnOneCallback list fired, cancelling it does not cancel the remaining inputs.
// Twisted: test_defer.DeferredTests.test_cancelFiredOnOneCallbackDeferredList
TEST(DeferredListTests, cancelFiredOnOneCallbackDeferredList) {
  tw::Deferred<void> deferredOne, deferredTwo;
  auto dl = tw::DeferredList<void>::fireOnOneCallback({deferredOne, deferredTwo});
  deferredOne.callback();
  dl.cancel();
  assertNoResult(deferredTwo);
  EXPECT_EQ(successResultOf(dl).second, 0u);
}

// Once a fireOnOneErrback list fired, cancelling it does not cancel the remaining inputs.
// Twisted: test_defer.DeferredTests.test_cancelFiredOnOneErrbackDeferredList
TEST(DeferredListTests, cancelFiredOnOneErrbackDeferredList) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<void> deferredOne, deferredTwo;
  tw::DeferredList<void> dl({deferredOne, deferredTwo}, {.fireOnOneErrback = true});
  deferredOne.errback(GenericError("test"));
  dl.cancel();
  assertNoResult(deferredTwo);
  failureResultOf<GenericError>(deferredOne);
  failureResultOf<tw::FirstError>(dl);
}

// Cancelling a list twice calls each input's canceller once.
TEST(DeferredListTests, cancelTwice) {
  int calls = 0;
  tw::Deferred<void> d([&](tw::Deferred<void>&) { ++calls; });
  tw::DeferredList<void> dl({d}, {.consumeErrors = true});
  dl.cancel();
  dl.cancel();
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(successResultOf(dl)[0].first);
}

// fireOnOneCallback fires with the first success's (result, index); others are not cancelled.
// Twisted: DeferredList(fireOnOneCallback=True) [spec DEF-33]
TEST(DeferredListTests, fireOnOneCallback) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> d1, d2, d3;
  auto dl = tw::DeferredList<int>::fireOnOneCallback({d1, d2, d3});
  d2.errback(GenericError("first"));
  assertNoResult(dl);
  d3.callback(30);
  EXPECT_EQ(successResultOf(dl), std::make_pair(30, std::size_t{2}));
  assertNoResult(d1);
  d1.callback(10);
  failureResultOf<GenericError>(d2);
}

// fireOnOneCallback with fireOnOneErrback fails with FirstError when a failure comes first.
TEST(DeferredListTests, fireOnOneCallbackAndErrback) {
  tw::Deferred<int> d1, d2;
  auto dl = tw::DeferredList<int>::fireOnOneCallback(
      {d1, d2}, {.fireOnOneErrback = true, .consumeErrors = true});
  d2.errback(GenericError("first"));
  tw::Failure f = failureResultOf<tw::FirstError>(dl);
  EXPECT_EQ(f.value<tw::FirstError>()->index(), 1u);
  d1.callback(1);
}

// When every input of a fireOnOneCallback list fails, it fails with a FailureGroup holding the
// failures by index (tw; Twisted fires with the list of (False, failure) pairs).
TEST(DeferredListTests, fireOnOneCallbackAllFailed) {
  tw::Deferred<int> d1, d2;
  auto dl = tw::DeferredList<int>::fireOnOneCallback({d1, d2}, {.consumeErrors = true});
  tw::Failure second(std::runtime_error("second"));
  tw::Failure first(GenericError("first"));
  d2.errback(second);
  d1.errback(first);
  tw::Failure f = failureResultOf<tw::FailureGroup>(dl);
  const auto* group = f.value<tw::FailureGroup>();
  ASSERT_EQ(group->failures().size(), 2u);
  EXPECT_EQ(group->failures()[0], first);
  EXPECT_EQ(group->failures()[1], second);
}

// Results arriving after the list fired are recorded, and consumeErrors still applies to them.
TEST(DeferredListTests, laterResultsRecorded) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> d1, d2, d3;
  tw::DeferredList<int> dl({d1, d2, d3}, {.fireOnOneErrback = true, .consumeErrors = true});
  d1.errback(GenericError("one"));
  failureResultOf<tw::FirstError>(dl);
  EXPECT_EQ(dl.finishedCount(), 1u);
  d3.callback(3);
  d2.errback(GenericError("two"));
  EXPECT_EQ(dl.finishedCount(), 3u);
  ASSERT_EQ(dl.resultList().size(), 3u);
  EXPECT_EQ(dl.resultList()[1]->second.failure().getErrorMessage(), "two");
  EXPECT_EQ(*dl.resultList()[2], std::make_pair(true, tw::Outcome<int>(3)));
  // consumeErrors: d2's chain goes on with no value, d3 keeps its value.
  EXPECT_TRUE(d2.isConsumed());
  EXPECT_EQ(successResultOf(d3), 3);
}

// Once the list fired with the complete result, resultList() is empty (the results moved).
TEST(DeferredListTests, resultListMovesIntoResult) {
  tw::Deferred<int> d1;
  tw::DeferredList<int> dl({d1});
  ASSERT_EQ(dl.resultList().size(), 1u);
  EXPECT_FALSE(dl.resultList()[0].has_value());
  d1.callback(1);
  EXPECT_TRUE(dl.resultList().empty());
  EXPECT_EQ(successResultOf(dl).size(), 1u);
}

// An input failure the list saw is still reported as unhandled, unless consumeErrors.
// Twisted: DeferredList(consumeErrors=False) [spec DEF-34]
TEST(DeferredListTests, unhandledInputFailureStillReported) {
  tw::LogCapture log;
  {
    tw::Deferred<int> d;
    tw::DeferredList<int> dl({d});
    d.errback(GenericError("lost"));
    EXPECT_FALSE(successResultOf(dl)[0].first);
  }
  std::vector<tw::LogEvent> reports = unhandledErrors(log);
  ASSERT_EQ(reports.size(), 1u);
  ASSERT_TRUE(reports[0].failure.has_value());
  EXPECT_NE(reports[0].failure->check<GenericError>(), nullptr);

  log.clear();
  {
    tw::Deferred<int> d;
    tw::DeferredList<int> dl({d}, {.consumeErrors = true});
    d.errback(GenericError("handled"));
    EXPECT_FALSE(successResultOf(dl)[0].first);
  }
  EXPECT_TRUE(log.errors().empty());
}

// With consumeErrors, a Deferred<void> input goes on with success (Twisted's None).
TEST(DeferredListTests, consumeErrorsVoidInputContinuesWithSuccess) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<void> d;
  tw::DeferredList<void> dl({d}, {.consumeErrors = true});
  d.errback(GenericError("x"));
  bool ran = false;
  d.addCallback([&] { ran = true; });
  EXPECT_TRUE(ran);
}

// With consumeErrors, an input of another type is left consumed: a later callback fails with
// ResultConsumedError instead of receiving Twisted's None.
TEST(DeferredListTests, consumeErrorsLeavesValueInputConsumed) {
  tw::Deferred<int> d;
  tw::DeferredList<int> dl({d}, {.consumeErrors = true});
  d.errback(GenericError("x"));
  EXPECT_TRUE(d.isConsumed());
  auto after = d.addCallback([](int x) { return x; });
  failureResultOf<tw::ResultConsumedError>(after);
}

// A copyable value stays on the input's chain too (Twisted shares it).
TEST(DeferredListTests, copyableValuesStayOnTheInput) {
  tw::Deferred<std::string> d;
  tw::DeferredList<std::string> dl({d});
  d.callback("shared");
  EXPECT_EQ(successResultOf(d), "shared");
  EXPECT_EQ(successResultOf(dl)[0].second.value(), "shared");
}

// A move-only value moves into the list; the input is left consumed.
TEST(DeferredListTests, moveOnlyValuesAreMoved) {
  tw::Deferred<std::unique_ptr<int>> d;
  tw::DeferredList<std::unique_ptr<int>> dl({d});
  d.callback(std::make_unique<int>(5));
  EXPECT_TRUE(d.isConsumed());
  Results<std::unique_ptr<int>> result = successResultOf(dl);
  EXPECT_EQ(*result[0].second.value(), 5);
}

// The same Deferred twice: both entries get the value (copied).
TEST(DeferredListTests, sameDeferredTwice) {
  tw::Deferred<int> d;
  tw::DeferredList<int> dl({d, d});
  d.callback(4);
  Results<int> result = successResultOf(dl);
  EXPECT_EQ(result[0].second.value(), 4);
  EXPECT_EQ(result[1].second.value(), 4);
}

// Pending inputs keep the list alive: callbacks added through a dropped handle still run.
TEST(DeferredListTests, droppedHandleStillFires) {
  tw::Deferred<int> d;
  std::size_t count = 0;
  {
    tw::DeferredList<int> dl({d});
    dl.addCallback([&](Results<int> r) { count = r.size(); });
  }
  d.callback(1);
  EXPECT_EQ(count, 1u);
}

// Inputs that are dropped unfired release the list (no leak, no report).
TEST(DeferredListTests, droppedInputsReleaseTheList) {
  ExpectNoLoggedErrors noErrors;
  tw::DeferredList<int> dl({tw::Deferred<int>(), tw::Deferred<int>()});
  assertNoResult(dl);
}

// A coroutine can await a DeferredList.
TEST(DeferredListTests, awaitInCoroutine) {
  tw::Deferred<int> d1, d2;
  tw::Deferred<int> sum = sumOfBoth(d1, d2);
  d2.callback(2);
  d1.callback(1);
  EXPECT_EQ(successResultOf(sum), 3);
}

// gatherResults -----------------------------------------------------------------------------------

// gatherResults gives the values in order; a failure fails it with FirstError.
// Twisted: test_defer.DeferredTests.test_gatherResults
TEST(GatherResultsTests, gatherResults) {
  ExpectNoLoggedErrors noErrors;
  EXPECT_EQ(successResultOf(tw::gatherResults(std::vector{tw::succeed(1), tw::succeed(2)})),
            (std::vector<int>{1, 2}));

  std::vector<tw::Deferred<int>> dl{tw::succeed(1), tw::fail<int>(std::invalid_argument("v"))};
  tw::Failure f = failureResultOf<tw::FirstError>(tw::gatherResults(dl));
  EXPECT_NE(f.value<tw::FirstError>()->subFailure().check<std::invalid_argument>(), nullptr);
  dl[1].addErrback([](tw::Failure) { return 1; });  // get rid of the error
}

// With consumeErrors, an input's failure does not go on down its chain.
// Twisted: test_defer.DeferredTests.test_gatherResultsWithConsumeErrors
TEST(GatherResultsTests, gatherResultsWithConsumeErrors) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> dgood = tw::succeed(1);
  tw::Deferred<int> dbad = tw::fail<int>(std::runtime_error("oh noes"));
  tw::Deferred<std::vector<int>> d = tw::gatherResults(std::vector{dgood, dbad}, true);
  std::vector<tw::Failure> unconsumedErrors;
  dbad.addErrback([&](tw::Failure f) {
    unconsumedErrors.push_back(f);
    return 0;
  });
  std::vector<tw::Failure> gatheredErrors;
  d.addErrback([&](tw::Failure f) {
    gatheredErrors.push_back(f);
    return std::vector<int>{};
  });
  EXPECT_EQ(unconsumedErrors.size(), 0u);
  ASSERT_EQ(gatheredErrors.size(), 1u);
  const tw::FirstError* firstError = gatheredErrors[0].value<tw::FirstError>();
  ASSERT_NE(firstError, nullptr);
  EXPECT_NE(firstError->subFailure().check<std::runtime_error>(), nullptr);
}

// Cancelling gatherResults cancels every input; it fails with FirstError(CancelledError).
// Twisted: test_defer.DeferredTests.test_cancelGatherResults
TEST(GatherResultsTests, cancelGatherResults) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<void> deferredOne, deferredTwo;
  tw::Deferred<void> result = tw::gatherResults(std::vector{deferredOne, deferredTwo});
  result.cancel();
  failureResultOf<tw::CancelledError>(deferredOne);
  failureResultOf<tw::CancelledError>(deferredTwo);
  tw::Failure f = failureResultOf<tw::FirstError>(result);
  EXPECT_NE(f.value<tw::FirstError>()->subFailure().check<tw::CancelledError>(), nullptr);
}

// Cancelling gatherResults whose inputs all fire values when cancelled gives those values.
// Twisted: test_defer.DeferredTests.test_cancelGatherResultsWithAllDeferredsCallback
TEST(GatherResultsTests, cancelGatherResultsWithAllDeferredsCallback) {
  tw::Deferred<std::string> deferredOne(fakeCallbackCanceller);
  tw::Deferred<std::string> deferredTwo(fakeCallbackCanceller);
  auto result = tw::gatherResults(std::vector{deferredOne, deferredTwo});
  result.cancel();
  EXPECT_EQ(successResultOf(result),
            (std::vector<std::string>{"Callback Result", "Callback Result"}));
}

// gatherResults of nothing fires at once with [].
TEST(GatherResultsTests, empty) {
  EXPECT_TRUE(successResultOf(tw::gatherResults(std::vector<tw::Deferred<int>>{})).empty());
}

// gatherResults of Deferred<void>s is a Deferred<void>.
TEST(GatherResultsTests, voidInputs) {
  tw::Deferred<void> a, b;
  tw::Deferred<void> all = tw::gatherResults(std::vector{a, b});
  b.callback();
  assertNoResult(all);
  a.callback();
  successResultOf(all);
}

// The FirstError is the first failure to arrive, not the first in input order.
TEST(GatherResultsTests, firstFailureInFiringOrder) {
  ExpectNoLoggedErrors noErrors;
  std::vector<tw::Deferred<int>> ds(3);
  auto result = tw::gatherResults(ds, true);
  ds[2].errback(GenericError("two"));
  ds[0].errback(GenericError("zero"));
  tw::Failure f = failureResultOf<tw::FirstError>(result);
  EXPECT_EQ(f.value<tw::FirstError>()->index(), 2u);
  EXPECT_EQ(f.value<tw::FirstError>()->subFailure().getErrorMessage(), "two");
  ds[1].callback(1);
}

// gatherResults of Deferreds of different types gives a tuple; a void member is a VoidValue.
TEST(GatherResultsTests, tupleOfMixedTypes) {
  tw::Deferred<int> i;
  tw::Deferred<std::string> s;
  tw::Deferred<void> v;
  tw::Deferred<std::tuple<int, std::string, tw::detail::VoidValue>> all =
      tw::gatherResults(i, s, v);
  s.callback("two");
  v.callback();
  assertNoResult(all);
  i.callback(1);
  auto [one, two, nothing] = successResultOf(all);
  EXPECT_EQ(one, 1);
  EXPECT_EQ(two, "two");
  (void)nothing;
}

// The tuple form fails with FirstError naming the position; consumeErrors applies per input.
TEST(GatherResultsTests, tupleFailure) {
  ExpectNoLoggedErrors noErrors;
  tw::Deferred<int> i;
  tw::Deferred<void> v;
  auto all = tw::gatherResults(std::tuple{i, v}, true);
  v.errback(GenericError("void failed"));
  tw::Failure f = failureResultOf<tw::FirstError>(all);
  EXPECT_EQ(f.value<tw::FirstError>()->index(), 1u);
  bool ran = false;
  v.addCallback([&] { ran = true; });  // consumed: a void input goes on with success
  EXPECT_TRUE(ran);
  i.callback(1);
}

// Cancelling the tuple form cancels every input.
TEST(GatherResultsTests, tupleCancel) {
  tw::Deferred<int> i;
  tw::Deferred<std::string> s([](tw::Deferred<std::string>& d) { d.callback("from canceller"); });
  auto all = tw::gatherResults(std::tuple{i, s}, true);
  all.cancel();
  EXPECT_TRUE(i.called());
  EXPECT_EQ(successResultOf(s), "from canceller");
  tw::Failure f = failureResultOf<tw::FirstError>(all);
  EXPECT_EQ(f.value<tw::FirstError>()->index(), 0u);
}

// race --------------------------------------------------------------------------------------------

// The first success wins with (index, value); every other input is cancelled once.
// Twisted: test_defer.RaceTests.test_success (trunk)
TEST(RaceTests, success) {
  for (std::size_t beforeWinner = 0; beforeWinner <= 3; ++beforeWinner) {
    for (std::size_t afterWinner = 0; afterWinner <= 3; ++afterWinner) {
      ExpectNoLoggedErrors noErrors;
      RaceState state(beforeWinner + 1 + afterWinner);
      auto raceResult = tw::race(state.ds);
      state.ds[beforeWinner].callback(42);
      EXPECT_EQ(successResultOf(raceResult), std::make_pair(beforeWinner, 42));
      std::vector<int> expected(beforeWinner + 1 + afterWinner, 1);
      expected[beforeWinner] = 0;
      EXPECT_EQ(*state.cancelled, expected);
    }
  }
}

// When every input fails, the race fails with a FailureGroup of them by index; none is cancelled.
// Twisted: test_defer.RaceTests.test_failure (trunk)
TEST(RaceTests, failure) {
  for (std::size_t n = 1; n <= 7; ++n) {
    ExpectNoLoggedErrors noErrors;
    RaceState state(n);
    tw::Failure failure(std::runtime_error("The test demands failures."));
    auto raceResult = tw::race(state.ds);
    for (tw::Deferred<int>& d : state.ds) d.errback(failure);
    tw::Failure f = failureResultOf<tw::FailureGroup>(raceResult);
    EXPECT_EQ(f.value<tw::FailureGroup>()->failures(), std::vector<tw::Failure>(n, failure));
    EXPECT_EQ(*state.cancelled, std::vector<int>(n, 0));
  }
}

// A loser firing after it was cancelled goes nowhere and logs nothing.
// Twisted: test_defer.RaceTests.test_resultAfterCancel (trunk)
TEST(RaceTests, resultAfterCancel) {
  for (std::size_t beforeWinner = 0; beforeWinner <= 3; ++beforeWinner) {
    for (std::size_t afterWinner = 0; afterWinner <= 3; ++afterWinner) {
      ExpectNoLoggedErrors noErrors;
      std::vector<tw::Deferred<void>> ds(beforeWinner + 2 + afterWinner);
      auto raceResult = tw::race(ds);
      ds[beforeWinner].callback();
      ds[beforeWinner + 1].callback();
      EXPECT_EQ(successResultOf(raceResult).first, beforeWinner);
    }
  }
}

// An input whose canceller fires it with a value does no harm.
// Twisted: test_defer.RaceTests.test_resultFromCancel (trunk)
TEST(RaceTests, resultFromCancel) {
  tw::Deferred<int> winner;
  tw::Deferred<int> other([](tw::Deferred<int>& d) { d.callback(7); });
  auto raceResult = tw::race(std::vector{winner, other});
  winner.callback(1);
  EXPECT_EQ(successResultOf(raceResult), std::make_pair(std::size_t{0}, 1));
}

// Cancelling the race cancels every input; it then fails with FailureGroup.
// Twisted: test_defer.RaceTests.test_cancel (trunk)
TEST(RaceTests, cancel) {
  for (std::size_t n = 1; n <= 3; ++n) {
    RaceState state(n);
    auto raceResult = tw::race(state.ds);
    raceResult.cancel();
    EXPECT_EQ(*state.cancelled, std::vector<int>(n, 1));
    failureResultOf<tw::FailureGroup>(raceResult);
  }
}

// A race of nothing never fires; cancelling it gives CancelledError.
TEST(RaceTests, emptyNeverFires) {
  auto raceResult = tw::race(std::vector<tw::Deferred<int>>{});
  assertNoResult(raceResult);
  raceResult.cancel();
  failureResultOf<tw::CancelledError>(raceResult);
}

// The losers are cancelled before the race fires.
TEST(RaceTests, losersCancelledBeforeTheRaceFires) {
  std::vector<std::string> events;
  tw::Deferred<int> a([&](tw::Deferred<int>&) { events.push_back("cancel a"); });
  tw::Deferred<int> b;
  tw::Deferred<int> c([&](tw::Deferred<int>&) { events.push_back("cancel c"); });
  auto raceResult = tw::race(std::vector{a, b, c});
  raceResult.addCallback([&](std::pair<std::size_t, int> r) {
    events.push_back("won " + std::to_string(r.first));
    return r;
  });
  b.callback(2);
  EXPECT_EQ(events, (std::vector<std::string>{"cancel a", "cancel c", "won 1"}));
}

// A throwing loser's canceller is logged and the other losers still cancelled (tw; not trunk).
TEST(RaceTests, throwingCancellerIsLogged) {
  tw::LogCapture log;
  tw::Deferred<int> a([](tw::Deferred<int>&) { throw std::runtime_error("canceller"); });
  tw::Deferred<int> b;
  tw::Deferred<int> c;
  auto raceResult = tw::race(std::vector{a, b, c});
  b.callback(2);
  EXPECT_EQ(successResultOf(raceResult), std::make_pair(std::size_t{1}, 2));
  EXPECT_TRUE(c.called());
  EXPECT_TRUE(c.isConsumed());  // its CancelledError was taken by the race
  std::vector<tw::LogEvent> errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].text, "Exception raised from user supplied canceller");
}

// race moves values and leaves every input consumed (a void input goes on with success).
TEST(RaceTests, takesEveryResult) {
  ExpectNoLoggedErrors noErrors;
  std::vector<tw::Deferred<std::unique_ptr<int>>> ds(2);
  auto raceResult = tw::race(ds);
  ds[1].callback(std::make_unique<int>(9));
  auto [index, value] = successResultOf(raceResult);
  EXPECT_EQ(index, 1u);
  EXPECT_EQ(*value, 9);
  EXPECT_TRUE(ds[0].isConsumed());
  EXPECT_TRUE(ds[1].isConsumed());

  tw::Deferred<void> v1, v2;
  auto voidRace = tw::race(std::vector{v1, v2});
  v2.callback();
  bool ran = false;
  v1.addCallback([&] { ran = true; });  // cancelled, consumed: success
  EXPECT_TRUE(ran);
  EXPECT_EQ(successResultOf(voidRace).first, 1u);
}
