/// @file
/// IReactorUNIX: listening for and making UNIX stream socket connections.
/// Twisted: twisted.internet.interfaces.IReactorUNIX.  Tests: tests/fakes/memory_reactor_test.cpp
#pragma once

#include <memory>
#include <source_location>
#include <string>

#include "tw/interfaces/i_connector.hpp"
#include "tw/interfaces/i_listening_port.hpp"
#include "tw/interfaces/i_protocol_factory.hpp"
#include "tw/interfaces/i_reactor_time.hpp"

namespace tw {

/// UNIX stream sockets.  A path starting with '\0' (or '@' in tw's string form) is in Linux's
/// abstract namespace.
class IReactorUNIX {
 public:
  virtual ~IReactorUNIX() = default;

  /// Listens on the socket file `address`, created with permissions `mode`; with `wantPID`, a
  /// lock file "<address>.lock" holding this process's pid guards it.
  /// @throws tw::error::CannotListenError if the socket cannot be bound.
  std::shared_ptr<IListeningPort> listenUNIX(
      std::string address, std::shared_ptr<IProtocolFactory> factory, int backlog = 50,
      int mode = 0666, bool wantPID = false,
      std::source_location where = std::source_location::current()) {
    return doListenUNIX(std::move(address), std::move(factory), backlog, mode, wantPID, where);
  }

  /// Connects to the socket `address`; with `checkPID`, fails at once if its lock file names a
  /// process that is not running.
  std::shared_ptr<IConnector> connectUNIX(
      std::string address, std::shared_ptr<IClientFactory> factory,
      Seconds timeout = std::chrono::seconds(30), bool checkPID = false,
      std::source_location where = std::source_location::current()) {
    return doConnectUNIX(std::move(address), std::move(factory), timeout, checkPID, where);
  }

 protected:
  virtual std::shared_ptr<IListeningPort> doListenUNIX(std::string address,
                                                       std::shared_ptr<IProtocolFactory> factory,
                                                       int backlog, int mode, bool wantPID,
                                                       const std::source_location& where) = 0;
  virtual std::shared_ptr<IConnector> doConnectUNIX(std::string address,
                                                    std::shared_ptr<IClientFactory> factory,
                                                    Seconds timeout, bool checkPID,
                                                    const std::source_location& where) = 0;
};

}  // namespace tw
