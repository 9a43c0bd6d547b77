/// @file
/// The policy wrappers: throttling, idle timeouts, connection limits, traffic logging.
/// Twisted: twisted.protocols.policies (ThrottlingFactory, TimeoutFactory,
/// LimitConnectionsByPeer, LimitTotalConnectionsFactory, TrafficLoggingFactory, SpewingFactory).
/// Tests: tests/runtime/policies_test.cpp
///
/// Each policy is a WrappingFactory around the user's factory; its protocols are
/// ProtocolWrapper subclasses.  Every timer is scheduled on an injected IReactorTime, and every
/// pending timer is cancelled when its owner goes away.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "tw/interfaces/i_reactor_time.hpp"
#include "tw/protocol_wrapper.hpp"

namespace tw {

/// Python's repr of a bytes object, e.g. `b'GET /\r\n'` (for log lines).
std::string bytesRepr(std::string_view data);

class ThrottlingFactory;

/// The protocol of a ThrottlingFactory: counts bytes, and pauses reading (or its producer) when
/// the factory says so.  Twisted: policies.ThrottlingProtocol.
class ThrottlingProtocol : public ProtocolWrapper {
 public:
  ThrottlingProtocol(ThrottlingFactory& factory, std::shared_ptr<IProtocol> wrapped);

  void write(std::string_view data) override;
  using ProtocolWrapper::writeSequence;
  void writeSequence(std::span<const std::string_view> data) override;
  void dataReceived(std::string_view data) override;
  void registerProducer(IProducer& producer, bool streaming) override;
  void unregisterProducer() override;

  /// Pauses the real transport (stops reading).
  void throttleReads();
  /// Resumes the real transport.
  void unthrottleReads();
  /// Pauses the registered push producer, if any.
  void throttleWrites();
  /// Resumes the registered push producer, if any.
  void unthrottleWrites();

 private:
  ThrottlingFactory& throttling_;
  IProducer* producer_ = nullptr;
};

/// Limits the number of connections and the bytes read and written per second.
///
/// Each second (on `clock`), if more than `readLimit` bytes were read, reading is paused on
/// every connection for `read / readLimit - 1` seconds; likewise for writes, which are only
/// throttled through a registered push producer.  Connections beyond `maxConnectionCount` are
/// refused.
///
/// Differs from Twisted: the clock is injected, and a connection that the wrapped factory refuses
/// is not counted.
class ThrottlingFactory : public WrappingFactory {
 public:
  ThrottlingFactory(std::shared_ptr<IProtocolFactory> wrappedFactory, IReactorTime& clock,
                    std::size_t maxConnectionCount = std::numeric_limits<std::size_t>::max(),
                    std::optional<std::uint64_t> readLimit = std::nullopt,
                    std::optional<std::uint64_t> writeLimit = std::nullopt);
  ~ThrottlingFactory() override;

  std::shared_ptr<IProtocol> buildProtocol(const IAddress& addr) override;
  void unregisterProtocol(ProtocolWrapper& p) override;

  /// Called by the protocols.
  void registerWritten(std::size_t length) noexcept { writtenThisSecond_ += length; }
  void registerRead(std::size_t length) noexcept { readThisSecond_ += length; }

  /// The once-a-second checks (public for tests, as in Twisted).
  void checkReadBandwidth();
  void checkWriteBandwidth();
  void throttleReads();
  void unthrottleReads();
  void throttleWrites();
  void unthrottleWrites();

  std::size_t connectionCount() const noexcept { return connectionCount_; }
  std::size_t maxConnectionCount() const noexcept { return maxConnectionCount_; }
  std::uint64_t readThisSecond() const noexcept { return readThisSecond_; }
  std::uint64_t writtenThisSecond() const noexcept { return writtenThisSecond_; }

 protected:
  std::shared_ptr<ProtocolWrapper> wrapProtocol(std::shared_ptr<IProtocol> wrapped) override;

 private:
  void cancelAll();

  IReactorTime& clock_;
  std::size_t connectionCount_ = 0;
  std::size_t maxConnectionCount_;
  std::optional<std::uint64_t> readLimit_;
  std::optional<std::uint64_t> writeLimit_;
  std::uint64_t readThisSecond_ = 0;
  std::uint64_t writtenThisSecond_ = 0;
  DelayedCallPtr unthrottleReadsID_;
  DelayedCallPtr checkReadBandwidthID_;
  DelayedCallPtr unthrottleWritesID_;
  DelayedCallPtr checkWriteBandwidthID_;
};

class TimeoutFactory;

/// A wrapper that closes the connection after `timeoutPeriod` without traffic in either
/// direction.  The countdown starts when the protocol is built.  Twisted: policies.TimeoutProtocol.
class TimeoutProtocol : public ProtocolWrapper {
 public:
  TimeoutProtocol(TimeoutFactory& factory, std::shared_ptr<IProtocol> wrapped,
                  std::optional<Seconds> timeoutPeriod);
  ~TimeoutProtocol() override;

  /// Cancels any timeout, then schedules one `timeoutPeriod` from now (none if nullopt).
  void setTimeout(std::optional<Seconds> timeoutPeriod);
  /// Cancels the timeout (no-op if none).
  void cancelTimeout();
  /// Restarts the countdown (traffic happened).
  void resetTimeout();
  /// The current period, if any.
  std::optional<Seconds> timeoutPeriod() const noexcept { return timeoutPeriod_; }

  void write(std::string_view data) override;
  using ProtocolWrapper::writeSequence;
  void writeSequence(std::span<const std::string_view> data) override;
  void dataReceived(std::string_view data) override;
  void connectionLost(const Failure& reason) override;

