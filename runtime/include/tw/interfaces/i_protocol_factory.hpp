/// @file
/// IProtocolFactory and IClientFactory: what ports and connectors ask for protocols.
/// Twisted: twisted.internet.interfaces.IProtocolFactory, and the ClientFactory methods that
/// connectors call.  Tests: tests/runtime/factory_test.cpp
#pragma once

#include <memory>

#include "tw/failure.hpp"
#include "tw/interfaces/i_address.hpp"
#include "tw/interfaces/i_protocol.hpp"

namespace tw {

class IConnector;

/// Builds a protocol for each connection.
///
/// Ports and connectors call `doStart()` when they start using the factory and `doStop()` when
/// they stop; a factory shared by several ports counts them (see tw::Factory).
class IProtocolFactory {
 public:
  virtual ~IProtocolFactory() = default;

  /// A protocol for a new connection to or from `addr`, or nullptr to refuse the connection
  /// (the transport then closes it at once).
  virtual std::shared_ptr<IProtocol> buildProtocol(const IAddress& addr) = 0;

  /// A port or connector starts using this factory.
  virtual void doStart() = 0;

  /// A port or connector stops using this factory.
  virtual void doStop() = 0;
};

/// A factory for outgoing connections, told how each attempt goes.
///
/// Twisted duck-types this (connectTCP takes "a ClientFactory"); tw names the contract.
class IClientFactory : public virtual IProtocolFactory {
 public:
  /// A connection attempt started.
  virtual void startedConnecting(IConnector& connector) = 0;

  /// A connection attempt failed; `reason` holds a tw::error::ConnectError (or subclass).
  virtual void clientConnectionFailed(IConnector& connector, const Failure& reason) = 0;

  /// An established connection was lost; `reason` as for IProtocol::connectionLost.
  virtual void clientConnectionLost(IConnector& connector, const Failure& reason) = 0;
};

}  // namespace tw
