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

constexpr std::size_t kReadSize = 64 * 1024;
constexpr int kNumberAccepts = 100;
/// How long a port out of descriptors waits before it accepts again.
constexpr Seconds kAcceptBackoff{0.05};

const Logger& tcpLog() {
  static const Logger logger("tw.tcp");
  return logger;
}

using detail::getBoolOption;
using detail::lastError;
using detail::parseNumeric;

AddressPtr toAddress(const sockaddr* sa) { return detail::toAddress(sa, "TCP"); }
AddressPtr localAddress(int fd) { return detail::localAddress(fd, "TCP"); }

/// The buffer every connection of this thread reads into (dataReceived gets a view of it).
char* readBuffer() {
  static thread_local std::unique_ptr<char[]> buffer(new char[kReadSize]);
  return buffer.get();
}

/// Resolves a host name to its first IPv4 address (as Twisted's connectTCP does).
bool resolveIPv4(const std::string& host, int port, SockAddr& out) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &res) != 0 || res == nullptr) {
    return false;
  }
  std::memcpy(&out.ss, res->ai_addr, res->ai_addrlen);
  out.len = res->ai_addrlen;
  ::freeaddrinfo(res);
  return true;
}

void setBoolOption(int fd, int level, int name, bool enabled) {
  detail::setBoolOption(fd, level, name, enabled);
}

/// Destroys `p` at the end of the reactor's current step (it may be running a method of it).
template <class T>
void releaseLater(PosixReactorBase& reactor, std::shared_ptr<T>& p) {
  if (!p) return;
  const void* key = p.get();
  reactor.keepOwned(key, std::move(p));
  reactor.releaseOwned(key);
  p.reset();
}

}  // namespace

// =================================================================================================
// TCPConnection

TCPConnection::TCPConnection(PosixReactorBase& reactor, int fd, AddressPtr peer,
                             std::shared_ptr<IProtocolFactory> factory,
                             std::shared_ptr<TCPConnector> connector)
    : reactor_(reactor),
      fd_(fd),
      peer_(std::move(peer)),
      factory_(std::move(factory)),
      connector_(std::move(connector)) {}

TCPConnection::~TCPConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void TCPConnection::start(std::shared_ptr<IProtocol> protocol) {
  protocol_ = std::move(protocol);
  host_ = localAddress(fd_);
  try {
    startReading();
  } catch (...) {
    // The backend refused the descriptor (e.g. select and an fd past FD_SETSIZE): the protocol
    // never hears of this connection.
    Failure f = Failure::fromCurrentException();
    tcpLog().failure("Cannot watch a new connection (" + logPrefix() + ")", f, LogLevel::error);
    reading_ = false;
    lost_ = true;
    closeSocket(false);
    if (connector_) connector_->connectionLost(f);
    reactor_.releaseOwned(this);
    return;
  }
  connected_ = true;
  try {
    protocol_->makeConnection(*this);
  } catch (...) {
    Failure f = Failure::fromCurrentException();
    tcpLog().failure("Unhandled error in connectionMade (" + logPrefix() + ")", f, LogLevel::error);
    failLater(std::move(f));
  }
}

std::string TCPConnection::logPrefix() const {
  return "TCPConnection " + (peer_ ? peer_->repr() : std::string("?"));
}

AddressPtr TCPConnection::getHost() const {
  if (!host_ && fd_ >= 0) host_ = localAddress(fd_);
  return host_;
}

void TCPConnection::startReading() {
  if (reading_ || fd_ < 0) return;
  reading_ = true;
  reactor_.addReader(*this);
}

void TCPConnection::stopReading() {
  if (!reading_) return;
  reading_ = false;
  reactor_.removeReader(*this);
}

void TCPConnection::startWriting() {
  if (writing_ || fd_ < 0) return;
  writing_ = true;
  reactor_.addWriter(*this);
}

void TCPConnection::stopWriting() {
  if (!writing_) return;
  writing_ = false;
  reactor_.removeWriter(*this);
}

