/// @file
/// Flow control and faults on real TCP connections, run on epoll, poll and select over loopback:
/// a push producer streaming 100 MB to a slow reader, a pull producer, a peer that resets the
/// connection while we write, a peer that half-closes, a refused connection, a listener out of
/// descriptors, and writes on a closing or closed transport.  Each fault reaches the protocol
/// once, as the right Failure, and the reactor keeps serving the other connections meanwhile.
/// Twisted: twisted/internet/test/test_tcp.py (AbortConnectionMixin, WriteSequenceTestsMixin),
/// twisted/test/test_tcp.py (ProperlyCloseFilesTests, LargeBufferTests), test_producer_helpers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "reactors.hpp"
#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/factory.hpp"
#include "tw/posix_reactor.hpp"
#include "tw/protocol.hpp"
#include "tw/tcp.hpp"

namespace {

using namespace std::chrono_literals;
using tw::testing::ExpectedErrors;
using tw::testing::ReactorNames;
using tw::testing::Reactors;

template <class R>
class FaultTests : public tw::testing::RealReactorTest<R> {};
TYPED_TEST_SUITE(FaultTests, Reactors, ReactorNames);

// --- a byte stream whose every byte says where it belongs ---------------------------------------

/// Writes bytes [offset, offset + n) of the test stream to `out`.  The stream is the sequence of
/// 64-bit words 0, 1, 2, ... (native byte order): a lost, repeated or reordered piece of any
/// size shows up as a mismatch.
void fillPattern(std::uint64_t offset, char* out, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    const std::uint64_t pos = offset + i;
    const std::uint64_t word = pos / 8;
    const std::size_t in = static_cast<std::size_t>(pos % 8);
    const std::size_t take = std::min<std::size_t>(8 - in, n - i);
    char bytes[8];
    std::memcpy(bytes, &word, sizeof bytes);
    std::memcpy(out + i, bytes + in, take);
    i += take;
  }
}

/// Checks the test stream as it arrives, piece by piece, without keeping it.
class StreamChecker {
 public:
  void feed(std::string_view data) {
    expected_.resize(data.size());
    fillPattern(received, expected_.data(), data.size());
    if (!firstMismatch && std::memcmp(expected_.data(), data.data(), data.size()) != 0) {
      std::size_t i = 0;
      while (expected_[i] == data[i]) ++i;
      firstMismatch = received + i;
    }
    received += data.size();
  }
  std::uint64_t received = 0;
  std::optional<std::uint64_t> firstMismatch;

 private:
  std::string expected_;
};

// --- protocols and factories ---------------------------------------------------------------------

/// A protocol whose callbacks are set by the test; it records what it receives and its end.
class Scripted : public tw::Protocol {
 public:
  void connectionMade() override {
    if (onMade) onMade(*this);
  }
  void dataReceived(std::string_view data) override {
    received.append(data);
    if (onData) onData(*this, data);
  }
  void connectionLost(const tw::Failure& reason) override {
    ++losses;
    lost = reason;
    if (onLost) onLost(*this, reason);
    tw::Protocol::connectionLost(reason);
  }
  tw::TCPConnection& tcp() { return dynamic_cast<tw::TCPConnection&>(*transport()); }

  std::function<void(Scripted&)> onMade;
  std::function<void(Scripted&, std::string_view)> onData;
  std::function<void(Scripted&, const tw::Failure&)> onLost;
  std::string received;
  std::optional<tw::Failure> lost;
  int losses = 0;
};

/// A half-closeable Scripted protocol.
class HalfCloseable : public Scripted, public tw::IHalfCloseableProtocol {
 public:
  void readConnectionLost() override {
    readLost = true;
    if (onReadLost) onReadLost(*this);
  }
  void writeConnectionLost() override { writeLost = true; }
  std::function<void(HalfCloseable&)> onReadLost;
  bool readLost = false;
  bool writeLost = false;
};

/// Builds protocols of type P, passing each to `setup` with its index, and keeps them.
template <class P = Scripted>
class ServerFactory : public tw::Factory {
 public:
  explicit ServerFactory(std::function<void(P&, std::size_t)> setup = {})
      : setup_(std::move(setup)) {}
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& /*addr*/) override {
    auto p = std::make_shared<P>();
    if (setup_) setup_(*p, built.size());
    built.push_back(p);
    return p;
  }
  std::vector<std::shared_ptr<P>> built;

 private:
  std::function<void(P&, std::size_t)> setup_;
};

