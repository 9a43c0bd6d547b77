/// @file
/// DatagramProtocol: the base class of UDP protocols.
/// Twisted: twisted.internet.protocol.DatagramProtocol (AbstractDatagramProtocol).
/// Tests: tests/runtime/protocol_test.cpp
#pragma once

#include <string>
#include <string_view>

#include "tw/interfaces/i_address.hpp"
#include "tw/interfaces/i_udp_transport.hpp"

namespace tw {

/// The base class of datagram protocols.  The UDP port holds the protocol by shared_ptr; the
/// protocol's `transport()` is valid from makeConnection until doStop.
class DatagramProtocol {
 public:
  DatagramProtocol() = default;
  DatagramProtocol(const DatagramProtocol&) = delete;
  DatagramProtocol& operator=(const DatagramProtocol&) = delete;
  virtual ~DatagramProtocol() = default;

  /// A datagram arrived from `addr`.
  virtual void datagramReceived(std::string_view datagram, const IAddress& addr);

  /// A datagram sent on a connected socket was refused (ICMP port unreachable).
  virtual void connectionRefused() {}

  /// Called once when the protocol starts listening.
  virtual void startProtocol() {}

  /// Called once when the protocol stops listening.
  virtual void stopProtocol() {}

  /// Called by the port: records the transport, then doStart().
  void makeConnection(IUDPTransport& transport);

  /// Starts the protocol (calls startProtocol once, counting nested starts).
  void doStart();

  /// Stops the protocol (calls stopProtocol when the last start is undone) and forgets the
  /// transport.
  void doStop();

  /// The transport, or nullptr when not listening.
  IUDPTransport* transport() const noexcept { return transport_; }

  /// How many ports currently use this protocol.
  int numPorts() const noexcept { return numPorts_; }

  /// A prefix for log lines: the class name by default.
  virtual std::string logPrefix() const;

 private:
  IUDPTransport* transport_ = nullptr;
  int numPorts_ = 0;
};

}  // namespace tw