long TCPConnection::sendNow(std::span<const std::string_view> data) {
  while (true) {
    ssize_t n;
    if (data.size() == 1) {
      n = ::send(fd_, data[0].data(), data[0].size(), MSG_NOSIGNAL);
    } else {
      iovec iov[64];
      const std::size_t count = std::min<std::size_t>(data.size(), 64);
      for (std::size_t i = 0; i < count; ++i) {
        iov[i].iov_base = const_cast<char*>(data[i].data());
        iov[i].iov_len = data[i].size();
      }
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = count;
      n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    }
    if (n >= 0) return static_cast<long>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -1;
  }
}

void TCPConnection::buffer(std::span<const std::string_view> data, std::size_t skip) {
  for (std::string_view piece : data) {
    if (skip >= piece.size()) {
      skip -= piece.size();
      continue;
    }
    buffer_.append(piece.substr(skip));
    skip = 0;
  }
}

void TCPConnection::afterBuffering() {
  if (producer_ != nullptr && streamingProducer_ && !producerPaused_ &&
      bufferedBytes() > highWater_) {
    producerPaused_ = true;
    dynamic_cast<IPushProducer*>(producer_)->pauseProducing();
  }
}

void TCPConnection::write(std::string_view data) {
  std::string_view one[1] = {data};
  writeSequence(std::span<const std::string_view>(one, 1));
}

void TCPConnection::writeSequence(std::span<const std::string_view> data) {
  if (!connected_ || disconnecting_ || writeDisconnecting_ || fd_ < 0) return;
  std::size_t total = 0;
  for (std::string_view piece : data) total += piece.size();
  if (total == 0) return;
  if (bufferedBytes() == 0 && !writing_) {
    long sent = 0;
    if (data.size() <= 64) sent = sendNow(data);
    // On an error, keep everything: the next doWrite meets the error again and reports it.
    if (sent < 0) sent = 0;
    if (static_cast<std::size_t>(sent) == total) {
      // A pull producer is asked for more when the buffer empties: at the next writability.
      if (producer_ != nullptr && !streamingProducer_) startWriting();
      return;
    }
    buffer(data, static_cast<std::size_t>(sent));
    startWriting();
  } else {
    buffer(data, 0);
  }
  afterBuffering();
}

std::optional<Failure> TCPConnection::doWrite() {
  if (fd_ < 0) return std::nullopt;
  if (bufferedBytes() > 0) {
    const std::string_view pending(buffer_.data() + offset_, buffer_.size() - offset_);
    const long n = sendNow(std::span<const std::string_view>(&pending, 1));
    if (n < 0) return Failure(error::ConnectionLost(lastError()));
    offset_ += static_cast<std::size_t>(n);
    if (offset_ == buffer_.size()) {
      buffer_.clear();
      offset_ = 0;
      // Give back what a burst of large writes left behind.
      if (buffer_.capacity() > 4 * highWater_) std::string().swap(buffer_);
    } else {
      // Drop the sent prefix once it is the larger part, so the buffer does not grow forever.
      if (offset_ > 64 * 1024 && offset_ * 2 > buffer_.size()) {
        buffer_.erase(0, offset_);
        offset_ = 0;
      }
      return std::nullopt;
    }
  }
  return bufferEmptied();
}

std::optional<Failure> TCPConnection::bufferEmptied() {
  stopWriting();
  if (disconnecting_) return Failure(error::ConnectionDone());
  if (producer_ != nullptr && (!streamingProducer_ || producerPaused_)) {
    producerPaused_ = false;
    if (streamingProducer_) {
      dynamic_cast<IPushProducer*>(producer_)->resumeProducing();
    } else {
      dynamic_cast<IPullProducer*>(producer_)->resumeProducing();
    }
    if (bufferedBytes() > 0 || disconnecting_) {
      startWriting();
      return std::nullopt;
    }
  }
  if (writeDisconnecting_ && !writeDisconnected_) {
    writeDisconnected_ = true;
    ::shutdown(fd_, SHUT_WR);
    if (auto* half = dynamic_cast<IHalfCloseableProtocol*>(protocol_.get())) {
      try {
        half->writeConnectionLost();
      } catch (...) {
        Failure f = Failure::fromCurrentException();
        tcpLog().failure("Unhandled error in writeConnectionLost (" + logPrefix() + ")", f,
                         LogLevel::error);
        return f;
      }
    }
  }
  return std::nullopt;
}