/// A client factory building protocols of type P and recording what the connector reports.
template <class P = Scripted>
class ClientFactory : public tw::ClientFactory {
 public:
  explicit ClientFactory(std::function<void(P&)> setup = {}) : setup_(std::move(setup)) {}
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& /*addr*/) override {
    auto p = std::make_shared<P>();
    if (setup_) setup_(*p);
    built.push_back(p);
    return p;
  }
  void clientConnectionFailed(tw::IConnector& /*c*/, const tw::Failure& reason) override {
    failed = reason;
    if (onFailed) onFailed(reason);
  }
  void clientConnectionLost(tw::IConnector& /*c*/, const tw::Failure& reason) override {
    lost = reason;
    if (onLost) onLost(reason);
  }
  std::vector<std::shared_ptr<P>> built;
  std::optional<tw::Failure> failed;
  std::optional<tw::Failure> lost;
  std::function<void(const tw::Failure&)> onFailed;
  std::function<void(const tw::Failure&)> onLost;

 private:
  std::function<void(P&)> setup_;
};

void echo(Scripted& p) {
  p.onData = [](Scripted& self, std::string_view data) { self.transport()->write(data); };
}

/// A client that sends `message`, and closes once it has it back; `done` runs at its end.
std::shared_ptr<ClientFactory<>> echoClient(std::string message, std::function<void()> done) {
  auto client = std::make_shared<ClientFactory<>>([message](Scripted& p) {
    p.onMade = [message](Scripted& self) { self.transport()->write(message); };
    p.onData = [message](Scripted& self, std::string_view) {
      if (self.received == message) self.transport()->loseConnection();
    };
  });
  client->onLost = [done = std::move(done)](const tw::Failure&) { done(); };
  client->onFailed = [done](const tw::Failure&) { done(); };
  return client;
}

/// The osError of a ConnectionLost-family Failure, or an empty code.
std::error_code lostErrno(const tw::Failure& f) {
  try {
    f.raiseException();
  } catch (const tw::error::ConnectionLost& e) {
    return e.osError();
  } catch (...) {
  }
  return {};
}

/// A blocking IPv4 socket connected to 127.0.0.1:port (on loopback the kernel completes the
/// handshake from its accept queue, before the reactor accepts); -1 on failure.
int rawConnect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Closes `fd` with an RST instead of a FIN (SO_LINGER {1, 0}).
void closeWithReset(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

void setBufferSize(int fd, int option, int bytes) {
  ::setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes);
}

/// SIGPIPEs delivered while a SigpipeCounter exists.
volatile std::sig_atomic_t gSigpipes = 0;

/// Counts the SIGPIPEs delivered to the process while it exists, in gSigpipes (the default
/// action would kill the test binary).
class SigpipeCounter {
 public:
  SigpipeCounter() {
    gSigpipes = 0;
    struct sigaction sa {};
    sa.sa_handler = [](int) { gSigpipes = gSigpipes + 1; };
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGPIPE, &sa, &old_);
  }
  ~SigpipeCounter() { ::sigaction(SIGPIPE, &old_, nullptr); }
  SigpipeCounter(const SigpipeCounter&) = delete;
  SigpipeCounter& operator=(const SigpipeCounter&) = delete;
  int count() const { return gSigpipes; }

 private:
  struct sigaction old_ {};
};

// --- flow control --------------------------------------------------------------------------------

/// A push producer that writes the test stream in `chunk`-sized writes for as long as it is not
/// paused, `total` bytes in all, then unregisters and closes the connection.
class PatternPusher : public tw::IPushProducer {
 public:
  PatternPusher(tw::TCPConnection& t, std::uint64_t total, std::size_t chunk)
      : t_(t), total_(total), chunk_(chunk) {}
  void start() {
    t_.registerProducer(*this, true);
    produce();
  }
  void pauseProducing() override {
    ++pauses;
    paused_ = true;
  }
  void resumeProducing() override {
    ++resumes;
    paused_ = false;
    produce();
  }
  void stopProducing() override { ++stops; }

  int pauses = 0;
  int resumes = 0;
  int stops = 0;
  std::uint64_t sent = 0;
  std::size_t maxBuffered = 0;
  std::size_t maxCapacity = 0;
  bool finished = false;

 private:
  void produce() {
    while (!paused_ && sent < total_) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(chunk_, total_ - sent));
      buffer_.resize(n);
      fillPattern(sent, buffer_.data(), n);
      sent += n;
      t_.write(buffer_);
      maxBuffered = std::max(maxBuffered, t_.bufferedBytes());
      maxCapacity = std::max(maxCapacity, t_.sendBufferCapacity());
    }
    if (sent == total_ && !finished) {
      finished = true;
      t_.unregisterProducer();
      t_.loseConnection();
    }
  }

  tw::TCPConnection& t_;
  std::uint64_t total_;
  std::size_t chunk_;
  std::string buffer_;
  bool paused_ = false;
};

