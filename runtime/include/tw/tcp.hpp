/// @file
/// TCP on the real reactors: the connection transport (TCPConnection), the listening port
/// (TCPPort) and the outgoing connection attempt (TCPConnector), made by
/// PosixReactorBase::listenTCP and connectTCP.
/// Twisted: twisted.internet.tcp (Connection, Server, Client, Port, Connector) and
/// twisted.internet.abstract.FileDescriptor.  Tests: tests/integration/tcp_test.cpp
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <source_location>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tw/deferred.hpp"
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

namespace detail {
/// A socket address (sockaddr_storage and its length); defined in src/posix/socket_util.hpp.
struct SocketAddress;
}  // namespace detail

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
class TCPConnection final : public ITCPTransport,
                            public IReadDescriptor,
                            public IWriteDescriptor,
                            public std::enable_shared_from_this<TCPConnection> {
 public:
  /// Buffered bytes past which a push producer is paused.  Twisted: FileDescriptor.bufferSize.
  static constexpr std::size_t kDefaultHighWaterMark = 64 * 1024;

  /// For the reactor: a connected socket `fd` (non-blocking) to `peer`, built for `factory`;
  /// `connector` is set for client connections.
  TCPConnection(PosixReactorBase& reactor, int fd, AddressPtr peer,
                std::shared_ptr<IProtocolFactory> factory, std::shared_ptr<TCPConnector> connector);
  TCPConnection(const TCPConnection&) = delete;
  TCPConnection& operator=(const TCPConnection&) = delete;
  /// Closes the socket if still open (without calling anything).
  ~TCPConnection() override;

  /// For the reactor: attaches `protocol`, starts reading and calls makeConnection.
  void start(std::shared_ptr<IProtocol> protocol);

  // --- ITransport / ITCPTransport ---------------------------------------------------------------
  void write(std::string_view data) override;
  void writeSequence(std::span<const std::string_view> data) override;
  using ITransport::writeSequence;
  void loseConnection() override;
  void loseWriteConnection() override;
  void abortConnection() override;
  AddressPtr getPeer() const override { return peer_; }
  AddressPtr getHost() const override;
  bool disconnecting() const override { return disconnecting_; }
  bool getTcpNoDelay() const override;
  void setTcpNoDelay(bool enabled) override;
  bool getTcpKeepAlive() const override;
  void setTcpKeepAlive(bool enabled) override;

  // --- IConsumer / IPushProducer ----------------------------------------------------------------
  void registerProducer(IProducer& producer, bool streaming) override;
  void unregisterProducer() override;
  /// Stops reading from the socket.
  void pauseProducing() override;
  /// Starts reading again.
  void resumeProducing() override;
  /// loseConnection().
  void stopProducing() override { loseConnection(); }

  // --- IFileDescriptor (called by the reactor) --------------------------------------------------
  int fileno() const override { return fd_; }
  std::optional<Failure> doRead() override;
  std::optional<Failure> doWrite() override;
  void connectionLost(const Failure& reason) override;
  std::string logPrefix() const override;
  /// The listenTCP (accepted connections) or connectTCP call that led to this connection.
  std::source_location createdAt() const override { return createdAt_; }
  void setCreatedAt(const std::source_location& where) noexcept { createdAt_ = where; }

  /// The protocol, or nullptr before start().
  IProtocol* protocol() const noexcept { return protocol_.get(); }
  /// Bytes written but not yet taken by the kernel.
  std::size_t bufferedBytes() const noexcept { return buffer_.size() - offset_; }
  /// Bytes of memory the send buffer holds (sent, unsent and spare).  Once the buffer drains,
  /// more than four times highWaterMark() is given back, so a burst of large writes does not
  /// pin its memory for the rest of the connection.
  std::size_t sendBufferCapacity() const noexcept { return buffer_.capacity(); }
  std::size_t highWaterMark() const noexcept { return highWater_; }
  void setHighWaterMark(std::size_t bytes) noexcept { highWater_ = bytes; }

 private:
  friend class TCPConnector;
  /// Sends what it can of `data` (several pieces, at most IOV_MAX); returns the count sent, or
  /// -1 with errno for an error other than EAGAIN.
  long sendNow(std::span<const std::string_view> data);
  void buffer(std::span<const std::string_view> data, std::size_t skip);
  void afterBuffering();
  void startReading();
  void stopReading();
  void startWriting();
  void stopWriting();
  std::optional<Failure> bufferEmptied();
  /// Ends the connection from inside: unwatch now, connectionLost(reason) in a later step.
  void failLater(Failure reason);
  void closeSocket(bool orderly);

  PosixReactorBase& reactor_;
  int fd_;
  AddressPtr peer_;
  mutable AddressPtr host_;
  std::source_location createdAt_;
  std::shared_ptr<IProtocolFactory> factory_;
  std::shared_ptr<TCPConnector> connector_;
  std::shared_ptr<IProtocol> protocol_;
  std::string buffer_;
  std::size_t offset_ = 0;
  std::size_t highWater_ = kDefaultHighWaterMark;
  IProducer* producer_ = nullptr;
  bool streamingProducer_ = false;
  bool producerPaused_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool readPaused_ = false;
  bool connected_ = false;
  bool disconnecting_ = false;
  bool aborting_ = false;
  bool writeDisconnecting_ = false;
  bool writeDisconnected_ = false;
  bool readDisconnected_ = false;
  bool lost_ = false;
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
class TCPPort final : public IListeningPort,
                      public IReadDescriptor,
                      public std::enable_shared_from_this<TCPPort> {
 public:
  /// For the reactor; startListening() opens the socket.
  TCPPort(PosixReactorBase& reactor, int port, std::shared_ptr<IProtocolFactory> factory,
          int backlog, std::string interface);
  TCPPort(const TCPPort&) = delete;
  TCPPort& operator=(const TCPPort&) = delete;
  ~TCPPort() override;

  /// Binds and listens; starts the factory.
  /// @throws tw::error::CannotListenError.
  void startListening() override;
  /// Closes the socket now; the factory's doStop() runs, and the Deferred fires, in a later step.
  Deferred<void> stopListening() override;
  /// The bound address (IPv4Address or IPv6Address) with the real port.
  AddressPtr getHost() const override { return host_; }

  int fileno() const override { return fd_; }
  std::optional<Failure> doRead() override;
  void connectionLost(const Failure& reason) override;
  std::string logPrefix() const override;
  /// The listenTCP call that made this port.
  std::source_location createdAt() const override { return createdAt_; }
  void setCreatedAt(const std::source_location& where) noexcept { createdAt_ = where; }

 private:
  void finishStop();

  PosixReactorBase& reactor_;
  int port_;
  std::shared_ptr<IProtocolFactory> factory_;
  int backlog_;
  std::string interface_;
  int fd_ = -1;
  bool ipv6_ = false;
  AddressPtr host_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::vector<Deferred<void>> waiters_;
  std::source_location createdAt_;
};

/// An outgoing TCP connection attempt, and the connection it makes.
///
/// connect(): the factory's doStart (once), startedConnecting, then in a later step the host is
/// resolved (a literal, or getaddrinfo), the socket bound to bindAddress if given, and
/// connected without blocking.  Then either buildProtocol + makeConnection, or
/// clientConnectionFailed with getConnectError's type (ConnectionRefusedError, ...),
/// ConnectBindError, UnknownHostError, TimeoutError (after `timeout`) or UserError
/// (stopConnecting).  After a failure or a lost connection the factory's doStop runs, unless
/// the factory called connect() again from its callback.
class TCPConnector final : public IConnector, public std::enable_shared_from_this<TCPConnector> {
 public:
  TCPConnector(PosixReactorBase& reactor, std::string host, int port,
               std::shared_ptr<IClientFactory> factory, Seconds timeout,
               std::optional<BindAddress> bindAddress);
  TCPConnector(const TCPConnector&) = delete;
  TCPConnector& operator=(const TCPConnector&) = delete;
  ~TCPConnector() override;

  /// @throws tw::error::NotConnectingError if no attempt is in progress.
  void stopConnecting() override;
  void disconnect() override;
  /// @throws std::logic_error unless disconnected.
  void connect() override;
  AddressPtr getDestination() const override;

  /// "disconnected", "connecting" or "connected".
  std::string_view state() const noexcept;
  /// The connectTCP call that made this connector.
  const std::source_location& createdAt() const noexcept { return createdAt_; }
  void setCreatedAt(const std::source_location& where) noexcept { createdAt_ = where; }

 private:
  friend class TCPConnection;
  class Attempt;
  void begin();
  void connectionFailed(const Failure& reason);
  void connectionMadeOn(int fd, const detail::SocketAddress& peer);
  void connectionLost(const Failure& reason);
  void cleanupAttempt();

  enum class State { disconnected, connecting, connected };
  PosixReactorBase& reactor_;
  std::string host_;
  int port_;
  std::shared_ptr<IClientFactory> factory_;
  Seconds timeout_;
  std::optional<BindAddress> bindAddress_;
  State state_ = State::disconnected;
  bool factoryStarted_ = false;
  std::shared_ptr<Attempt> attempt_;
  std::weak_ptr<TCPConnection> connection_;
  DelayedCallPtr timeoutCall_;
  DelayedCallPtr beginCall_;
  std::source_location createdAt_;
};

}  // namespace tw
