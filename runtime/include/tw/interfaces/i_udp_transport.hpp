/// @file
/// IUDPTransport: the transport of a DatagramProtocol.
/// Twisted: twisted.internet.interfaces.IUDPTransport.  Tests: tests/fakes/memory_reactor_test.cpp
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_address.hpp"

namespace tw {

/// A UDP socket as its protocol sees it.
class IUDPTransport {
 public:
  virtual ~IUDPTransport() = default;

  /// Sends one datagram to `addr` (host, port), or to the connected peer when `addr` is empty.
  /// @throws tw::error::MessageLengthError if the datagram is too long.
  virtual void write(std::string_view packet,
                     std::optional<std::pair<std::string, int>> addr = std::nullopt) = 0;

  /// Connects the socket: datagrams then go to and come only from `host`:`port`, and ICMP errors
  /// reach the protocol's connectionRefused().  `host` must be an IP address.
  virtual void connect(std::string_view host, int port) = 0;

  /// The local address.
  virtual AddressPtr getHost() const = 0;

  /// Stops listening; the Deferred fires when the socket is closed.
  virtual Deferred<void> stopListening() = 0;

  /// SO_BROADCAST.
  virtual void setBroadcastAllowed(bool enabled) = 0;
  virtual bool getBroadcastAllowed() const = 0;
};

}  // namespace tw