/// A pull producer that writes one `chunk` of the test stream each time it is asked, `total`
/// bytes in all, then unregisters and closes the connection.
class PatternPuller : public tw::IPullProducer {
 public:
  PatternPuller(tw::TCPConnection& t, std::uint64_t total, std::size_t chunk)
      : t_(t), total_(total), chunk_(chunk) {}
  void resumeProducing() override {
    ++calls;
    if (sent < total_) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(chunk_, total_ - sent));
      buffer_.resize(n);
      fillPattern(sent, buffer_.data(), n);
      sent += n;
      t_.write(buffer_);
      maxBuffered = std::max(maxBuffered, t_.bufferedBytes());
    } else if (!finished) {
      finished = true;
      t_.unregisterProducer();
      t_.loseConnection();
    }
  }
  void stopProducing() override { ++stops; }

  int calls = 0;
  int stops = 0;
  std::uint64_t sent = 0;
  std::size_t maxBuffered = 0;
  bool finished = false;

 private:
  tw::TCPConnection& t_;
  std::uint64_t total_;
  std::size_t chunk_;
  std::string buffer_;
};

/// A reader that is slow on purpose: a small receive buffer, and after every `breakEvery` bytes
/// it stops reading (its transport's pauseProducing) for `pause`.  It checks the stream as it
/// goes.
class SlowReader : public tw::Protocol {
 public:
  SlowReader(tw::IReactorTime& clock, std::size_t breakEvery, tw::Seconds pause)
      : clock_(clock), breakEvery_(breakEvery), pause_(pause) {}
  void connectionMade() override {
    setBufferSize(dynamic_cast<tw::TCPConnection&>(*transport()).fileno(), SO_RCVBUF, 32 * 1024);
  }
  void dataReceived(std::string_view data) override {
    checker.feed(data);
    sinceBreak_ += data.size();
    if (sinceBreak_ >= breakEvery_) {
      sinceBreak_ = 0;
      ++breaks;
      transport()->pauseProducing();
      resume_ = clock_.callLater(pause_, [this] { transport()->resumeProducing(); });
    }
  }
  void connectionLost(const tw::Failure& reason) override {
    if (resume_ && resume_->active()) resume_->cancel();
    lost = reason;
    tw::Protocol::connectionLost(reason);
  }

  StreamChecker checker;
  int breaks = 0;
  std::optional<tw::Failure> lost;

 private:
  tw::IReactorTime& clock_;
  std::size_t breakEvery_;
  tw::Seconds pause_;
  std::size_t sinceBreak_ = 0;
  tw::DelayedCallPtr resume_;
};

/// What a slow transfer leaves for the test to check.
struct Transfer {
  std::shared_ptr<ServerFactory<>> server;
  std::shared_ptr<SlowReader> reader;
};

/// A client factory making one SlowReader; `onEnd` runs when its connection ends or fails.
class SlowReaderFactory : public tw::ClientFactory {
 public:
  SlowReaderFactory(tw::IReactorTime& clock, Transfer& transfer, std::function<void()> onEnd)
      : clock_(clock), transfer_(transfer), onEnd_(std::move(onEnd)) {}
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& /*addr*/) override {
    transfer_.reader = std::make_shared<SlowReader>(clock_, 1024 * 1024, 1ms);
    return transfer_.reader;
  }
  void clientConnectionFailed(tw::IConnector& /*c*/, const tw::Failure& /*reason*/) override {
    onEnd_();
  }
  void clientConnectionLost(tw::IConnector& /*c*/, const tw::Failure& /*reason*/) override {
    onEnd_();
  }

 private:
  tw::IReactorTime& clock_;
  Transfer& transfer_;
  std::function<void()> onEnd_;
};

template <class R>
class FlowControlTests : public tw::testing::RealReactorTest<R> {
 protected:
  /// Connects a SlowReader client (stops reading for 1 ms after each MiB) to a server whose
  /// connectionMade runs `serve`, and runs the reactor until the client's connection ends.
  Transfer slowTransfer(std::function<void(tw::TCPConnection&)> serve, tw::Seconds limit) {
    auto& r = this->reactor;
    Transfer transfer;
    transfer.server = std::make_shared<ServerFactory<>>([serve](Scripted& p, std::size_t) {
      p.onMade = [serve](Scripted& self) {
        // A small send buffer: the kernel takes little, so our own buffer and the producer's
        // pauses do the work.
        setBufferSize(self.tcp().fileno(), SO_SNDBUF, 64 * 1024);
        serve(self.tcp());
      };
    });
    auto port = r.listenTCP(0, transfer.server, 50, "127.0.0.1");
    r.connectTCP("127.0.0.1", this->portOf(port->getHost()),
                 std::make_shared<SlowReaderFactory>(r, transfer, [&r] { r.stop(); }));
    this->runBounded(limit);
    return transfer;
  }
};
TYPED_TEST_SUITE(FlowControlTests, Reactors, ReactorNames);

