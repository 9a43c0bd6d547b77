/// @file
/// Tests of tw::error: messages as Twisted prints them, the class hierarchy, errno mapping.
/// Twisted: twisted/test/test_error.py.
#include "tw/error.hpp"

#include <cerrno>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

#include "tw/failure.hpp"

namespace {

std::string what(const std::exception& e) { return e.what(); }

// Twisted: str(ConnectionDone()) and friends — the fixed sentence, then ": detail", then ".".
TEST(ErrorTests, messagesReadAsTwisted) {
  EXPECT_EQ(what(tw::error::ConnectionDone()), "Connection was closed cleanly.");
  EXPECT_EQ(what(tw::error::ConnectionDone("Bye")), "Connection was closed cleanly: Bye.");
  EXPECT_EQ(what(tw::error::ConnectionLost()),
            "Connection to the other side was lost in a non-clean fashion.");
  EXPECT_EQ(what(tw::error::ConnectionAborted()),
            "Connection was aborted locally using ITCPTransport.abortConnection.");
  EXPECT_EQ(what(tw::error::ConnectionRefusedError()), "Connection was refused by other side.");
  EXPECT_EQ(what(tw::error::TimeoutError()), "User timeout caused connection failure.");
  EXPECT_EQ(what(tw::error::AlreadyCalled()), "Tried to cancel an already-called event.");
  EXPECT_EQ(what(tw::error::AlreadyCancelled()), "Tried to cancel an already-cancelled event.");
  EXPECT_EQ(what(tw::error::NotListeningError()),
            "The Port was not listening when it was asked to stop listening.");
}

// Twisted: ConnectError.__str__ — the OS error and the detail both appear.
TEST(ErrorTests, connectErrorShowsTheOsError) {
  std::error_code ec(ECONNREFUSED, std::system_category());
  tw::error::ConnectionRefusedError e(ec, "127.0.0.1:1");
  EXPECT_EQ(what(e), "Connection was refused by other side: " + std::to_string(ECONNREFUSED) +
                         ": " + ec.message() + ": 127.0.0.1:1.");
  EXPECT_EQ(e.osError(), ec);
}

// Twisted: CannotListenError.__str__ — interface (or "any"), port and reason.
TEST(ErrorTests, cannotListenNamesInterfaceAndPort) {
  std::error_code ec(EADDRINUSE, std::system_category());
  tw::error::CannotListenError e("", "8080", ec);
  EXPECT_EQ(what(e), "Couldn't listen on any:8080: " + ec.message() + ".");
  EXPECT_EQ(e.port(), "8080");
  EXPECT_EQ(e.socketError(), ec);
}

// Twisted: ProcessTerminated — the message names the exit code or the signal.
TEST(ErrorTests, processTerminatedNamesCodeAndSignal) {
  tw::error::ProcessTerminated byCode(3, std::nullopt, 768);
  EXPECT_NE(what(byCode).find("process ended with exit code 3"), std::string::npos);
  EXPECT_EQ(byCode.exitCode(), 3);
  tw::error::ProcessTerminated bySignal(std::nullopt, 9, 9);
  EXPECT_NE(what(bySignal).find("process ended by signal 9"), std::string::npos);
  EXPECT_EQ(bySignal.signal(), 9);
  EXPECT_EQ(tw::error::ProcessDone(0).exitCode(), 0);
}

// The hierarchy is Twisted's: a Failure traps a subclass by its base.
TEST(ErrorTests, hierarchyIsTwisteds) {
  EXPECT_TRUE(tw::Failure(tw::error::ConnectionAborted()).check<tw::error::ConnectionLost>());
  EXPECT_TRUE(tw::Failure(tw::error::ConnectionLost()).check<tw::error::ConnectionClosed>());
  EXPECT_TRUE(tw::Failure(tw::error::ConnectionDone()).check<tw::error::ConnectionClosed>());
  EXPECT_FALSE(tw::Failure(tw::error::ConnectionDone()).check<tw::error::ConnectionLost>());
  EXPECT_TRUE(tw::Failure(tw::error::TimeoutError()).check<tw::error::UserError>());
  EXPECT_TRUE(tw::Failure(tw::error::TimeoutError()).check<tw::error::ConnectError>());
  EXPECT_TRUE(tw::Failure(tw::error::ProcessDone(0)).check<tw::error::ConnectionDone>());
  EXPECT_TRUE(tw::Failure(tw::error::ProcessTerminated(1, std::nullopt))
                  .check<tw::error::ConnectionLost>());
  EXPECT_TRUE(tw::Failure(tw::error::CannotListenError("", "1", {})).check<tw::error::BindError>());
}

// Twisted: getConnectError — errno values map to the matching ConnectError subclass.
TEST(ErrorTests, getConnectErrorMapsErrno) {
  auto failureFor = [](int err) {
    return tw::Failure(tw::error::getConnectError(std::error_code(err, std::system_category())));
  };
  EXPECT_TRUE(failureFor(ECONNREFUSED).check<tw::error::ConnectionRefusedError>());
  EXPECT_TRUE(failureFor(ETIMEDOUT).check<tw::error::TCPTimedOutError>());
  EXPECT_TRUE(failureFor(ENETUNREACH).check<tw::error::NoRouteError>());
  EXPECT_TRUE(failureFor(EHOSTUNREACH).check<tw::error::NoRouteError>());
  tw::Failure other = failureFor(EACCES);
  EXPECT_TRUE(other.check<tw::error::ConnectError>());
  EXPECT_FALSE(other.check<tw::error::ConnectionRefusedError>());
}

}  // namespace
