/// @file
/// IConnector: an outgoing connection attempt, and the connection it makes.
/// Twisted: twisted.internet.interfaces.IConnector.  Tests: tests/fakes/memory_reactor_test.cpp
#pragma once

#include "tw/interfaces/i_address.hpp"

namespace tw {

/// The handle on an outgoing connection, from the attempt through the connection's life.
/// A ClientFactory gets it in startedConnecting/clientConnectionFailed/clientConnectionLost and
/// may call `connect()` again to retry (as ReconnectingClientFactory does).
class IConnector {
 public:
  virtual ~IConnector() = default;

  /// Stops the attempt in progress; the factory gets clientConnectionFailed with
  /// tw::error::UserError.
  /// @throws tw::error::NotConnectingError if no attempt is in progress.
  virtual void stopConnecting() = 0;

  /// Stops the attempt, or closes the connection if it is established.
  virtual void disconnect() = 0;

  /// Starts a new attempt (after a failure or a lost connection).
  virtual void connect() = 0;

  /// Where this connector connects to.
  virtual AddressPtr getDestination() const = 0;
};

}  // namespace tw