// Issue #5: a push producer writing 100 MB, in 64 KiB writes, to a slow reader is paused
// whenever the send buffer passes the high-water mark and resumed when it drains: the transport
// never holds more than the mark plus one write, and every byte arrives, in order.
// Twisted: test_tcp.py LargeBufferTests, abstract.FileDescriptor._maybePauseProducer.
TYPED_TEST(FlowControlTests, pushProducer100MBToSlowReader) {
  constexpr std::uint64_t kTotal = 100ull * 1024 * 1024;
  constexpr std::size_t kChunk = 64 * 1024;
  std::unique_ptr<PatternPusher> pusher;
  Transfer transfer = this->slowTransfer(
      [&](tw::TCPConnection& t) {
        pusher = std::make_unique<PatternPusher>(t, kTotal, kChunk);
        pusher->start();
      },
      60s);
  ASSERT_TRUE(pusher);
  ASSERT_TRUE(transfer.reader);
  EXPECT_TRUE(pusher->finished);
  EXPECT_EQ(pusher->sent, kTotal);
  // The producer was throttled many times, and every pause but possibly the last was followed
  // by a resume (after the last write it unregisters).
  EXPECT_GE(pusher->pauses, 10);
  EXPECT_LE(pusher->resumes, pusher->pauses);
  EXPECT_GE(pusher->resumes + 1, pusher->pauses);
  EXPECT_EQ(pusher->stops, 0);
  // The mark was reached, and never passed by more than one write.
  EXPECT_GT(pusher->maxBuffered, tw::TCPConnection::kDefaultHighWaterMark);
  EXPECT_LE(pusher->maxBuffered, tw::TCPConnection::kDefaultHighWaterMark + kChunk);
  // The memory behind the buffer stays within twice that (std::string grows by doubling).
  EXPECT_LE(pusher->maxCapacity, 2 * (tw::TCPConnection::kDefaultHighWaterMark + kChunk));
  // The reader was slow: it stopped reading every MiB.
  EXPECT_GE(transfer.reader->breaks, 90);
  EXPECT_EQ(transfer.reader->checker.received, kTotal);
  EXPECT_FALSE(transfer.reader->checker.firstMismatch.has_value())
      << "first wrong byte at offset " << *transfer.reader->checker.firstMismatch;
  ASSERT_TRUE(transfer.reader->lost.has_value());
  EXPECT_TRUE(transfer.reader->lost->template check<tw::error::ConnectionDone>())
      << transfer.reader->lost->getErrorMessage();
  ASSERT_EQ(transfer.server->built.size(), 1u);
  ASSERT_TRUE(transfer.server->built[0]->lost.has_value());
  EXPECT_TRUE(transfer.server->built[0]->lost->template check<tw::error::ConnectionDone>());
}

// A pull producer is asked for one write each time the buffer empties: the transport never
// holds more than that write, and the 16 MB it writes arrive in order.
TYPED_TEST(FlowControlTests, pullProducerToSlowReader) {
  constexpr std::uint64_t kTotal = 16ull * 1024 * 1024;
  constexpr std::size_t kChunk = 64 * 1024;
  std::unique_ptr<PatternPuller> puller;
  Transfer transfer = this->slowTransfer(
      [&](tw::TCPConnection& t) {
        puller = std::make_unique<PatternPuller>(t, kTotal, kChunk);
        t.registerProducer(*puller, false);
      },
      30s);
  ASSERT_TRUE(puller);
  ASSERT_TRUE(transfer.reader);
  EXPECT_TRUE(puller->finished);
  EXPECT_EQ(puller->calls, static_cast<int>(kTotal / kChunk) + 1);
  EXPECT_EQ(puller->stops, 0);
  EXPECT_LE(puller->maxBuffered, kChunk);
  EXPECT_GE(transfer.reader->breaks, 10);
  EXPECT_EQ(transfer.reader->checker.received, kTotal);
  EXPECT_FALSE(transfer.reader->checker.firstMismatch.has_value())
      << "first wrong byte at offset " << *transfer.reader->checker.firstMismatch;
  ASSERT_TRUE(transfer.reader->lost.has_value());
  EXPECT_TRUE(transfer.reader->lost->template check<tw::error::ConnectionDone>());
}

