/// @file
/// ReconnectingClientFactory: a client factory that reconnects with exponential backoff.
/// Twisted: twisted.internet.protocol.ReconnectingClientFactory.
/// Tests: tests/runtime/reconnecting_client_factory_test.cpp
#pragma once

#include <cstdint>
#include <optional>
#include <random>

#include "tw/factory.hpp"
#include "tw/interfaces/i_reactor_time.hpp"

namespace tw {

/// Reconnects whenever a connection attempt fails or a connection is lost, waiting longer
/// after each failure: the delay is multiplied by `factor()` (e) up to `maxDelay()` (3600 s),
/// with normally distributed jitter (standard deviation `jitter()` × delay).  Call
/// `resetDelay()` once a connection succeeds (typically from the protocol's connectionMade),
/// and `stopTrying()` to give up.
///
/// @code
/// class Client : public tw::ReconnectingClientFactory { ... };
/// auto f = std::make_shared<Client>(reactor);    // reactor: IReactorTime&
/// reactor.connectTCP("example.org", 80, f);
/// @endcode
///
/// The connector handed to clientConnectionFailed/clientConnectionLost is remembered (a plain
/// pointer; the reactor owns connectors and keeps them while they may reconnect).
///
/// Differs from Twisted: the clock is injected (Twisted falls back to the global reactor), the
/// jitter comes from a seedable generator (`seed()`), and a jittered delay is never negative.
class ReconnectingClientFactory : public ClientFactory {
 public:
  /// @param clock  where reconnection attempts are scheduled; must outlive the factory.
  explicit ReconnectingClientFactory(IReactorTime& clock);
  ~ReconnectingClientFactory() override;

  /// Schedules a new attempt on `connector` (or on the remembered one) after the next backoff
  /// delay, unless stopTrying() was called or maxRetries is passed.
  /// @throws std::logic_error if no connector was given or remembered.
  void retry(IConnector* connector = nullptr);

  /// Stops reconnecting: cancels a scheduled attempt and stops one in progress.
  void stopTrying();

  /// Back to the initial delay and zero retries, trying again.  Call it on success.
  void resetDelay();

  /// Remembers the connector and retries (if still trying).
  void clientConnectionFailed(IConnector& connector, const Failure& reason) override;
  /// Remembers the connector and retries (if still trying).
  void clientConnectionLost(IConnector& connector, const Failure& reason) override;

  /// Seeds the jitter's generator, for reproducible delays.
  void seed(std::uint64_t value) { random_.seed(value); }

  // Parameters (Twisted's class attributes) and state.
  double maxDelay() const noexcept { return maxDelay_; }
  void setMaxDelay(double seconds) noexcept { maxDelay_ = seconds; }
  double initialDelay() const noexcept { return initialDelay_; }
  /// Also sets the current delay (Twisted sets both at class level).
  void setInitialDelay(double seconds) noexcept { initialDelay_ = delay_ = seconds; }
  double factor() const noexcept { return factor_; }
  void setFactor(double factor) noexcept { factor_ = factor; }
  double jitter() const noexcept { return jitter_; }
  void setJitter(double jitter) noexcept { jitter_ = jitter; }
  std::optional<int> maxRetries() const noexcept { return maxRetries_; }
  void setMaxRetries(std::optional<int> n) noexcept { maxRetries_ = n; }
  /// The delay before the next attempt (after the last retry()).
  double delay() const noexcept { return delay_; }
  /// Attempts since the last resetDelay().
  int retries() const noexcept { return retries_; }
  /// False after stopTrying().
  bool continueTrying() const noexcept { return continueTrying_; }
  /// The remembered connector, or nullptr.
  IConnector* connector() const noexcept { return connector_; }
  /// Remembers `connector` (e.g. the one connectTCP returned) so stopTrying() can stop it.
  void setConnector(IConnector* connector) noexcept { connector_ = connector; }
  /// The scheduled attempt, or null.  Twisted: _callID.
  const DelayedCallPtr& pendingCall() const noexcept { return callID_; }
  /// The clock.
  IReactorTime& clock() const noexcept { return *clock_; }

 private:
  IReactorTime* clock_;
  double maxDelay_ = 3600;
  double initialDelay_ = 1.0;
  double factor_ = 2.7182818284590451;
  double jitter_ = 0.11962656472;
  double delay_ = 1.0;
  int retries_ = 0;
  std::optional<int> maxRetries_;
  bool continueTrying_ = true;
  IConnector* connector_ = nullptr;
  DelayedCallPtr callID_;
  std::mt19937_64 random_;
};

}  // namespace tw