std::optional<Failure> TCPConnection::doRead() {
  if (!connected_ || fd_ < 0) return std::nullopt;
  char* buf = readBuffer();
  const ssize_t n = ::recv(fd_, buf, kReadSize, 0);
  if (n > 0) {
    try {
      protocol_->dataReceived(std::string_view(buf, static_cast<std::size_t>(n)));
    } catch (...) {
      Failure f = Failure::fromCurrentException();
      tcpLog().failure("Unhandled error in dataReceived (" + logPrefix() + ")", f, LogLevel::error);
      return f;
    }
    return std::nullopt;
  }
  if (n == 0) {
    readDisconnected_ = true;
    if (auto* half = dynamic_cast<IHalfCloseableProtocol*>(protocol_.get())) {
      stopReading();
      try {
        half->readConnectionLost();
      } catch (...) {
        Failure f = Failure::fromCurrentException();
        tcpLog().failure("Unhandled error in readConnectionLost (" + logPrefix() + ")", f,
                         LogLevel::error);
        return f;
      }
      return std::nullopt;
    }
    return Failure(error::ConnectionDone());
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::nullopt;
  return Failure(error::ConnectionLost(lastError()));
}

void TCPConnection::loseConnection() {
  if (!connected_ || disconnecting_) return;
  disconnecting_ = true;
  stopReading();
  startWriting();  // doWrite flushes, then reports ConnectionDone
}

void TCPConnection::loseWriteConnection() {
  if (!connected_ || disconnecting_ || writeDisconnecting_) return;
  writeDisconnecting_ = true;
  startWriting();
}

void TCPConnection::abortConnection() {
  if (lost_ || aborting_) return;
  aborting_ = true;
  disconnecting_ = true;
  failLater(Failure(error::ConnectionAborted()));
}

void TCPConnection::failLater(Failure reason) {
  stopReading();
  stopWriting();
  disconnecting_ = true;
  reactor_.callLater(Seconds(0), [self = shared_from_this(), reason = std::move(reason)] {
    self->connectionLost(reason);
  });
}

void TCPConnection::closeSocket(bool orderly) {
  if (fd_ < 0) return;
  if (!orderly) {
    linger l{1, 0};  // close with an RST, dropping what the kernel still holds
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  ::close(fd_);
  fd_ = -1;
}

void TCPConnection::connectionLost(const Failure& reason) {
  if (lost_) return;
  lost_ = true;
  std::shared_ptr<TCPConnection> self = shared_from_this();
  stopReading();
  stopWriting();
  connected_ = false;
  disconnecting_ = true;
  closeSocket(!aborting_);
  buffer_.clear();
  offset_ = 0;
  if (producer_ != nullptr) {
    IProducer* p = producer_;
    producer_ = nullptr;
    try {
      p->stopProducing();
    } catch (...) {
      tcpLog().failure("Unhandled error in stopProducing (" + logPrefix() + ")",
                       Failure::fromCurrentException(), LogLevel::error);
    }
  }
  if (protocol_) {
    try {
      protocol_->connectionLost(reason);
    } catch (...) {
      tcpLog().failure("Unhandled error in connectionLost (" + logPrefix() + ")",
                       Failure::fromCurrentException(), LogLevel::error);
    }
  }
  if (connector_) connector_->connectionLost(reason);
  reactor_.releaseOwned(this);
}

bool TCPConnection::getTcpNoDelay() const { return getBoolOption(fd_, IPPROTO_TCP, TCP_NODELAY); }
void TCPConnection::setTcpNoDelay(bool enabled) {
  setBoolOption(fd_, IPPROTO_TCP, TCP_NODELAY, enabled);
}
bool TCPConnection::getTcpKeepAlive() const { return getBoolOption(fd_, SOL_SOCKET, SO_KEEPALIVE); }
void TCPConnection::setTcpKeepAlive(bool enabled) {
  setBoolOption(fd_, SOL_SOCKET, SO_KEEPALIVE, enabled);
}

void TCPConnection::registerProducer(IProducer& producer, bool streaming) {
  if (producer_ != nullptr) {
    throw std::runtime_error("Cannot register producer: another producer is already registered");
  }
  if (streaming && dynamic_cast<IPushProducer*>(&producer) == nullptr) {
    throw std::invalid_argument("registerProducer: a streaming producer must be an IPushProducer");
  }
  if (!streaming && dynamic_cast<IPullProducer*>(&producer) == nullptr) {
    throw std::invalid_argument("registerProducer: a pull producer must be an IPullProducer");
  }
  if (!connected_) {
    producer.stopProducing();
    return;
  }
  producer_ = &producer;
  streamingProducer_ = streaming;
  producerPaused_ = false;
  if (!streaming) dynamic_cast<IPullProducer&>(producer).resumeProducing();
}

void TCPConnection::unregisterProducer() {
  producer_ = nullptr;
  producerPaused_ = false;
}

void TCPConnection::pauseProducing() {
  readPaused_ = true;
  stopReading();
}

void TCPConnection::resumeProducing() {
  readPaused_ = false;
  if (connected_ && !disconnecting_ && !readDisconnected_) startReading();
}

// =================================================================================================
// TCPPort

TCPPort::TCPPort(PosixReactorBase& reactor, int port, std::shared_ptr<IProtocolFactory> factory,
                 int backlog, std::string interface)
    : reactor_(reactor),
      port_(port),
      factory_(std::move(factory)),
      backlog_(backlog),
      interface_(std::move(interface)) {}

TCPPort::~TCPPort() {
  if (fd_ >= 0) ::close(fd_);
}

std::string TCPPort::logPrefix() const {
  return "TCPPort " + (host_ ? host_->repr() : std::to_string(port_));
}

void TCPPort::startListening() {
  if (fd_ >= 0) return;
  const std::string portText = std::to_string(port_);
  SockAddr addr;
  if (!parseNumeric(interface_.empty() ? std::string("0.0.0.0") : interface_, port_, addr)) {
    throw error::CannotListenError(interface_, portText,
                                   std::make_error_code(std::errc::invalid_argument));
  }
  ipv6_ = addr.family() == AF_INET6;
  const int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw error::CannotListenError(interface_, portText, lastError());
  setBoolOption(fd, SOL_SOCKET, SO_REUSEADDR, true);
  if (::bind(fd, addr.get(), addr.len) != 0 || ::listen(fd, backlog_) != 0) {
    const std::error_code ec = lastError();
    ::close(fd);
    throw error::CannotListenError(interface_, portText, ec);
  }
  fd_ = fd;
  host_ = localAddress(fd_);
  factory_->doStart();
  reactor_.keepOwned(this, shared_from_this());
  reactor_.addReader(*this);
}

std::optional<Failure> TCPPort::doRead() {
  for (int i = 0; i < kNumberAccepts && fd_ >= 0; ++i) {
    SockAddr peer;
    peer.len = sizeof peer.ss;
    const int cfd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer.ss), &peer.len,
                              SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // The pending connection stays queued and the socket stays readable: rather than spin
        // on it, stop accepting for a moment (the other descriptors are served meanwhile).
        tcpLog().error("Could not accept new connection (" + lastError().message() + ") on " +
                       logPrefix() + "; retrying in " + std::to_string(kAcceptBackoff.count()) +
                       " s");
        reactor_.removeReader(*this);
        reactor_.callLater(kAcceptBackoff, [weak = weak_from_this()] {
          if (auto self = weak.lock(); self && self->fd_ >= 0) self->reactor_.addReader(*self);
        });
        break;
      }
      tcpLog().error("accept failed on " + logPrefix() + ": " + lastError().message());
      break;
    }
    AddressPtr address = toAddress(peer.get());
    std::shared_ptr<IProtocol> protocol;
    try {
      protocol = factory_->buildProtocol(*address);
    } catch (...) {
      tcpLog().failure("Unhandled error in buildProtocol (" + logPrefix() + ")",
                       Failure::fromCurrentException(), LogLevel::error);
    }
    if (!protocol) {
      ::close(cfd);
      continue;
    }
    auto connection =
        std::make_shared<TCPConnection>(reactor_, cfd, std::move(address), factory_, nullptr);
    connection->setCreatedAt(createdAt_);
    reactor_.keepOwned(connection.get(), connection);
    connection->start(std::move(protocol));
  }
  return std::nullopt;
}