// After a burst (one 8 MB write, most of it buffered) has drained, the send buffer gives its
// memory back instead of keeping 8 MB for the rest of the connection.
TYPED_TEST(FlowControlTests, drainedBufferGivesBackItsMemory) {
  auto& r = this->reactor;
  constexpr std::size_t kBurst = 8 * 1024 * 1024;
  std::size_t capacityAfterWrite = 0;
  std::optional<std::size_t> capacityAfterDrain;
  std::optional<std::size_t> bufferedAfterDrain;
  auto server = std::make_shared<ServerFactory<>>([&](Scripted& p, std::size_t) {
    p.onMade = [&](Scripted& self) {
      std::string burst(kBurst, '\0');
      fillPattern(0, burst.data(), burst.size());
      self.transport()->write(burst);
      capacityAfterWrite = self.tcp().sendBufferCapacity();
    };
    // The client says "done" once it has every byte: our buffer has drained by then.
    p.onData = [&](Scripted& self, std::string_view) {
      if (self.received != "done") return;
      bufferedAfterDrain = self.tcp().bufferedBytes();
      capacityAfterDrain = self.tcp().sendBufferCapacity();
      self.transport()->loseConnection();
    };
  });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  StreamChecker checker;
  auto client = std::make_shared<ClientFactory<>>([&](Scripted& p) {
    p.onData = [&](Scripted& self, std::string_view data) {
      checker.feed(data);
      self.received.clear();
      if (checker.received == kBurst) self.transport()->write("done");
    };
  });
  client->onLost = [&](const tw::Failure&) { r.stop(); };
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client);
  this->runBounded();
  EXPECT_EQ(checker.received, kBurst);
  EXPECT_FALSE(checker.firstMismatch.has_value());
  const std::size_t limit = 4 * tw::TCPConnection::kDefaultHighWaterMark;
  EXPECT_GT(capacityAfterWrite, limit) << "the burst was not buffered";
  ASSERT_TRUE(capacityAfterDrain.has_value());
  EXPECT_EQ(*bufferedAfterDrain, 0u);
  EXPECT_LE(*capacityAfterDrain, limit);
}

// --- reset by peer -------------------------------------------------------------------------------

// Issue #5: the peer resets the connection (SO_LINGER {1, 0}, then close) while we still have a
// large write buffered.  The protocol's connectionLost runs exactly once, with ConnectionLost
// carrying ECONNRESET or EPIPE; no SIGPIPE is raised (sends use MSG_NOSIGNAL); and the port goes
// on serving: a second connection is echoed afterwards.
TYPED_TEST(FaultTests, resetByPeerMidWrite) {
  auto& r = this->reactor;
  SigpipeCounter sigpipes;
  int raw = -1;
  int portNumber = 0;
  std::size_t bufferedAtReset = 0;
  std::shared_ptr<ClientFactory<>> second;
  auto server = std::make_shared<ServerFactory<>>([&](Scripted& p, std::size_t index) {
    if (index > 0) {
      echo(p);
      return;
    }
    p.onMade = [&](Scripted& self) {
      self.transport()->write(std::string(16 * 1024 * 1024, 'x'));
      // The peer resets once the kernel's buffers are full and we hold the rest.
      r.callLater(20ms, [&] {
        bufferedAtReset = self.tcp().bufferedBytes();
        closeWithReset(raw);
        raw = -1;
      });
    };
    // Then another client is served by the same port.
    p.onLost = [&](Scripted&, const tw::Failure&) {
      second = echoClient("still serving", [&] { r.stop(); });
      r.connectTCP("127.0.0.1", portNumber, second);
    };
  });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  portNumber = this->portOf(port->getHost());
  raw = rawConnect(portNumber);
  ASSERT_GE(raw, 0);
  this->runBounded();
  if (raw >= 0) ::close(raw);
  EXPECT_EQ(sigpipes.count(), 0);
  EXPECT_GT(bufferedAtReset, 0u) << "the reset did not come in the middle of a write";
  ASSERT_GE(server->built.size(), 1u);
  Scripted& victim = *server->built[0];
  EXPECT_EQ(victim.losses, 1);
  ASSERT_TRUE(victim.lost.has_value());
  EXPECT_TRUE(victim.lost->template check<tw::error::ConnectionLost>())
      << victim.lost->getErrorMessage();
  EXPECT_FALSE(victim.lost->template check<tw::error::ConnectionAborted>());
  const std::error_code ec = lostErrno(*victim.lost);
  EXPECT_TRUE(ec == std::errc::connection_reset || ec == std::errc::broken_pipe) << ec.message();
  ASSERT_TRUE(second);
  ASSERT_EQ(second->built.size(), 1u);
  EXPECT_EQ(second->built[0]->received, "still serving");
}

