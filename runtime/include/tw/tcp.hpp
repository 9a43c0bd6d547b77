/// @file
/// TCP on the real reactors: the connection transport (TCPConnection), the listening port
/// (TCPPort) and the outgoing connection attempt (TCPConnector), made by
/// PosixReactorBase::listenTCP and connectTCP.  The stream code itself is shared with UNIX
/// sockets (tw/unix.hpp) in tw/detail/stream_socket.hpp (src/posix/stream.cpp); what is TCP's
/// here is the addresses, resolving, binding and the socket options.
/// Twisted: twisted.internet.tcp (Connection, Server, Client, Port, Connector) and
/// twisted.internet.abstract.FileDescriptor.  Tests: tests/integration/tcp_test.cpp
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <source_location>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tw/deferred.hpp"
#include "tw/detail/stream_socket.hpp"
#include "tw/interfaces/i_connector.hpp"
#include "tw/interfaces/i_listening_port.hpp"
#include "tw/interfaces/i_protocol.hpp"
#include "tw/interfaces/i_protocol_factory.hpp"
#include "tw/interfaces/i_reactor_fd_set.hpp"
#include "tw/interfaces/i_reactor_tcp.hpp"
#include "tw/interfaces/i_transport.hpp"

namespace tw {

class PosixReactorBase;
class TCPConnector;

/// The transport of one TCP connection, accepted by a TCPPort or made by a TCPConnector.
///
/// Writing: `write()` sends straight to the socket when nothing is buffered; only what the
/// kernel does not take (EAGAIN) is buffered, and only then is the socket watched for
/// writability (so an echo round trip costs one recv and one send).  A push producer is paused
/// when the buffer passes highWaterMark() (64 KiB by default) and resumed when it is empty; a
/// pull producer's resumeProducing() is called each time the buffer empties.
///
/// Reading: up to 64 KiB per readiness, delivered to dataReceived.  An exception thrown by the
/// protocol (dataReceived, connectionMade, readConnectionLost) is logged and drops this
/// connection only, with that exception as the reason.
///
/// Ending: connectionLost runs once, later (never from inside the call that caused it), with
/// tw::error::ConnectionDone for a clean close (ours after loseConnection, or the peer's),
/// tw::error::ConnectionLost (with the errno) for a reset or another error,
/// tw::error::ConnectionAborted after abortConnection (which closes with an RST).  A registered
/// producer gets stopProducing() first.  A client connection then calls its factory's
/// clientConnectionLost.
///
/// Ownership: the reactor owns the connection until connectionLost has returned; the
/// connection owns its protocol and keeps its factory alive.
///
/// Differs from Twisted: writes after loseConnection, loseWriteConnection or abortConnection are
/// dropped (Twisted still sends what is written before the buffer has drained); writes on a
/// closed transport are dropped in both; writes go to the socket at once
/// rather than at the next writability (Twisted's startWriting/stopWriting costs two more
/// syscalls per write).
class TCPConnection final : public detail::StreamConnection {
 public:
  /// Buffered bytes past which a push producer is paused.  Twisted: FileDescriptor.bufferSize.
  static constexpr std::size_t kDefaultHighWaterMark = StreamConnection::kDefaultHighWaterMark;

  /// For the reactor: a connected socket `fd` (non-blocking) to `peer`, built for `factory`;
  /// `connector` is set for client connections.
  TCPConnection(PosixReactorBase& reactor, int fd, AddressPtr peer,
                std::shared_ptr<IProtocolFactory> factory, std::shared_ptr<TCPConnector> connector);

  bool getTcpNoDelay() const override;
  void setTcpNoDelay(bool enabled) override;
  bool getTcpKeepAlive() const override;
  void setTcpKeepAlive(bool enabled) override;
  std::string logPrefix() const override;

 protected:
  AddressPtr localAddress() const override;
};

/// A listening TCP socket: accepts connections and builds a protocol for each.
///
/// Accepts up to 100 connections per readiness (Twisted: Port.numberAccepts).  Out of
/// descriptors (EMFILE/ENFILE) it logs an error and stops accepting for 50 ms, then tries again
/// (the connections wait in the kernel's queue; other descriptors are served meanwhile).  A
/// factory that returns no protocol has the connection closed at once.
///
/// Differs from Twisted: Twisted's port keeps trying at every iteration (a busy loop while the
/// process is out of descriptors).
class TCPPort final : public detail::StreamPort {
 public:
  /// For the reactor; startListening() opens the socket.
  TCPPort(PosixReactorBase& reactor, int port, std::shared_ptr<IProtocolFactory> factory,
          int backlog, std::string interface);

  /// Binds and listens; starts the factory.
  /// @throws tw::error::CannotListenError.
  void startListening() override;
  /// The bound address (IPv4Address or IPv6Address) with the real port.
  using StreamPort::getHost;
  std::string logPrefix() const override;

 protected:
  AddressPtr addressOf(const detail::SocketAddress& peer) const override;
  std::shared_ptr<detail::StreamConnection> makeConnection(int fd, AddressPtr peer) override;

 private:
  int port_;
  int backlog_;
  std::string interface_;
};

/// An outgoing TCP connection attempt, and the connection it makes.
///
/// connect(): the factory's doStart (once), startedConnecting, then in a later step the host is
/// resolved (a literal at once; a name with the reactor's resolve(), on its thread pool, so the
/// loop never waits for a name server), the socket bound to bindAddress if given, and
/// connected without blocking.  Then either buildProtocol + makeConnection, or
/// clientConnectionFailed with getConnectError's type (ConnectionRefusedError, ...),
/// ConnectBindError, UnknownHostError, TimeoutError (after `timeout`) or UserError
/// (stopConnecting).  After a failure or a lost connection the factory's doStop runs, unless
/// the factory called connect() again from its callback.
class TCPConnector final : public detail::StreamConnector {
 public:
  TCPConnector(PosixReactorBase& reactor, std::string host, int port,
               std::shared_ptr<IClientFactory> factory, Seconds timeout,
               std::optional<BindAddress> bindAddress);

  AddressPtr getDestination() const override;

 protected:
  /// Resolves the host (a literal at once, a name with reactor.resolve()), then connectTo().
  void begin() override;
  AddressPtr addressOf(const detail::SocketAddress& peer) const override;
  std::shared_ptr<detail::StreamConnection> makeConnection(int fd, AddressPtr peer) override;
  std::string_view kind() const noexcept override { return "TCPConnector"; }

 private:
  std::string host_;
  /// Binds to bindAddress if given, and connects to `addr`.
  void connectTo(const detail::SocketAddress& addr);

  int port_;
  std::optional<BindAddress> bindAddress_;
  std::uint64_t lookups_ = 0;  // the latest lookup's number; older answers are dropped
};

}  // namespace tw
