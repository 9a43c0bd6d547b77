/// @file
/// Tests of TCP on the real reactors (listenTCP, connectTCP, TCPConnection), each run on epoll,
/// poll and select over loopback with port 0; and the transport contract suite held against a
/// real TCP connection.  Twisted: twisted/internet/test/test_tcp.py, connectionmixins.py.
#include "tw/tcp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../fakes/transport_contract.hpp"
#include "reactors.hpp"
#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/factory.hpp"
#include "tw/logger.hpp"
#include "tw/posix_reactor.hpp"
#include "tw/protocol.hpp"
#include "tw/trial/logged_errors.hpp"

namespace {

using namespace std::chrono_literals;
using tw::testing::ExpectedErrors;
using tw::testing::ReactorNames;
using tw::testing::Reactors;

template <class R>
class TCPTests : public tw::testing::RealReactorTest<R> {};

TYPED_TEST_SUITE(TCPTests, Reactors, ReactorNames);

/// A protocol whose callbacks are set by the test.
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
    lost = reason;
    if (onLost) onLost(*this, reason);
    tw::Protocol::connectionLost(reason);
  }
  tw::ITCPTransport& tcp() { return dynamic_cast<tw::ITCPTransport&>(*transport()); }

  std::function<void(Scripted&)> onMade;
  std::function<void(Scripted&, std::string_view)> onData;
  std::function<void(Scripted&, const tw::Failure&)> onLost;
  std::string received;
  std::optional<tw::Failure> lost;
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

/// A server factory building protocols with `make`, and keeping them.
template <class P = Scripted>
class ServerFactory : public tw::Factory {
 public:
  explicit ServerFactory(std::function<void(P&)> setup = {}) : setup_(std::move(setup)) {}
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& /*addr*/) override {
    auto p = std::make_shared<P>();
    if (setup_) setup_(*p);
    built.push_back(p);
    return p;
  }
  void stopFactory() override { ++stops; }
  std::vector<std::shared_ptr<P>> built;
  int stops = 0;

 private:
  std::function<void(P&)> setup_;
};

/// A client factory recording what the connector reports.
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
  void startedConnecting(tw::IConnector& /*c*/) override { ++started; }
  void clientConnectionFailed(tw::IConnector& /*c*/, const tw::Failure& reason) override {
    failed = reason;
    if (onFailed) onFailed(reason);
  }
  void clientConnectionLost(tw::IConnector& /*c*/, const tw::Failure& reason) override {
    lost = reason;
    if (onLost) onLost(reason);
  }
  void stopFactory() override { ++stops; }
  std::vector<std::shared_ptr<P>> built;
  int started = 0;
  int stops = 0;
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

// --- connecting ----------------------------------------------------------------------------------

// An echo round trip on 127.0.0.1, port 0: the client gets its bytes back; addresses agree; a
// clean close reaches both sides as ConnectionDone and the client factory as
// clientConnectionLost.
TYPED_TEST(TCPTests, echoRoundTrip) {
  auto& r = this->reactor;
  int ends = 0;
  auto oneEnd = [&] {
    if (++ends == 2) r.stop();
  };
  auto server = std::make_shared<ServerFactory<>>([&](Scripted& p) {
    echo(p);
    p.onLost = [&](Scripted&, const tw::Failure&) { oneEnd(); };
  });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  const int portNumber = this->portOf(port->getHost());
  EXPECT_NE(portNumber, 0);
  auto client = std::make_shared<ClientFactory<>>([](Scripted& p) {
    p.onMade = [](Scripted& self) { self.transport()->writeSequence({"hel", "", "lo"}); };
    p.onData = [](Scripted& self, std::string_view) {
      if (self.received == "hello") self.transport()->loseConnection();
    };
  });
  client->onLost = [&](const tw::Failure&) { oneEnd(); };
  auto connector = r.connectTCP("127.0.0.1", portNumber, client);
  EXPECT_EQ(client->started, 1);
  this->runBounded();
  ASSERT_EQ(client->built.size(), 1u);
  ASSERT_EQ(server->built.size(), 1u);
  Scripted& c = *client->built[0];
  Scripted& s = *server->built[0];
  EXPECT_EQ(c.received, "hello");
  EXPECT_EQ(s.received, "hello");
  ASSERT_TRUE(c.lost.has_value());
  EXPECT_TRUE(c.lost->check<tw::error::ConnectionDone>());
  ASSERT_TRUE(s.lost.has_value());
  EXPECT_TRUE(s.lost->check<tw::error::ConnectionDone>());
  ASSERT_TRUE(client->lost.has_value());
  EXPECT_EQ(client->stops, 1);
  EXPECT_EQ(connector->getDestination()->repr(),
            tw::IPv4Address("TCP", "127.0.0.1", portNumber).repr());
}

