/// @file
/// ProtocolWrapper and WrappingFactory: a protocol that sits between a transport and another
/// protocol, acting as that protocol's transport; the base of tw's policies.
/// Twisted: twisted.protocols.policies.ProtocolWrapper, WrappingFactory.
/// Tests: tests/runtime/protocol_wrapper_test.cpp
///
/// Ownership: the real transport owns the wrapper; the wrapper owns the wrapped protocol (and
/// drops it after forwarding connectionLost); the wrapper points at its WrappingFactory, which
/// the transport keeps alive.
#pragma once

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "tw/factory.hpp"
#include "tw/interfaces/i_protocol.hpp"
#include "tw/interfaces/i_transport.hpp"
#include "tw/protocol.hpp"

namespace tw {

class WrappingFactory;

/// Wraps a protocol and is its transport: every call in either direction passes through, so a
/// subclass can watch or change traffic (count bytes, time out, throttle).
///
/// The wrapper is an ITCPTransport; the TCP-only calls go to the real transport when it is one
/// (`abortConnection` falls back to `loseConnection` otherwise; the socket options read false
/// and ignore writes).  If the wrapped protocol is an IHalfCloseableProtocol, half-close
/// notifications are forwarded to it.
class ProtocolWrapper : public Protocol, public ITCPTransport, public IHalfCloseableProtocol {
 public:
  /// @param factory          the WrappingFactory that built the wrapper (registers it).
  /// @param wrappedProtocol  the protocol to wrap; must not be null.
  ProtocolWrapper(WrappingFactory& factory, std::shared_ptr<IProtocol> wrappedProtocol);
  ~ProtocolWrapper() override = default;

  /// The wrapped protocol (null after connectionLost).
  const std::shared_ptr<IProtocol>& wrappedProtocol() const noexcept { return wrapped_; }

  /// The factory that built this wrapper.
  WrappingFactory& wrappingFactory() const noexcept { return *wrappingFactory_; }

  // --- IProtocol: from the real transport, forwarded to the wrapped protocol ----------------

  /// Records the transport, registers with the factory, then connects the wrapped protocol
  /// to this wrapper.
  void makeConnection(ITransport& transport) override;
  void dataReceived(std::string_view data) override;
  /// Unregisters from the factory, forwards, then drops the wrapped protocol.
  void connectionLost(const Failure& reason) override;
  void readConnectionLost() override;
  void writeConnectionLost() override;

  /// "<wrapped protocol's prefix> (<this class>)".
  std::string logPrefix() const override;

  // --- ITransport: from the wrapped protocol, forwarded to the real transport ----------------

  void write(std::string_view data) override;
  using ITransport::writeSequence;
  void writeSequence(std::span<const std::string_view> data) override;
  /// Sets disconnecting() and closes the real transport.
  void loseConnection() override;
  AddressPtr getPeer() const override;
  AddressPtr getHost() const override;
  bool disconnecting() const override;
  void registerProducer(IProducer& producer, bool streaming) override;
  void unregisterProducer() override;
  void pauseProducing() override;
  void resumeProducing() override;
  void stopProducing() override;
  void loseWriteConnection() override;
  void abortConnection() override;
  bool getTcpNoDelay() const override;
  void setTcpNoDelay(bool enabled) override;
  bool getTcpKeepAlive() const override;
  void setTcpKeepAlive(bool enabled) override;

 private:
  ITransport& realTransport() const;
  ITCPTransport* tcpTransport() const;

  WrappingFactory* wrappingFactory_;
  std::shared_ptr<IProtocol> wrapped_;
  bool disconnecting_ = false;
};

/// Wraps a factory: each protocol it builds is wrapped (in a ProtocolWrapper by default), and the
/// live wrappers are tracked in `protocols()`.  Start/stop and the client callbacks are forwarded
/// to the wrapped factory.
///
/// Differs from Twisted: when the wrapped factory refuses a connection (nullptr), so does the
/// WrappingFactory (Twisted wraps None and fails later).
class WrappingFactory : public ClientFactory {
 public:
  /// @param wrappedFactory  must not be null; a client factory gets the client callbacks.
  explicit WrappingFactory(std::shared_ptr<IProtocolFactory> wrappedFactory);

  const std::shared_ptr<IProtocolFactory>& wrappedFactory() const noexcept { return wrapped_; }

  /// The wrappers between makeConnection and connectionLost.
  const std::set<ProtocolWrapper*>& protocols() const noexcept { return protocols_; }

  /// Wraps what the wrapped factory builds (nullptr if it refuses).
  std::shared_ptr<IProtocol> buildProtocol(const IAddress& addr) override;

  void doStart() override;
  void doStop() override;
  void startedConnecting(IConnector& connector) override;
  void clientConnectionFailed(IConnector& connector, const Failure& reason) override;
  void clientConnectionLost(IConnector& connector, const Failure& reason) override;

  /// Called by a wrapper when its connection is made / lost; overrides must call these.
  virtual void registerProtocol(ProtocolWrapper& p) { protocols_.insert(&p); }
  virtual void unregisterProtocol(ProtocolWrapper& p) { protocols_.erase(&p); }

  /// "<wrapped factory's prefix> (<this class>)".
  std::string logPrefix() const override;

 protected:
  /// Makes the wrapper for `wrapped`; override to use a ProtocolWrapper subclass.  Twisted:
  /// WrappingFactory.protocol.
  virtual std::shared_ptr<ProtocolWrapper> wrapProtocol(std::shared_ptr<IProtocol> wrapped);

 private:
  std::shared_ptr<IProtocolFactory> wrapped_;
  std::set<ProtocolWrapper*> protocols_;
};

}  // namespace tw
