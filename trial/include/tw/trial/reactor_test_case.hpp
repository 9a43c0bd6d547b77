/// @file
/// ReactorTestCase and TW_REACTOR_TEST: a TW_TEST on a fresh real reactor (epoll by default) with
/// a wall-clock timeout, for tests that open sockets.  Twisted: trial's TestCase, which runs on
/// the global reactor.  Tests: tests/integration/trial_reactor_test.cpp
///
/// @code
/// TW_REACTOR_TEST(EchoIntegration, roundTrip) {
///   auto port = reactor().listenTCP(0, echoFactory, 50, "127.0.0.1");
///   addCleanup([port] { return port->stopListening(); });
///   ...                                    // connectTCP, co_await the answer
/// }
/// @endcode
///
/// The steps are TW_TEST's (test_case.hpp), with these differences: the runner turns the
/// reactor (iterate(), without run(): running() stays false and no startup event fires) until the
/// Deferred has a result or `timeout()` seconds of wall-clock time passed (120 s by default,
/// `setTimeout`, `--tw_timeout=`); nothing can tell a stall from a slow peer, so a stall is
/// reported when the timeout expires, with the chain of Deferreds the test waits on, and the
/// Deferred is then cancelled.  The reactor's thread pool (deferToThread(reactor(), f),
/// reactor().callInThread) is started as soon as it exists, as run() would.  The janitor fails
/// the test for thread-pool jobs still running or queued (with where each was submitted; it
/// then waits for them, since threads cannot be cancelled, and delivers their results), for
/// pending delayed calls (with where callLater was called) and for descriptors still watched by
/// the reactor (listening ports, connections, connection attempts, each named by its
/// logPrefix() and the call that made it), cancels the calls and disconnects the descriptors
/// (connectionLost with ConnectionLost, as a reactor shutdown does).  A job that never returns
/// therefore hangs the test run: give blocking jobs their own bound.
///
/// The reactor is an EpollReactor unless `--tw_reactor=poll|select` (tw::trial_main) or
/// setTestReactorName() chose another.
///
/// Differs from Twisted: each test gets its own reactor, so nothing a test leaves behind can
/// reach the next test (twisted#5792).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tw/posix_reactor.hpp"
#include "tw/trial/test_case.hpp"

namespace tw::trial {

/// The reactor TW_REACTOR_TEST uses: "epoll" (the default), "poll" or "select".
std::string_view testReactorName() noexcept;
/// @throws std::invalid_argument for another name.
void setTestReactorName(std::string_view name);
/// A new reactor of the kind testReactorName() names.
std::unique_ptr<PosixReactorBase> makeTestReactor();

/// The base of TW_REACTOR_TEST fixtures: a fresh real reactor per test and a wall-clock timeout.
class ReactorTestCase : public detail::AsyncTestBase {
 public:
  ReactorTestCase() : reactor_(makeTestReactor()) {}
  ReactorTestCase(const ReactorTestCase&) = delete;
  ReactorTestCase& operator=(const ReactorTestCase&) = delete;
  ~ReactorTestCase() override;

  /// The test's reactor (also its clock: seconds() is the monotonic clock).
  PosixReactorBase& reactor() noexcept { return *reactor_; }

 protected:
  Runner::Result drive(Deferred<void> d, const std::string& what, Seconds timeout,
                       double start) override;
  double now() override { return reactor_->seconds(); }
  void janitor() override;

 private:
  std::unique_ptr<PosixReactorBase> reactor_;
};

}  // namespace tw::trial

/// A test whose body returns a Deferred<void> (or is a coroutine), on a real reactor.
#define TW_REACTOR_TEST(Suite, Name) \
  TW_DETAIL_TEST(Suite, Name, ::tw::trial::ReactorTestCase, ::testing::internal::GetTestTypeId())
