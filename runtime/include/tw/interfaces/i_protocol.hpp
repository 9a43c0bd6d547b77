/// @file
/// IProtocol and IHalfCloseableProtocol: what a transport calls as a connection lives and ends.
/// Twisted: twisted.internet.interfaces.IProtocol, IHalfCloseableProtocol.
/// Tests: tests/runtime/protocol_test.cpp
#pragma once

#include <string_view>

#include "tw/failure.hpp"
#include "tw/interfaces/i_transport.hpp"

namespace tw {

/// The handler of one stream connection.
///
/// A transport calls, in this order: `makeConnection(transport)` once (which calls
/// `connectionMade()`), then `dataReceived(bytes)` any number of times with the bytes in order
/// and split arbitrarily, then `connectionLost(reason)` once.  Nothing is called after
/// `connectionLost`.
class IProtocol {
 public:
  virtual ~IProtocol() = default;

  /// Attaches the transport, then calls connectionMade().
  virtual void makeConnection(ITransport& transport) = 0;

  /// The connection is up; the transport is usable.
  virtual void connectionMade() = 0;

  /// Some bytes arrived.  They may be any part of what the peer sent: a message may arrive in
  /// several calls and several messages in one call.
  virtual void dataReceived(std::string_view data) = 0;

  /// The connection is gone.  `reason` is a Failure holding tw::error::ConnectionDone for a clean
  /// close, or a tw::error::ConnectionLost (or subclass) otherwise.  The transport reference is
  /// valid until this returns.
  virtual void connectionLost(const Failure& reason) = 0;
};

/// A protocol that wants to know about half-closed connections.
///
/// When a protocol implements this interface, a transport that sees the peer close its writing
/// half calls `readConnectionLost()` instead of closing the whole connection.
class IHalfCloseableProtocol {
 public:
  virtual ~IHalfCloseableProtocol() = default;

  /// The peer will send no more data; this side may still write.
  virtual void readConnectionLost() = 0;

  /// This side's writing half was closed by `loseWriteConnection()`.
  virtual void writeConnectionLost() = 0;
};

}  // namespace tw