// getHost/getPeer of the two ends mirror each other; the port's getHost has the real port.
TYPED_TEST(TCPTests, addressesOfBothEnds) {
  auto& r = this->reactor;
  tw::AddressPtr clientHost, clientPeer, serverHost, serverPeer;
  auto server = std::make_shared<ServerFactory<>>([&](Scripted& p) {
    p.onData = [&](Scripted& self, std::string_view) {
      serverHost = self.transport()->getHost();
      serverPeer = self.transport()->getPeer();
      r.stop();
    };
  });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<>>([&](Scripted& p) {
    p.onMade = [&](Scripted& self) {
      clientHost = self.transport()->getHost();
      clientPeer = self.transport()->getPeer();
      self.transport()->write("x");
    };
  });
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client);
  this->runBounded();
  ASSERT_TRUE(clientHost && clientPeer && serverHost && serverPeer);
  EXPECT_TRUE(*clientHost == *serverPeer);
  EXPECT_TRUE(*clientPeer == *serverHost);
  EXPECT_TRUE(*serverHost == *port->getHost());
}

// Connecting to a port nobody listens on: clientConnectionFailed with ConnectionRefusedError,
// then the factory stops.
TYPED_TEST(TCPTests, connectionRefused) {
  auto& r = this->reactor;
  auto server = std::make_shared<ServerFactory<>>();
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  const int portNumber = this->portOf(port->getHost());
  bool stopped = false;
  port->stopListening().addCallback([&] { stopped = true; });
  auto client = std::make_shared<ClientFactory<>>();
  client->onFailed = [&](const tw::Failure&) { r.stop(); };
  r.callWhenRunning([&] { r.connectTCP("127.0.0.1", portNumber, client); });
  this->runBounded();
  EXPECT_TRUE(stopped);
  EXPECT_EQ(server->stops, 1);
  ASSERT_TRUE(client->failed.has_value());
  EXPECT_TRUE(client->failed->template check<tw::error::ConnectionRefusedError>())
      << client->failed->getErrorMessage();
  EXPECT_TRUE(client->built.empty());
  EXPECT_EQ(client->stops, 1);
}

// stopConnecting fails the attempt with UserError; it throws when not connecting.
TYPED_TEST(TCPTests, stopConnecting) {
  auto& r = this->reactor;
  auto client = std::make_shared<ClientFactory<>>();
  auto connector = r.connectTCP("127.0.0.1", 9, client);
  connector->stopConnecting();
  ASSERT_TRUE(client->failed.has_value());
  EXPECT_TRUE(client->failed->template check<tw::error::UserError>());
  EXPECT_THROW(connector->stopConnecting(), tw::error::NotConnectingError);
  r.iterate();
  EXPECT_TRUE(client->built.empty());
}

// An attempt that does not complete within its timeout fails with tw::error::TimeoutError.
// The peer is a socket that listens with a full accept queue and never accepts, so the kernel
// drops further SYNs.
TYPED_TEST(TCPTests, connectTimeout) {
  auto& r = this->reactor;
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 0), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  // Fill the accept queue with blocking connects that the kernel completes.
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    const int f = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ::connect(f, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(f);
  }
  ::usleep(50000);
  auto client = std::make_shared<ClientFactory<>>();
  client->onFailed = [&](const tw::Failure&) { r.stop(); };
  const double start = r.seconds();
  r.connectTCP("127.0.0.1", ntohs(addr.sin_port), client, 200ms);
  this->runBounded();
  for (int f : fillers) ::close(f);
  ::close(listener);
  ASSERT_TRUE(client->failed.has_value());
  if (!client->failed->template check<tw::error::TimeoutError>()) {
    GTEST_SKIP() << "the kernel answered the attempt: " << client->failed->getErrorMessage();
  }
  EXPECT_GE(r.seconds() - start, 0.2);
  EXPECT_TRUE(client->built.empty());
}

// connectTCP resolves a host name (here "localhost") before connecting.
TYPED_TEST(TCPTests, connectByHostName) {
  auto& r = this->reactor;
  auto server = std::make_shared<ServerFactory<>>([&](Scripted&) { r.stop(); });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<>>();
  client->onFailed = [&](const tw::Failure&) { r.stop(); };
  r.connectTCP("localhost", this->portOf(port->getHost()), client);
  this->runBounded();
  EXPECT_FALSE(client->failed.has_value()) << client->failed->getErrorMessage();
  EXPECT_EQ(server->built.size(), 1u);
}

