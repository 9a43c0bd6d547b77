/// @file
/// UNIX stream sockets on the real reactors: the connection transport (UNIXConnection), the
/// listening socket (UNIXPort) and the outgoing connection attempt (UNIXConnector), made by
/// PosixReactorBase::listenUNIX and connectUNIX; and the pid lock file they use
/// (FilesystemLock).  The stream behaviour (writing, buffering, producers, half-close, ending)
/// is TCP's, shared through tw/detail/stream_socket.hpp; see TCPConnection for its contract.
/// Twisted: twisted.internet.unix (Server, Client, Port, Connector) and
/// twisted.python.lockfile.  Tests: tests/integration/unix_test.cpp
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tw/detail/stream_socket.hpp"
#include "tw/interfaces/i_reactor_unix.hpp"

namespace tw {

class PosixReactorBase;
class UNIXConnector;

/// A lock held as a symbolic link `name` whose target is the holder's pid (creating a symlink
/// is atomic).  A lock whose pid names no running process is stale and is broken by lock().
/// Twisted: twisted.python.lockfile.FilesystemLock.
///
/// Differs from Twisted: a pid that exists but belongs to another user (kill gives EPERM)
/// counts as alive (Twisted raises the OSError).
class FilesystemLock {
 public:
  explicit FilesystemLock(std::string name) : name_(std::move(name)) {}
  FilesystemLock(const FilesystemLock&) = delete;
  FilesystemLock& operator=(const FilesystemLock&) = delete;

  /// Takes the lock for this process: true if taken, false if a live process holds it (this
  /// process included).  Breaks a stale lock, and then clean() is false.
  /// @throws std::system_error for an unexpected filesystem error.
  bool lock();
  /// Releases a lock this object holds (removes the link).
  /// @throws std::logic_error if not held by this process.
  void unlock();
  /// True after lock() succeeded and until unlock().
  bool locked() const noexcept { return locked_; }
  /// False if the last lock() broke a stale lock.
  bool clean() const noexcept { return clean_; }
  const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
  bool locked_ = false;
  bool clean_ = true;
};

/// True if the lock file `name` is held by a running process (this one included).
/// Twisted: lockfile.isLocked (which briefly takes the lock to find out; so does this).
bool isLocked(const std::string& name);

/// The kernel's form of a UNIX socket name: tw's "@name" becomes "\0name" (Linux's abstract
/// namespace); any other name is returned unchanged.
std::string unixSocketName(std::string_view address);

/// The transport of one UNIX stream connection, accepted by a UNIXPort or made by a
/// UNIXConnector.  Everything TCPConnection documents applies (it is the same code).
/// getHost()/getPeer() are UNIXAddress: the server side's host is the socket's path and its
/// peer is UNIXAddress(None) (clients are unbound); the client side's peer is the path it
/// connected to and its host UNIXAddress(None).  An abstract name reads "\0name".
///
/// Differs from Twisted: setTcpNoDelay is recorded and read back but touches no socket option
/// (a UNIX socket has no Nagle delay; Twisted's setsockopt raises EOPNOTSUPP).  SO_KEEPALIVE
/// is set on the socket as for TCP.  Passing descriptors (IUNIXTransport.sendFileDescriptor)
/// is not implemented.
class UNIXConnection final : public detail::StreamConnection {
 public:
  /// For the reactor: a connected socket `fd` (non-blocking) to `peer`, built for `factory`;
  /// `connector` is set for client connections.
  UNIXConnection(PosixReactorBase& reactor, int fd, AddressPtr peer,
                 std::shared_ptr<IProtocolFactory> factory,
                 std::shared_ptr<UNIXConnector> connector);

  bool getTcpNoDelay() const override { return noDelay_; }
  void setTcpNoDelay(bool enabled) override { noDelay_ = enabled; }
  bool getTcpKeepAlive() const override;
  void setTcpKeepAlive(bool enabled) override;
  std::string logPrefix() const override;

 protected:
  AddressPtr localAddress() const override;

 private:
  bool noDelay_ = false;
};

/// A listening UNIX stream socket.
///
/// startListening(): with `wantPID`, first takes the lock file "<path>.lock" (a FilesystemLock:
/// refused with CannotListenError while a live process holds it; a stale one is broken, and
/// then a socket file left at the path is removed).  Then binds the path, chmods the socket
/// file to `mode`, listens.  Without wantPID an existing file at the path makes bind fail with
/// EADDRINUSE (CannotListenError), as in Twisted: only a broken stale lock proves the old file
/// unused.  stopListening() (or the reactor's shutdown) removes the socket file and the lock.
/// An abstract name ("\0name" or "@name") makes no file: no chmod, no lock (wantPID is
/// ignored), nothing removed.
class UNIXPort final : public detail::StreamPort {
 public:
  /// For the reactor; startListening() opens the socket.  `path` as given to listenUNIX.
  UNIXPort(PosixReactorBase& reactor, std::string path, std::shared_ptr<IProtocolFactory> factory,
           int backlog, int mode, bool wantPID);
  /// Removes the socket file and the lock if still listening.
  ~UNIXPort() override;

  /// @throws tw::error::CannotListenError (the lock is held, or bind/listen failed).
  void startListening() override;
  std::string logPrefix() const override;

 protected:
  AddressPtr addressOf(const detail::SocketAddress& peer) const override;
  std::shared_ptr<detail::StreamConnection> makeConnection(int fd, AddressPtr peer) override;
  void socketClosed() override;

 private:
  std::string path_;
  int backlog_;
  int mode_;
  bool wantPID_;
  std::optional<FilesystemLock> lock_;
};

/// An outgoing UNIX stream connection attempt (see detail::StreamConnector for the sequence).
/// Failures: a socket file nobody listens on (ECONNREFUSED) → ConnectionRefusedError; a missing
/// file (ENOENT) → ConnectError carrying ENOENT, as Twisted's getConnectError gives; with
/// `checkPID`, a lock file "<path>.lock" not held by a running process → BadFileError, without
/// trying to connect (checkPID is ignored for an abstract name).
///
/// Differs from Twisted: when the listener's backlog is full, Linux fails a non-blocking
/// connect() with EAGAIN; tw reports ConnectError(EAGAIN) at once, where Twisted waits for
/// writability and calls connect() again.
class UNIXConnector final : public detail::StreamConnector {
 public:
  UNIXConnector(PosixReactorBase& reactor, std::string path,
                std::shared_ptr<IClientFactory> factory, Seconds timeout, bool checkPID);

  /// UNIXAddress(path).
  AddressPtr getDestination() const override;

 protected:
  void begin() override;
  AddressPtr addressOf(const detail::SocketAddress& peer) const override;
  std::shared_ptr<detail::StreamConnection> makeConnection(int fd, AddressPtr peer) override;
  std::string_view kind() const noexcept override { return "UNIXConnector"; }

 private:
  std::string path_;
  bool checkPID_;
};

}  // namespace tw
