/// @file
/// The policy wrappers.  Tests: tests/runtime/policies_test.cpp
#include "tw/policies.hpp"

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "tw/address.hpp"
#include "tw/logger.hpp"

namespace tw {

namespace {

const Logger& policiesLog() {
  static const Logger log("tw.policies");
  return log;
}

void cancelCall(DelayedCallPtr& call) {
  if (call && call->active()) call->cancel();
  call = nullptr;
}

// The host part of an address: what LimitConnectionsByPeer counts by.
std::string hostOf(const IAddress& addr) {
  if (const auto* v4 = dynamic_cast<const IPv4Address*>(&addr)) return v4->host();
  if (const auto* v6 = dynamic_cast<const IPv6Address*>(&addr)) return v6->host();
  if (const auto* local = dynamic_cast<const UNIXAddress*>(&addr))
    return local->name().value_or("");
  return addr.repr();
}

}  // namespace

std::string bytesRepr(std::string_view data) {
  bool single =
      data.find('\'') == std::string_view::npos || data.find('"') != std::string_view::npos;
  char quote = single ? '\'' : '"';
  std::string out = "b";
  out += quote;
  for (unsigned char c : data) {
    switch (c) {
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c == static_cast<unsigned char>(quote)) {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
          char hex[5];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += quote;
  return out;
}

// --- ThrottlingProtocol / ThrottlingFactory ----------------------------------------------

ThrottlingProtocol::ThrottlingProtocol(ThrottlingFactory& factory,
                                       std::shared_ptr<IProtocol> wrapped)
    : ProtocolWrapper(factory, std::move(wrapped)), throttling_(factory) {}

void ThrottlingProtocol::write(std::string_view data) {
  throttling_.registerWritten(data.size());
  ProtocolWrapper::write(data);
}

void ThrottlingProtocol::writeSequence(std::span<const std::string_view> data) {
  std::size_t total = 0;
  for (std::string_view piece : data) total += piece.size();
  throttling_.registerWritten(total);
  ProtocolWrapper::writeSequence(data);
}

void ThrottlingProtocol::dataReceived(std::string_view data) {
  throttling_.registerRead(data.size());
  ProtocolWrapper::dataReceived(data);
}

void ThrottlingProtocol::registerProducer(IProducer& producer, bool streaming) {
  ProtocolWrapper::registerProducer(producer, streaming);
  producer_ = &producer;
}

void ThrottlingProtocol::unregisterProducer() {
  producer_ = nullptr;
  ProtocolWrapper::unregisterProducer();
}

void ThrottlingProtocol::throttleReads() {
  if (transport() != nullptr) transport()->pauseProducing();
}

void ThrottlingProtocol::unthrottleReads() {
  if (transport() != nullptr) transport()->resumeProducing();
}

void ThrottlingProtocol::throttleWrites() {
  if (auto* push = dynamic_cast<IPushProducer*>(producer_)) push->pauseProducing();
}

void ThrottlingProtocol::unthrottleWrites() {
  if (auto* push = dynamic_cast<IPushProducer*>(producer_)) push->resumeProducing();
}

ThrottlingFactory::ThrottlingFactory(std::shared_ptr<IProtocolFactory> wrappedFactory,
                                     IReactorTime& clock, std::size_t maxConnectionCount,
                                     std::optional<std::uint64_t> readLimit,
                                     std::optional<std::uint64_t> writeLimit)
    : WrappingFactory(std::move(wrappedFactory)),
      clock_(clock),
      maxConnectionCount_(maxConnectionCount),
      readLimit_(readLimit),
      writeLimit_(writeLimit) {}

ThrottlingFactory::~ThrottlingFactory() { cancelAll(); }

void ThrottlingFactory::cancelAll() {
  cancelCall(unthrottleReadsID_);
  cancelCall(checkReadBandwidthID_);
  cancelCall(unthrottleWritesID_);
  cancelCall(checkWriteBandwidthID_);
}

void ThrottlingFactory::checkReadBandwidth() {
  if (readLimit_ && readThisSecond_ > *readLimit_) {
    throttleReads();
    double throttleTime = static_cast<double>(readThisSecond_) / *readLimit_ - 1.0;
    unthrottleReadsID_ = clock_.callLater(Seconds(throttleTime), [this] { unthrottleReads(); });
  }
  readThisSecond_ = 0;
  checkReadBandwidthID_ = clock_.callLater(Seconds(1), [this] { checkReadBandwidth(); });
}

void ThrottlingFactory::checkWriteBandwidth() {
  if (writeLimit_ && writtenThisSecond_ > *writeLimit_) {
    throttleWrites();
    double throttleTime = static_cast<double>(writtenThisSecond_) / *writeLimit_ - 1.0;
    unthrottleWritesID_ = clock_.callLater(Seconds(throttleTime), [this] { unthrottleWrites(); });
  }
  writtenThisSecond_ = 0;
  checkWriteBandwidthID_ = clock_.callLater(Seconds(1), [this] { checkWriteBandwidth(); });
}

void ThrottlingFactory::throttleReads() {
  policiesLog().info("Throttling reads on " + logPrefix());
  for (ProtocolWrapper* p : protocols()) static_cast<ThrottlingProtocol*>(p)->throttleReads();
}

void ThrottlingFactory::unthrottleReads() {
  unthrottleReadsID_ = nullptr;
  policiesLog().info("Stopped throttling reads on " + logPrefix());
  for (ProtocolWrapper* p : protocols()) static_cast<ThrottlingProtocol*>(p)->unthrottleReads();
}

void ThrottlingFactory::throttleWrites() {
  policiesLog().info("Throttling writes on " + logPrefix());
  for (ProtocolWrapper* p : protocols()) static_cast<ThrottlingProtocol*>(p)->throttleWrites();
}

void ThrottlingFactory::unthrottleWrites() {
  unthrottleWritesID_ = nullptr;
  policiesLog().info("Stopped throttling writes on " + logPrefix());
  for (ProtocolWrapper* p : protocols()) static_cast<ThrottlingProtocol*>(p)->unthrottleWrites();
}

std::shared_ptr<IProtocol> ThrottlingFactory::buildProtocol(const IAddress& addr) {
  if (connectionCount_ == 0) {
    if (readLimit_ && !checkReadBandwidthID_) checkReadBandwidth();
    if (writeLimit_ && !checkWriteBandwidthID_) checkWriteBandwidth();
  }
  if (connectionCount_ >= maxConnectionCount_) {
    policiesLog().info("Max connection count reached!");
    return nullptr;
  }
  std::shared_ptr<IProtocol> p = WrappingFactory::buildProtocol(addr);
  if (p) ++connectionCount_;
  return p;
}

void ThrottlingFactory::unregisterProtocol(ProtocolWrapper& p) {
  WrappingFactory::unregisterProtocol(p);
  if (connectionCount_ > 0) --connectionCount_;
  if (connectionCount_ == 0) cancelAll();
}

std::shared_ptr<ProtocolWrapper> ThrottlingFactory::wrapProtocol(
    std::shared_ptr<IProtocol> wrapped) {
  return std::make_shared<ThrottlingProtocol>(*this, std::move(wrapped));
}

// --- TimeoutProtocol / TimeoutFactory ------------------------------------------------------

TimeoutProtocol::TimeoutProtocol(TimeoutFactory& factory, std::shared_ptr<IProtocol> wrapped,
                                 std::optional<Seconds> timeoutPeriod)
    : ProtocolWrapper(factory, std::move(wrapped)), clock_(factory.clock()) {
  setTimeout(timeoutPeriod);
}

TimeoutProtocol::~TimeoutProtocol() { cancelTimeout(); }

void TimeoutProtocol::setTimeout(std::optional<Seconds> timeoutPeriod) {
  cancelTimeout();
  timeoutPeriod_ = timeoutPeriod;
  if (timeoutPeriod) timeoutCall_ = clock_.callLater(*timeoutPeriod, [this] { timeoutFunc(); });
}

void TimeoutProtocol::cancelTimeout() {
  timeoutPeriod_.reset();
  cancelCall(timeoutCall_);
}

void TimeoutProtocol::resetTimeout() {
  if (timeoutCall_ && timeoutCall_->active() && timeoutPeriod_) {
    timeoutCall_->reset(*timeoutPeriod_);
  }
}

void TimeoutProtocol::write(std::string_view data) {
  resetTimeout();
  ProtocolWrapper::write(data);
}

void TimeoutProtocol::writeSequence(std::span<const std::string_view> data) {
  resetTimeout();
  ProtocolWrapper::writeSequence(data);
}

void TimeoutProtocol::dataReceived(std::string_view data) {
  resetTimeout();
  ProtocolWrapper::dataReceived(data);
}

void TimeoutProtocol::connectionLost(const Failure& reason) {
  cancelTimeout();
  ProtocolWrapper::connectionLost(reason);
}

void TimeoutProtocol::timeoutFunc() {
  timeoutCall_ = nullptr;
  if (transport() != nullptr && !disconnecting()) loseConnection();
}

TimeoutFactory::TimeoutFactory(std::shared_ptr<IProtocolFactory> wrappedFactory,
                               IReactorTime& clock, Seconds timeoutPeriod)
    : WrappingFactory(std::move(wrappedFactory)), clock_(clock), timeoutPeriod_(timeoutPeriod) {}

std::shared_ptr<ProtocolWrapper> TimeoutFactory::wrapProtocol(std::shared_ptr<IProtocol> wrapped) {
  return std::make_shared<TimeoutProtocol>(*this, std::move(wrapped), timeoutPeriod_);
}

// --- LimitConnectionsByPeer / LimitTotalConnectionsFactory ---------------------------------

LimitConnectionsByPeer::LimitConnectionsByPeer(std::shared_ptr<IProtocolFactory> wrappedFactory,
                                               int maxConnectionsPerPeer)
    : WrappingFactory(std::move(wrappedFactory)), maxConnectionsPerPeer_(maxConnectionsPerPeer) {}

std::shared_ptr<IProtocol> LimitConnectionsByPeer::buildProtocol(const IAddress& addr) {
  std::string host = hostOf(addr);
  int& count = peerConnections_[host];
  if (count >= maxConnectionsPerPeer_) return nullptr;
  std::shared_ptr<IProtocol> p = WrappingFactory::buildProtocol(addr);
  if (p) {
    ++count;
  } else if (count == 0) {
    peerConnections_.erase(host);
  }
  return p;
}

void LimitConnectionsByPeer::unregisterProtocol(ProtocolWrapper& p) {
  WrappingFactory::unregisterProtocol(p);
  AddressPtr peer = p.getPeer();
  if (!peer) return;
  auto it = peerConnections_.find(hostOf(*peer));
  if (it == peerConnections_.end()) return;
  if (--it->second <= 0) peerConnections_.erase(it);
}

LimitTotalConnectionsFactory::LimitTotalConnectionsFactory(
    std::shared_ptr<IProtocolFactory> wrappedFactory, std::optional<std::size_t> connectionLimit,
    std::shared_ptr<IProtocolFactory> overflowFactory)
    : WrappingFactory(std::move(wrappedFactory)),
      connectionLimit_(connectionLimit),
      overflow_(std::move(overflowFactory)) {}

std::shared_ptr<IProtocol> LimitTotalConnectionsFactory::buildProtocol(const IAddress& addr) {
  std::shared_ptr<IProtocol> inner;
  if (!connectionLimit_ || connectionCount_ < *connectionLimit_) {
    inner = wrappedFactory()->buildProtocol(addr);
  } else if (overflow_) {
    inner = overflow_->buildProtocol(addr);
  }
  if (!inner) return nullptr;
  ++connectionCount_;
  return wrapProtocol(std::move(inner));
}

void LimitTotalConnectionsFactory::unregisterProtocol(ProtocolWrapper& p) {
  WrappingFactory::unregisterProtocol(p);
  if (connectionCount_ > 0) --connectionCount_;
}

// --- TrafficLoggingProtocol / TrafficLoggingFactory ------------------------------------------

TrafficLoggingProtocol::TrafficLoggingProtocol(TrafficLoggingFactory& factory,
                                               std::shared_ptr<IProtocol> wrapped,
                                               std::unique_ptr<std::ostream> logfile,
                                               std::optional<std::size_t> lengthLimit, int number)
    : ProtocolWrapper(factory, std::move(wrapped)),
      logfile_(std::move(logfile)),
      lengthLimit_(lengthLimit),
      number_(number) {}

void TrafficLoggingProtocol::log(const std::string& line) {
  *logfile_ << line << '\n';
  logfile_->flush();
}

std::string TrafficLoggingProtocol::munge(std::string_view data) const {
  if (lengthLimit_ && data.size() > *lengthLimit_) {
    std::size_t keep = *lengthLimit_ > 12 ? *lengthLimit_ - 12 : 0;
    return bytesRepr(data.substr(0, keep)) + "<... elided>";
  }
  return bytesRepr(data);
}

void TrafficLoggingProtocol::connectionMade() {
  log("*");
  ProtocolWrapper::connectionMade();
}

void TrafficLoggingProtocol::dataReceived(std::string_view data) {
  log("C " + std::to_string(number_) + ": " + munge(data));
  ProtocolWrapper::dataReceived(data);
}

void TrafficLoggingProtocol::connectionLost(const Failure& reason) {
  log("C " + std::to_string(number_) + ": " + reason.repr());
  ProtocolWrapper::connectionLost(reason);
}

void TrafficLoggingProtocol::write(std::string_view data) {
  log("S " + std::to_string(number_) + ": " + munge(data));
  ProtocolWrapper::write(data);
}

void TrafficLoggingProtocol::writeSequence(std::span<const std::string_view> data) {
  std::string line = "SV " + std::to_string(number_) + ": [";
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (i > 0) line += ", ";
    line += munge(data[i]);
  }
  log(line + "]");
  ProtocolWrapper::writeSequence(data);
}

void TrafficLoggingProtocol::loseConnection() {
  log("S " + std::to_string(number_) + ": *");
  ProtocolWrapper::loseConnection();
}

TrafficLoggingFactory::TrafficLoggingFactory(std::shared_ptr<IProtocolFactory> wrappedFactory,
                                             std::string logfilePrefix,
                                             std::optional<std::size_t> lengthLimit)
    : WrappingFactory(std::move(wrappedFactory)),
      logfilePrefix_(std::move(logfilePrefix)),
      lengthLimit_(lengthLimit) {}

std::unique_ptr<std::ostream> TrafficLoggingFactory::open(const std::string& name) {
  auto file = std::make_unique<std::ofstream>(name);
  if (!*file) throw std::runtime_error("TrafficLoggingFactory: cannot open " + name);
  return file;
}

std::shared_ptr<ProtocolWrapper> TrafficLoggingFactory::wrapProtocol(
    std::shared_ptr<IProtocol> wrapped) {
  ++counter_;
  auto logfile = open(logfilePrefix_ + "-" + std::to_string(counter_));
  return std::make_shared<TrafficLoggingProtocol>(*this, std::move(wrapped), std::move(logfile),
                                                  lengthLimit_, counter_);
}

// --- SpewingFactory -------------------------------------------------------------------------

namespace {
class SpewingProtocol : public ProtocolWrapper {
 public:
  using ProtocolWrapper::ProtocolWrapper;
  void dataReceived(std::string_view data) override {
    policiesLog().info("Received: " + bytesRepr(data));
    ProtocolWrapper::dataReceived(data);
  }
  void write(std::string_view data) override {
    policiesLog().info("Sending: " + bytesRepr(data));
    ProtocolWrapper::write(data);
  }
};
}  // namespace

std::shared_ptr<ProtocolWrapper> SpewingFactory::wrapProtocol(std::shared_ptr<IProtocol> wrapped) {
  return std::make_shared<SpewingProtocol>(*this, std::move(wrapped));
}

}  // namespace tw
