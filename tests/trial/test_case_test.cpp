/// @file
/// Tests of TW_TEST, TW_TEST_F, TestCase and the Runner: virtual time, coroutines, setUp/
/// tearDown/cleanups, and the messages of a failure, a stall, a timeout and a dirty reactor.
/// Twisted: twisted/trial/test/test_asyncassertions.py, test_tests.py, test_runner.py (janitor).
#include "tw/trial/test_case.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "tw/defer_later.hpp"
#include "tw/factory.hpp"

namespace {

using namespace std::chrono_literals;

// The body's Deferred fires after 5 virtual seconds; the runner moves the clock there.
TW_TEST(TWTestTests, waitsInVirtualTime) {
  return tw::deferLater(clock(), 5s, [this] { EXPECT_DOUBLE_EQ(clock().seconds(), 5.0); });
}

// A coroutine body co_awaits Deferreds; each delayed call runs at its own time.
TW_TEST(TWTestTests, coroutineBody) {
  co_await tw::deferLater(clock(), 2s, [] {});
  EXPECT_DOUBLE_EQ(clock().seconds(), 2.0);
  int x = co_await tw::deferLater(clock(), 3s, [] { return 7; });
  EXPECT_EQ(x, 7);
  EXPECT_DOUBLE_EQ(clock().seconds(), 5.0);
}

// A fixture: setUp may wait, cleanups run last-added first and are awaited, then tearDown.
class OrderTests : public tw::trial::TestCase {
 public:
  tw::Deferred<void> setUp() override {
    return tw::deferLater(clock(), 1s, [this] { events.push_back("setUp"); });
  }
  tw::Deferred<void> tearDown() override {
    events.push_back("tearDown");
    EXPECT_EQ(events,
              (std::vector<std::string>{"setUp", "body", "cleanup2", "cleanup1", "tearDown"}));
    return tw::succeed();
  }
  std::vector<std::string> events;
};

TW_TEST_F(OrderTests, cleanupsRunLastFirstBeforeTearDown) {
  addCleanup([this] { events.push_back("cleanup1"); });
  addCleanup(
      [this] { return tw::deferLater(clock(), 1s, [this] { events.push_back("cleanup2"); }); });
  events.push_back("body");
  return tw::succeed();
}

// A per-test timeout longer than the default lets a long wait pass.
TW_TEST(TWTestTests, perTestTimeout) {
  setTimeout(3600s);
  return tw::deferLater(clock(), 1000s, [] {});
}

// The runner, tested directly: the messages users see.
class RunnerTests : public ::testing::Test {
 protected:
  tw::fakes::MemoryReactorClock reactor;
};

// A failed Deferred fails the test with the failure's type and message.
TEST_F(RunnerTests, failureIsReported) {
  EXPECT_NONFATAL_FAILURE(
      {
        tw::fakes::MemoryReactorClock r;
        tw::trial::Runner(r, 120s).drive(tw::fail<void>(std::runtime_error("broken pipe")),
                                         "The test's Deferred");
      },
      "The test's Deferred failed:");
  EXPECT_NONFATAL_FAILURE(
      {
        tw::fakes::MemoryReactorClock r;
        tw::trial::Runner(r, 120s).drive(tw::fail<void>(std::runtime_error("broken pipe")), "x");
      },
      "broken pipe");
}

// A Deferred that nothing can fire is reported at once as stalled.
TEST_F(RunnerTests, stallIsReportedAtOnce) {
  EXPECT_NONFATAL_FAILURE(
      {
        tw::fakes::MemoryReactorClock r;
        tw::Deferred<void> never;
        tw::trial::Runner(r, 120s).drive(never, "The test's Deferred");
      },
      "stalled: it has not fired and nothing is scheduled that could fire it");
}

// A Deferred waiting past the timeout is reported as timed out, in virtual time.
TEST_F(RunnerTests, timeoutIsReported) {
  EXPECT_NONFATAL_FAILURE(
      {
        tw::fakes::MemoryReactorClock r;
        auto d = tw::deferLater(r, 200s, [] {});
        tw::trial::Runner runner(r, 120s);
        runner.drive(d, "The test's Deferred");
        d.cancel();
        d.addErrback([](tw::Failure) {});
      },
      "timed out after 120 s of virtual time");
}

// The janitor names every leftover and where it was created, then cleans the reactor.
TEST_F(RunnerTests, janitorNamesLeftovers) {
  EXPECT_NONFATAL_FAILURE(
      {
        tw::fakes::MemoryReactorClock r;
        r.callLater(10s, [] {});
        r.listenTCP(8080, tw::Factory::forProtocol<tw::Protocol>());
        r.connectTCP("example.org", 80, tw::ClientFactory::forProtocol<tw::Protocol>());
        tw::trial::Runner runner(r, 120s);
        EXPECT_FALSE(runner.janitor());
        EXPECT_TRUE(r.getDelayedCalls().empty());
      },
      "pending delayed call: <DelayedCall");
  EXPECT_NONFATAL_FAILURE(
      {
        tw::fakes::MemoryReactorClock r;
        r.listenTCP(8080, tw::Factory::forProtocol<tw::Protocol>());
        tw::trial::Runner(r, 120s).janitor();
      },
      "TCP port 8080 still listening (listenTCP at");
  EXPECT_NONFATAL_FAILURE(
      {
        tw::fakes::MemoryReactorClock r;
        r.connectTCP("example.org", 80, tw::ClientFactory::forProtocol<tw::Protocol>());
        tw::trial::Runner(r, 120s).janitor();
      },
      "TCP connection attempt to example.org:80 never completed (connectTCP at");
}

// A clean reactor passes the janitor.
TEST_F(RunnerTests, cleanReactorPasses) {
  auto d = tw::deferLater(reactor, 1s, [] {});
  tw::trial::Runner runner(reactor, 120s);
  EXPECT_TRUE(runner.drive(d, "d"));
  EXPECT_TRUE(runner.janitor());
}

}  // namespace