Deferred<void> TCPPort::stopListening() {
  Deferred<void> d;
  if (stopped_ || (!stopping_ && fd_ < 0)) {
    d.callback();
    return d;
  }
  waiters_.push_back(d);
  if (stopping_) return d;
  stopping_ = true;
  if (fd_ >= 0) {
    reactor_.removeReader(*this);
    ::close(fd_);
    fd_ = -1;
  }
  reactor_.callLater(Seconds(0), [self = shared_from_this()] { self->finishStop(); });
  return d;
}

void TCPPort::finishStop() {
  if (stopped_) return;
  std::shared_ptr<TCPPort> self = shared_from_this();
  stopped_ = true;
  try {
    factory_->doStop();
  } catch (...) {
    tcpLog().failure("Unhandled error in doStop (" + logPrefix() + ")",
                     Failure::fromCurrentException(), LogLevel::error);
  }
  reactor_.releaseOwned(this);
  std::vector<Deferred<void>> waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) w.callback();
}

void TCPPort::connectionLost(const Failure& /*reason*/) {
  // The reactor dropped the port (shutdown's disconnectAll): stop now, as Twisted's Port does.
  if (fd_ >= 0) {
    reactor_.removeReader(*this);
    ::close(fd_);
    fd_ = -1;
  }
  stopping_ = true;
  finishStop();
}