// Writes that meet a reset connection before the reactor has noticed it (the protocol does not
// read, so only sends see the error) raise no SIGPIPE: the first send reports ECONNRESET, the
// next ones EPIPE, which a send without MSG_NOSIGNAL turns into a signal that kills the process.
// The protocol gets ConnectionLost once.
TYPED_TEST(FaultTests, writesToResetConnectionRaiseNoSigpipe) {
  auto& r = this->reactor;
  SigpipeCounter sigpipes;
  int raw = -1;
  int writes = 0;
  tw::DelayedCallPtr nextTick;
  std::function<void()> tick;
  auto server = std::make_shared<ServerFactory<>>([&](Scripted& p, std::size_t) {
    p.onMade = [&](Scripted& self) {
      self.transport()->pauseProducing();  // never read: the reset is seen by a send
      r.callLater(10ms, [&] {
        closeWithReset(raw);
        raw = -1;
      });
      // Write a little every 2 ms until the connection is lost.
      tick = [&] {
        self.transport()->write("tick");
        ++writes;
        nextTick = r.callLater(2ms, tick);
      };
      tick();
    };
    p.onLost = [&](Scripted&, const tw::Failure&) {
      if (nextTick && nextTick->active()) nextTick->cancel();
      r.stop();
    };
  });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  raw = rawConnect(this->portOf(port->getHost()));
  ASSERT_GE(raw, 0);
  this->runBounded();
  if (raw >= 0) ::close(raw);
  EXPECT_EQ(sigpipes.count(), 0);
  EXPECT_GE(writes, 2);
  ASSERT_EQ(server->built.size(), 1u);
  Scripted& s = *server->built[0];
  EXPECT_EQ(s.losses, 1);
  ASSERT_TRUE(s.lost.has_value());
  EXPECT_TRUE(s.lost->template check<tw::error::ConnectionLost>()) << s.lost->getErrorMessage();
  const std::error_code ec = lostErrno(*s.lost);
  EXPECT_TRUE(ec == std::errc::connection_reset || ec == std::errc::broken_pipe) << ec.message();
}

// --- half-close ----------------------------------------------------------------------------------

// Issue #5: peers half-close two connections while a third is being served.  The half-closeable
// server hears readConnectionLost and can still answer on its open half; the plain server's
// connection ends with ConnectionDone; the third connection is echoed in between.
TYPED_TEST(FaultTests, peerHalfCloseWhileOthersAreServed) {
  auto& r = this->reactor;
  int ends = 0;
  auto oneEnd = [&] {
    if (++ends == 4) r.stop();
  };
  int plainPortNumber = 0;
  HalfCloseable* halfServer = nullptr;
  bool thirdEchoedWhileHalfOpen = false;
  std::shared_ptr<ClientFactory<>> third;
  // Once both half-closes are seen, a third client is echoed; then the half-closeable server
  // answers on its remaining half and closes.
  int halfClosesSeen = 0;
  auto seen = [&] {
    if (++halfClosesSeen < 2) return;
    third = echoClient("third", [&] {
      thirdEchoedWhileHalfOpen = halfServer->connected();
      halfServer->transport()->write("answer to " + halfServer->received);
      halfServer->transport()->loseConnection();
      oneEnd();
    });
    r.connectTCP("127.0.0.1", plainPortNumber, third);
  };
  auto halfServers =
      std::make_shared<ServerFactory<HalfCloseable>>([&](HalfCloseable& p, std::size_t) {
        halfServer = &p;
        p.onReadLost = [&](HalfCloseable&) { seen(); };
      });
  auto plainServers = std::make_shared<ServerFactory<>>([&](Scripted& p, std::size_t index) {
    if (index == 0) {
      p.onLost = [&](Scripted&, const tw::Failure&) {
        seen();
        oneEnd();
      };
    } else {
      echo(p);
    }
  });
  auto halfPort = r.listenTCP(0, halfServers, 50, "127.0.0.1");
  auto plainPort = r.listenTCP(0, plainServers, 50, "127.0.0.1");
  plainPortNumber = this->portOf(plainPort->getHost());
  auto halfClient = std::make_shared<ClientFactory<HalfCloseable>>([&](HalfCloseable& p) {
    p.onMade = [](Scripted& self) {
      self.transport()->write("question");
      self.tcp().loseWriteConnection();
    };
    p.onReadLost = [](HalfCloseable& self) { self.transport()->loseConnection(); };
  });
  halfClient->onLost = [&](const tw::Failure&) { oneEnd(); };
  auto plainClient = std::make_shared<ClientFactory<>>(
      [](Scripted& p) { p.onMade = [](Scripted& self) { self.tcp().loseWriteConnection(); }; });
  plainClient->onLost = [&](const tw::Failure&) { oneEnd(); };
  r.connectTCP("127.0.0.1", this->portOf(halfPort->getHost()), halfClient);
  r.connectTCP("127.0.0.1", plainPortNumber, plainClient);
  this->runBounded();
  EXPECT_EQ(halfClosesSeen, 2);
  EXPECT_TRUE(thirdEchoedWhileHalfOpen);
  ASSERT_TRUE(third);
  ASSERT_EQ(third->built.size(), 1u);
  EXPECT_EQ(third->built[0]->received, "third");
  // The half-closeable pair: the server read to the end, answered, and closed cleanly.
  ASSERT_NE(halfServer, nullptr);
  EXPECT_TRUE(halfServer->readLost);
  EXPECT_EQ(halfServer->received, "question");
  EXPECT_EQ(halfServer->losses, 1);
  ASSERT_TRUE(halfServer->lost.has_value());
  EXPECT_TRUE(halfServer->lost->template check<tw::error::ConnectionDone>());
  ASSERT_EQ(halfClient->built.size(), 1u);
  EXPECT_TRUE(halfClient->built[0]->writeLost);
  EXPECT_EQ(halfClient->built[0]->received, "answer to question");
  // The plain server: the peer's half-close ended the connection, cleanly, once.
  ASSERT_GE(plainServers->built.size(), 1u);
  Scripted& plain = *plainServers->built[0];
  EXPECT_EQ(plain.losses, 1);
  ASSERT_TRUE(plain.lost.has_value());
  EXPECT_TRUE(plain.lost->template check<tw::error::ConnectionDone>());
  ASSERT_EQ(plainClient->built.size(), 1u);
  ASSERT_TRUE(plainClient->built[0]->lost.has_value());
  EXPECT_TRUE(plainClient->built[0]->lost->template check<tw::error::ConnectionDone>());
}

