/// @file
/// IListeningPort: a port that accepts connections (or datagrams).
/// Twisted: twisted.internet.interfaces.IListeningPort.  Tests: tests/fakes/memory_reactor_test.cpp
#pragma once

#include "tw/deferred.hpp"
#include "tw/interfaces/i_address.hpp"

namespace tw {

/// A listening port.
class IListeningPort {
 public:
  virtual ~IListeningPort() = default;

  /// Starts listening (listen* has usually done this already).
  /// @throws tw::error::CannotListenError if the port cannot be bound.
  virtual void startListening() = 0;

  /// Stops listening.  The Deferred fires once the port is closed and its factory's doStop() has
  /// run.  Connections already accepted are not affected.
  virtual Deferred<void> stopListening() = 0;

  /// The address the port is bound to (with the real port number when 0 was asked for).
  virtual AddressPtr getHost() const = 0;
};

}  // namespace tw