// =================================================================================================
// TCPConnector

/// The socket of a connection attempt while the kernel connects it.
class TCPConnector::Attempt final : public IWriteDescriptor {
 public:
  Attempt(TCPConnector& connector, int fd, SockAddr peer)
      : connector_(connector), fd_(fd), peer_(peer) {}
  ~Attempt() override {
    if (fd_ >= 0) ::close(fd_);
  }
  int fileno() const override { return fd_; }
  std::string logPrefix() const override { return "TCPConnector attempt"; }
  std::source_location createdAt() const override { return connector_.createdAt(); }
  std::optional<Failure> doWrite() override {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      connector_.connectionFailed(
          Failure(error::getConnectError(std::error_code(err, std::generic_category()))));
    } else {
      connector_.reactor_.removeWriter(*this);
      const int fd = fd_;
      fd_ = -1;
      connector_.connectionMadeOn(fd, peer_);
    }
    return std::nullopt;
  }
  void connectionLost(const Failure& reason) override {
    // The reactor shut down (or dropped the descriptor) while connecting.
    connector_.connectionFailed(Failure(error::ConnectError(reason.getErrorMessage())));
  }
  /// Unwatches and closes the socket.
  void close() {
    if (fd_ < 0) return;
    connector_.reactor_.removeWriter(*this);
    ::close(fd_);
    fd_ = -1;
  }

 private:
  TCPConnector& connector_;
  int fd_;
  SockAddr peer_;
};

TCPConnector::TCPConnector(PosixReactorBase& reactor, std::string host, int port,
                           std::shared_ptr<IClientFactory> factory, Seconds timeout,
                           std::optional<BindAddress> bindAddress)
    : reactor_(reactor),
      host_(std::move(host)),
      port_(port),
      factory_(std::move(factory)),
      timeout_(timeout),
      bindAddress_(std::move(bindAddress)) {}

TCPConnector::~TCPConnector() = default;

std::string_view TCPConnector::state() const noexcept {
  switch (state_) {
    case State::connecting:
      return "connecting";
    case State::connected:
      return "connected";
    default:
      return "disconnected";
  }
}

AddressPtr TCPConnector::getDestination() const {
  if (isIPv6Address(host_)) return std::make_shared<IPv6Address>("TCP", host_, port_);
  return std::make_shared<IPv4Address>("TCP", host_, port_);
}

