/// @file
/// UDP on the real reactors: UDPPort, MulticastPort, and listenUDP/listenMulticast.
/// Tests: tests/integration/udp_test.cpp
#include "tw/udp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
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

using detail::lastError;
using SockAddr = detail::SocketAddress;

/// How long joinGroup and setOutgoingInterface wait for a host name to resolve.
constexpr Seconds kResolveTimeout{60};

const Logger& udpLog() {
  static const Logger logger("tw.udp");
  return logger;
}

int familyOf(const std::string& interface) {
  if (isIPv6Address(interface)) return AF_INET6;
  if (interface.empty() || isIPAddress(interface)) return AF_INET;
  throw error::InvalidAddressError(interface, "not an IPv4 or IPv6 address.");
}

}  // namespace

// =================================================================================================
// UDPPort

UDPPort::UDPPort(PosixReactorBase& reactor, int port, std::shared_ptr<DatagramProtocol> protocol,
                 std::string interface, std::size_t maxPacketSize)
    : reactor_(reactor),
      port_(port),
      protocol_(std::move(protocol)),
      interface_(std::move(interface)),
      family_(familyOf(interface_)),
      buffer_(maxPacketSize) {
  if (!protocol_) throw std::invalid_argument("listenUDP: no protocol");
}

UDPPort::~UDPPort() {
  if (fd_ >= 0) ::close(fd_);
}

std::string UDPPort::logPrefix() const { return protocol_->logPrefix() + " (UDP)"; }

void UDPPort::startListening() {
  if (fd_ >= 0 || stopping_ || stopped_) return;
  const std::string portText = std::to_string(port_);
  SockAddr addr;
  const std::string bindHost =
      interface_.empty() ? std::string(family_ == AF_INET6 ? "::" : "0.0.0.0") : interface_;
  if (port_ < 0 || port_ > 65535 || !detail::parseNumeric(bindHost, port_, addr, SOCK_DGRAM)) {
    throw error::CannotListenError(interface_, portText,
                                   std::make_error_code(std::errc::invalid_argument));
  }
  const int fd = ::socket(addr.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw error::CannotListenError(interface_, portText, lastError());
  try {
    configureSocket(fd);
  } catch (const std::system_error& e) {
    ::close(fd);
    throw error::CannotListenError(interface_, portText, e.code());
  }
  if (::bind(fd, addr.get(), addr.len) != 0) {
    const std::error_code ec = lastError();
    ::close(fd);
    throw error::CannotListenError(interface_, portText, ec);
  }
  fd_ = fd;
  host_ = detail::localAddress(fd_, "UDP");
  reactor_.keepOwned(this, shared_from_this());
  try {
    protocol_->makeConnection(*this);
  } catch (...) {
    udpLog().failure("Unhandled error in startProtocol (" + logPrefix() + ")",
                     Failure::fromCurrentException(), LogLevel::error);
  }
  if (fd_ >= 0 && !stopping_) reactor_.addReader(*this);
}

AddressPtr UDPPort::getHost() const {
  if (fd_ >= 0) {
    if (AddressPtr a = detail::localAddress(fd_, "UDP")) return a;
  }
  return host_;
}

void UDPPort::callConnectionRefused() {
  try {
    protocol_->connectionRefused();
  } catch (...) {
    udpLog().failure("Unhandled error in connectionRefused (" + logPrefix() + ")",
                     Failure::fromCurrentException(), LogLevel::error);
  }
}

void UDPPort::readError(int err) {
  if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) return;
  if (err == ECONNREFUSED) {
    if (connectedAddr_) callConnectionRefused();
    return;
  }
  udpLog().error("recvfrom failed on " + logPrefix() + ": " +
                 std::error_code(err, std::generic_category()).message());
}

std::optional<Failure> UDPPort::doRead() {
  std::size_t bytes = 0;
  for (int i = 0; i < kMaxDatagramsPerRead && bytes < kMaxThroughput; ++i) {
    if (fd_ < 0 || stopping_) break;
    SockAddr from;
    from.len = sizeof from.ss;
    const ssize_t n = ::recvfrom(fd_, buffer_.data(), buffer_.size(), 0, from.get(), &from.len);
    if (n < 0) {
      if (errno == EINTR) continue;
      readError(errno);
      break;
    }
    bytes += static_cast<std::size_t>(n);
    const AddressPtr sender = detail::toAddress(from.get(), "UDP");
    try {
      protocol_->datagramReceived(std::string_view(buffer_.data(), static_cast<std::size_t>(n)),
                                  *sender);
    } catch (...) {
      udpLog().failure("Unhandled error in datagramReceived (" + logPrefix() + ")",
                       Failure::fromCurrentException(), LogLevel::error);
    }
  }
  return std::nullopt;
}

