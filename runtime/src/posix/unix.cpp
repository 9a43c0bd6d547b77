/// @file
/// UNIX stream sockets on the real reactors: UNIXConnection, UNIXPort, UNIXConnector,
/// FilesystemLock, and listenUNIX/connectUNIX.
/// Tests: tests/integration/unix_test.cpp
#include "tw/unix.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "socket_util.hpp"
#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/logger.hpp"
#include "tw/posix_reactor.hpp"

namespace tw {

namespace {

using SockAddr = detail::SocketAddress;

const Logger& unixLog() {
  static const Logger logger("tw.unix");
  return logger;
}

using detail::lastError;

bool isAbstract(const std::string& name) { return !name.empty() && name[0] == '\0'; }

/// Fills `out` with the sockaddr_un of the kernel name `name`; false if it does not fit.
bool makeAddress(const std::string& name, SockAddr& out) {
  auto* sun = reinterpret_cast<sockaddr_un*>(&out.ss);
  sun->sun_family = AF_UNIX;
  const bool abstract = isAbstract(name);
  // A file name needs its terminating NUL; an abstract name is counted by the length.
  if (name.empty() || name.size() + (abstract ? 0 : 1) > sizeof sun->sun_path) return false;
  std::memcpy(sun->sun_path, name.data(), name.size());
  out.len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 0 : 1));
  return true;
}

/// The UNIXAddress of a sockaddr_un of length `len` (unnamed: UNIXAddress(None)).
AddressPtr toAddress(const sockaddr* sa, socklen_t len) {
  const auto* sun = reinterpret_cast<const sockaddr_un*>(sa);
  const std::size_t base = offsetof(sockaddr_un, sun_path);
  if (len <= base) return std::make_shared<UNIXAddress>(std::nullopt);
  const std::size_t max = std::min<std::size_t>(len - base, sizeof sun->sun_path);
  if (sun->sun_path[0] == '\0') {
    return std::make_shared<UNIXAddress>(std::string(sun->sun_path, max));
  }
  return std::make_shared<UNIXAddress>(std::string(sun->sun_path, ::strnlen(sun->sun_path, max)));
}

AddressPtr socketLocalAddress(int fd) {
  SockAddr a;
  a.len = sizeof a.ss;
  if (::getsockname(fd, a.get(), &a.len) != 0) return nullptr;
  return toAddress(a.get(), a.len);
}

/// True if the process `pid` exists (EPERM: it exists but is someone else's).
bool processAlive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

std::string unixSocketName(std::string_view address) {
  std::string name(address);
  if (!name.empty() && name[0] == '@') name[0] = '\0';
  return name;
}

// =================================================================================================
// FilesystemLock

bool FilesystemLock::lock() {
  clean_ = true;
  const std::string pid = std::to_string(::getpid());
  while (true) {
    if (::symlink(pid.c_str(), name_.c_str()) == 0) {
      locked_ = true;
      return true;
    }
    if (errno != EEXIST) throw std::system_error(lastError(), "lock " + name_);
    char target[64] = {};
    const ssize_t n = ::readlink(name_.c_str(), target, sizeof target - 1);
    if (n < 0) {
      if (errno == ENOENT) continue;  // released meanwhile: try again
      throw std::system_error(lastError(), "readlink " + name_);
    }
    char* end = nullptr;
    const long holder = std::strtol(target, &end, 10);
    if (end != target + n || holder <= 0) {
      // Not a pid: not ours to break (Twisted would fail on int() here).
      return false;
    }
    if (processAlive(static_cast<pid_t>(holder))) return false;
    // Stale: the holder is gone.  Break it and try again.
    if (::unlink(name_.c_str()) != 0 && errno != ENOENT) {
      throw std::system_error(lastError(), "unlink " + name_);
    }
    clean_ = false;
  }
}

void FilesystemLock::unlock() {
  char target[64] = {};
  const ssize_t n = ::readlink(name_.c_str(), target, sizeof target - 1);
  if (!locked_ || n < 0 ||
      std::string(target, static_cast<std::size_t>(n)) != std::to_string(::getpid())) {
    throw std::logic_error("FilesystemLock::unlock: " + name_ + " is not held by this process");
  }
  ::unlink(name_.c_str());
  locked_ = false;
}

bool isLocked(const std::string& name) {
  FilesystemLock l(name);
  if (l.lock()) {
    l.unlock();
    return false;
  }
  return true;
}

// =================================================================================================
// UNIXConnection

UNIXConnection::UNIXConnection(PosixReactorBase& reactor, int fd, AddressPtr peer,
                               std::shared_ptr<IProtocolFactory> factory,
                               std::shared_ptr<UNIXConnector> connector)
    : StreamConnection(reactor, fd, std::move(peer), std::move(factory), std::move(connector),
                       unixLog()) {}

std::string UNIXConnection::logPrefix() const {
  const AddressPtr host = getHost();
  return "UNIXConnection " + (host ? host->repr() : std::string("?"));
}

AddressPtr UNIXConnection::localAddress() const { return socketLocalAddress(fileno()); }

bool UNIXConnection::getTcpKeepAlive() const {
  int value = 0;
  socklen_t len = sizeof value;
  if (fileno() < 0 || ::getsockopt(fileno(), SOL_SOCKET, SO_KEEPALIVE, &value, &len) != 0) {
    return false;
  }
  return value != 0;
}

void UNIXConnection::setTcpKeepAlive(bool enabled) {
  const int value = enabled ? 1 : 0;
  if (fileno() >= 0) ::setsockopt(fileno(), SOL_SOCKET, SO_KEEPALIVE, &value, sizeof value);
}

// =================================================================================================
// UNIXPort