void TCPConnector::connect() {
  if (state_ != State::disconnected) {
    throw std::logic_error("TCPConnector::connect: can't connect in state " + std::string(state()));
  }
  state_ = State::connecting;
  reactor_.keepOwned(this, shared_from_this());
  if (!factoryStarted_) {
    factory_->doStart();
    factoryStarted_ = true;
  }
  beginCall_ = reactor_.callLater(Seconds(0), [self = shared_from_this()] { self->begin(); });
  if (timeout_.count() > 0) {
    timeoutCall_ = reactor_.callLater(timeout_, [weak = weak_from_this()] {
      if (auto self = weak.lock(); self && self->state_ == State::connecting) {
        self->timeoutCall_.reset();
        self->connectionFailed(Failure(error::TimeoutError()));
      }
    });
  }
  factory_->startedConnecting(*this);
}

void TCPConnector::begin() {
  beginCall_.reset();
  if (state_ != State::connecting) return;
  SockAddr addr;
  if (!parseNumeric(host_, port_, addr) && !resolveIPv4(host_, port_, addr)) {
    connectionFailed(Failure(error::UnknownHostError(host_)));
    return;
  }
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
  if (::connect(fd, addr.get(), addr.len) == 0) {
    connectionMadeOn(fd, addr);
    return;
  }
  if (errno != EINPROGRESS) {
    const std::error_code ec = lastError();
    ::close(fd);
    connectionFailed(Failure(error::getConnectError(ec)));
    return;
  }
  attempt_ = std::make_shared<Attempt>(*this, fd, addr);
  reactor_.addWriter(*attempt_);
}

void TCPConnector::cleanupAttempt() {
  if (beginCall_ && beginCall_->active()) beginCall_->cancel();
  beginCall_.reset();
  if (timeoutCall_ && timeoutCall_->active()) timeoutCall_->cancel();
  timeoutCall_.reset();
  if (attempt_) {
    attempt_->close();
    releaseLater(reactor_, attempt_);
  }
}

void TCPConnector::connectionMadeOn(int fd, const SockAddr& peerAddress) {
  cleanupAttempt();
  state_ = State::connected;
  AddressPtr peer = toAddress(peerAddress.get());
  std::shared_ptr<IProtocol> protocol;
  try {
    protocol = factory_->buildProtocol(*peer);
  } catch (...) {
    tcpLog().failure("Unhandled error in buildProtocol (TCPConnector)",
                     Failure::fromCurrentException(), LogLevel::error);
  }
  auto connection =
      std::make_shared<TCPConnection>(reactor_, fd, std::move(peer), factory_, shared_from_this());
  connection->setCreatedAt(createdAt_);
  connection_ = connection;
  reactor_.keepOwned(connection.get(), connection);
  if (!protocol) {
    connection->start(std::make_shared<Protocol>());
    connection->loseConnection();
    return;
  }
  connection->start(std::move(protocol));
}

void TCPConnector::connectionFailed(const Failure& reason) {
  if (state_ != State::connecting) return;
  std::shared_ptr<TCPConnector> self = shared_from_this();
  cleanupAttempt();
  state_ = State::disconnected;
  try {
    factory_->clientConnectionFailed(*this, reason);
  } catch (...) {
    tcpLog().failure("Unhandled error in clientConnectionFailed", Failure::fromCurrentException(),
                     LogLevel::error);
  }
  if (state_ == State::disconnected) {
    if (factoryStarted_) {
      factoryStarted_ = false;
      factory_->doStop();
    }
    reactor_.releaseOwned(this);
  }
}

void TCPConnector::connectionLost(const Failure& reason) {
  std::shared_ptr<TCPConnector> self = shared_from_this();
  state_ = State::disconnected;
  connection_.reset();
  try {
    factory_->clientConnectionLost(*this, reason);
  } catch (...) {
    tcpLog().failure("Unhandled error in clientConnectionLost", Failure::fromCurrentException(),
                     LogLevel::error);
  }
  if (state_ == State::disconnected) {
    if (factoryStarted_) {
      factoryStarted_ = false;
      factory_->doStop();
    }
    reactor_.releaseOwned(this);
  }
}

void TCPConnector::stopConnecting() {
  if (state_ != State::connecting) throw error::NotConnectingError();
  connectionFailed(Failure(error::UserError()));
}

void TCPConnector::disconnect() {
  if (state_ == State::connecting) {
    stopConnecting();
  } else if (state_ == State::connected) {
    if (auto c = connection_.lock()) c->loseConnection();
  }
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
