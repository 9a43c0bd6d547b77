/// @file
/// IStreamServerEndpoint and IStreamClientEndpoint: where to listen and what to connect to,
/// described once (e.g. by a string such as "tcp:8080") and used without knowing the transport.
/// Twisted: twisted.internet.interfaces.IStreamServerEndpoint, IStreamClientEndpoint.
/// Tests: tests/fakes/iosim_test.cpp
#pragma once

#include <memory>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_listening_port.hpp"
#include "tw/interfaces/i_protocol.hpp"
#include "tw/interfaces/i_protocol_factory.hpp"

namespace tw {

/// A place to listen for stream connections.
class IStreamServerEndpoint {
 public:
  virtual ~IStreamServerEndpoint() = default;

  /// Starts listening with `factory`.  Fires with the port, or fails (e.g. with
  /// tw::error::CannotListenError).
  virtual Deferred<std::shared_ptr<IListeningPort>> listen(
      std::shared_ptr<IProtocolFactory> factory) = 0;
};

/// A peer to connect to with a stream connection.
class IStreamClientEndpoint {
 public:
  virtual ~IStreamClientEndpoint() = default;

  /// Connects and fires with the protocol `factory` built, once its connectionMade has run; or
  /// fails with a tw::error::ConnectError.  Cancelling the Deferred abandons the attempt
  /// (tw::error::ConnectingCancelledError).
  virtual Deferred<std::shared_ptr<IProtocol>> connect(
      std::shared_ptr<IProtocolFactory> factory) = 0;
};

}  // namespace tw