void UDPPort::write(std::string_view packet, std::optional<std::pair<std::string, int>> addr) {
  if (fd_ < 0) throw std::logic_error("write on a UDP port that is not listening");
  SockAddr to;
  const bool connected = connectedAddr_.has_value();
  if (connected) {
    if (addr && *addr != *connectedAddr_) {
      throw std::invalid_argument("write: a connected UDP port only writes to " +
                                  connectedAddr_->first + ":" +
                                  std::to_string(connectedAddr_->second));
    }
  } else {
    if (!addr) throw std::invalid_argument("write: an unconnected UDP port needs an address");
    std::string host = addr->first;
    const bool v4 = isIPAddress(host) || host == "<broadcast>";
    const bool v6 = !v4 && isIPv6Address(host);
    if (!v4 && !v6) {
      throw error::InvalidAddressError(host, "write() only accepts IP addresses, not hostnames");
    }
    if (v4 && family_ == AF_INET6) {
      throw error::InvalidAddressError(host,
                                       "IPv6 port write() called with IPv4 or broadcast address");
    }
    if (v6 && family_ == AF_INET) {
      throw error::InvalidAddressError(host, "IPv4 port write() called with IPv6 address");
    }
    if (host == "<broadcast>") host = "255.255.255.255";
    if (addr->second < 0 || addr->second > 65535 ||
        !detail::parseNumeric(host, addr->second, to, SOCK_DGRAM)) {
      throw error::InvalidAddressError(addr->first + ":" + std::to_string(addr->second),
                                       "not a valid destination");
    }
  }
  while (true) {
    const ssize_t n =
        connected ? ::send(fd_, packet.data(), packet.size(), MSG_NOSIGNAL)
                  : ::sendto(fd_, packet.data(), packet.size(), MSG_NOSIGNAL, to.get(), to.len);
    if (n >= 0) return;
    switch (errno) {
      case EINTR:
        continue;
      case EMSGSIZE:
        throw error::MessageLengthError("message too long");
      case ECONNREFUSED:
        // An ICMP error for an earlier datagram, reported on this send.
        if (connected) callConnectionRefused();
        return;
      case EAGAIN:
#if EWOULDBLOCK != EAGAIN
      case EWOULDBLOCK:
#endif
      case ENOBUFS:
        return;  // dropped, as the network may drop it
      default:
        throw std::system_error(
            lastError(), "UDP write to " + (connected ? connectedAddr_->first : addr->first));
    }
  }
}

void UDPPort::writeSequence(std::span<const std::string_view> seq,
                            std::optional<std::pair<std::string, int>> addr) {
  std::string packet;
  for (std::string_view piece : seq) packet.append(piece);
  write(packet, std::move(addr));
}

void UDPPort::connect(std::string_view host, int port) {
  if (connectedAddr_) {
    throw std::runtime_error("already connected, reconnecting is not currently supported");
  }
  const std::string h(host);
  if (!isIPAddress(h) && !isIPv6Address(h)) {
    throw error::InvalidAddressError(h, "not an IPv4 or IPv6 address.");
  }
  if ((family_ == AF_INET6) != isIPv6Address(h)) {
    throw error::InvalidAddressError(h, "not an address of the port's family");
  }
  SockAddr to;
  if (port < 0 || port > 65535 || !detail::parseNumeric(h, port, to, SOCK_DGRAM)) {
    throw error::InvalidAddressError(h + ":" + std::to_string(port), "not a valid destination");
  }
  if (fd_ < 0) throw std::logic_error("connect on a UDP port that is not listening");
  if (::connect(fd_, to.get(), to.len) != 0) {
    throw std::system_error(lastError(), "UDP connect to " + h);
  }
  connectedAddr_ = std::make_pair(h, port);
}

void UDPPort::setBroadcastAllowed(bool enabled) {
  if (!detail::setBoolOption(fd_, SOL_SOCKET, SO_BROADCAST, enabled) && fd_ >= 0) {
    throw std::system_error(lastError(), "setsockopt(SO_BROADCAST)");
  }
}

