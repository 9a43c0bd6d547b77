/// @file
/// ITransport and ITCPTransport: the connection a protocol writes to.
/// Twisted: twisted.internet.interfaces.ITransport, ITCPTransport.
/// Tests: tests/fakes/transport_contract.hpp (run against every transport)
#pragma once

#include <initializer_list>
#include <span>
#include <string_view>

#include "tw/interfaces/i_address.hpp"
#include "tw/interfaces/i_consumer.hpp"
#include "tw/interfaces/i_producer.hpp"

namespace tw {

/// The transport of a connection: where a protocol writes, and how it closes.
///
/// A transport is also a consumer (a producer can feed it) and a push producer (pausing it stops
/// delivery of received data to the protocol), as every Twisted transport is.
///
/// Ownership: the transport owns its protocol (the shared_ptr the factory built) and hands it a
/// reference to itself in `makeConnection`.  The protocol's reference is valid from
/// `makeConnection` until `connectionLost` returns.  A transport keeps itself and its protocol
/// alive while it calls into the protocol, so a protocol may call `loseConnection()` or
/// `abortConnection()` from any callback, including `dataReceived`.
class ITransport : public IConsumer, public IPushProducer {
 public:
  /// Writes bytes, buffered and in order.  Never blocks.  After `loseConnection()` the bytes are
  /// dropped (Twisted drops them silently; each transport documents what it does).
  void write(std::string_view data) override = 0;

  /// Writes several buffers in order, as if by one write() of their concatenation.
  virtual void writeSequence(std::span<const std::string_view> data) = 0;

  /// writeSequence({a, b, c}).
  void writeSequence(std::initializer_list<std::string_view> data) {
    writeSequence(std::span<const std::string_view>(data.begin(), data.size()));
  }

  /// Closes the connection once everything written so far has been sent; the protocol's
  /// `connectionLost` runs later with tw::error::ConnectionDone.  Idempotent.
  virtual void loseConnection() = 0;

  /// The address of the other end.
  virtual AddressPtr getPeer() const = 0;

  /// The address of this end.
  virtual AddressPtr getHost() const = 0;

  /// True once `loseConnection()` (or `abortConnection()`) was called.  Protocols check it to
  /// stop processing input that arrives after they asked to close.  Twisted: the `disconnecting`
  /// attribute every transport has.
  virtual bool disconnecting() const = 0;
};

/// A TCP connection's transport: half-close, abort and socket options.
class ITCPTransport : public ITransport {
 public:
  /// Closes the writing half once the buffer is flushed (half-close); reading goes on.  A
  /// protocol implementing IHalfCloseableProtocol gets `writeConnectionLost()`.
  virtual void loseWriteConnection() = 0;

  /// Closes the connection at once, discarding anything not yet sent; `connectionLost` runs with
  /// tw::error::ConnectionAborted.  Idempotent.
  virtual void abortConnection() = 0;

  /// TCP_NODELAY.
  virtual bool getTcpNoDelay() const = 0;
  virtual void setTcpNoDelay(bool enabled) = 0;

  /// SO_KEEPALIVE.
  virtual bool getTcpKeepAlive() const = 0;
  virtual void setTcpKeepAlive(bool enabled) = 0;
};

}  // namespace tw
