/// @file
/// The stream-socket machinery TCP and UNIX sockets share: StreamConnection, StreamPort and
/// StreamConnector (see tw/detail/stream_socket.hpp).
/// Tests: tests/integration/tcp_test.cpp, tests/integration/unix_test.cpp
#include <fcntl.h>
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
#include "tw/detail/stream_socket.hpp"
#include "tw/error.hpp"
#include "tw/logger.hpp"
#include "tw/posix_reactor.hpp"
#include "tw/protocol.hpp"

namespace tw::detail {

namespace {

constexpr std::size_t kReadSize = 64 * 1024;
constexpr int kNumberAccepts = 100;
/// How long a port out of descriptors waits before it accepts again.
constexpr Seconds kAcceptBackoff{0.05};

using detail::lastError;

/// The buffer every connection of this thread reads into (dataReceived gets a view of it).
char* readBuffer() {
  static thread_local std::unique_ptr<char[]> buffer(new char[kReadSize]);
  return buffer.get();
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
// StreamConnection

StreamConnection::StreamConnection(PosixReactorBase& reactor, int fd, AddressPtr peer,
                                   std::shared_ptr<IProtocolFactory> factory,
                                   std::shared_ptr<StreamConnector> connector, const Logger& log)
    : reactor_(reactor),
      fd_(fd),
      peer_(std::move(peer)),
      factory_(std::move(factory)),
      connector_(std::move(connector)),
      log_(log) {}

StreamConnection::~StreamConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void StreamConnection::start(std::shared_ptr<IProtocol> protocol) {
  protocol_ = std::move(protocol);
  host_ = localAddress();
  try {
    startReading();
  } catch (...) {
    // The backend refused the descriptor (e.g. select and an fd past FD_SETSIZE): the protocol
    // never hears of this connection.
    Failure f = Failure::fromCurrentException();
    log_.failure("Cannot watch a new connection (" + logPrefix() + ")", f, LogLevel::error);
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
    log_.failure("Unhandled error in connectionMade (" + logPrefix() + ")", f, LogLevel::error);
    failLater(std::move(f));
  }
}

AddressPtr StreamConnection::getHost() const {
  if (!host_ && fd_ >= 0) host_ = localAddress();
  return host_;
}

void StreamConnection::startReading() {
  if (reading_ || fd_ < 0) return;
  reading_ = true;
  reactor_.addReader(*this);
}

void StreamConnection::stopReading() {
  if (!reading_) return;
  reading_ = false;
  reactor_.removeReader(*this);
}

void StreamConnection::startWriting() {
  if (writing_ || fd_ < 0) return;
  writing_ = true;
  reactor_.addWriter(*this);
}

void StreamConnection::stopWriting() {
  if (!writing_) return;
  writing_ = false;
  reactor_.removeWriter(*this);
}

long StreamConnection::sendNow(std::span<const std::string_view> data) {
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

void StreamConnection::buffer(std::span<const std::string_view> data, std::size_t skip) {
  for (std::string_view piece : data) {
    if (skip >= piece.size()) {
      skip -= piece.size();
      continue;
    }
    buffer_.append(piece.substr(skip));
    skip = 0;
  }
}

void StreamConnection::afterBuffering() {
  if (producer_ != nullptr && streamingProducer_ && !producerPaused_ &&
      bufferedBytes() > highWater_) {
    producerPaused_ = true;
    dynamic_cast<IPushProducer*>(producer_)->pauseProducing();
  }
}

void StreamConnection::write(std::string_view data) {
  std::string_view one[1] = {data};
  StreamConnection::writeSequence(std::span<const std::string_view>(one, 1));
}

void StreamConnection::writeSequence(std::span<const std::string_view> data) {
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

std::optional<Failure> StreamConnection::doWrite() {
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

std::optional<Failure> StreamConnection::bufferEmptied() {
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
        log_.failure("Unhandled error in writeConnectionLost (" + logPrefix() + ")", f,
                     LogLevel::error);
        return f;
      }
    }
  }
  return std::nullopt;
}

std::optional<Failure> StreamConnection::doRead() {
  if (!connected_ || fd_ < 0) return std::nullopt;
  char* buf = readBuffer();
  const ssize_t n = ::recv(fd_, buf, kReadSize, 0);
  if (n > 0) {
    try {
      protocol_->dataReceived(std::string_view(buf, static_cast<std::size_t>(n)));
    } catch (...) {
      Failure f = Failure::fromCurrentException();
      log_.failure("Unhandled error in dataReceived (" + logPrefix() + ")", f, LogLevel::error);
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
        log_.failure("Unhandled error in readConnectionLost (" + logPrefix() + ")", f,
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

void StreamConnection::loseConnection() {
  if (!connected_ || disconnecting_) return;
  disconnecting_ = true;
  stopReading();
  startWriting();  // doWrite flushes, then reports ConnectionDone
}

void StreamConnection::loseWriteConnection() {
  if (!connected_ || disconnecting_ || writeDisconnecting_) return;
  writeDisconnecting_ = true;
  startWriting();
}

void StreamConnection::abortConnection() {
  if (lost_ || aborting_) return;
  aborting_ = true;
  disconnecting_ = true;
  failLater(Failure(error::ConnectionAborted()));
}

void StreamConnection::failLater(Failure reason) {
  stopReading();
  stopWriting();
  disconnecting_ = true;
  reactor_.callLater(Seconds(0), [self = shared_from_this(), reason = std::move(reason)] {
    self->connectionLost(reason);
  });
}

void StreamConnection::closeSocket(bool orderly) {
  if (fd_ < 0) return;
  if (!orderly) {
    linger l{1, 0};  // close with an RST, dropping what the kernel still holds
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  ::close(fd_);
  fd_ = -1;
}

void StreamConnection::connectionLost(const Failure& reason) {
  if (lost_) return;
  lost_ = true;
  std::shared_ptr<StreamConnection> self = shared_from_this();
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
      log_.failure("Unhandled error in stopProducing (" + logPrefix() + ")",
                   Failure::fromCurrentException(), LogLevel::error);
    }
  }
  if (protocol_) {
    try {
      protocol_->connectionLost(reason);
    } catch (...) {
      log_.failure("Unhandled error in connectionLost (" + logPrefix() + ")",
                   Failure::fromCurrentException(), LogLevel::error);
    }
  }
  if (connector_) connector_->connectionLost(reason);
  reactor_.releaseOwned(this);
}

void StreamConnection::registerProducer(IProducer& producer, bool streaming) {
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

void StreamConnection::unregisterProducer() {
  producer_ = nullptr;
  producerPaused_ = false;
}

void StreamConnection::pauseProducing() {
  readPaused_ = true;
  stopReading();
}

void StreamConnection::resumeProducing() {
  readPaused_ = false;
  if (connected_ && !disconnecting_ && !readDisconnected_) startReading();
}

// =================================================================================================
// StreamPort

StreamPort::StreamPort(PosixReactorBase& reactor, std::shared_ptr<IProtocolFactory> factory,
                       const Logger& log)
    : reactor_(reactor), factory_(std::move(factory)), log_(log) {}

StreamPort::~StreamPort() {
  if (fd_ >= 0) ::close(fd_);
}

void StreamPort::listening(int fd, AddressPtr host) {
  fd_ = fd;
  host_ = std::move(host);
  factory_->doStart();
  reactor_.keepOwned(this, shared_from_this());
  reactor_.addReader(*this);
}

std::optional<Failure> StreamPort::doRead() {
  for (int i = 0; i < kNumberAccepts && fd_ >= 0; ++i) {
    SocketAddress peer;
    peer.len = sizeof peer.ss;
    const int cfd = ::accept4(fd_, peer.get(), &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // The pending connection stays queued and the socket stays readable: rather than spin
        // on it, stop accepting for a moment (the other descriptors are served meanwhile).
        log_.error("Could not accept new connection (" + lastError().message() + ") on " +
                   logPrefix() + "; retrying in " + std::to_string(kAcceptBackoff.count()) + " s");
        reactor_.removeReader(*this);
        reactor_.callLater(kAcceptBackoff, [weak = weak_from_this()] {
          if (auto self = weak.lock(); self && self->fd_ >= 0) self->reactor_.addReader(*self);
        });
        break;
      }
      log_.error("accept failed on " + logPrefix() + ": " + lastError().message());
      break;
    }
    AddressPtr address = addressOf(peer);
    std::shared_ptr<IProtocol> protocol;
    try {
      protocol = factory_->buildProtocol(*address);
    } catch (...) {
      log_.failure("Unhandled error in buildProtocol (" + logPrefix() + ")",
                   Failure::fromCurrentException(), LogLevel::error);
    }
    if (!protocol) {
      ::close(cfd);
      continue;
    }
    std::shared_ptr<StreamConnection> connection = makeConnection(cfd, std::move(address));
    connection->setCreatedAt(createdAt_);
    reactor_.keepOwned(connection.get(), connection);
    connection->start(std::move(protocol));
  }
  return std::nullopt;
}

void StreamPort::closeSocket() {
  if (fd_ < 0) return;
  reactor_.removeReader(*this);
  ::close(fd_);
  fd_ = -1;
  try {
    socketClosed();
  } catch (...) {
    log_.failure("Unhandled error while closing " + logPrefix(), Failure::fromCurrentException(),
                 LogLevel::error);
  }
}

Deferred<void> StreamPort::stopListening() {
  Deferred<void> d;
  if (stopped_ || (!stopping_ && fd_ < 0)) {
    d.callback();
    return d;
  }
  waiters_.push_back(d);
  if (stopping_) return d;
  stopping_ = true;
  closeSocket();
  reactor_.callLater(Seconds(0), [self = shared_from_this()] { self->finishStop(); });
  return d;
}

void StreamPort::finishStop() {
  if (stopped_) return;
  std::shared_ptr<StreamPort> self = shared_from_this();
  stopped_ = true;
  try {
    factory_->doStop();
  } catch (...) {
    log_.failure("Unhandled error in doStop (" + logPrefix() + ")", Failure::fromCurrentException(),
                 LogLevel::error);
  }
  reactor_.releaseOwned(this);
  std::vector<Deferred<void>> waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) w.callback();
}

void StreamPort::connectionLost(const Failure& /*reason*/) {
  // The reactor dropped the port (shutdown's disconnectAll): stop now, as Twisted's Port does.
  closeSocket();
  stopping_ = true;
  finishStop();
}

// =================================================================================================
// StreamConnector

/// The socket of a connection attempt while the kernel connects it.
class StreamConnector::Attempt final : public IWriteDescriptor {
 public:
  Attempt(StreamConnector& connector, int fd, const SocketAddress& peer)
      : connector_(connector), fd_(fd), peer_(peer) {}
  ~Attempt() override {
    if (fd_ >= 0) ::close(fd_);
  }
  int fileno() const override { return fd_; }
  std::string logPrefix() const override { return std::string(connector_.kind()) + " attempt"; }
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
  StreamConnector& connector_;
  int fd_;
  SocketAddress peer_;
};

StreamConnector::StreamConnector(PosixReactorBase& reactor, std::shared_ptr<IClientFactory> factory,
                                 Seconds timeout, const Logger& log)
    : reactor_(reactor), factory_(std::move(factory)), log_(log), timeout_(timeout) {}

StreamConnector::~StreamConnector() = default;

std::string_view StreamConnector::state() const noexcept {
  switch (state_) {
    case State::connecting:
      return "connecting";
    case State::connected:
      return "connected";
    default:
      return "disconnected";
  }
}

void StreamConnector::connect() {
  if (state_ != State::disconnected) {
    throw std::logic_error(std::string(kind()) + "::connect: can't connect in state " +
                           std::string(state()));
  }
  state_ = State::connecting;
  reactor_.keepOwned(this, shared_from_this());
  if (!factoryStarted_) {
    factory_->doStart();
    factoryStarted_ = true;
  }
  beginCall_ = reactor_.callLater(Seconds(0), [self = shared_from_this()] {
    self->beginCall_.reset();
    if (self->state_ == State::connecting) self->begin();
  });
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

void StreamConnector::connectSocket(int fd, const SocketAddress& peer) {
  if (::connect(fd, peer.get(), peer.len) == 0) {
    connectionMadeOn(fd, peer);
    return;
  }
  if (errno != EINPROGRESS) {
    const std::error_code ec = lastError();
    ::close(fd);
    connectionFailed(Failure(error::getConnectError(ec)));
    return;
  }
  attempt_ = std::make_shared<Attempt>(*this, fd, peer);
  reactor_.addWriter(*attempt_);
}

void StreamConnector::cleanupAttempt() {
  if (beginCall_ && beginCall_->active()) beginCall_->cancel();
  beginCall_.reset();
  if (timeoutCall_ && timeoutCall_->active()) timeoutCall_->cancel();
  timeoutCall_.reset();
  if (attempt_) {
    attempt_->close();
    releaseLater(reactor_, attempt_);
  }
}

void StreamConnector::connectionMadeOn(int fd, const SocketAddress& peerAddress) {
  cleanupAttempt();
  state_ = State::connected;
  AddressPtr peer = addressOf(peerAddress);
  std::shared_ptr<IProtocol> protocol;
  try {
    protocol = factory_->buildProtocol(*peer);
  } catch (...) {
    log_.failure("Unhandled error in buildProtocol (" + std::string(kind()) + ")",
                 Failure::fromCurrentException(), LogLevel::error);
  }
  std::shared_ptr<StreamConnection> connection = makeConnection(fd, std::move(peer));
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

void StreamConnector::connectionFailed(const Failure& reason) {
  if (state_ != State::connecting) return;
  std::shared_ptr<StreamConnector> self = shared_from_this();
  cleanupAttempt();
  state_ = State::disconnected;
  try {
    factory_->clientConnectionFailed(*this, reason);
  } catch (...) {
    log_.failure("Unhandled error in clientConnectionFailed", Failure::fromCurrentException(),
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

void StreamConnector::connectionLost(const Failure& reason) {
  std::shared_ptr<StreamConnector> self = shared_from_this();
  state_ = State::disconnected;
  connection_.reset();
  try {
    factory_->clientConnectionLost(*this, reason);
  } catch (...) {
    log_.failure("Unhandled error in clientConnectionLost", Failure::fromCurrentException(),
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

void StreamConnector::stopConnecting() {
  if (state_ != State::connecting) throw error::NotConnectingError();
  connectionFailed(Failure(error::UserError()));
}

void StreamConnector::disconnect() {
  if (state_ == State::connecting) {
    stopConnecting();
  } else if (state_ == State::connected) {
    if (auto c = connection_.lock()) c->loseConnection();
  }
}

}  // namespace tw::detail
