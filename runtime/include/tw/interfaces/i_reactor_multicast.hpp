/// @file
/// IReactorMulticast and IMulticastTransport: UDP sockets that join IPv4 multicast groups.
/// Twisted: twisted.internet.interfaces.IReactorMulticast, IMulticastTransport.
/// Tests: tests/integration/udp_test.cpp
#pragma once

#include <cstddef>
#include <memory>
#include <source_location>
#include <string>
#include <string_view>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_listening_port.hpp"

namespace tw {

class DatagramProtocol;

/// Multicast UDP: bind a DatagramProtocol to a port whose transport is also an
/// IMulticastTransport.
class IReactorMulticast {
 public:
  virtual ~IReactorMulticast() = default;

  /// Binds `protocol` to `port` (0: any) of `interface` ("" for all), as listenUDP does; the
  /// protocol's transport also implements IMulticastTransport.  With `listenMultiple`, the
  /// socket sets SO_REUSEADDR and SO_REUSEPORT so that several sockets (of this process or
  /// others) can bind the same port and each receive the group's datagrams.
  /// @throws tw::error::CannotListenError if the port cannot be bound.
  std::shared_ptr<IListeningPort> listenMulticast(
      int port, std::shared_ptr<DatagramProtocol> protocol, std::string_view interface = "",
      std::size_t maxPacketSize = 8192, bool listenMultiple = false,
      std::source_location where = std::source_location::current()) {
    return doListenMulticast(port, std::move(protocol), interface, maxPacketSize, listenMultiple,
                             where);
  }

 protected:
  virtual std::shared_ptr<IListeningPort> doListenMulticast(
      int port, std::shared_ptr<DatagramProtocol> protocol, std::string_view interface,
      std::size_t maxPacketSize, bool listenMultiple, const std::source_location& where) = 0;
};

/// The multicast side of a UDP transport made by listenMulticast.  Addresses may be IP
/// literals or host names (resolved with the reactor's resolve()); "" means INADDR_ANY.
class IMulticastTransport {
 public:
  virtual ~IMulticastTransport() = default;

  /// The interface multicast datagrams are sent from (IP_MULTICAST_IF), dotted quad;
  /// "0.0.0.0" when the kernel picks it by route.
  virtual std::string getOutgoingInterface() const = 0;
  /// Sends multicast datagrams from the interface with address `addr`.  The Deferred fires
  /// when set, or fails (tw::error::DNSLookupError, std::system_error).
  virtual Deferred<void> setOutgoingInterface(std::string_view addr) = 0;

  /// Whether this host's own sockets receive the datagrams sent to a group
  /// (IP_MULTICAST_LOOP); on by default.
  virtual bool getLoopbackMode() const = 0;
  virtual void setLoopbackMode(bool enabled) = 0;

  /// The time-to-live of outgoing multicast datagrams (IP_MULTICAST_TTL); 1 by default.
  virtual int getTTL() const = 0;
  /// @throws std::invalid_argument unless 0 <= ttl <= 255.
  virtual void setTTL(int ttl) = 0;

  /// Joins group `addr` on the interface with address `interface` ("" : the kernel's choice).
  /// The Deferred fires when joined, or fails with tw::error::MulticastJoinError (e.g. `addr`
  /// is not a multicast address) or tw::error::DNSLookupError.
  virtual Deferred<void> joinGroup(std::string_view addr, std::string_view interface = "") = 0;
  /// Leaves group `addr`, as joinGroup joined it; fails with tw::error::MulticastJoinError if
  /// the socket was not a member.
  virtual Deferred<void> leaveGroup(std::string_view addr, std::string_view interface = "") = 0;
};

}  // namespace tw
