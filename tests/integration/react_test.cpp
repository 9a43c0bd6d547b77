/// @file
/// Tests of react on the real reactors (epoll, poll, select): the exit code, a failure, and a
/// stop by SIGTERM before main's Deferred fires.
/// Twisted: twisted.test.test_task.ReactTests (there on a fake reactor; see
/// tests/runtime/react_test.cpp for those ports).
#include "tw/react.hpp"

#include <signal.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <stdexcept>

#include <gtest/gtest.h>

#include "reactors.hpp"
#include "tw/deferred.hpp"
#include "tw/posix_reactor.hpp"

namespace {

using namespace std::chrono_literals;
using tw::Deferred;
using tw::testing::ExpectedErrors;
using tw::testing::ReactorNames;
using tw::testing::Reactors;

template <class R>
class ReactRealTests : public tw::testing::RealReactorTest<R> {
 protected:
  /// A safety timer: crashes the reactor (and fails the test) if it runs longer than 10 s.
  void bound() {
    this->reactor.callLater(10s, [this] {
      ADD_FAILURE() << "react still running after 10 s";
      this->reactor.crash();
    });
  }
};

TYPED_TEST_SUITE(ReactRealTests, Reactors, ReactorNames);

// main's Deferred fires after a timer: react returns 0 once it has, with time having passed.
TYPED_TEST(ReactRealTests, runsUntilAsyncCallback) {
  this->bound();
  double started = this->reactor.seconds();
  int code = tw::react(
      [](auto& r) {
        Deferred<int> d;
        r.callLater(50ms, [d]() mutable { d.callback(7); });
        return d;
      },
      this->reactor);
  EXPECT_EQ(code, 0);
  EXPECT_GE(this->reactor.seconds() - started, 0.05);
  EXPECT_FALSE(this->reactor.running());
}

// A failure gives 1 and is logged; SystemExit gives its code.
TYPED_TEST(ReactRealTests, failureAndSystemExit) {
  this->bound();
  ExpectedErrors errors;
  int code = tw::react(
      [](auto& r) {
        Deferred<void> d;
        r.callLater(10ms, [d]() mutable { d.errback(std::runtime_error("main broke")); });
        return d;
      },
      this->reactor);
  EXPECT_EQ(code, 1);
  ASSERT_EQ(errors.errors().size(), 1u);
  EXPECT_EQ(errors.errors()[0].text, "main function encountered error");
}

// Twisted: test_exitWithDefinedCode, on a real reactor.
TYPED_TEST(ReactRealTests, systemExitCode) {
  this->bound();
  int code = tw::react([](auto&) { return tw::fail<void>(tw::SystemExit(3)); }, this->reactor);
  EXPECT_EQ(code, 3);
}

// SIGTERM stops the reactor before main's Deferred fires: react returns 0 (as Twisted's).
TYPED_TEST(ReactRealTests, stoppedBySignalFirst) {
  this->bound();
  std::optional<Deferred<void>> never;
  int code = tw::react(
      [&](auto& r) {
        r.callLater(20ms, [] { ::kill(::getpid(), SIGTERM); });
        never = Deferred<void>();
        return *never;
      },
      this->reactor);
  EXPECT_EQ(code, 0);
  EXPECT_FALSE(never->called());
}

}  // namespace