bool UDPPort::getBroadcastAllowed() const {
  return detail::getBoolOption(fd_, SOL_SOCKET, SO_BROADCAST);
}

Deferred<void> UDPPort::stopListening() {
  Deferred<void> d;
  if (stopped_ || (!stopping_ && fd_ < 0)) {
    d.callback();
    return d;
  }
  waiters_.push_back(d);
  if (stopping_) return d;
  stopping_ = true;
  reactor_.removeReader(*this);
  reactor_.callLater(Seconds(0), [self = shared_from_this()] { self->finishStop(); });
  return d;
}

void UDPPort::closeSocket() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
}

void UDPPort::finishStop() {
  if (stopped_) return;
  std::shared_ptr<UDPPort> self = shared_from_this();
  stopped_ = true;
  try {
    protocol_->doStop();
  } catch (...) {
    udpLog().failure("Unhandled error in stopProtocol (" + logPrefix() + ")",
                     Failure::fromCurrentException(), LogLevel::error);
  }
  closeSocket();
  reactor_.releaseOwned(this);
  std::vector<Deferred<void>> waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) w.callback();
}

void UDPPort::connectionLost(const Failure& reason) {
  // epoll and poll report a pending socket error (the ICMP error of an earlier datagram) as
  // EPOLLERR/POLLERR without EPOLLIN, which the reactor takes for a hang-up with nothing to read:
  // it unwatches the port and calls this with ConnectionDone.  A UDP socket has no connection
  // to lose, so take the error (SO_ERROR clears it), report it as recvfrom would have, and
  // watch the port again.
  if (fd_ >= 0 && !stopping_ && reason.check<error::ConnectionDone>()) {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) {
      readError(err);
      if (fd_ >= 0 && !stopping_) reactor_.addReader(*this);
      return;
    }
  }
  // Otherwise the reactor dropped the port (shutdown's disconnectAll): stop now, as Twisted's
  // Port does.
  if (fd_ >= 0) reactor_.removeReader(*this);
  stopping_ = true;
  finishStop();
}

// =================================================================================================
// MulticastPort

MulticastPort::MulticastPort(PosixReactorBase& reactor, int port,
                             std::shared_ptr<DatagramProtocol> protocol, std::string interface,
                             std::size_t maxPacketSize, bool listenMultiple)
    : UDPPort(reactor, port, std::move(protocol), std::move(interface), maxPacketSize),
      listenMultiple_(listenMultiple) {
  if (family() != AF_INET) {
    throw error::UnsupportedAddressFamily("multicast ports are IPv4 only");
  }
}

void MulticastPort::configureSocket(int fd) {
  if (!listenMultiple_) return;
  if (!detail::setBoolOption(fd, SOL_SOCKET, SO_REUSEADDR, true)) {
    throw std::system_error(lastError(), "setsockopt(SO_REUSEADDR)");
  }
#ifdef SO_REUSEPORT
  if (!detail::setBoolOption(fd, SOL_SOCKET, SO_REUSEPORT, true) && errno != ENOPROTOOPT) {
    throw std::system_error(lastError(), "setsockopt(SO_REUSEPORT)");
  }
#endif
}

