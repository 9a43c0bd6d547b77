/// @file
/// Protocol: the base class of stream protocols.
/// Twisted: twisted.internet.protocol.Protocol (BaseProtocol).  Tests:
/// tests/runtime/protocol_test.cpp
///
/// Ownership, in one place:
///  - A transport (a TCP connection, a StringTransport in a test, an iosim FakeTransport) holds
///    its protocol by `std::shared_ptr` from buildProtocol on, and keeps it alive while it calls
///    into it.
///  - The protocol holds a plain reference to its transport: `transport()` is valid from
///    `makeConnection` until `connectionLost` returns, and is null before.  Do not keep it after
///    `connectionLost`.
///  - The protocol holds a plain pointer to the factory that built it (`factory()`); a port or
///    connector, and each of its connections, keep the factory alive.
#pragma once

#include <string>
#include <string_view>

#include "tw/failure.hpp"
#include "tw/interfaces/i_protocol.hpp"
#include "tw/interfaces/i_protocol_factory.hpp"
#include "tw/interfaces/i_transport.hpp"

namespace tw {

/// The base class of stream protocols: override what you need of connectionMade,
/// dataReceived and connectionLost.
///
/// Example, the classic echo protocol:
/// @code
/// class Echo : public tw::Protocol {
///   void dataReceived(std::string_view data) override { transport()->write(data); }
/// };
/// @endcode
class Protocol : public IProtocol {
 public:
  Protocol() = default;
  Protocol(const Protocol&) = delete;
  Protocol& operator=(const Protocol&) = delete;
  ~Protocol() override = default;

  /// Records the transport, sets connected(), then calls connectionMade().
  void makeConnection(ITransport& transport) override;

  /// Does nothing; override to greet the peer, start timers, ...
  void connectionMade() override {}

  /// Does nothing (the bytes are dropped); override to parse.
  void dataReceived(std::string_view data) override;

  /// Clears connected(); override to clean up.  Overrides should call it (or not rely on
  /// connected() afterwards).
  void connectionLost(const Failure& reason) override;

  /// The transport, or nullptr before makeConnection.  See the file comment for its lifetime.
  ITransport* transport() const noexcept { return transport_; }

  /// True between makeConnection and connectionLost.  Twisted: BaseProtocol.connected.
  bool connected() const noexcept { return connected_; }

  /// The factory that built this protocol, or nullptr.  Twisted: Protocol.factory.
  IProtocolFactory* factory() const noexcept { return factory_; }

  /// Set by the factory that builds the protocol.
  void setFactory(IProtocolFactory* factory) noexcept { factory_ = factory; }

  /// A prefix for log lines about this connection: the class name by default.
  virtual std::string logPrefix() const;

 protected:
  /// Forgets the transport; for subclasses that must drop it early.
  void clearTransport() noexcept { transport_ = nullptr; }

 private:
  ITransport* transport_ = nullptr;
  IProtocolFactory* factory_ = nullptr;
  bool connected_ = false;
};

}  // namespace tw
