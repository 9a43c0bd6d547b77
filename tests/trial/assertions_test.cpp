/// @file
/// Tests of the trial assertions: successResultOf, failureResultOf, assertNoResult,
/// assertFailure — on plain Deferreds and on coroutines' Deferreds (twisted#9007), with the
/// messages a user sees when they fail.  Twisted: twisted/trial/test/test_assertions.py
/// (SynchronousAssertionsTests: successResultOf, failureResultOf, assertNoResult).
#include "tw/trial/assertions.hpp"

#include <functional>
#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tw/deferred.hpp"
#include "tw/logger.hpp"

namespace {

using ::testing::HasSubstr;

std::string messageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const tw::trial::AssertionError& e) {
    return e.what();
  }
  return "(no AssertionError)";
}

tw::Deferred<int> coroutineReturning(int x) { co_return x; }

tw::Deferred<int> coroutineFailing() {
  throw std::runtime_error("from a coroutine");
  co_return 0;
}

// Twisted: test_successResultOfWithSuccessResult — the value is returned.
TEST(AssertionsTests, successResultOfReturnsTheValue) {
  EXPECT_EQ(tw::trial::successResultOf(tw::succeed(7)), 7);
  tw::trial::successResultOf(tw::succeed());
}

// twisted#9007: it works on a coroutine's Deferred.
TEST(AssertionsTests, successResultOfOnACoroutine) {
  EXPECT_EQ(tw::trial::successResultOf(coroutineReturning(3)), 3);
}

// Twisted: test_successResultOfWithNoResult — the message says there is no result yet.
TEST(AssertionsTests, successResultOfWithoutResultFails) {
  tw::Deferred<int> d;
  std::string m = messageOf([&] { tw::trial::successResultOf(d); });
  EXPECT_THAT(m, HasSubstr("successResultOf: a result was expected on"));
  EXPECT_THAT(m, HasSubstr("has none yet"));
  EXPECT_THAT(m, HasSubstr("assertions_test.cpp"));
}

// Twisted: test_successResultOfWithFailure — the message shows the failure, which is handled.
TEST(AssertionsTests, successResultOfWithAFailureShowsIt) {
  tw::LogCapture log;
  std::string m = messageOf([] { tw::trial::successResultOf(coroutineFailing()); });
  EXPECT_THAT(m, HasSubstr("holds a failure"));
  EXPECT_THAT(m, HasSubstr("std::runtime_error"));
  EXPECT_THAT(m, HasSubstr("from a coroutine"));
  EXPECT_TRUE(log.errors().empty());
}

// Twisted: test_failureResultOfWithMatchingFailure — the Failure is returned and handled.
TEST(AssertionsTests, failureResultOfReturnsTheFailure) {
  tw::LogCapture log;
  {
    tw::Failure f =
        tw::trial::failureResultOf<std::runtime_error>(tw::fail<int>(std::runtime_error("boom")));
    EXPECT_EQ(f.getErrorMessage(), "boom");
    tw::trial::failureResultOf(coroutineFailing());
  }
  EXPECT_TRUE(log.errors().empty());
}

// Twisted: test_failureResultOfWithWrongFailure — the message names the expected and the found
// types.
TEST(AssertionsTests, failureResultOfWithAnotherTypeFails) {
  std::string m = messageOf([] {
    tw::trial::failureResultOf<std::invalid_argument, std::out_of_range>(
        tw::fail<int>(std::runtime_error("boom")));
  });
  EXPECT_THAT(m, HasSubstr("std::invalid_argument or std::out_of_range"));
  EXPECT_THAT(m, HasSubstr("std::runtime_error"));
  EXPECT_THAT(m, HasSubstr("boom"));
}

// Twisted: test_failureResultOfWithSuccessResult, test_failureResultOfWithNoResult.
TEST(AssertionsTests, failureResultOfWithSuccessOrNothingFails) {
  EXPECT_THAT(messageOf([] { tw::trial::failureResultOf(tw::succeed(1)); }),
              HasSubstr("but it holds a success"));
  tw::Deferred<void> d;
  EXPECT_THAT(messageOf([&] { tw::trial::failureResultOf(d); }), HasSubstr("no result yet"));
}

// Twisted: test_assertNoResult, test_assertNoResultSuccess, test_assertNoResultFailure — no
// result passes; a result fails, and a failure found is handled.
TEST(AssertionsTests, assertNoResult) {
  tw::LogCapture log;
  tw::Deferred<int> pending;
  EXPECT_NO_THROW(tw::trial::assertNoResult(pending));
  EXPECT_THAT(messageOf([] { tw::trial::assertNoResult(tw::succeed(1)); }),
              HasSubstr("no result was expected"));
  {
    auto failed = tw::fail<int>(std::runtime_error("late"));
    EXPECT_THAT(messageOf([&] { tw::trial::assertNoResult(failed); }), HasSubstr("late"));
  }
  EXPECT_TRUE(log.errors().empty());
}

// Twisted: TestCase.assertFailure — fires with the Failure of the expected type; fails with
// AssertionError on success or another type.
TEST(AssertionsTests, assertFailure) {
  auto ok = tw::trial::assertFailure<std::runtime_error>(tw::fail<int>(std::runtime_error("x")));
  EXPECT_EQ(tw::Failure(tw::trial::successResultOf(ok)).getErrorMessage(), "x");
  auto succeeded = tw::trial::assertFailure<std::runtime_error>(tw::succeed(1));
  tw::Failure f = tw::trial::failureResultOf<tw::trial::AssertionError>(succeeded);
  EXPECT_THAT(f.getErrorMessage(), HasSubstr("succeeded"));
  auto other =
      tw::trial::assertFailure<std::invalid_argument>(tw::fail<void>(std::runtime_error("y")));
  EXPECT_THAT(tw::trial::failureResultOf<tw::trial::AssertionError>(other).getErrorMessage(),
              HasSubstr("another type"));
}

}  // namespace