namespace {

// An expected logged error, flushed by type, does not fail the test.
TW_TEST(LoggedErrorsTests, flushedErrorsDoNotFail) {
  {
    auto d = tw::fail<int>(std::runtime_error("expected"));
  }  // dropped unhandled: "Unhandled error in Deferred" is logged
  auto flushed = flushLoggedErrors<std::runtime_error>();
  EXPECT_EQ(flushed.size(), 1u);
  EXPECT_EQ(flushed.at(0).getErrorMessage(), "expected");
  EXPECT_TRUE(flushLoggedErrors().empty());
  return tw::succeed();
}

// flushLoggedErrors of another type leaves the error in place (the gtest-spi check below runs
// the same situation in a child fixture and sees the failure).
class UnflushedFixture : public tw::trial::TestCase {
 public:
  void TestBody() override {}
  void runWithUnhandledError() {
    twRun([this] {
      { auto d = tw::fail<int>(std::runtime_error("nobody handled me")); }
      EXPECT_TRUE(flushLoggedErrors<std::invalid_argument>().empty());
      return tw::succeed();
    });
  }
};

TEST(LoggedErrorsTests, unflushedErrorFailsTheTestNamingIt) {
  EXPECT_NONFATAL_FAILURE(
      {
        UnflushedFixture f;
        f.runWithUnhandledError();
      },
      "nobody handled me");
}

}  // namespace

