/// @file
/// TCP on the real reactors: TCPConnection, TCPPort, TCPConnector, and listenTCP/connectTCP.
/// Tests: tests/integration/tcp_test.cpp
#include "tw/tcp.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <typeinfo>
#include <vector>

#include "socket_util.hpp"
#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/logger.hpp"
#include "tw/posix_reactor.hpp"
#include "tw/protocol.hpp"

namespace tw {

namespace {

using SockAddr = detail::SocketAddress;

const Logger& tcpLog() {
  static const Logger logger("tw.tcp");
  return logger;
}

using detail::getBoolOption;
using detail::lastError;
using detail::parseNumeric;

AddressPtr toAddress(const sockaddr* sa) { return detail::toAddress(sa, "TCP"); }
AddressPtr socketLocalAddress(int fd) { return detail::localAddress(fd, "TCP"); }

void setBoolOption(int fd, int level, int name, bool enabled) {
  detail::setBoolOption(fd, level, name, enabled);
}

}  // namespace

// =================================================================================================
// TCPConnection

TCPConnection::TCPConnection(PosixReactorBase& reactor, int fd, AddressPtr peer,
                             std::shared_ptr<IProtocolFactory> factory,
                             std::shared_ptr<TCPConnector> connector)
    : StreamConnection(reactor, fd, std::move(peer), std::move(factory), std::move(connector),
                       tcpLog()) {}

std::string TCPConnection::logPrefix() const {
  const AddressPtr peer = getPeer();
  return "TCPConnection " + (peer ? peer->repr() : std::string("?"));
}

AddressPtr TCPConnection::localAddress() const { return socketLocalAddress(fileno()); }

bool TCPConnection::getTcpNoDelay() const {
  return getBoolOption(fileno(), IPPROTO_TCP, TCP_NODELAY);
}
void TCPConnection::setTcpNoDelay(bool enabled) {
  setBoolOption(fileno(), IPPROTO_TCP, TCP_NODELAY, enabled);
}
bool TCPConnection::getTcpKeepAlive() const {
  return getBoolOption(fileno(), SOL_SOCKET, SO_KEEPALIVE);
}
void TCPConnection::setTcpKeepAlive(bool enabled) {
  setBoolOption(fileno(), SOL_SOCKET, SO_KEEPALIVE, enabled);
}

// =================================================================================================
// TCPPort

TCPPort::TCPPort(PosixReactorBase& reactor, int port, std::shared_ptr<IProtocolFactory> factory,
                 int backlog, std::string interface)
    : StreamPort(reactor, std::move(factory), tcpLog()),
      port_(port),
      backlog_(backlog),
      interface_(std::move(interface)) {}

std::string TCPPort::logPrefix() const {
  const AddressPtr host = getHost();
  return "TCPPort " + (host ? host->repr() : std::to_string(port_));
}

void TCPPort::startListening() {
  if (isListening()) return;
  const std::string portText = std::to_string(port_);
  SockAddr addr;
  if (!parseNumeric(interface_.empty() ? std::string("0.0.0.0") : interface_, port_, addr)) {
    throw error::CannotListenError(interface_, portText,
                                   std::make_error_code(std::errc::invalid_argument));
  }
  const int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw error::CannotListenError(interface_, portText, lastError());
  setBoolOption(fd, SOL_SOCKET, SO_REUSEADDR, true);
  if (::bind(fd, addr.get(), addr.len) != 0 || ::listen(fd, backlog_) != 0) {
    const std::error_code ec = lastError();
    ::close(fd);
    throw error::CannotListenError(interface_, portText, ec);
  }
  listening(fd, socketLocalAddress(fd));
}

AddressPtr TCPPort::addressOf(const detail::SocketAddress& peer) const {
  return toAddress(peer.get());
}

std::shared_ptr<detail::StreamConnection> TCPPort::makeConnection(int fd, AddressPtr peer) {
  return std::make_shared<TCPConnection>(reactor_, fd, std::move(peer), factory_, nullptr);
}

// =================================================================================================
// TCPConnector

TCPConnector::TCPConnector(PosixReactorBase& reactor, std::string host, int port,
                           std::shared_ptr<IClientFactory> factory, Seconds timeout,
                           std::optional<BindAddress> bindAddress)
    : StreamConnector(reactor, std::move(factory), timeout, tcpLog()),
      host_(std::move(host)),
      port_(port),
      bindAddress_(std::move(bindAddress)) {}

AddressPtr TCPConnector::getDestination() const {
  if (isIPv6Address(host_)) return std::make_shared<IPv6Address>("TCP", host_, port_);
  return std::make_shared<IPv4Address>("TCP", host_, port_);
}

void TCPConnector::begin() {
  SockAddr addr;
  if (parseNumeric(host_, port_, addr)) {
    connectTo(addr);
    return;
  }
  // A name: look it up off the loop.  The answer counts only if this attempt is still the
  // current one (not stopped, timed out or replaced by a later connect()).
  const std::uint64_t lookup = ++lookups_;
  std::weak_ptr<detail::StreamConnector> weak = weak_from_this();
  auto current = [this, weak, lookup] {
    auto self = weak.lock();
    return self && lookup == lookups_ && state() == "connecting" ? self : nullptr;
  };
  reactor_.resolve(host_, Seconds(60))
      .addCallbacks(
          [this, current](const std::string& address) {
            auto self = current();
            if (!self) return;
            SockAddr resolved;
            if (!parseNumeric(address, port_, resolved)) {
              connectionFailed(Failure(error::UnknownHostError(host_)));
              return;
            }
            connectTo(resolved);
          },
          [this, current](const Failure&) {
            if (current()) connectionFailed(Failure(error::UnknownHostError(host_)));
          });
}

void TCPConnector::connectTo(const SockAddr& addr) {
  const int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    connectionFailed(Failure(error::ConnectError(lastError())));
    return;
  }
  if (bindAddress_) {
    SockAddr local;
    const std::string& bindHost = bindAddress_->first;
    if (!parseNumeric(bindHost.empty() ? (addr.family() == AF_INET6 ? "::" : "0.0.0.0") : bindHost,
                      bindAddress_->second, local) ||
        ::bind(fd, local.get(), local.len) != 0) {
      const std::error_code ec =
          errno != 0 ? lastError() : std::make_error_code(std::errc::invalid_argument);
      ::close(fd);
      connectionFailed(Failure(error::ConnectBindError(ec)));
      return;
    }
  }
  connectSocket(fd, addr);
}