// --- connection refused --------------------------------------------------------------------------

// Issue #5: a connection to a port where nothing listens fails with ConnectionRefusedError
// carrying ECONNREFUSED, and an established connection on the same reactor is served after it.
// The port is held by a bound socket that does not listen, so nobody else can take it.
TYPED_TEST(FaultTests, connectionRefusedCarriesErrnoAndOthersAreServed) {
  auto& r = this->reactor;
  const int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int refusingPort = ntohs(addr.sin_port);

  auto server = std::make_shared<ServerFactory<>>([](Scripted& p, std::size_t) { echo(p); });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto refused = std::make_shared<ClientFactory<>>();
  // The good client connects first; once connected it starts the doomed attempt, and talks
  // only after the refusal.
  auto good = std::make_shared<ClientFactory<>>([&](Scripted& p) {
    p.onMade = [&](Scripted&) { r.connectTCP("127.0.0.1", refusingPort, refused); };
    p.onData = [](Scripted& self, std::string_view) {
      if (self.received == "after refusal") self.transport()->loseConnection();
    };
  });
  refused->onFailed = [&](const tw::Failure&) {
    ASSERT_EQ(good->built.size(), 1u);
    good->built[0]->transport()->write("after refusal");
  };
  good->onLost = [&](const tw::Failure&) { r.stop(); };
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), good);
  this->runBounded();
  ::close(holder);
  ASSERT_TRUE(refused->failed.has_value());
  EXPECT_TRUE(refused->built.empty());
  const tw::Failure& f = *refused->failed;
  ASSERT_TRUE(f.template check<tw::error::ConnectionRefusedError>()) << f.getErrorMessage();
  try {
    f.raiseException();
  } catch (const tw::error::ConnectionRefusedError& e) {
    EXPECT_EQ(e.osError(), std::errc::connection_refused);
  }
  EXPECT_NE(f.getErrorMessage().find("refused"), std::string::npos) << f.getErrorMessage();
  ASSERT_EQ(good->built.size(), 1u);
  EXPECT_EQ(good->built[0]->received, "after refusal");
  ASSERT_TRUE(good->built[0]->lost.has_value());
  EXPECT_TRUE(good->built[0]->lost->template check<tw::error::ConnectionDone>());
}

// --- out of descriptors --------------------------------------------------------------------------

