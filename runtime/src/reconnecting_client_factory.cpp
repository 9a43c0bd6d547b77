/// @file
/// ReconnectingClientFactory.  Tests: tests/runtime/reconnecting_client_factory_test.cpp
#include "tw/reconnecting_client_factory.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>

#include "tw/error.hpp"
#include "tw/interfaces/i_connector.hpp"
#include "tw/logger.hpp"

namespace tw {

namespace {
const Logger& reconnectLog() {
  static const Logger log("tw.reconnecting_client_factory");
  return log;
}
}  // namespace

ReconnectingClientFactory::ReconnectingClientFactory(IReactorTime& clock)
    : clock_(&clock), random_(std::random_device{}()) {}

ReconnectingClientFactory::~ReconnectingClientFactory() {
  if (callID_ && callID_->active()) callID_->cancel();
}

void ReconnectingClientFactory::retry(IConnector* connector) {
  if (!continueTrying_) {
    if (noisy()) reconnectLog().info("Abandoning reconnection on explicit request");
    return;
  }
  if (connector == nullptr) {
    if (connector_ == nullptr) throw std::logic_error("no connector to retry");
    connector = connector_;
  }
  ++retries_;
  if (maxRetries_ && retries_ > *maxRetries_) {
    if (noisy()) {
      reconnectLog().info("Abandoning reconnection after " + std::to_string(retries_ - 1) +
                          " retries");
    }
    return;
  }
  delay_ = std::min(delay_ * factor_, maxDelay_);
  if (jitter_ != 0) {
    std::normal_distribution<double> normal(delay_, delay_ * jitter_);
    delay_ = std::max(0.0, normal(random_));
  }
  if (noisy()) reconnectLog().info("Will retry in " + std::to_string(delay_) + " seconds");
  callID_ = clock_->callLater(Seconds(delay_), [this, connector] {
    callID_ = nullptr;
    connector->connect();
  });
}

void ReconnectingClientFactory::stopTrying() {
  if (callID_) {
    if (callID_->active()) callID_->cancel();
    callID_ = nullptr;
  }
  continueTrying_ = false;
  if (connector_ != nullptr) {
    try {
      connector_->stopConnecting();
    } catch (const error::NotConnectingError&) {
      // Not connecting right now: nothing to stop.
    }
  }
}

void ReconnectingClientFactory::resetDelay() {
  delay_ = initialDelay_;
  retries_ = 0;
  // Twisted forgets a scheduled attempt here without cancelling it; tw keeps tracking it so that
  // stopTrying() and the destructor can still cancel it.
  if (callID_ && !callID_->active()) callID_ = nullptr;
  continueTrying_ = true;
}

void ReconnectingClientFactory::clientConnectionFailed(IConnector& connector,
                                                       const Failure& /*reason*/) {
  if (continueTrying_) {
    connector_ = &connector;
    retry();
  }
}

void ReconnectingClientFactory::clientConnectionLost(IConnector& connector,
                                                     const Failure& /*reason*/) {
  if (continueTrying_) {
    connector_ = &connector;
    retry();
  }
}

}  // namespace tw