// The name is looked up on the reactor's thread pool: connectTCP returns before the lookup, an
// unknown name fails the attempt with UnknownHostError, and a lookup still running when the
// attempt is stopped is ignored when it answers.  Twisted: BaseClient.resolveAddress.
TYPED_TEST(TCPTests, connectByUnknownHostNameAndStoppedLookup) {
  auto& r = this->reactor;
  auto client = std::make_shared<ClientFactory<>>();
  client->onFailed = [&](const tw::Failure&) { r.stop(); };
  r.connectTCP("no-such-host.invalid", 80, client);
  this->runBounded();
  ASSERT_TRUE(client->failed.has_value());
  EXPECT_TRUE(client->failed->template check<tw::error::UnknownHostError>())
      << client->failed->getErrorMessage();
  ASSERT_NE(r.threadpool(), nullptr);  // the lookup ran there

  tw::EpollReactor r2;
  auto stopped = std::make_shared<ClientFactory<>>();
  auto connector = r2.connectTCP("localhost", 9, stopped);
  r2.callLater(0s, [&] { connector->stopConnecting(); });  // after begin(), before the answer
  r2.callLater(200ms, [&] { r2.stop(); });
  r2.run(false);
  ASSERT_TRUE(stopped->failed.has_value());
  EXPECT_TRUE(stopped->failed->template check<tw::error::UserError>())
      << stopped->failed->getErrorMessage();
  EXPECT_TRUE(stopped->built.empty());
}

// Listening on a port in use raises CannotListenError.
TYPED_TEST(TCPTests, listenOnPortInUse) {
  auto& r = this->reactor;
  auto server = std::make_shared<ServerFactory<>>();
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  EXPECT_THROW(r.listenTCP(this->portOf(port->getHost()), server, 50, "127.0.0.1"),
               tw::error::CannotListenError);
  EXPECT_THROW(r.listenTCP(0, server, 50, "not an address"), tw::error::CannotListenError);
}

// A client may bind its end to a local address.
TYPED_TEST(TCPTests, bindAddress) {
  auto& r = this->reactor;
  auto server = std::make_shared<ServerFactory<>>();
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  tw::AddressPtr host;
  auto client = std::make_shared<ClientFactory<>>([&](Scripted& p) {
    p.onMade = [&](Scripted& self) {
      host = self.transport()->getHost();
      r.stop();
    };
  });
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client, 30s,
               tw::BindAddress{"127.0.0.1", 0});
  this->runBounded();
  ASSERT_TRUE(host);
  EXPECT_EQ(dynamic_cast<const tw::IPv4Address&>(*host).host(), "127.0.0.1");
}

// Binding an outgoing connection to an address that is not local fails with ConnectBindError.
TYPED_TEST(TCPTests, bindToForeignAddressFails) {
  auto& r = this->reactor;
  auto server = std::make_shared<ServerFactory<>>();
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<>>();
  client->onFailed = [&](const tw::Failure&) { r.stop(); };
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client, 30s,
               tw::BindAddress{"192.0.2.1", 0});  // TEST-NET-1, never local
  this->runBounded();
  ASSERT_TRUE(client->failed.has_value());
  EXPECT_TRUE(client->failed->template check<tw::error::ConnectBindError>())
      << client->failed->getErrorMessage();
}

// The connector's life: connecting (connect() again throws; disconnect() stops the attempt),
// then a new attempt that connects; disconnect() closes it; and connect() reconnects.
TYPED_TEST(TCPTests, connectorStatesAndReconnect) {
  auto& r = this->reactor;
  auto server = std::make_shared<ServerFactory<>>();
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<>>();
  auto connector = std::dynamic_pointer_cast<tw::TCPConnector>(
      r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client));
  ASSERT_TRUE(connector);
  EXPECT_EQ(connector->state(), "connecting");
  EXPECT_THROW(connector->connect(), std::logic_error);
  connector->disconnect();
  ASSERT_TRUE(client->failed.has_value());
  EXPECT_TRUE(client->failed->template check<tw::error::UserError>());
  EXPECT_EQ(connector->state(), "disconnected");
  int losses = 0;
  client->onLost = [&](const tw::Failure&) {
    if (++losses == 1) {
      connector->connect();  // reconnect from the factory's callback
    } else {
      r.stop();
    }
  };
  connector->connect();
  std::function<void()> poll = [&] {
    if (connector->state() == "connected" && client->built.size() == losses + 1u) {
      connector->disconnect();
    }
    if (losses < 2) r.callLater(5ms, poll);
  };
  r.callLater(5ms, poll);
  this->runBounded();
  EXPECT_EQ(losses, 2);
  EXPECT_EQ(client->built.size(), 2u);
  EXPECT_EQ(server->built.size(), 2u);
  EXPECT_EQ(connector->state(), "disconnected");
}