// Issue #5: while a listening port is out of descriptors (EMFILE) and backs off, an established
// connection is still echoed; once descriptors are free the waiting connections are accepted.
// (tcp_test.cpp's portOutOfDescriptorsBacksOffAndRecovers checks the back-off and the timers.)
TYPED_TEST(FaultTests, establishedConnectionIsServedWhileListenerIsOutOfDescriptors) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "not under sanitizers: the test leaves the process no free descriptor";
#endif
  auto& r = this->reactor;
  ExpectedErrors captured;
  auto server = std::make_shared<ServerFactory<>>([](Scripted& p, std::size_t) { echo(p); });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  const int portNumber = this->portOf(port->getHost());
  // One connection is accepted and established before the descriptors run out.
  const int live = rawConnect(portNumber);
  ASSERT_GE(live, 0);
  for (int i = 0; i < 200 && server->built.empty(); ++i) r.iterate(10ms);
  ASSERT_EQ(server->built.size(), 1u);
  // Three more wait in the accept queue.
  std::vector<int> waiting;
  for (int i = 0; i < 3; ++i) {
    const int c = rawConnect(portNumber);
    ASSERT_GE(c, 0);
    waiting.push_back(c);
  }
  // Allow no new descriptor at all.
  const int probe = ::dup(0);
  ASSERT_GE(probe, 0);
  ::close(probe);
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit low = old;
  low.rlim_cur = static_cast<rlim_t>(probe);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  bool limited = true;
  bool echoedWhileLimited = false;
  std::string echoed;
  r.callLater(20ms, [&] { ::send(live, "ping", 4, MSG_NOSIGNAL); });
  std::function<void()> poll = [&] {
    char buf[16];
    const ssize_t n = ::recv(live, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) echoed.append(buf, static_cast<std::size_t>(n));
    if (echoed == "ping") {
      echoedWhileLimited = limited;
      return;
    }
    r.callLater(2ms, poll);
  };
  r.callLater(20ms, poll);
  r.callLater(200ms, [&] {
    limited = false;
    ::setrlimit(RLIMIT_NOFILE, &old);
  });
  std::function<void()> done = [&] {
    if (server->built.size() == 4 && echoed == "ping") {
      r.stop();
    } else {
      r.callLater(10ms, done);
    }
  };
  r.callLater(210ms, done);
  this->runBounded();
  ::setrlimit(RLIMIT_NOFILE, &old);
  ::close(live);
  for (int c : waiting) ::close(c);
  EXPECT_EQ(echoed, "ping");
  EXPECT_TRUE(echoedWhileLimited);
  EXPECT_EQ(server->built.size(), 4u);
  auto errors = captured.errors();
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].text.find("Could not accept"), std::string::npos) << errors[0].text;
}

// --- writing on a closing or closed transport ----------------------------------------------------

// Writes after loseConnection, after loseWriteConnection, inside connectionLost and after it (on
// a connection kept alive by the test) are dropped without error; loseConnection,
// abortConnection and loseWriteConnection on a closed transport do nothing.  The peer gets
// exactly the bytes written before, and each side one clean connectionLost.
// Differs from Twisted: Twisted still sends what is written after loseConnection (or
// loseWriteConnection) until its buffer has drained; both drop writes on a closed transport.
TYPED_TEST(FaultTests, writesOnClosingOrClosedTransportAreDropped) {
  auto& r = this->reactor;
  std::shared_ptr<tw::TCPConnection> kept;
  auto server = std::make_shared<ServerFactory<HalfCloseable>>([&](HalfCloseable& p, std::size_t) {
    // The server answers once it has read everything (closing a socket with unread bytes
    // would send an RST), then closes and keeps writing.
    p.onReadLost = [&](HalfCloseable& self) {
      kept = std::static_pointer_cast<tw::TCPConnection>(self.tcp().shared_from_this());
      self.transport()->write("before");
      self.transport()->loseConnection();
      self.transport()->write(" after loseConnection");
      self.transport()->writeSequence({" after", " loseConnection"});
      self.transport()->loseConnection();
    };
    p.onLost = [&](Scripted& self, const tw::Failure&) {
      self.transport()->write(" inside connectionLost");
    };
  });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<HalfCloseable>>([](HalfCloseable& p) {
    p.onMade = [](Scripted& self) {
      self.transport()->write("hello");
      self.tcp().loseWriteConnection();
      self.transport()->write(" after loseWriteConnection");
    };
    p.onReadLost = [](HalfCloseable& self) { self.transport()->loseConnection(); };
  });
  client->onLost = [&](const tw::Failure&) { r.stop(); };
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client);
  this->runBounded();
  // Let the server's side finish too, if it has not yet.
  for (int i = 0; i < 100 && (server->built.empty() || !server->built[0]->lost); ++i) {
    r.iterate(10ms);
  }
  ASSERT_EQ(client->built.size(), 1u);
  ASSERT_EQ(server->built.size(), 1u);
  EXPECT_EQ(client->built[0]->received, "before");
  EXPECT_EQ(client->built[0]->losses, 1);
  ASSERT_TRUE(client->built[0]->lost.has_value());
  EXPECT_TRUE(client->built[0]->lost->template check<tw::error::ConnectionDone>());
  HalfCloseable& s = *server->built[0];
  EXPECT_EQ(s.losses, 1);
  ASSERT_TRUE(s.lost.has_value());
  EXPECT_TRUE(s.lost->template check<tw::error::ConnectionDone>());
  EXPECT_EQ(s.received, "hello");
  // The closed transport, still referenced: everything is a no-op.
  ASSERT_TRUE(kept);
  kept->write("after connectionLost");
  kept->loseConnection();
  kept->loseWriteConnection();
  kept->abortConnection();
  EXPECT_EQ(kept->bufferedBytes(), 0u);
  EXPECT_TRUE(kept->disconnecting());
  EXPECT_EQ(kept->fileno(), -1);
  r.iterate(10ms);
  EXPECT_EQ(s.losses, 1);
  kept.reset();
}

}  // namespace