namespace {

// Runs one TW_TEST-like case through twRun and returns what it reported (failures, skips).
class Probe : public tw::trial::TestCase {
 public:
  void TestBody() override {}
  tw::Deferred<void> setUp() override {
    events.push_back("setUp");
    if (failSetUp) return tw::fail<void>(std::runtime_error("setUp broke"));
    return tw::succeed();
  }
  tw::Deferred<void> tearDown() override {
    events.push_back("tearDown");
    return tw::succeed();
  }
  std::vector<::testing::TestPartResult> run(const std::function<tw::Deferred<void>()>& body) {
    ::testing::TestPartResultArray results;
    {
      ::testing::ScopedFakeTestPartResultReporter capture(
          ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
      twRun(body);
    }
    std::vector<::testing::TestPartResult> out;
    for (int i = 0; i < results.size(); ++i) out.push_back(results.GetTestPartResult(i));
    return out;
  }
  std::vector<std::string> events;
  bool failSetUp = false;
};

std::vector<std::string> messages(const std::vector<::testing::TestPartResult>& results,
                                  ::testing::TestPartResult::Type type) {
  std::vector<std::string> out;
  for (const auto& r : results) {
    if (r.type() == type) out.push_back(r.message());
  }
  return out;
}

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Part = ::testing::TestPartResult;

// skip(reason) in the body skips the test with its reason; cleanups and tearDown still run.
TEST(SkipTests, skipInTheBodySkips) {
  Probe p;
  auto results = p.run([&p]() -> tw::Deferred<void> {
    p.addCleanup([&p] { p.events.push_back("cleanup"); });
    p.skip("no IPv6 here");
  });
  EXPECT_THAT(messages(results, Part::kSkip), ElementsAre("Skipped: no IPv6 here"));
  EXPECT_TRUE(messages(results, Part::kNonFatalFailure).empty());
  EXPECT_EQ(p.events, (std::vector<std::string>{"setUp", "cleanup", "tearDown"}));
}

// A SkipTest failing the test's Deferred later (from a callback) skips it too.
TEST(SkipTests, skipFromACallbackSkips) {
  Probe p;
  auto results = p.run([&p] {
    return tw::deferLater(p.clock(), 3s, [] { throw tw::trial::SkipTest("found no server"); });
  });
  EXPECT_THAT(messages(results, Part::kSkip), ElementsAre("Skipped: found no server"));
  EXPECT_TRUE(messages(results, Part::kNonFatalFailure).empty());
}

// setSkip (Twisted's skip attribute) skips before setUp: nothing of the test runs.
TEST(SkipTests, setSkipSkipsBeforeSetUp) {
  Probe p;
  p.setSkip("needs root");
  bool ran = false;
  auto results = p.run([&ran] {
    ran = true;
    return tw::succeed();
  });
  EXPECT_THAT(messages(results, Part::kSkip), ElementsAre("Skipped: needs root"));
  EXPECT_FALSE(ran);
  EXPECT_TRUE(p.events.empty());
}

// A failing setUp fails the test; the body and tearDown do not run, the cleanups do (trial).
TEST(SkipTests, failedSetUpSkipsBodyAndTearDown) {
  Probe p;
  p.failSetUp = true;
  p.addCleanup([&p] { p.events.push_back("cleanup"); });
  bool ran = false;
  auto results = p.run([&ran] {
    ran = true;
    return tw::succeed();
  });
  EXPECT_THAT(messages(results, Part::kNonFatalFailure), ElementsAre(HasSubstr("setUp failed:")));
  EXPECT_FALSE(ran);
  EXPECT_EQ(p.events, (std::vector<std::string>{"setUp", "cleanup"}));
}

// A todo test whose body fails passes, as an expected failure.
TEST(TodoTests, expectedFailurePasses) {
  Probe p;
  p.setTodo("the parser drops the last line (bug 12)");
  auto results = p.run([] { return tw::fail<void>(std::runtime_error("last line lost")); });
  EXPECT_TRUE(results.empty());
}

// A failed EXPECT in a todo body is an expected failure too, and the body may mark itself.
TEST(TodoTests, failedExpectationInTheBodyIsExpected) {
  Probe p;
  auto results = p.run([&p] {
    p.setTodo("not done");
    EXPECT_EQ(1, 2);
    return tw::succeed();
  });
  EXPECT_TRUE(results.empty());
}

// A todo test that passes fails as an unexpected success.
TEST(TodoTests, unexpectedSuccessFails) {
  Probe p;
  p.setTodo("bug 12");
  auto results = p.run([] { return tw::succeed(); });
  EXPECT_THAT(messages(results, Part::kNonFatalFailure),
              ElementsAre(HasSubstr("Unexpected success: the test is marked todo (\"bug 12\") "
                                    "but passed; remove the todo.")));
}

// With types, only a failure of those types is expected; another one fails the test, with the
// original failure reported.
TEST(TodoTests, todoWithTypesExpectsOnlyThoseTypes) {
  Probe p;
  p.setTodo<std::logic_error>("bug 13");
  auto results = p.run([] { return tw::fail<void>(std::logic_error("known")); });
  EXPECT_TRUE(results.empty());

  Probe q;
  q.setTodo<std::logic_error>("bug 13");
  results = q.run([] { return tw::fail<void>(std::runtime_error("something else")); });
  EXPECT_THAT(messages(results, Part::kNonFatalFailure),
              ElementsAre(HasSubstr("something else"),
                          HasSubstr("marked todo (\"bug 13\") for other failures")));
}

// A stall names the whole chain: the coroutine's co_await and the Deferred nothing fires.
tw::Deferred<int> waitsForAnAnswer(tw::Deferred<int> answer) {
  int x = co_await answer;
  co_return x;
}

TEST(StallTests, stallPrintsTheChainOfPendingDeferreds) {
  Probe p;
  tw::Deferred<int> answer;
  const int created = __LINE__ - 1;
  auto results = p.run([&]() -> tw::Deferred<void> {
    co_await tw::deferLater(p.clock(), 1s, [] {});
    co_await waitsForAnAnswer(answer);
  });
  auto failures = messages(results, Part::kNonFatalFailure);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_THAT(failures[0], HasSubstr("The test's Deferred stalled"));
  EXPECT_THAT(failures[0], HasSubstr("1. a coroutine's Deferred, suspended at the co_await at"));
  EXPECT_THAT(failures[0], HasSubstr("2. a coroutine's Deferred, suspended at the co_await at"));
  EXPECT_THAT(failures[0],
              HasSubstr("3. the Deferred created at " + std::string(__FILE__) + ":" +
                        std::to_string(created) + ", which has no result: nothing has fired it"));
  // Let the suspended coroutines finish (they would otherwise keep each other alive).
  answer.callback(42);
}

// twisted#6834: a test whose asynchronous checks never ran must not pass.  Here the coroutine
// holding the check is abandoned when the Deferred it awaits is dropped unfired: the test fails,
// naming the co_await.
tw::Deferred<void> checksTheAnswer(tw::Deferred<int> answer) {
  int x = co_await std::move(answer);
  EXPECT_EQ(x, 42);  // never runs
}

TEST(NeverAwaitedTests, abandonedCoroutineFailsTheTest) {
  Probe p;
  auto results = p.run([] {
    tw::Deferred<int> answer;
    auto check = checksTheAnswer(answer);  // not returned, not awaited
    return tw::succeed();
  });
  auto failures = messages(results, Part::kNonFatalFailure);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_THAT(failures[0],
              HasSubstr("A coroutine was abandoned at the co_await at " + std::string(__FILE__)));
  EXPECT_THAT(failures[0], HasSubstr("the code after that co_await never ran"));
}

// An expected abandonment is flushed like any logged error.
TEST(NeverAwaitedTests, expectedAbandonmentCanBeFlushed) {
  Probe p;
  auto results = p.run([&p] {
    { auto check = checksTheAnswer(tw::Deferred<int>()); }
    EXPECT_EQ(p.flushLoggedErrors<tw::AbandonedCoroutineError>().size(), 1u);
    return tw::succeed();
  });
  EXPECT_TRUE(results.empty());
}

}  // namespace