 protected:
  /// The timeout passed: closes the connection by default.
  virtual void timeoutFunc();

 private:
  IReactorTime& clock_;
  std::optional<Seconds> timeoutPeriod_;
  DelayedCallPtr timeoutCall_;
};

/// Wraps every connection in a TimeoutProtocol (default period: 30 minutes).
/// Differs from Twisted: the clock is injected.
class TimeoutFactory : public WrappingFactory {
 public:
  TimeoutFactory(std::shared_ptr<IProtocolFactory> wrappedFactory, IReactorTime& clock,
                 Seconds timeoutPeriod = Seconds(30 * 60));
  IReactorTime& clock() const noexcept { return clock_; }
  Seconds timeoutPeriod() const noexcept { return timeoutPeriod_; }

 protected:
  std::shared_ptr<ProtocolWrapper> wrapProtocol(std::shared_ptr<IProtocol> wrapped) override;

 private:
  IReactorTime& clock_;
  Seconds timeoutPeriod_;
};

/// Refuses a connection when its peer host already has `maxConnectionsPerPeer` (5) open.
///
/// Differs from Twisted: the count is released by the peer's host (Twisted looks up the port
/// by mistake and raises KeyError).
class LimitConnectionsByPeer : public WrappingFactory {
 public:
  explicit LimitConnectionsByPeer(std::shared_ptr<IProtocolFactory> wrappedFactory,
                                  int maxConnectionsPerPeer = 5);
  std::shared_ptr<IProtocol> buildProtocol(const IAddress& addr) override;
  void unregisterProtocol(ProtocolWrapper& p) override;
  void startFactory() override { peerConnections_.clear(); }
  /// Open connections per peer host.
  const std::map<std::string, int>& peerConnections() const noexcept { return peerConnections_; }
  int maxConnectionsPerPeer() const noexcept { return maxConnectionsPerPeer_; }

 private:
  int maxConnectionsPerPeer_;
  std::map<std::string, int> peerConnections_;
};

/// Limits the number of simultaneous connections: beyond `connectionLimit`, a connection gets a
/// protocol of `overflowFactory` (e.g. one that says "too busy"), or is refused when there is none.
///
/// Differs from Twisted: it wraps a factory (Twisted's is a ServerFactory with `protocol` and
/// `overflowProtocol` attributes).
class LimitTotalConnectionsFactory : public WrappingFactory {
 public:
  LimitTotalConnectionsFactory(std::shared_ptr<IProtocolFactory> wrappedFactory,
                               std::optional<std::size_t> connectionLimit,
                               std::shared_ptr<IProtocolFactory> overflowFactory = nullptr);
  std::shared_ptr<IProtocol> buildProtocol(const IAddress& addr) override;
  void unregisterProtocol(ProtocolWrapper& p) override;
  std::size_t connectionCount() const noexcept { return connectionCount_; }

 private:
  std::optional<std::size_t> connectionLimit_;
  std::shared_ptr<IProtocolFactory> overflow_;
  std::size_t connectionCount_ = 0;
};

class TrafficLoggingFactory;

/// Logs every event of a connection to a stream, one line each: "*" when made, "C n: <bytes>"
/// received, "S n: <bytes>" sent, "SV n: [...]" for writeSequence, "S n: *" on loseConnection,
/// "C n: <failure>" when lost.  Twisted: policies.TrafficLoggingProtocol.
class TrafficLoggingProtocol : public ProtocolWrapper {
 public:
  TrafficLoggingProtocol(TrafficLoggingFactory& factory, std::shared_ptr<IProtocol> wrapped,
                         std::unique_ptr<std::ostream> logfile,
                         std::optional<std::size_t> lengthLimit, int number);

  void connectionMade() override;
  void dataReceived(std::string_view data) override;
  void connectionLost(const Failure& reason) override;
  void write(std::string_view data) override;
  using ProtocolWrapper::writeSequence;
  void writeSequence(std::span<const std::string_view> data) override;
  void loseConnection() override;

 private:
  void log(const std::string& line);
  std::string munge(std::string_view data) const;

  std::unique_ptr<std::ostream> logfile_;
  std::optional<std::size_t> lengthLimit_;
  int number_;
};

/// Logs each connection's traffic to "<logfilePrefix>-<n>" (n counts connections from 1).
class TrafficLoggingFactory : public WrappingFactory {
 public:
  TrafficLoggingFactory(std::shared_ptr<IProtocolFactory> wrappedFactory, std::string logfilePrefix,
                        std::optional<std::size_t> lengthLimit = std::nullopt);
  /// Opens the log of one connection; override to log elsewhere (tests use a string stream).
  /// @throws std::runtime_error if the file cannot be opened.
  virtual std::unique_ptr<std::ostream> open(const std::string& name);
  /// Numbers connections from 1 again.
  void resetCounter() noexcept { counter_ = 0; }
  int counter() const noexcept { return counter_; }

 protected:
  std::shared_ptr<ProtocolWrapper> wrapProtocol(std::shared_ptr<IProtocol> wrapped) override;

 private:
  std::string logfilePrefix_;
  std::optional<std::size_t> lengthLimit_;
  int counter_ = 0;
};

/// Logs (at info level, namespace "tw.policies") every chunk received ("Received: b'...'") and
/// written ("Sending: b'...'").  Twisted: policies.SpewingFactory.
class SpewingFactory : public WrappingFactory {
 public:
  using WrappingFactory::WrappingFactory;

 protected:
  std::shared_ptr<ProtocolWrapper> wrapProtocol(std::shared_ptr<IProtocol> wrapped) override;
};

}  // namespace tw
