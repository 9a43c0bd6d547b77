/// @file
/// What the integration tests share: the list of real reactors every reactor test runs on (the
/// ReactorBuilder idea of Twisted's twisted/internet/test/reactormixins.py), a fixture that owns
/// one and runs it with a time limit, and the capture of errors a test provokes on purpose.
#pragma once

#include <string>
#include <type_traits>

#include <gtest/gtest.h>

#include "tw/address.hpp"
#include "tw/logger.hpp"
#include "tw/posix_reactor.hpp"
#include "tw/trial/logged_errors.hpp"

namespace tw::testing {

/// Captures the log, and takes the errors the test provokes on purpose, so that trial (which
/// fails a test for an error logged and not flushed) does not fail it.
struct ExpectedErrors : LogCapture {
  ~ExpectedErrors() { trial::flushLoggedErrors(); }
};

/// The real reactors; a TYPED_TEST_SUITE over them runs each test on epoll, poll and select.
using Reactors = ::testing::Types<EpollReactor, PollReactor, SelectReactor>;

/// Names the typed tests' instances after their reactor: Suite/epoll, Suite/poll, Suite/select.
struct ReactorNames {
  template <class R>
  static std::string GetName(int /*i*/) {
    if (std::is_same_v<R, EpollReactor>) return "epoll";
    if (std::is_same_v<R, PollReactor>) return "poll";
    return "select";
  }
};

/// A fixture owning a reactor of type R.
template <class R>
class RealReactorTest : public ::testing::Test {
 protected:
  /// Runs the reactor (without signal handlers unless `signals`) until something stops or
  /// crashes it; after `limit`, a safety timer crashes it and fails the test.
  void runBounded(Seconds limit = std::chrono::seconds(10), bool signals = false) {
    bool timedOut = false;
    auto safety = reactor.callLater(limit, [&] {
      timedOut = true;
      reactor.crash();
    });
    reactor.run(signals);
    if (safety->active()) safety->cancel();
    EXPECT_FALSE(timedOut) << "the reactor was still running after the time limit";
  }

  /// The port of an IPv4 or IPv6 address.
  static int portOf(const AddressPtr& a) {
    if (auto* v4 = dynamic_cast<const IPv4Address*>(a.get())) return v4->port();
    return dynamic_cast<const IPv6Address&>(*a).port();
  }

  R reactor;
};

}  // namespace tw::testing
