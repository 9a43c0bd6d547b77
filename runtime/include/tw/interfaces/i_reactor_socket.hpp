/// @file
/// IReactorSocket: adopting sockets created elsewhere (systemd socket activation, a parent
/// process).  Twisted: twisted.internet.interfaces.IReactorSocket.
/// Tests: tests/fakes/memory_reactor_test.cpp
#pragma once

#include <cstddef>
#include <memory>

#include "tw/interfaces/i_listening_port.hpp"
#include "tw/interfaces/i_protocol_factory.hpp"

namespace tw {

class DatagramProtocol;

/// Adopting already-open sockets.  The reactor takes a duplicate of `fileDescriptor`; the caller
/// still owns (and should close) the original.
class IReactorSocket {
 public:
  virtual ~IReactorSocket() = default;

  /// Accepts connections on a listening stream socket of family `addressFamily` (AF_INET,
  /// AF_INET6, AF_UNIX).
  /// @throws tw::error::UnsupportedAddressFamily for another family.
  virtual std::shared_ptr<IListeningPort> adoptStreamPort(
      int fileDescriptor, int addressFamily, std::shared_ptr<IProtocolFactory> factory) = 0;

  /// Runs a protocol of `factory` on a connected stream socket.
  virtual void adoptStreamConnection(int fileDescriptor, int addressFamily,
                                     std::shared_ptr<IProtocolFactory> factory) = 0;

  /// Runs `protocol` on a bound datagram socket.
  virtual std::shared_ptr<IListeningPort> adoptDatagramPort(
      int fileDescriptor, int addressFamily, std::shared_ptr<DatagramProtocol> protocol,
      std::size_t maxPacketSize) = 0;
};

}  // namespace tw
