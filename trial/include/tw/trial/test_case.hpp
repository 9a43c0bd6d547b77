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
///  1. setUp() runs; if it returns an unfired Deferred, the clock is driven until it fires.
///  2. The body runs and returns a Deferred<void>.  While it has no result, the runner moves the
///     clock to the next delayed call and runs it (Clock::step: each call sees its own time).
///     - If no delayed call is left and the Deferred has not fired, the test fails at once as
///       stalled, naming the Deferred (Twisted would wait out its 120 s timeout).
///     - If the next call is further than timeout() (120 s by default, as trial) from the start,
///       the test fails as timed out.
///     - A failure of the Deferred fails the test with the Failure's type, message and the place
///       it entered the chain.
///  3. The cleanups run, last added first (each may return a Deferred, driven the same way), then
///     tearDown().
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
/// (twisted#5792).
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/deferred.hpp"
#include "tw/failure.hpp"
#include "tw/fakes/memory_reactor.hpp"
#include "tw/interfaces/i_reactor_time.hpp"
#include "tw/logger.hpp"

namespace tw::trial {

/// The default timeout of every TW_TEST (120 s unless changed, e.g. by --tw_timeout).
Seconds defaultTimeout() noexcept;
void setDefaultTimeout(Seconds timeout) noexcept;

/// Drives a MemoryReactorClock for the runner, and reports what goes wrong as GoogleTest failures.
/// Public so that a test of the runner itself can use it.
class Runner {
 public:
  /// @param start  when the timeout starts counting (now by default).
  Runner(fakes::MemoryReactorClock& reactor, Seconds timeout,
         std::optional<double> start = std::nullopt) noexcept
      : reactor_(reactor), timeout_(timeout), start_(start.value_or(reactor.seconds())) {}

  /// Moves the clock until `d` has a result (true), or reports a stall or a timeout (false).
  /// A failure result is reported (and handled).  `what` names `d` in messages ("the test's
  /// Deferred", "setUp", "cleanup 2", ...).
  bool drive(Deferred<void> d, const std::string& what);

  /// Reports every leftover on the reactor (see test_case.hpp) and cleans it; true if clean.
  bool janitor();

 private:
  fakes::MemoryReactorClock& reactor_;
  Seconds timeout_;
  double start_;
};

/// The base of TW_TEST fixtures: a fresh MemoryReactorClock per test, setUp/tearDown that may
/// return Deferreds, cleanups, skip/todo.
class TestCase : public ::testing::Test {
 public:
  /// The test's reactor: TCP/UNIX/UDP records and the clock.
  fakes::MemoryReactorClock& reactor() noexcept { return reactor_; }
  /// The test's clock (the same object).
  fakes::Clock& clock() noexcept { return reactor_; }

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
  template <class... E>
  std::vector<Failure> flushLoggedErrors() {
    std::vector<Failure> taken;
    std::vector<LogEvent> kept;
    std::lock_guard<std::mutex> lock(loggedMutex_);
    for (auto& event : loggedErrors_) {
      bool match = false;
      if (event.failure) {
        if constexpr (sizeof...(E) == 0) {
          match = true;
        } else {
          match = event.failure->template check<E...>() != nullptr;
        }
      } else {
        match = sizeof...(E) == 0;
      }
      if (match && event.failure) {
        taken.push_back(*event.failure);
      } else if (!match) {
        kept.push_back(std::move(event));
      }
    }
    loggedErrors_ = std::move(kept);
    return taken;
  }

  /// This test's timeout (defaultTimeout() unless set).
  Seconds timeout() const noexcept { return timeout_; }
  void setTimeout(Seconds timeout) noexcept { timeout_ = timeout; }

  /// Runs a body as described in test_case.hpp.  Called by TW_TEST / TW_TEST_F.
  void twRun(const std::function<Deferred<void>()>& body);

 private:
  void checkLoggedErrors();

  fakes::MemoryReactorClock reactor_;
  std::vector<std::function<Deferred<void>()>> cleanups_;
  std::mutex loggedMutex_;
  std::vector<LogEvent> loggedErrors_;
  Seconds timeout_ = defaultTimeout();
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
