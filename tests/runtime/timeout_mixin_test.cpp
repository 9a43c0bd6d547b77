/// @file
/// Tests of TimeoutMixin: deadlines on an injected Clock, reset, cancel, the default action.
/// Twisted: twisted/test/test_policies.py (TimeoutMixinTests).
#include "tw/timeout_mixin.hpp"

#include <chrono>
#include <memory>
#include <optional>

#include <gtest/gtest.h>

#include "tw/error.hpp"
#include "tw/fakes/clock.hpp"
#include "tw/fakes/string_transport.hpp"
#include "tw/protocol.hpp"

namespace {

using namespace std::chrono_literals;

// Twisted's TimeoutTester: a 3 s timeout from connectionMade, reset by data, cancelled by
// connectionLost; records the timeout instead of closing.
class TimeoutTester : public tw::Protocol, public tw::TimeoutMixin {
 public:
  explicit TimeoutTester(tw::IReactorTime& clock) : TimeoutMixin(clock) {}
  void connectionMade() override { setTimeout(3s); }
  void dataReceived(std::string_view) override { resetTimeout(); }
  void connectionLost(const tw::Failure& reason) override {
    setTimeout(std::nullopt);
    Protocol::connectionLost(reason);
  }
  void timeoutConnection() override { timedOut = true; }
  bool timedOut = false;
};

// A protocol that keeps the default timeoutConnection.
class DefaultTimeout : public tw::Protocol, public tw::TimeoutMixin {
 public:
  explicit DefaultTimeout(tw::IReactorTime& clock) : TimeoutMixin(clock) {}
};

// Twisted: test_overriddenCallLater — the injected clock schedules the timeout.
TEST(TimeoutMixinTests, usesTheInjectedClock) {
  tw::fakes::Clock clock;
  TimeoutTester proto(clock);
  proto.setTimeout(10s);
  EXPECT_EQ(clock.getDelayedCalls().size(), 1u);
  EXPECT_DOUBLE_EQ(clock.getDelayedCalls()[0]->getTime(), 10.0);
  proto.setTimeout(std::nullopt);
}

// Twisted: test_timeout — the timeout fires exactly timeOut seconds after connectionMade.
TEST(TimeoutMixinTests, timesOutAfterThePeriod) {
  tw::fakes::Clock clock;
  TimeoutTester proto(clock);
  tw::fakes::StringTransport tr;
  proto.makeConnection(tr);
  clock.pump({0s, 0.5s, 1s, 1s});
  EXPECT_FALSE(proto.timedOut);
  clock.pump({0s, 1s});
  EXPECT_TRUE(proto.timedOut);
  EXPECT_FALSE(proto.timeoutPending());
}

// Twisted: test_noTimeout — received data restarts the countdown.
TEST(TimeoutMixinTests, dataDelaysTheTimeout) {
  tw::fakes::Clock clock;
  TimeoutTester proto(clock);
  tw::fakes::StringTransport tr;
  proto.makeConnection(tr);
  clock.pump({0s, 0.5s, 1s, 1s});
  EXPECT_FALSE(proto.timedOut);
  proto.dataReceived("hello there");
  clock.pump({0s, 1s, 1s, 0.5s});
  EXPECT_FALSE(proto.timedOut);
  clock.pump({0s, 1s});
  EXPECT_TRUE(proto.timedOut);
}

// Twisted: test_resetTimeout — setTimeout replaces the period and reschedules from now.
TEST(TimeoutMixinTests, setTimeoutReschedulesFromNow) {
  tw::fakes::Clock clock;
  TimeoutTester proto(clock);
  tw::fakes::StringTransport tr;
  proto.makeConnection(tr);
  proto.setTimeout(1s);
  ASSERT_TRUE(proto.timeOut());
  EXPECT_DOUBLE_EQ(proto.timeOut()->count(), 1.0);
  clock.pump({0s, 0.9s});
  EXPECT_FALSE(proto.timedOut);
  clock.pump({0s, 0.2s});
  EXPECT_TRUE(proto.timedOut);
}

// Twisted: test_cancelTimeout — setTimeout(None) cancels the pending timeout.
TEST(TimeoutMixinTests, settingNoTimeoutCancels) {
  tw::fakes::Clock clock;
  TimeoutTester proto(clock);
  tw::fakes::StringTransport tr;
  proto.makeConnection(tr);
  proto.setTimeout(std::nullopt);
  EXPECT_FALSE(proto.timeOut());
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  clock.pump({0s, 5s, 5s, 5s});
  EXPECT_FALSE(proto.timedOut);
}

// Twisted: test_setTimeoutReturn — setTimeout returns the previous period.
TEST(TimeoutMixinTests, setTimeoutReturnsThePreviousPeriod) {
  tw::fakes::Clock clock;
  TimeoutTester proto(clock);
  EXPECT_FALSE(proto.setTimeout(5s));
  EXPECT_DOUBLE_EQ(proto.setTimeout(10s)->count(), 5.0);
  EXPECT_DOUBLE_EQ(proto.setTimeout(std::nullopt)->count(), 10.0);
  EXPECT_FALSE(proto.setTimeout(1s));
  EXPECT_DOUBLE_EQ(proto.timeOut()->count(), 1.0);
  proto.setTimeout(std::nullopt);
}

// Twisted: test_setTimeoutCancleAlreadyCancelled — a timeout cancelled from outside is cleaned
// up by setTimeout(None) without an error.
TEST(TimeoutMixinTests, cancellingAnExternallyCancelledTimeoutIsQuiet) {
  tw::fakes::Clock clock;
  TimeoutTester proto(clock);
  proto.setTimeout(3s);
  clock.getDelayedCalls()[0]->cancel();
  EXPECT_TRUE(proto.timeOut());
  EXPECT_NO_THROW(proto.setTimeout(std::nullopt));
  EXPECT_FALSE(proto.timeOut());
}

// tw: after an outside cancel, resetTimeout is a no-op and setTimeout schedules a new timeout
// (Twisted raises AlreadyCancelled from both).
TEST(TimeoutMixinTests, externallyCancelledTimeoutCanBeScheduledAgain) {
  tw::fakes::Clock clock;
  TimeoutTester proto(clock);
  proto.setTimeout(3s);
  clock.getDelayedCalls()[0]->cancel();
  EXPECT_NO_THROW(proto.resetTimeout());
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  proto.setTimeout(2s);
  ASSERT_EQ(clock.getDelayedCalls().size(), 1u);
  clock.advance(2s);
  EXPECT_TRUE(proto.timedOut);
}

// resetTimeout after the timeout fired does nothing.
TEST(TimeoutMixinTests, resetAfterTimingOutDoesNothing) {
  tw::fakes::Clock clock;
  TimeoutTester proto(clock);
  tw::fakes::StringTransport tr;
  proto.makeConnection(tr);
  clock.advance(3s);
  ASSERT_TRUE(proto.timedOut);
  proto.resetTimeout();
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// connectionLost cancelling the timeout leaves nothing pending.
TEST(TimeoutMixinTests, connectionLostCancelsTheTimeout) {
  tw::fakes::Clock clock;
  TimeoutTester proto(clock);
  tw::fakes::StringTransportWithDisconnection tr;
  tr.setProtocol(proto);
  proto.makeConnection(tr);
  tr.loseConnection();
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// The default timeoutConnection closes the protocol's transport.
TEST(TimeoutMixinTests, defaultTimeoutLosesTheConnection) {
  tw::fakes::Clock clock;
  DefaultTimeout proto(clock);
  tw::fakes::StringTransport tr;
  proto.makeConnection(tr);
  proto.setTimeout(5s);
  clock.advance(4.999s);
  EXPECT_FALSE(tr.disconnecting());
  clock.advance(0.001s);
  EXPECT_TRUE(tr.disconnecting());
}

// The default timeoutConnection does nothing on a protocol that is no longer connected.
TEST(TimeoutMixinTests, defaultTimeoutIgnoresALostConnection) {
  tw::fakes::Clock clock;
  DefaultTimeout proto(clock);
  {
    tw::fakes::StringTransportWithDisconnection tr;
    tr.setProtocol(proto);
    proto.makeConnection(tr);
    proto.setTimeout(5s);
    tr.loseConnection();
  }
  EXPECT_NO_THROW(clock.advance(5s));
}

// Destroying the protocol cancels its timeout, so the clock never calls into freed memory.
TEST(TimeoutMixinTests, destructionCancelsThePendingTimeout) {
  tw::fakes::Clock clock;
  tw::DelayedCallPtr call;
  {
    TimeoutTester proto(clock);
    proto.setTimeout(1s);
    call = clock.getDelayedCalls().at(0);
  }
  EXPECT_TRUE(call->cancelled());
  clock.advance(2s);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// setClock moves later timeouts to another clock.
TEST(TimeoutMixinTests, setClockSchedulesOnTheNewClock) {
  tw::fakes::Clock first;
  tw::fakes::Clock second;
  TimeoutTester proto(first);
  proto.setClock(second);
  proto.setTimeout(1s);
  EXPECT_TRUE(first.getDelayedCalls().empty());
  EXPECT_EQ(second.getDelayedCalls().size(), 1u);
  EXPECT_EQ(&proto.clock(), &second);
  second.advance(1s);
  EXPECT_TRUE(proto.timedOut);
}

}  // namespace