std::string MulticastPort::getOutgoingInterface() const {
  in_addr a{};
  socklen_t len = sizeof a;
  if (fileno() < 0 || ::getsockopt(fileno(), IPPROTO_IP, IP_MULTICAST_IF, &a, &len) != 0) {
    return "0.0.0.0";
  }
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

Deferred<std::string> MulticastPort::resolveIPv4(std::string_view name) {
  if (name.empty()) return succeed(std::string("0.0.0.0"));
  if (isIPAddress(name)) return succeed(std::string(name));
  return reactor_.resolve(name, kResolveTimeout);
}

Deferred<void> MulticastPort::setOutgoingInterface(std::string_view addr) {
  auto self = std::static_pointer_cast<MulticastPort>(shared_from_this());
  return resolveIPv4(addr).addCallback([self](std::string ip) {
    in_addr a{};
    if (::inet_pton(AF_INET, ip.c_str(), &a) != 1) {
      throw error::InvalidAddressError(ip, "not an IPv4 address.");
    }
    if (self->fileno() < 0 ||
        ::setsockopt(self->fileno(), IPPROTO_IP, IP_MULTICAST_IF, &a, sizeof a) != 0) {
      throw std::system_error(
          self->fileno() < 0 ? std::make_error_code(std::errc::bad_file_descriptor) : lastError(),
          "setsockopt(IP_MULTICAST_IF)");
    }
  });
}

bool MulticastPort::getLoopbackMode() const {
  unsigned char value = 0;
  socklen_t len = sizeof value;
  if (fileno() < 0 || ::getsockopt(fileno(), IPPROTO_IP, IP_MULTICAST_LOOP, &value, &len) != 0) {
    return false;
  }
  return value != 0;
}

void MulticastPort::setLoopbackMode(bool enabled) {
  const unsigned char value = enabled ? 1 : 0;
  if (fileno() < 0 ||
      ::setsockopt(fileno(), IPPROTO_IP, IP_MULTICAST_LOOP, &value, sizeof value) != 0) {
    throw std::system_error(lastError(), "setsockopt(IP_MULTICAST_LOOP)");
  }
}

int MulticastPort::getTTL() const {
  unsigned char value = 0;
  socklen_t len = sizeof value;
  if (fileno() < 0 || ::getsockopt(fileno(), IPPROTO_IP, IP_MULTICAST_TTL, &value, &len) != 0) {
    return -1;
  }
  return value;
}

void MulticastPort::setTTL(int ttl) {
  if (ttl < 0 || ttl > 255) throw std::invalid_argument("setTTL: the TTL must be in 0..255");
  const unsigned char value = static_cast<unsigned char>(ttl);
  if (fileno() < 0 ||
      ::setsockopt(fileno(), IPPROTO_IP, IP_MULTICAST_TTL, &value, sizeof value) != 0) {
    throw std::system_error(lastError(), "setsockopt(IP_MULTICAST_TTL)");
  }
}

void MulticastPort::setMembership(const std::string& group, const std::string& interface,
                                  bool join) {
  ip_mreq mreq{};
  if (::inet_pton(AF_INET, group.c_str(), &mreq.imr_multiaddr) != 1 ||
      ::inet_pton(AF_INET, interface.c_str(), &mreq.imr_interface) != 1) {
    throw error::MulticastJoinError(group + " on " + interface + ": not an IPv4 address");
  }
  const int cmd = join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP;
  if (fileno() < 0) throw error::MulticastJoinError(group + ": the port is closed");
  if (::setsockopt(fileno(), IPPROTO_IP, cmd, &mreq, sizeof mreq) != 0) {
    throw error::MulticastJoinError(group + " on " + interface + ": " + lastError().message());
  }
}

Deferred<void> MulticastPort::changeMembership(std::string_view addr, std::string_view interface,
                                               bool join) {
  auto self = std::static_pointer_cast<MulticastPort>(shared_from_this());
  return resolveIPv4(addr).addCallback(
      [self, iface = std::string(interface), join](std::string group) {
        return self->resolveIPv4(iface).addCallback(
            [self, group, join](std::string ip) { self->setMembership(group, ip, join); });
      });
}

Deferred<void> MulticastPort::joinGroup(std::string_view addr, std::string_view interface) {
  return changeMembership(addr, interface, true);
}

Deferred<void> MulticastPort::leaveGroup(std::string_view addr, std::string_view interface) {
  return changeMembership(addr, interface, false);
}

// =================================================================================================
// The reactor's IReactorUDP and IReactorMulticast

std::shared_ptr<IListeningPort> PosixReactorBase::doListenUDP(
    int port, std::shared_ptr<DatagramProtocol> protocol, std::string_view interface,
    std::size_t maxPacketSize, const std::source_location& where) {
  auto p = std::make_shared<UDPPort>(*this, port, std::move(protocol), std::string(interface),
                                     maxPacketSize);
  p->setCreatedAt(where);
  p->startListening();
  return p;
}

std::shared_ptr<IListeningPort> PosixReactorBase::doListenMulticast(
    int port, std::shared_ptr<DatagramProtocol> protocol, std::string_view interface,
    std::size_t maxPacketSize, bool listenMultiple, const std::source_location& where) {
  auto p = std::make_shared<MulticastPort>(*this, port, std::move(protocol), std::string(interface),
                                           maxPacketSize, listenMultiple);
  p->setCreatedAt(where);
  p->startListening();
  return p;
}

}  // namespace tw
