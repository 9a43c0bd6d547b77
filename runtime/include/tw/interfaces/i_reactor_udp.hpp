/// @file
/// IReactorUDP: UDP sockets.
/// Twisted: twisted.internet.interfaces.IReactorUDP.  Tests: tests/fakes/memory_reactor_test.cpp
#pragma once

#include <cstddef>
#include <memory>
#include <source_location>
#include <string_view>

#include "tw/interfaces/i_listening_port.hpp"

namespace tw {

class DatagramProtocol;

/// UDP: bind a DatagramProtocol to a port.
class IReactorUDP {
 public:
  virtual ~IReactorUDP() = default;

  /// Binds `protocol` to `port` (0: any) of `interface` ("" for all).  The socket owns a share
  /// of the protocol.
  /// @throws tw::error::CannotListenError if the port cannot be bound.
  std::shared_ptr<IListeningPort> listenUDP(
      int port, std::shared_ptr<DatagramProtocol> protocol, std::string_view interface = "",
      std::size_t maxPacketSize = 8192,
      std::source_location where = std::source_location::current()) {
    return doListenUDP(port, std::move(protocol), interface, maxPacketSize, where);
  }

 protected:
  virtual std::shared_ptr<IListeningPort> doListenUDP(int port,
                                                      std::shared_ptr<DatagramProtocol> protocol,
                                                      std::string_view interface,
                                                      std::size_t maxPacketSize,
                                                      const std::source_location& where) = 0;
};

}  // namespace tw