// A factory that returns no protocol refuses the connection: a server closes it at once, and a
// client's connector closes it and reports clientConnectionLost.
TYPED_TEST(TCPTests, factoryRefusingTheConnection) {
  auto& r = this->reactor;
  class Refusing : public tw::ClientFactory {
   public:
    std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress&) override { return nullptr; }
    void clientConnectionLost(tw::IConnector&, const tw::Failure& reason) override {
      lost = reason;
      if (onLost) onLost();
    }
    std::optional<tw::Failure> lost;
    std::function<void()> onLost;
  };
  auto refusingServer = std::make_shared<Refusing>();
  auto port = r.listenTCP(0, refusingServer, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<>>();
  client->onLost = [&](const tw::Failure&) { r.stop(); };
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client);
  this->runBounded();
  ASSERT_EQ(client->built.size(), 1u);
  ASSERT_TRUE(client->built[0]->lost.has_value());

  TypeParam r2;
  auto server = std::make_shared<ServerFactory<>>();
  auto port2 = r2.listenTCP(0, server, 50, "127.0.0.1");
  auto refusingClient = std::make_shared<Refusing>();
  refusingClient->onLost = [&] { r2.stop(); };
  r2.connectTCP("127.0.0.1", this->portOf(port2->getHost()), refusingClient);
  auto safety = r2.callLater(10s, [&] { r2.crash(); });
  r2.run(false);
  EXPECT_TRUE(safety->active());
  ASSERT_TRUE(refusingClient->lost.has_value());
  EXPECT_TRUE(refusingClient->lost->template check<tw::error::ConnectionDone>());
}

// stopListening twice: both Deferreds fire once the port is closed; the factory stops once.
TYPED_TEST(TCPTests, stopListeningTwice) {
  auto& r = this->reactor;
  auto server = std::make_shared<ServerFactory<>>();
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  int fired = 0;
  port->stopListening().addCallback([&] { ++fired; });
  port->stopListening().addCallback([&] { ++fired; });
  EXPECT_EQ(fired, 0);
  r.iterate();
  EXPECT_EQ(fired, 2);
  EXPECT_EQ(server->stops, 1);
  port->stopListening().addCallback([&] { ++fired; });
  EXPECT_EQ(fired, 3);
}

// Out of descriptors (EMFILE), a port logs, stops accepting for a moment while the reactor
// serves everything else, and accepts the waiting connections once descriptors are free.
TYPED_TEST(TCPTests, portOutOfDescriptorsBacksOffAndRecovers) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // The sanitizers' own checks need descriptors (UBSan's vptr check opens a pipe).
  GTEST_SKIP() << "not under sanitizers: the test leaves the process no free descriptor";
#endif
  auto& r = this->reactor;
  ExpectedErrors captured;
  auto server = std::make_shared<ServerFactory<>>();
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(this->portOf(port->getHost())));
  // Three connections wait in the accept queue (blocking connects on loopback complete there).
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) {
    const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    clients.push_back(c);
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
  int ticks = 0;
  std::function<void()> tick = [&] {
    if (++ticks < 10) r.callLater(10ms, tick);
  };
  r.callLater(10ms, tick);
  r.callLater(150ms, [&] {
    ::setrlimit(RLIMIT_NOFILE, &old);  // descriptors are available again
  });
  std::function<void()> done = [&] {
    if (server->built.size() == 3) {
      r.stop();
    } else {
      r.callLater(10ms, done);
    }
  };
  r.callLater(160ms, done);
  this->runBounded();
  ::setrlimit(RLIMIT_NOFILE, &old);
  for (int c : clients) ::close(c);
  EXPECT_EQ(ticks, 10);  // timers kept running while the port could not accept
  EXPECT_EQ(server->built.size(), 3u);
  auto errors = captured.errors();
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].text.find("Could not accept"), std::string::npos) << errors[0].text;
  EXPECT_LE(errors.size(), 5u);  // a back-off, not a busy loop
}

// --- closing -------------------------------------------------------------------------------------

// loseConnection right after a large write sends every byte before closing.
TYPED_TEST(TCPTests, loseConnectionFlushesLargeWrite) {
  auto& r = this->reactor;
  std::string big(8 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 4096);
  auto server = std::make_shared<ServerFactory<>>([&](Scripted& p) {
    p.onMade = [&](Scripted& self) {
      self.transport()->write(big);
      self.transport()->loseConnection();
      EXPECT_TRUE(self.transport()->disconnecting());
      self.transport()->write("dropped");
    };
  });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<>>();
  client->onLost = [&](const tw::Failure&) { r.stop(); };
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client);
  this->runBounded();
  ASSERT_EQ(client->built.size(), 1u);
  EXPECT_EQ(client->built[0]->received.size(), big.size());
  EXPECT_TRUE(client->built[0]->received == big);
  ASSERT_TRUE(client->built[0]->lost.has_value());
  EXPECT_TRUE(client->built[0]->lost->template check<tw::error::ConnectionDone>());
  ASSERT_EQ(server->built.size(), 1u);
  ASSERT_TRUE(server->built[0]->lost.has_value());
  EXPECT_TRUE(server->built[0]->lost->template check<tw::error::ConnectionDone>());
}

