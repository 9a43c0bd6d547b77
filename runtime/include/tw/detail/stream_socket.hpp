/// @file
/// The address-family-independent half of the stream-socket transports on the real reactors:
/// one connection (StreamConnection), one listening socket (StreamPort) and one outgoing
/// connection attempt (StreamConnector).  TCP (tw/tcp.hpp) and UNIX sockets (tw/unix.hpp) derive
/// from them and add only what depends on the family: addresses, binding, socket options.
/// Twisted: twisted.internet.tcp.Connection / Port / BaseClient and base.BaseConnector, which
/// twisted.internet.unix subclasses the same way.
/// Tests: tests/integration/tcp_test.cpp, tests/integration/unix_test.cpp
#pragma once

#include <sys/socket.h>

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
#include "tw/interfaces/i_reactor_time.hpp"
#include "tw/interfaces/i_transport.hpp"

namespace tw {

class PosixReactorBase;
class Logger;

namespace detail {

/// A socket address of any family (sockaddr_storage and its length).
struct SocketAddress {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&ss); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&ss); }
  int family() const { return ss.ss_family; }
};

class StreamConnector;

/// The transport of one connected stream socket (TCP or UNIX), accepted by a StreamPort or
/// made by a StreamConnector.  The behaviour TCPConnection documents is implemented here; the
/// derived class supplies the addresses (localAddress), the socket options and logPrefix.
///
/// Writing: `write()` sends straight to the socket when nothing is buffered; only what the
/// kernel does not take (EAGAIN) is buffered, and only then is the socket watched for
/// writability.  A push producer is paused when the buffer passes highWaterMark() and resumed
/// when it is empty; a pull producer's resumeProducing() is called each time the buffer empties.
/// Reading: up to 64 KiB per readiness.  Ending: connectionLost runs once, in a later step.
class StreamConnection : public ITCPTransport,
                         public IReadDescriptor,
                         public IWriteDescriptor,
                         public std::enable_shared_from_this<StreamConnection> {
 public:
  /// Buffered bytes past which a push producer is paused.  Twisted: FileDescriptor.bufferSize.
  static constexpr std::size_t kDefaultHighWaterMark = 64 * 1024;

  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;
  /// Closes the socket if still open (without calling anything).
  ~StreamConnection() override;

  /// For the reactor: attaches `protocol`, starts reading and calls makeConnection.
  void start(std::shared_ptr<IProtocol> protocol);

  // --- ITransport / ITCPTransport (the socket options are the derived class's) -----------------
  void write(std::string_view data) override;
  void writeSequence(std::span<const std::string_view> data) override;
  using ITransport::writeSequence;
  void loseConnection() override;
  void loseWriteConnection() override;
  void abortConnection() override;
  AddressPtr getPeer() const override { return peer_; }
  AddressPtr getHost() const override;
  bool disconnecting() const override { return disconnecting_; }

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
  /// The listen or connect call that led to this connection.
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

 protected:
  /// A connected socket `fd` (non-blocking) to `peer`, built for `factory`; `connector` is set
  /// for client connections.  `log` is the family's logger (it must outlive the connection).
  StreamConnection(PosixReactorBase& reactor, int fd, AddressPtr peer,
                   std::shared_ptr<IProtocolFactory> factory,
                   std::shared_ptr<StreamConnector> connector, const Logger& log);

  /// This end's address (from getsockname), in the family's address type.
  virtual AddressPtr localAddress() const = 0;

 private:
  /// Sends what it can of `data` (several pieces, at most 64); returns the count sent, or -1
  /// with errno for an error other than EAGAIN.
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
  std::shared_ptr<StreamConnector> connector_;
  std::shared_ptr<IProtocol> protocol_;
  const Logger& log_;
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

/// A listening stream socket: accepts connections and builds a protocol for each.  The derived
/// class opens the socket (startListening, then listening(fd)) and makes the connections.
///
/// Accepts up to 100 connections per readiness (Twisted: Port.numberAccepts).  Out of
/// descriptors (EMFILE/ENFILE) it logs an error and stops accepting for 50 ms, then tries again.
/// A factory that returns no protocol has the connection closed at once.
class StreamPort : public IListeningPort,
                   public IReadDescriptor,
                   public std::enable_shared_from_this<StreamPort> {
 public:
  StreamPort(const StreamPort&) = delete;
  StreamPort& operator=(const StreamPort&) = delete;
  ~StreamPort() override;

  /// Closes the socket now; the factory's doStop() runs, and the Deferred fires, in a later step.
  Deferred<void> stopListening() override;
  /// The bound address.
  AddressPtr getHost() const override { return host_; }

  int fileno() const override { return fd_; }
  std::optional<Failure> doRead() override;
  void connectionLost(const Failure& reason) override;
  /// The listen call that made this port.
  std::source_location createdAt() const override { return createdAt_; }
  void setCreatedAt(const std::source_location& where) noexcept { createdAt_ = where; }

 protected:
  StreamPort(PosixReactorBase& reactor, std::shared_ptr<IProtocolFactory> factory,
             const Logger& log);

  /// For startListening: `fd` is bound and listening, and `host` its address; starts the
  /// factory and watches the socket.
  void listening(int fd, AddressPtr host);
  /// The address of an accepted peer.
  virtual AddressPtr addressOf(const SocketAddress& peer) const = 0;
  /// A connection for the accepted socket `fd` (not yet started).
  virtual std::shared_ptr<StreamConnection> makeConnection(int fd, AddressPtr peer) = 0;
  /// Called once the listening socket is closed (UNIX ports remove their file here).
  virtual void socketClosed() {}
  bool isListening() const noexcept { return fd_ >= 0; }

  PosixReactorBase& reactor_;
  std::shared_ptr<IProtocolFactory> factory_;

 private:
  void closeSocket();
  void finishStop();

  const Logger& log_;
  int fd_ = -1;
  AddressPtr host_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::vector<Deferred<void>> waiters_;
  std::source_location createdAt_;
};

/// An outgoing stream connection attempt, and the connection it makes.  The derived class's
/// begin() makes the socket and hands it to connectSocket() (or reports connectionFailed).
///
/// connect(): the factory's doStart (once), startedConnecting, then begin() in a later step.
/// Then either buildProtocol + makeConnection, or clientConnectionFailed with the error
/// (getConnectError's type for the kernel's errno; TimeoutError after `timeout`; UserError for
/// stopConnecting).  After a failure or a lost connection the factory's doStop runs, unless the
/// factory called connect() again from its callback.
class StreamConnector : public IConnector, public std::enable_shared_from_this<StreamConnector> {
 public:
  StreamConnector(const StreamConnector&) = delete;
  StreamConnector& operator=(const StreamConnector&) = delete;
  ~StreamConnector() override;

  /// @throws tw::error::NotConnectingError if no attempt is in progress.
  void stopConnecting() override;
  void disconnect() override;
  /// @throws std::logic_error unless disconnected.
  void connect() override;

  /// "disconnected", "connecting" or "connected".
  std::string_view state() const noexcept;
  /// The connect call that made this connector.
  const std::source_location& createdAt() const noexcept { return createdAt_; }
  void setCreatedAt(const std::source_location& where) noexcept { createdAt_ = where; }

  /// For the connection this connector made: it ended with `reason`.
  void connectionLost(const Failure& reason);

 protected:
  StreamConnector(PosixReactorBase& reactor, std::shared_ptr<IClientFactory> factory,
                  Seconds timeout, const Logger& log);

  /// In a later step of connect(), while connecting: makes the socket and calls connectSocket,
  /// or connectionFailed.
  virtual void begin() = 0;
  /// The address of the peer the socket was connected to.
  virtual AddressPtr addressOf(const SocketAddress& peer) const = 0;
  /// A connection for the connected socket `fd` (not yet started).
  virtual std::shared_ptr<StreamConnection> makeConnection(int fd, AddressPtr peer) = 0;
  /// A short name for log messages ("TCPConnector").
  virtual std::string_view kind() const noexcept = 0;

  /// Connects the non-blocking socket `fd` (now owned here) to `peer`: at once, or once the
  /// kernel reports it writable; a refusal goes to connectionFailed.
  void connectSocket(int fd, const SocketAddress& peer);
  /// Ends the attempt: clientConnectionFailed(reason), then doStop unless reconnecting.
  void connectionFailed(const Failure& reason);

  PosixReactorBase& reactor_;
  std::shared_ptr<IClientFactory> factory_;

 private:
  class Attempt;
  void connectionMadeOn(int fd, const SocketAddress& peer);
  void cleanupAttempt();

  enum class State { disconnected, connecting, connected };
  const Logger& log_;
  Seconds timeout_;
  State state_ = State::disconnected;
  bool factoryStarted_ = false;
  std::shared_ptr<Attempt> attempt_;
  std::weak_ptr<StreamConnection> connection_;
  DelayedCallPtr timeoutCall_;
  DelayedCallPtr beginCall_;
  std::source_location createdAt_;
};

}  // namespace detail
}  // namespace tw