AddressPtr TCPConnector::addressOf(const detail::SocketAddress& peer) const {
  return toAddress(peer.get());
}

std::shared_ptr<detail::StreamConnection> TCPConnector::makeConnection(int fd, AddressPtr peer) {
  return std::make_shared<TCPConnection>(
      reactor_, fd, std::move(peer), factory_,
      std::static_pointer_cast<TCPConnector>(shared_from_this()));
}

// =================================================================================================
// The reactor's IReactorTCP

std::shared_ptr<IListeningPort> PosixReactorBase::doListenTCP(
    int port, std::shared_ptr<IProtocolFactory> factory, int backlog, std::string_view interface,
    const std::source_location& where) {
  auto p =
      std::make_shared<TCPPort>(*this, port, std::move(factory), backlog, std::string(interface));
  p->setCreatedAt(where);
  p->startListening();
  return p;
}

std::shared_ptr<IConnector> PosixReactorBase::doConnectTCP(std::string_view host, int port,
                                                           std::shared_ptr<IClientFactory> factory,
                                                           Seconds timeout,
                                                           std::optional<BindAddress> bindAddress,
                                                           const std::source_location& where) {
  auto c = std::make_shared<TCPConnector>(*this, std::string(host), port, std::move(factory),
                                          timeout, std::move(bindAddress));
  c->setCreatedAt(where);
  c->connect();
  return c;
}

}  // namespace tw