// abortConnection drops the buffer: our side gets ConnectionAborted (later, not from inside the
// call), the peer a non-clean ConnectionLost.
TYPED_TEST(TCPTests, abortConnection) {
  auto& r = this->reactor;
  std::string big(8 * 1024 * 1024, 'a');
  bool lostInsideAbort = false;
  auto server = std::make_shared<ServerFactory<>>([&](Scripted& p) {
    p.onMade = [&](Scripted& self) {
      self.transport()->write(big);
      self.tcp().abortConnection();
      lostInsideAbort = self.lost.has_value();
      self.tcp().abortConnection();
    };
  });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<>>();
  client->onLost = [&](const tw::Failure&) { r.stop(); };
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client);
  this->runBounded();
  EXPECT_FALSE(lostInsideAbort);
  ASSERT_EQ(server->built.size(), 1u);
  ASSERT_TRUE(server->built[0]->lost.has_value());
  EXPECT_TRUE(server->built[0]->lost->template check<tw::error::ConnectionAborted>());
  ASSERT_EQ(client->built.size(), 1u);
  ASSERT_TRUE(client->built[0]->lost.has_value());
  EXPECT_TRUE(client->built[0]->lost->template check<tw::error::ConnectionLost>())
      << client->built[0]->lost->getErrorMessage();
  EXPECT_LT(client->built[0]->received.size(), big.size());
}

// A peer that resets the connection (abortConnection sends an RST) is a non-clean
// ConnectionLost, carrying the errno, on this side.
TYPED_TEST(TCPTests, resetByPeerIsConnectionLost) {
  auto& r = this->reactor;
  auto server = std::make_shared<ServerFactory<>>(
      [&](Scripted& p) { p.onLost = [&](Scripted&, const tw::Failure&) { r.stop(); }; });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<>>(
      [](Scripted& p) { p.onMade = [](Scripted& self) { self.tcp().abortConnection(); }; });
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client);
  this->runBounded();
  ASSERT_EQ(server->built.size(), 1u);
  ASSERT_TRUE(server->built[0]->lost.has_value());
  const tw::Failure& f = *server->built[0]->lost;
  ASSERT_TRUE(f.template check<tw::error::ConnectionLost>()) << f.getErrorMessage();
  EXPECT_FALSE(f.template check<tw::error::ConnectionAborted>());
  try {
    f.raiseException();
  } catch (const tw::error::ConnectionLost& e) {
    EXPECT_EQ(e.osError(), std::errc::connection_reset);
  }
}

// A write that the kernel takes whole is sent at once: the connection is not watched for
// writability afterwards (one send per write, no epoll_ctl).
TYPED_TEST(TCPTests, smallWriteGoesStraightToTheSocket) {
  auto& r = this->reactor;
  std::size_t writersAfterWrite = 99;
  std::size_t bufferedAfterWrite = 99;
  auto server = std::make_shared<ServerFactory<>>();
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<>>([&](Scripted& p) {
    p.onMade = [&](Scripted& self) {
      self.transport()->write("small");
      writersAfterWrite = r.getWriters().size();
      bufferedAfterWrite = dynamic_cast<tw::TCPConnection&>(*self.transport()).bufferedBytes();
      r.stop();
    };
  });
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client);
  this->runBounded();
  EXPECT_EQ(writersAfterWrite, 0u);
  EXPECT_EQ(bufferedAfterWrite, 0u);
}

// Half-close: the client sends and closes its writing half (writeConnectionLost); the server
// sees readConnectionLost, answers and closes; the client reads the answer.
TYPED_TEST(TCPTests, halfClose) {
  auto& r = this->reactor;
  auto server = std::make_shared<ServerFactory<HalfCloseable>>([](HalfCloseable& p) {
    p.onReadLost = [](HalfCloseable& self) {
      self.transport()->write("got " + self.received);
      self.transport()->loseConnection();
    };
  });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<HalfCloseable>>([](HalfCloseable& p) {
    p.onMade = [](Scripted& self) {
      self.transport()->write("ping");
      self.tcp().loseWriteConnection();
    };
    // Both halves closed: a half-closeable protocol ends the connection itself.
    p.onReadLost = [](HalfCloseable& self) { self.transport()->loseConnection(); };
  });
  client->onLost = [&](const tw::Failure&) { r.stop(); };
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client);
  this->runBounded();
  ASSERT_EQ(client->built.size(), 1u);
  ASSERT_EQ(server->built.size(), 1u);
  HalfCloseable& c = *client->built[0];
  HalfCloseable& s = *server->built[0];
  EXPECT_TRUE(c.writeLost);
  EXPECT_TRUE(s.readLost);
  EXPECT_EQ(s.received, "ping");
  EXPECT_EQ(c.received, "got ping");
  EXPECT_TRUE(c.readLost);  // the server's close is a read EOF for a half-closeable client
  ASSERT_TRUE(c.lost.has_value());
  EXPECT_TRUE(c.lost->check<tw::error::ConnectionDone>());
}