UNIXPort::UNIXPort(PosixReactorBase& reactor, std::string path,
                   std::shared_ptr<IProtocolFactory> factory, int backlog, int mode, bool wantPID)
    : StreamPort(reactor, std::move(factory), unixLog()),
      path_(unixSocketName(path)),
      backlog_(backlog),
      mode_(mode),
      wantPID_(wantPID) {}

UNIXPort::~UNIXPort() {
  if (isListening()) {
    try {
      socketClosed();
    } catch (...) {
      // A destructor cannot report; the files stay.
    }
  }
}

std::string UNIXPort::logPrefix() const { return "UNIXPort " + UNIXAddress(path_).repr(); }

void UNIXPort::startListening() {
  if (isListening()) return;
  const bool abstract = isAbstract(path_);
  SockAddr addr;
  if (!makeAddress(path_, addr)) {
    throw error::CannotListenError(
        "", path_,
        std::make_error_code(path_.empty() ? std::errc::invalid_argument
                                           : std::errc::filename_too_long));
  }
  if (wantPID_ && !abstract) {
    lock_.emplace(path_ + ".lock");
    bool taken = false;
    try {
      taken = lock_->lock();
    } catch (const std::system_error& e) {
      lock_.reset();
      throw error::CannotListenError("", path_, e.code());
    }
    if (!taken) {
      lock_.reset();
      throw error::CannotListenError(
          "", path_, std::make_error_code(std::errc::resource_unavailable_try_again));
    }
    if (!lock_->clean()) {
      // The lock was stale, so the socket file left behind is unused: remove it (best effort;
      // bind reports what is left).
      struct stat st {};
      if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path_.c_str());
    }
  }
  const auto fail = [&](std::error_code ec) {
    if (lock_) {
      lock_->unlock();
      lock_.reset();
    }
    throw error::CannotListenError("", path_, ec);
  };
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail(lastError());
  if (::bind(fd, addr.get(), addr.len) != 0) {
    const std::error_code ec = lastError();
    ::close(fd);
    fail(ec);
  }
  if ((!abstract && ::chmod(path_.c_str(), static_cast<mode_t>(mode_)) != 0) ||
      ::listen(fd, backlog_) != 0) {
    const std::error_code ec = lastError();
    ::close(fd);
    if (!abstract) ::unlink(path_.c_str());
    fail(ec);
  }
  listening(fd, socketLocalAddress(fd));
}

void UNIXPort::socketClosed() {
  if (!isAbstract(path_)) ::unlink(path_.c_str());
  if (lock_) {
    if (lock_->locked()) lock_->unlock();
    lock_.reset();
  }
}

AddressPtr UNIXPort::addressOf(const detail::SocketAddress& peer) const {
  return toAddress(peer.get(), peer.len);
}

std::shared_ptr<detail::StreamConnection> UNIXPort::makeConnection(int fd, AddressPtr peer) {
  return std::make_shared<UNIXConnection>(reactor_, fd, std::move(peer), factory_, nullptr);
}

// =================================================================================================
// UNIXConnector

UNIXConnector::UNIXConnector(PosixReactorBase& reactor, std::string path,
                             std::shared_ptr<IClientFactory> factory, Seconds timeout,
                             bool checkPID)
    : StreamConnector(reactor, std::move(factory), timeout, unixLog()),
      path_(unixSocketName(path)),
      checkPID_(checkPID) {}

AddressPtr UNIXConnector::getDestination() const { return std::make_shared<UNIXAddress>(path_); }

void UNIXConnector::begin() {
  if (checkPID_ && !isAbstract(path_)) {
    bool held = false;
    try {
      held = isLocked(path_ + ".lock");
    } catch (const std::system_error& e) {
      connectionFailed(Failure(error::BadFileError(e.code(), path_)));
      return;
    }
    if (!held) {
      connectionFailed(Failure(error::BadFileError(path_)));
      return;
    }
  }
  SockAddr addr;
  if (!makeAddress(path_, addr)) {
    connectionFailed(
        Failure(error::ConnectError(std::make_error_code(std::errc::filename_too_long), path_)));
    return;
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    connectionFailed(Failure(error::ConnectError(lastError())));
    return;
  }
  connectSocket(fd, addr);
}

AddressPtr UNIXConnector::addressOf(const detail::SocketAddress& /*peer*/) const {
  // The peer is where we connected (getpeername of a UNIX socket names the listener's path too,
  // but the path as asked is what Twisted reports).
  return std::make_shared<UNIXAddress>(path_);
}

std::shared_ptr<detail::StreamConnection> UNIXConnector::makeConnection(int fd, AddressPtr peer) {
  return std::make_shared<UNIXConnection>(
      reactor_, fd, std::move(peer), factory_,
      std::static_pointer_cast<UNIXConnector>(shared_from_this()));
}

// =================================================================================================
// The reactor's IReactorUNIX

std::shared_ptr<IListeningPort> PosixReactorBase::doListenUNIX(
    std::string address, std::shared_ptr<IProtocolFactory> factory, int backlog, int mode,
    bool wantPID, const std::source_location& where) {
  auto p = std::make_shared<UNIXPort>(*this, std::move(address), std::move(factory), backlog, mode,
                                      wantPID);
  p->setCreatedAt(where);
  p->startListening();
  return p;
}

std::shared_ptr<IConnector> PosixReactorBase::doConnectUNIX(std::string address,
                                                            std::shared_ptr<IClientFactory> factory,
                                                            Seconds timeout, bool checkPID,
                                                            const std::source_location& where) {
  auto c = std::make_shared<UNIXConnector>(*this, std::move(address), std::move(factory), timeout,
                                           checkPID);
  c->setCreatedAt(where);
  c->connect();
  return c;
}

}  // namespace tw
