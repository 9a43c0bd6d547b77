/// @file
/// IReactorTCP: listening for and making TCP connections.
/// Twisted: twisted.internet.interfaces.IReactorTCP.  Tests: tests/fakes/memory_reactor_test.cpp
#pragma once

#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <utility>

#include "tw/interfaces/i_connector.hpp"
#include "tw/interfaces/i_listening_port.hpp"
#include "tw/interfaces/i_protocol_factory.hpp"
#include "tw/interfaces/i_reactor_time.hpp"

namespace tw {

/// A local (host, port) to bind an outgoing connection to.
using BindAddress = std::pair<std::string, int>;

/// TCP: listen for connections, and connect.
///
/// Ownership: the port or connector shares ownership of the factory, and each connection keeps
/// its factory alive while it lives.
class IReactorTCP {
 public:
  virtual ~IReactorTCP() = default;

  /// Listens on `port` (0: any free port; see the port's getHost()) of `interface` ("" for all
  /// IPv4 interfaces, "::" for all IPv6 ones).
  /// @throws tw::error::CannotListenError if the port cannot be bound.
  std::shared_ptr<IListeningPort> listenTCP(
      int port, std::shared_ptr<IProtocolFactory> factory, int backlog = 50,
      std::string_view interface = "",
      std::source_location where = std::source_location::current()) {
    return doListenTCP(port, std::move(factory), backlog, interface, where);
  }

  /// Connects to `host`:`port`.  The factory's startedConnecting() runs, then either
  /// buildProtocol() and the protocol's makeConnection(), or clientConnectionFailed() (e.g. with
  /// tw::error::ConnectionRefusedError, or tw::error::TimeoutError after `timeout`).
  std::shared_ptr<IConnector> connectTCP(
      std::string_view host, int port, std::shared_ptr<IClientFactory> factory,
      Seconds timeout = std::chrono::seconds(30),
      std::optional<BindAddress> bindAddress = std::nullopt,
      std::source_location where = std::source_location::current()) {
    return doConnectTCP(host, port, std::move(factory), timeout, std::move(bindAddress), where);
  }

 protected:
  virtual std::shared_ptr<IListeningPort> doListenTCP(int port,
                                                      std::shared_ptr<IProtocolFactory> factory,
                                                      int backlog, std::string_view interface,
                                                      const std::source_location& where) = 0;
  virtual std::shared_ptr<IConnector> doConnectTCP(std::string_view host, int port,
                                                   std::shared_ptr<IClientFactory> factory,
                                                   Seconds timeout,
                                                   std::optional<BindAddress> bindAddress,
                                                   const std::source_location& where) = 0;
};

}  // namespace tw