// A protocol that is not half-closeable sees the peer's half-close as a clean close.
TYPED_TEST(TCPTests, peerHalfCloseIsConnectionDoneForPlainProtocol) {
  auto& r = this->reactor;
  auto server = std::make_shared<ServerFactory<>>(
      [&](Scripted& p) { p.onLost = [&](Scripted&, const tw::Failure&) { r.stop(); }; });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<>>(
      [](Scripted& p) { p.onMade = [](Scripted& self) { self.tcp().loseWriteConnection(); }; });
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client);
  this->runBounded();
  ASSERT_EQ(server->built.size(), 1u);
  ASSERT_TRUE(server->built[0]->lost.has_value());
  EXPECT_TRUE(server->built[0]->lost->template check<tw::error::ConnectionDone>());
}

// An exception thrown by dataReceived is logged and drops that connection only: another
// connection to the same port keeps working.
TYPED_TEST(TCPTests, exceptionInDataReceivedDropsOnlyThatConnection) {
  auto& r = this->reactor;
  ExpectedErrors captured;
  auto server = std::make_shared<ServerFactory<>>([](Scripted& p) {
    p.onData = [](Scripted& self, std::string_view data) {
      if (data.find("boom") != std::string_view::npos) throw std::runtime_error("boom");
      self.transport()->write(data);
    };
  });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  const int portNumber = this->portOf(port->getHost());
  auto good = std::make_shared<ClientFactory<>>([](Scripted& p) {
    p.onData = [](Scripted& self, std::string_view) {
      if (self.received == "ok") self.transport()->loseConnection();
    };
  });
  good->onLost = [&](const tw::Failure&) { r.stop(); };
  auto bad = std::make_shared<ClientFactory<>>(
      [](Scripted& p) { p.onMade = [](Scripted& self) { self.transport()->write("boom"); }; });
  // Once the bad connection is dropped, the good one talks.
  bad->onLost = [&](const tw::Failure&) {
    ASSERT_EQ(good->built.size(), 1u);
    good->built[0]->transport()->write("ok");
  };
  r.connectTCP("127.0.0.1", portNumber, good);
  r.connectTCP("127.0.0.1", portNumber, bad);
  this->runBounded();
  ASSERT_EQ(good->built.size(), 1u);
  EXPECT_EQ(good->built[0]->received, "ok");
  ASSERT_EQ(server->built.size(), 2u);
  int droppedWithError = 0;
  for (auto& s : server->built) {
    if (s->lost && s->lost->template check<std::runtime_error>() &&
        !s->lost->template check<tw::error::ConnectionClosed>()) {
      ++droppedWithError;
    }
  }
  EXPECT_EQ(droppedWithError, 1);
  EXPECT_EQ(captured.errors().size(), 1u);
}

// Shutdown closes what is left: connections get ConnectionLost, ports stop their factory.
TYPED_TEST(TCPTests, shutdownDisconnectsEverything) {
  auto& r = this->reactor;
  auto server = std::make_shared<ServerFactory<>>([&](Scripted&) { r.stop(); });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<>>();
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client);
  this->runBounded();
  ASSERT_EQ(server->built.size(), 1u);
  ASSERT_TRUE(server->built[0]->lost.has_value());
  EXPECT_TRUE(server->built[0]->lost->template check<tw::error::ConnectionLost>());
  EXPECT_EQ(server->stops, 1);
  EXPECT_TRUE(r.getReaders().empty());
}

// --- flow control --------------------------------------------------------------------------------

/// A push producer writing chunks while not paused, `total` bytes in all, then closing.
class ChunkPusher : public tw::IPushProducer {
 public:
  ChunkPusher(tw::IReactorTime& clock, tw::TCPConnection& t, std::size_t total)
      : clock_(clock), t_(t), remaining_(total) {}
  void pauseProducing() override {
    ++pauses;
    paused_ = true;
  }
  void resumeProducing() override {
    ++resumes;
    paused_ = false;
    schedule();
  }
  void stopProducing() override { stopped = true; }
  void schedule() {
    clock_.callLater(0s, [this] { produce(); });
  }
  void produce() {
    while (!paused_ && remaining_ > 0 && !stopped) {
      const std::size_t n = std::min<std::size_t>(remaining_, 16 * 1024);
      std::string chunk(n, '\0');
      for (std::size_t i = 0; i < n; ++i) chunk[i] = static_cast<char>(next_++ % 251);
      remaining_ -= n;
      t_.write(chunk);
      maxBuffered = std::max(maxBuffered, t_.bufferedBytes());
    }
    if (remaining_ == 0 && !done) {
      done = true;
      t_.unregisterProducer();
      t_.loseConnection();
    }
  }
  int pauses = 0;
  int resumes = 0;
  std::size_t maxBuffered = 0;
  bool stopped = false;
  bool done = false;

