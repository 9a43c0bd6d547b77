/// @file
/// TestCase, TW_TEST and TW_TEST_F: GoogleTest tests whose body returns a Deferred, run in
/// virtual time on a MemoryReactorClock, with async setUp/tearDown, cleanups, a timeout, stall
/// detection and the janitor.  Twisted: twisted.trial.unittest.TestCase (_asynctest.py) and
/// util._Janitor.  Tests: tests/trial/test_case_test.cpp
///
/// @code
/// TW_TEST(ClientTests, answersAfterADelay) {
///   tw::Deferred<void> d = tw::deferLater(clock(), 5s, [] {});
///   return d;                                  // or a coroutine: co_await ...; co_return;
/// }
/// @endcode
///
/// How a TW_TEST runs (virtual time: nothing waits for real):
///  0. A test marked with setSkip(reason) is reported as skipped; nothing else runs.
///  1. setUp() runs; if it returns an unfired Deferred, the clock is driven until it fires.  If
///     it fails (or skips), the body and tearDown() do not run; the cleanups do.
///  2. The body runs and returns a Deferred<void>.  While it has no result, the runner moves the
///     clock to the next delayed call and runs it (Clock::step: each call sees its own time).
///     - If no delayed call is left and the Deferred has not fired, the test fails at once as
///       stalled, printing the chain of Deferreds it waits on (Deferred::waitChain: each
///       coroutine's co_await, each Deferred a callback returned, down to the one nothing has
///       fired and where it was created).  Twisted would wait out its 120 s timeout.
///     - If the next call is further than timeout() (120 s by default, as trial) from the start,
///       the test fails as timed out.
///     - A failure of the Deferred fails the test with the Failure's type, message and the place
///       it entered the chain; a SkipTest failure (skip(reason)) skips it.
///     - With setTodo(reason), a failure is expected and a success fails the test.
///  3. The cleanups run, last added first (each may return a Deferred, driven the same way), then
///     tearDown() (if setUp succeeded).
///  4. The janitor fails the test for anything left on its reactor: pending delayed calls (with
///     where callLater was called), listening ports not stopped and connection attempts not
///     completed (with where listen*/connect* was called), then cleans the reactor.
///  5. Every error logged during steps 1-4 (an "Unhandled error in Deferred", a Logger error)
///     and not taken with flushLoggedErrors() fails the test, each named with its Failure.
///     Errors logged later (e.g. by a Deferred member of the fixture, destroyed with it) are not
///     seen: keep such Deferreds in the body or handle them in tearDown.
///
/// The timeout: `setTimeout(s)` in the body or the fixture's constructor (per test or per
/// suite), or `--tw_timeout=SECONDS` on the command line of a binary linked with
/// tw::trial_main, which changes the default (twisted#2675).
///
/// Differs from Twisted: the body returns Deferred<void> (a coroutine body may co_await any
/// Deferred); a stall fails at once; the janitor names where each leftover was created
/// (twisted#5792); an unexpected success of a todo test fails it (trial only reports it, as
/// Python's unittest did before 3.4).
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/deferred.hpp"
#include "tw/failure.hpp"
#include "tw/fakes/memory_reactor.hpp"
#include "tw/interfaces/i_reactor_time.hpp"
#include "tw/logger.hpp"
#include "tw/trial/logged_errors.hpp"

namespace tw::trial {

/// The default timeout of every TW_TEST (120 s unless changed, e.g. by --tw_timeout).
Seconds defaultTimeout() noexcept;
void setDefaultTimeout(Seconds timeout) noexcept;

/// Thrown (or carried by a failed Deferred) to skip the running test: the runner reports it as
/// skipped with its reason.  TestCase::skip throws it.  Twisted: twisted.trial.unittest.SkipTest.
class SkipTest : public std::runtime_error {
 public:
  explicit SkipTest(const std::string& reason) : std::runtime_error(reason) {}
};

/// Drives a MemoryReactorClock for the runner, and reports what goes wrong as GoogleTest failures.
/// Public so that a test of the runner itself can use it.
class Runner {
 public:
  /// @param start  when the timeout starts counting (now by default).
  Runner(fakes::MemoryReactorClock& reactor, Seconds timeout,
         std::optional<double> start = std::nullopt) noexcept
      : reactor_(reactor), timeout_(timeout), start_(start.value_or(reactor.seconds())) {}

  /// How drive() ended.
  enum class Result { succeeded, failed, skipped };

  /// Moves the clock until `d` has a result, or reports a stall or a timeout (failed).  A
  /// failure result is reported (and handled), except a SkipTest, which skips the test.  `what`
  /// names `d` in messages ("The test's Deferred", "setUp", "cleanup 2", ...).
  Result run(Deferred<void> d, const std::string& what);
  /// run() == Result::succeeded.
  bool drive(Deferred<void> d, const std::string& what) {
    return run(std::move(d), what) == Result::succeeded;
  }

  /// Reports every leftover on the reactor (see test_case.hpp) and cleans it; true if clean.
  bool janitor();

 private:
  fakes::MemoryReactorClock& reactor_;
  Seconds timeout_;
  double start_;
};

namespace detail {

/// Reports the result `d` has (a failure fails the test, naming `what`; a SkipTest skips it) and
/// takes it.  Precondition: d.hasResult().
Runner::Result reportResult(Deferred<void>& d, const std::string& what);

/// Indents every line of `text` with `prefix`.
std::string indent(const std::string& text, const std::string& prefix);

/// What TestCase (virtual time) and ReactorTestCase (a real reactor) share: the steps of a run
/// described above, cleanups, skip/todo, the timeout and the logged errors.  A subclass drives
/// Deferreds on its reactor and runs its janitor.
class AsyncTestBase : public ::testing::Test {
 public:
  /// Runs before the body; may return a Deferred that the runner waits for.
  virtual Deferred<void> setUp() { return succeed(); }
  /// Runs after the body and the cleanups; may return a Deferred.
  virtual Deferred<void> tearDown() { return succeed(); }

