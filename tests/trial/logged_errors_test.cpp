/// @file
/// Tests of the logged-errors collector: scopes nest, flushLoggedErrors<E...>() takes only the
/// named types from the innermost scope, and a plain TEST of a trial_main binary may flush the
/// errors it expects.  The failure of a test that leaves one unflushed is pinned by the golden
/// output of tw_trial_failing (tests/trial/failing/).
/// Twisted: twisted/trial/test/test_tests.py (TestFlushLoggedErrors... ), test_loggedErrors.
#include "tw/trial/logged_errors.hpp"

#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tw/deferred.hpp"
#include "tw/error.hpp"
#include "tw/logger.hpp"
#include "tw/trial/test_case.hpp"

namespace {

const tw::Logger logger("tw.test");

// An error logged in a plain TEST and flushed by type does not fail it.
TEST(LoggedErrorsTests, plainTestFlushesByType) {
  logger.failure("boom", tw::Failure(std::runtime_error("expected")));
  std::vector<tw::Failure> flushed = tw::trial::flushLoggedErrors<std::runtime_error>();
  ASSERT_EQ(flushed.size(), 1u);
  EXPECT_EQ(flushed[0].getErrorMessage(), "expected");
}

// flushLoggedErrors<E>() leaves errors of other types; with no type it takes every one.
TEST(LoggedErrorsTests, flushTakesOnlyTheNamedTypes) {
  tw::trial::LoggedErrorsScope scope;
  logger.failure("a", tw::Failure(std::runtime_error("runtime")));
  logger.failure("b", tw::Failure(std::logic_error("logic")));
  logger.error("no failure attached");
  logger.info("not an error");
  EXPECT_TRUE(tw::trial::flushLoggedErrors<std::invalid_argument>().empty());
  std::vector<tw::Failure> logic = tw::trial::flushLoggedErrors<std::logic_error>();
  ASSERT_EQ(logic.size(), 1u);
  EXPECT_EQ(logic[0].getErrorMessage(), "logic");
  std::vector<tw::LogEvent> left = scope.take();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].text, "a");
  EXPECT_EQ(left[1].text, "no failure attached");
  EXPECT_TRUE(scope.take().empty());
}

// flushLoggedErrors<>() takes every error, events without a Failure included.
TEST(LoggedErrorsTests, flushWithoutTypesTakesAll) {
  tw::trial::LoggedErrorsScope scope;
  logger.failure("a", tw::Failure(std::runtime_error("runtime")));
  logger.critical("plain");
  EXPECT_EQ(tw::trial::flushLoggedErrors().size(), 1u);  // the one with a Failure
  EXPECT_TRUE(scope.take().empty());
}

// An inner scope hides the outer one until it closes; the outer one then collects again.
TEST(LoggedErrorsTests, scopesNest) {
  tw::trial::LoggedErrorsScope outer;
  logger.error("first");
  {
    tw::trial::LoggedErrorsScope inner;
    logger.error("second");
    EXPECT_EQ(inner.take().size(), 1u);
  }
  logger.error("third");
  std::vector<tw::LogEvent> outerEvents = outer.take();
  ASSERT_EQ(outerEvents.size(), 2u);
  EXPECT_EQ(outerEvents[0].text, "first");
  EXPECT_EQ(outerEvents[1].text, "third");
}

// An unhandled failure in a Deferred is an error the test may flush (Twisted's classic use).
TEST(LoggedErrorsTests, unhandledErrorInDeferredIsFlushable) {
  { tw::Deferred<int> d = tw::fail<int>(tw::error::ConnectionLost()); }
  std::vector<tw::Failure> flushed = tw::trial::flushLoggedErrors<tw::error::ConnectionLost>();
  EXPECT_EQ(flushed.size(), 1u);
}

// The same inside a TW_TEST, through the fixture's member.
TW_TEST(LoggedErrorsTests, twTestFlushesWithTheMember) {
  logger.failure("boom", tw::Failure(std::runtime_error("expected")));
  EXPECT_EQ(flushLoggedErrors<std::runtime_error>().size(), 1u);
  return tw::succeed();
}

// describeUnflushed names the Failure's type and message.
TEST(LoggedErrorsTests, describeUnflushedNamesTheFailure) {
  tw::LogEvent e;
  e.level = tw::LogLevel::critical;
  e.ns = "tw.deferred";
  e.text = "Unhandled error in Deferred:";
  e.failure = tw::Failure(std::runtime_error("lost"));
  EXPECT_THAT(
      tw::trial::describeUnflushed({e}),
      ::testing::AllOf(::testing::HasSubstr("not flushed"),
                       ::testing::HasSubstr("Unhandled error in Deferred"),
                       ::testing::HasSubstr("runtime_error"), ::testing::HasSubstr("lost")));
}

}  // namespace
