/// @file
/// tw_trial_failing: tests that fail on purpose, one per failure mode of the runner, so that
/// what a user reads is pinned.  Never run as part of the suite directly: golden.cmake runs it
/// and compares its output with golden/failing.txt (trial.goldenOutput) and checks its JUnit XML
/// (trial.junitXml).  Regenerate the golden file with
///   cmake -D UPDATE=1 -D BINARY=<build>/tests/tw_trial_failing -D SOURCE_DIR=<repo>
///         -D MODE=golden -P tests/trial/golden/golden.cmake
#include <chrono>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "tw/defer_later.hpp"
#include "tw/deferred.hpp"
#include "tw/factory.hpp"
#include "tw/logger.hpp"
#include "tw/protocol.hpp"
#include "tw/trial/prop.hpp"
#include "tw/trial/reactor_test_case.hpp"
#include "tw/trial/test_case.hpp"

namespace {

using namespace std::chrono_literals;

// A body whose Deferred fails: the Failure's type, message and where it entered the chain.
TW_TEST(Failing, deferredFails) {
  return tw::deferLater(clock(), 2s, [] { throw std::runtime_error("the server said no"); });
}

// A stall: the chain of what the test waits on, down to the Deferred nothing fires.
tw::Deferred<int> fetchAnswer(tw::Deferred<int> reply) {
  int answer = co_await reply;
  co_return answer;
}

TW_TEST(Failing, stalls) {
  tw::Deferred<int> reply;  // nothing fires it before the runner gives up
  addCleanup([reply]() mutable { reply.callback(42); });  // then the coroutines can finish
  co_await tw::deferLater(clock(), 1s, [] {});
  int answer = co_await fetchAnswer(reply);
  EXPECT_EQ(answer, 42);
}

// A timeout in virtual time: what the test still waits on and the next delayed call.
TW_TEST(Failing, timesOut) {
  setTimeout(10s);
  return tw::deferLater(clock(), 60s, [] {});
}

// The janitor: every leftover, with where it was created.
TW_TEST(Failing, leavesTheReactorDirty) {
  reactor().callLater(30s, [] {});
  reactor().listenTCP(8080, tw::Factory::forProtocol<tw::Protocol>());
  reactor().connectTCP("example.org", 80, tw::ClientFactory::forProtocol<tw::Protocol>());
  return tw::succeed();
}

// A plain TEST that drops a failed Deferred: "Unhandled error in Deferred" fails it.
TEST(Failing, plainTestDropsAFailure) {
  tw::Deferred<int> d = tw::fail<int>(std::runtime_error("nobody handled me"));
}

// A coroutine abandoned with its check unrun (twisted#6834).
tw::Deferred<void> checkAnswer(tw::Deferred<int> reply) {
  int answer = co_await std::move(reply);
  EXPECT_EQ(answer, 42);
}

TEST(Failing, checksNeverRan) {
  tw::Deferred<int> reply;
  tw::Deferred<void> check = checkAnswer(reply);
}

// A failing setUp: the body and tearDown do not run.
class BrokenSetUp : public tw::trial::TestCase {
 public:
  tw::Deferred<void> setUp() override {
    return tw::deferLater(clock(), 1s, [] { throw std::logic_error("no fixture data"); });
  }
};

TW_TEST_F(BrokenSetUp, setUpFails) {
  ADD_FAILURE() << "the body must not run";
  return tw::succeed();
}

// A todo test that passes: an unexpected success.
TW_TEST(Failing, unexpectedSuccess) {
  setTodo("the parser drops the last line (bug 12)");
  return tw::succeed();
}

// A todo test that fails as expected: passes, and says so.
TW_TEST(Passing, expectedFailure) {
  setTodo("the parser drops the last line (bug 12)");
  return tw::fail<void>(std::runtime_error("last line lost"));
}

// A skipped test.
TW_TEST(Passing, skipped) { skip("needs IPv6"); }

// A property whose cases leave a delayed call behind once n > 5: the case fails, RapidCheck
// shrinks it to n = 6 and prints how to reproduce it.
TW_PROP(FailingProps, leavesACallPending, (unsigned n)) {
  if (n > 5) tw::trial::propReactor().callLater(1s, [] {});
}

// A test on a real reactor that leaves a job running on the reactor's thread pool: the janitor
// names it and where it was submitted, then waits for it.
TW_REACTOR_TEST(FailingReactor, leavesAJobRunning) {
  tw::Deferred<void> started;
  reactor().callInThread([this, started]() mutable {
    reactor().callFromThread([started]() mutable { started.callback(); });
    std::this_thread::sleep_for(500ms);  // still running when the test ends
  });
  co_await started;
}

}  // namespace