  /// Adds a cleanup, run after the body (even a failed one), last added first.  `f` returns
  /// void or a Deferred<void> that the runner waits for.
  template <class F>
  void addCleanup(F f) {
    if constexpr (std::is_same_v<std::invoke_result_t<F&>, Deferred<void>>) {
      cleanups_.push_back(std::move(f));
    } else {
      cleanups_.push_back([f = std::move(f)]() mutable {
        f();
        return succeed();
      });
    }
  }

  /// Takes the errors logged so far in this test whose Failure is one of `E...` (every logged
  /// error when none is given), so they do not fail the test.  Twisted: flushLoggedErrors.
  /// The same as the free tw::trial::flushLoggedErrors (logged_errors.hpp).
  template <class... E>
  std::vector<Failure> flushLoggedErrors() {
    return ::tw::trial::flushLoggedErrors<E...>();
  }

  /// Skips the test now: throws SkipTest, which the runner reports as a skip with `reason`
  /// (in setUp, the body or a callback of the test's Deferred).  Twisted: raise SkipTest.
  [[noreturn]] void skip(const std::string& reason) { throw SkipTest(reason); }
  /// Skips the test before setUp runs; call it in the fixture's constructor to skip every test
  /// of the fixture.  Twisted: the `skip` attribute.
  void setSkip(std::string reason) { skipReason_ = std::move(reason); }

  /// Marks the test as expected to fail (in the constructor or the body, before it fails): a
  /// failure of the body (its Deferred, or a failed EXPECT) is then reported as an expected
  /// failure and the test passes; a body that passes fails the test as an unexpected success.
  /// With `E...`, only a Deferred failing with one of those types is expected.  setUp, the
  /// cleanups, tearDown and the janitor are not covered.  Twisted: the `todo` attribute.
  template <class... E>
  void setTodo(std::string reason) {
    todo_ = Todo{std::move(reason), nullptr};
    if constexpr (sizeof...(E) > 0) {
      todo_->expected = [](const Failure& f) { return f.template check<E...>() != nullptr; };
    }
  }

  /// This test's timeout (defaultTimeout() unless set).
  Seconds timeout() const noexcept { return timeout_; }
  void setTimeout(Seconds timeout) noexcept { timeout_ = timeout; }

  /// Runs a body as described in test_case.hpp.  Called by TW_TEST / TW_TEST_F.
  void twRun(const std::function<Deferred<void>()>& body);

 protected:
  /// Drives `d` on this test's reactor until it has a result, or reports a stall or a timeout
  /// (`timeout` counted from `start`, a time of now()).  See Runner::run.
  virtual Runner::Result drive(Deferred<void> d, const std::string& what, Seconds timeout,
                               double start) = 0;
  /// The time on this test's reactor.
  virtual double now() = 0;
  /// Reports (as a test failure) and cleans what the test left on its reactor.
  virtual void janitor() = 0;

 private:
  struct Todo {
    std::string reason;
    std::function<bool(const Failure&)> expected;  // null: every failure is expected
  };
  void runBody(const std::function<Deferred<void>()>& body);

  std::vector<std::function<Deferred<void>()>> cleanups_;
  std::optional<std::string> skipReason_;
  std::optional<Todo> todo_;
  Seconds timeout_ = defaultTimeout();
};

}  // namespace detail

/// The base of TW_TEST fixtures: a fresh MemoryReactorClock per test, virtual time, stall
/// detection, setUp/tearDown that may return Deferreds, cleanups, skip/todo.
class TestCase : public detail::AsyncTestBase {
 public:
  /// The test's reactor: TCP/UNIX/UDP records and the clock.
  fakes::MemoryReactorClock& reactor() noexcept { return reactor_; }
  /// The test's clock (the same object).
  fakes::Clock& clock() noexcept { return reactor_; }

 protected:
  Runner::Result drive(Deferred<void> d, const std::string& what, Seconds timeout,
                       double start) override {
    return Runner(reactor_, timeout, start).run(std::move(d), what);
  }
  double now() override { return reactor_.seconds(); }
  void janitor() override { Runner(reactor_, timeout()).janitor(); }

 private:
  fakes::MemoryReactorClock reactor_;
};

}  // namespace tw::trial

#define TW_DETAIL_TEST(Suite, Name, Parent, ParentId)           \
  class Suite##_##Name##_TwBase : public Parent {               \
   public:                                                      \
    ::tw::Deferred<void> twBody();                              \
  };                                                            \
  GTEST_TEST_(Suite, Name, Suite##_##Name##_TwBase, ParentId) { \
    this->twRun([this] { return this->twBody(); });             \
  }                                                             \
  ::tw::Deferred<void> Suite##_##Name##_TwBase::twBody()

/// A test whose body returns a Deferred<void> (or is a coroutine), on a tw::trial::TestCase.
#define TW_TEST(Suite, Name) \
  TW_DETAIL_TEST(Suite, Name, ::tw::trial::TestCase, ::testing::internal::GetTestTypeId())

/// The same on a fixture derived from tw::trial::TestCase.
#define TW_TEST_F(Fixture, Name) \
  TW_DETAIL_TEST(Fixture, Name, Fixture, ::testing::internal::GetTypeId<Fixture>())
