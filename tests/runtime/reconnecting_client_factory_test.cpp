/// @file
/// Tests of ReconnectingClientFactory: backoff on an injected clock, maxRetries, stopTrying,
/// resetDelay.  Twisted: twisted/test/test_factories.py (ReconnectingFactoryTests).
#include "tw/reconnecting_client_factory.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "tw/error.hpp"
#include "tw/fakes/clock.hpp"

namespace {

using namespace std::chrono_literals;

// A connector that counts connect() calls and can run a hook from stopConnecting().
class FakeConnector : public tw::IConnector {
 public:
  void stopConnecting() override {
    ++stops;
    if (onStop) onStop();
  }
  void disconnect() override {}
  void connect() override { ++connects; }
  tw::AddressPtr getDestination() const override { return nullptr; }
  int connects = 0;
  int stops = 0;
  std::function<void()> onStop;
};

const tw::Failure& lostReason() {
  static const tw::Failure f(tw::error::ConnectionLost{});
  return f;
}

// Twisted: test_parametrizedClock — a lost connection schedules one retry on the clock.
TEST(ReconnectingClientFactoryTests, lostConnectionSchedulesARetryOnTheClock) {
  tw::fakes::Clock clock;
  tw::ReconnectingClientFactory factory(clock);
  FakeConnector connector;
  factory.clientConnectionLost(connector, lostReason());
  EXPECT_EQ(clock.getDelayedCalls().size(), 1u);
  EXPECT_EQ(factory.connector(), &connector);
  factory.stopTrying();
}

// Twisted: test_stopTryingWhenConnected — after stopTrying, a lost connection is not retried.
TEST(ReconnectingClientFactoryTests, stopTryingWhenConnectedPreventsRetries) {
  tw::fakes::Clock clock;
  tw::ReconnectingClientFactory factory(clock);
  FakeConnector connector;
  factory.stopTrying();
  factory.clientConnectionLost(connector, lostReason());
  EXPECT_FALSE(factory.continueTrying());
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  EXPECT_EQ(connector.stops, 0);
}

// Twisted: test_stopTryingDoesNotReconnect — stopTrying stops the attempt in progress, and the
// failure that this reports does not schedule a retry.
TEST(ReconnectingClientFactoryTests, stopTryingDoesNotReconnect) {
  tw::fakes::Clock clock;
  tw::ReconnectingClientFactory factory(clock);
  FakeConnector connector;
  connector.onStop = [&] { factory.clientConnectionFailed(connector, lostReason()); };
  factory.setConnector(&connector);
  factory.stopTrying();
  EXPECT_EQ(connector.stops, 1);
  EXPECT_EQ(connector.connects, 0);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// stopTrying ignores NotConnectingError from a connector that is not connecting.
TEST(ReconnectingClientFactoryTests, stopTryingIgnoresNotConnecting) {
  tw::fakes::Clock clock;
  tw::ReconnectingClientFactory factory(clock);
  FakeConnector connector;
  connector.onStop = [] { throw tw::error::NotConnectingError(); };
  factory.setConnector(&connector);
  EXPECT_NO_THROW(factory.stopTrying());
}

// Without jitter, each failure multiplies the delay by e, and the retry calls connect() when
// the delay has passed.
TEST(ReconnectingClientFactoryTests, backoffGrowsByTheFactor) {
  tw::fakes::Clock clock;
  tw::ReconnectingClientFactory factory(clock);
  factory.setJitter(0);
  FakeConnector connector;
  double expected = 1.0;
  for (int i = 1; i <= 4; ++i) {
    factory.clientConnectionFailed(connector, lostReason());
    expected *= factory.factor();
    EXPECT_NEAR(factory.delay(), expected, 1e-9);
    EXPECT_EQ(factory.retries(), i);
    ASSERT_EQ(clock.getDelayedCalls().size(), 1u);
    EXPECT_NEAR(clock.getDelayedCalls()[0]->getTime() - clock.seconds(), expected, 1e-9);
    clock.advance(tw::Seconds(expected - 1e-6));
    EXPECT_EQ(connector.connects, i - 1);
    clock.advance(2e-6s);
    EXPECT_EQ(connector.connects, i);
  }
}

// The delay never passes maxDelay.
TEST(ReconnectingClientFactoryTests, delayIsCappedAtMaxDelay) {
  tw::fakes::Clock clock;
  tw::ReconnectingClientFactory factory(clock);
  factory.setJitter(0);
  factory.setMaxDelay(10);
  FakeConnector connector;
  for (int i = 0; i < 6; ++i) {
    factory.clientConnectionFailed(connector, lostReason());
    clock.advance(100s);
  }
  EXPECT_DOUBLE_EQ(factory.delay(), 10.0);
}

// Jitter spreads the delays around the backoff; the same seed gives the same delays, and a
// delay is never negative.
TEST(ReconnectingClientFactoryTests, jitterIsSeededAndNeverNegative) {
  auto delays = [](std::uint64_t seed, double jitter) {
    tw::fakes::Clock clock;
    tw::ReconnectingClientFactory factory(clock);
    factory.seed(seed);
    factory.setJitter(jitter);
    factory.setMaxDelay(1e9);
    FakeConnector connector;
    std::vector<double> out;
    for (int i = 0; i < 20; ++i) {
      factory.clientConnectionFailed(connector, lostReason());
      out.push_back(factory.delay());
      clock.advance(tw::Seconds(factory.delay()));
    }
    return out;
  };
  EXPECT_EQ(delays(7, 0.11962656472), delays(7, 0.11962656472));
  EXPECT_NE(delays(7, 0.11962656472), delays(8, 0.11962656472));
  for (double d : delays(3, 5.0)) EXPECT_GE(d, 0.0);
}

// Twisted's maxRetries: after that many retries the factory gives up.
TEST(ReconnectingClientFactoryTests, maxRetriesGivesUp) {
  tw::fakes::Clock clock;
  tw::ReconnectingClientFactory factory(clock);
  factory.setJitter(0);
  factory.setMaxRetries(2);
  FakeConnector connector;
  for (int i = 0; i < 3; ++i) {
    factory.clientConnectionFailed(connector, lostReason());
    clock.advance(1000s);
  }
  EXPECT_EQ(connector.connects, 2);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// resetDelay returns to the initial delay and zero retries.
TEST(ReconnectingClientFactoryTests, resetDelayStartsOver) {
  tw::fakes::Clock clock;
  tw::ReconnectingClientFactory factory(clock);
  factory.setJitter(0);
  FakeConnector connector;
  factory.clientConnectionFailed(connector, lostReason());
  clock.advance(10s);
  factory.clientConnectionFailed(connector, lostReason());
  clock.advance(10s);
  factory.resetDelay();
  EXPECT_EQ(factory.retries(), 0);
  EXPECT_DOUBLE_EQ(factory.delay(), factory.initialDelay());
  EXPECT_TRUE(factory.continueTrying());
}

// stopTrying cancels a scheduled retry.
TEST(ReconnectingClientFactoryTests, stopTryingCancelsTheScheduledRetry) {
  tw::fakes::Clock clock;
  tw::ReconnectingClientFactory factory(clock);
  FakeConnector connector;
  factory.clientConnectionFailed(connector, lostReason());
  ASSERT_EQ(clock.getDelayedCalls().size(), 1u);
  factory.stopTrying();
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  clock.advance(1e6s);
  EXPECT_EQ(connector.connects, 0);
}

// retry() with no connector given or remembered is an error.
TEST(ReconnectingClientFactoryTests, retryWithoutConnectorThrows) {
  tw::fakes::Clock clock;
  tw::ReconnectingClientFactory factory(clock);
  EXPECT_THROW(factory.retry(), std::logic_error);
}

// Destroying the factory cancels its scheduled retry (no call into a freed factory).
TEST(ReconnectingClientFactoryTests, destructionCancelsTheScheduledRetry) {
  tw::fakes::Clock clock;
  FakeConnector connector;
  {
    tw::ReconnectingClientFactory factory(clock);
    factory.clientConnectionFailed(connector, lostReason());
  }
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  clock.advance(1e6s);
  EXPECT_EQ(connector.connects, 0);
}

}  // namespace