 private:
  tw::IReactorTime& clock_;
  tw::TCPConnection& t_;
  std::size_t remaining_;
  std::size_t next_ = 0;
  bool paused_ = false;
};

// A push producer is paused when the send buffer passes the high-water mark and resumed when it
// drains: the buffer never holds more than the mark plus one write, and every byte arrives in
// order.
TYPED_TEST(TCPTests, pushProducerIsPausedAndResumed) {
  auto& r = this->reactor;
  constexpr std::size_t kTotal = 16 * 1024 * 1024;
  std::unique_ptr<ChunkPusher> pusher;
  auto server = std::make_shared<ServerFactory<>>([&](Scripted& p) {
    p.onMade = [&](Scripted& self) {
      auto& t = dynamic_cast<tw::TCPConnection&>(*self.transport());
      pusher = std::make_unique<ChunkPusher>(r, t, kTotal);
      t.registerProducer(*pusher, true);
      pusher->schedule();
    };
  });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  // The client reads nothing for 100 ms, then everything.
  auto client = std::make_shared<ClientFactory<>>([&](Scripted& p) {
    p.onMade = [&](Scripted& self) {
      self.transport()->pauseProducing();
      r.callLater(100ms, [&self] { self.transport()->resumeProducing(); });
    };
  });
  client->onLost = [&](const tw::Failure&) { r.stop(); };
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client);
  this->runBounded(30s);
  ASSERT_TRUE(pusher);
  EXPECT_GE(pusher->pauses, 1);
  EXPECT_GE(pusher->resumes, 1);
  EXPECT_TRUE(pusher->done);
  EXPECT_LE(pusher->maxBuffered, tw::TCPConnection::kDefaultHighWaterMark + 16 * 1024);
  ASSERT_EQ(client->built.size(), 1u);
  const std::string& got = client->built[0]->received;
  ASSERT_EQ(got.size(), kTotal);
  bool inOrder = true;
  for (std::size_t i = 0; i < got.size() && inOrder; ++i) {
    inOrder = got[i] == static_cast<char>(i % 251);
  }
  EXPECT_TRUE(inOrder);
}

/// A push producer that only records what it is told.
class RecordingProducer : public tw::IPushProducer {
 public:
  void pauseProducing() override { ++pauses; }
  void resumeProducing() override { ++resumes; }
  void stopProducing() override { ++stops; }
  int pauses = 0;
  int resumes = 0;
  int stops = 0;
};

// A lost connection calls its producer's stopProducing before the protocol's connectionLost; a
// producer registered after the loss is stopped at once.
TYPED_TEST(TCPTests, lostConnectionStopsItsProducer) {
  auto& r = this->reactor;
  RecordingProducer producer;
  RecordingProducer late;
  int stopsSeenByConnectionLost = -1;
  auto server = std::make_shared<ServerFactory<>>([&](Scripted& p) {
    p.onMade = [&](Scripted& self) { self.transport()->registerProducer(producer, true); };
    p.onLost = [&](Scripted& self, const tw::Failure&) {
      stopsSeenByConnectionLost = producer.stops;
      self.transport()->registerProducer(late, true);
      r.stop();
    };
  });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<>>(
      [](Scripted& p) { p.onMade = [](Scripted& self) { self.transport()->loseConnection(); }; });
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client);
  this->runBounded();
  EXPECT_EQ(stopsSeenByConnectionLost, 1);
  EXPECT_EQ(producer.stops, 1);
  EXPECT_EQ(late.stops, 1);
}

/// A pull producer writing one chunk per resumeProducing, `count` chunks, then closing.
class ChunkPuller : public tw::IPullProducer {
 public:
  ChunkPuller(tw::ITransport& t, int count) : t_(t), count_(count) {}
  void resumeProducing() override {
    ++calls;
    if (sent_ < count_) {
      t_.write(std::string(1000, static_cast<char>('a' + sent_ % 26)));
      ++sent_;
    } else if (!done) {
      done = true;
      t_.unregisterProducer();
      t_.loseConnection();
    }
  }
  void stopProducing() override {}
  int calls = 0;
  bool done = false;

 private:
  tw::ITransport& t_;
  int count_;
  int sent_ = 0;
};

