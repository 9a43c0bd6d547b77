/// @file
/// Tests of the gMock matchers on Deferreds: what matches, and the messages of a mismatch.
#include "tw/trial/matchers.hpp"

#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "tw/deferred.hpp"
#include "tw/error.hpp"
#include "tw/logger.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using tw::trial::FailedWith;
using tw::trial::HasNoResult;
using tw::trial::Succeeded;

tw::Deferred<std::string> coroutineGreeting() { co_return "hello world"; }

// Succeeded matches a value, with a plain value or a matcher, and on coroutines' Deferreds.
TEST(MatchersTests, succeededMatchesTheValue) {
  EXPECT_THAT(tw::succeed(42), Succeeded(42));
  EXPECT_THAT(tw::succeed(42), Not(Succeeded(41)));
  EXPECT_THAT(coroutineGreeting(), Succeeded(HasSubstr("world")));
  EXPECT_THAT(tw::succeed(), Succeeded());
  tw::Deferred<int> pending;
  EXPECT_THAT(pending, Not(Succeeded()));
}

// A mismatch explains what the Deferred holds.
TEST(MatchersTests, succeededExplainsAMismatch) {
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(tw::succeed(42), Succeeded(41)), "which succeeded with 42");
  tw::Deferred<int> pending;
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(pending, Succeeded(1)), "which has no result yet");
  auto failed = tw::fail<int>(std::runtime_error("boom"));
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(failed, Succeeded(1)),
                          "which failed with std::runtime_error: boom");
  EXPECT_THAT(failed, FailedWith<std::runtime_error>());  // handle it
}

// FailedWith matches the failure's type (subclasses too) and, optionally, its message; a match
// handles the failure.
TEST(MatchersTests, failedWithMatchesTypeAndMessage) {
  tw::LogCapture log;
  {
    EXPECT_THAT(tw::fail<int>(tw::error::ConnectionAborted()),
                FailedWith<tw::error::ConnectionLost>());
    EXPECT_THAT(tw::fail<void>(std::runtime_error("disk full")),
                FailedWith<std::runtime_error>(HasSubstr("full")));
  }
  EXPECT_TRUE(log.errors().empty());
}

// A FailedWith mismatch names what was found and leaves the failure to be handled.
TEST(MatchersTests, failedWithExplainsAMismatch) {
  auto d = tw::fail<int>(std::runtime_error("boom"));
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(d, FailedWith<std::invalid_argument>()),
                          "which failed with std::runtime_error: boom");
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(tw::succeed(1), FailedWith<std::runtime_error>()),
                          "which succeeded");
  EXPECT_THAT(d, FailedWith<std::runtime_error>());  // still there; now handled
}

// HasNoResult matches a Deferred that has not fired.
TEST(MatchersTests, hasNoResult) {
  tw::Deferred<int> d;
  EXPECT_THAT(d, HasNoResult());
  d.callback(1);
  EXPECT_THAT(d, Not(HasNoResult()));
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(d, HasNoResult()), "which succeeded");
}

}  // namespace