// A pull producer is asked for a chunk each time the buffer empties.
TYPED_TEST(TCPTests, pullProducerIsAskedWhenBufferEmpties) {
  auto& r = this->reactor;
  std::unique_ptr<ChunkPuller> puller;
  auto server = std::make_shared<ServerFactory<>>([&](Scripted& p) {
    p.onMade = [&](Scripted& self) {
      puller = std::make_unique<ChunkPuller>(*self.transport(), 20);
      self.transport()->registerProducer(*puller, false);
    };
  });
  auto port = r.listenTCP(0, server, 50, "127.0.0.1");
  auto client = std::make_shared<ClientFactory<>>();
  client->onLost = [&](const tw::Failure&) { r.stop(); };
  r.connectTCP("127.0.0.1", this->portOf(port->getHost()), client);
  this->runBounded();
  ASSERT_TRUE(puller);
  EXPECT_TRUE(puller->done);
  EXPECT_EQ(puller->calls, 21);
  ASSERT_EQ(client->built.size(), 1u);
  EXPECT_EQ(client->built[0]->received.size(), 20u * 1000u);
}

// --- IPv6 ----------------------------------------------------------------------------------------

// An echo round trip over ::1 (skipped where IPv6 loopback is unavailable).
TYPED_TEST(TCPTests, echoOverIPv6) {
  auto& r = this->reactor;
  auto server = std::make_shared<ServerFactory<>>(echo);
  std::shared_ptr<tw::IListeningPort> port;
  try {
    port = r.listenTCP(0, server, 50, "::1");
  } catch (const tw::error::CannotListenError& e) {
    GTEST_SKIP() << "no IPv6 loopback: " << e.what();
  }
  auto host = std::dynamic_pointer_cast<const tw::IPv6Address>(port->getHost());
  ASSERT_TRUE(host);
  EXPECT_EQ(host->host(), "::1");
  tw::AddressPtr peer;
  auto client = std::make_shared<ClientFactory<>>([&](Scripted& p) {
    p.onMade = [](Scripted& self) { self.transport()->write("six"); };
    p.onData = [&](Scripted& self, std::string_view) {
      peer = self.transport()->getPeer();
      if (self.received == "six") self.transport()->loseConnection();
    };
  });
  client->onLost = [&](const tw::Failure&) { r.stop(); };
  r.connectTCP("::1", host->port(), client);
  this->runBounded();
  ASSERT_EQ(client->built.size(), 1u);
  EXPECT_EQ(client->built[0]->received, "six");
  ASSERT_TRUE(peer);
  EXPECT_TRUE(*peer == *host);
}

}  // namespace

// --- the transport contract, on a real TCP connection --------------------------------------------

namespace {

/// A client connected over loopback on reactor R, its protocol a RecordingProtocol; written()
/// runs the reactor until the server side has seen no new bytes for a few iterations.
template <class R>
struct TCPHarness {
  class Factory : public tw::ClientFactory {
   public:
    explicit Factory(std::shared_ptr<tw::contract::RecordingProtocol> p) : p_(std::move(p)) {}
    std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress&) override { return p_; }

   private:
    std::shared_ptr<tw::contract::RecordingProtocol> p_;
  };

  TCPHarness() {
    server = std::make_shared<ServerFactory<>>();
    port = reactor.listenTCP(0, server, 50, "127.0.0.1");
    const int portNumber = dynamic_cast<const tw::IPv4Address&>(*port->getHost()).port();
    reactor.connectTCP("127.0.0.1", portNumber, std::make_shared<Factory>(proto));
    for (int i = 0; i < 500 && (!proto->connected() || server->built.empty()); ++i) {
      reactor.iterate(10ms);
    }
    if (!proto->connected() || server->built.empty()) throw std::runtime_error("no connection");
    transport_ = dynamic_cast<tw::ITCPTransport*>(proto->transport());
  }
  tw::ITCPTransport& transport() { return *transport_; }
  tw::contract::RecordingProtocol& protocol() { return *proto; }
  std::string written() {
    std::size_t last = 0;
    for (int quiet = 0, i = 0; quiet < 5 && i < 500; ++i) {
      reactor.iterate(2ms);
      const std::size_t now = server->built[0]->received.size();
      quiet = now == last ? quiet + 1 : 0;
      last = now;
    }
    return server->built[0]->received;
  }

  R reactor;
  std::shared_ptr<ServerFactory<>> server;
  std::shared_ptr<tw::IListeningPort> port;
  std::shared_ptr<tw::contract::RecordingProtocol> proto =
      std::make_shared<tw::contract::RecordingProtocol>();
  tw::ITCPTransport* transport_ = nullptr;
};

}  // namespace

namespace tw::contract {
using TCPHarnesses = ::testing::Types<TCPHarness<tw::EpollReactor>, TCPHarness<tw::PollReactor>,
                                      TCPHarness<tw::SelectReactor>>;
struct TCPHarnessNames {
  template <class H>
  static std::string GetName(int /*i*/) {
    return ReactorNames::GetName<decltype(std::declval<H>().reactor)>(0);
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(TCP, TransportContract, TCPHarnesses, TCPHarnessNames);
}  // namespace tw::contract
