/// @file
/// Tests of the endpoints on the real reactors over loopback, port 0: TCP4 and TCP6 server and
/// client endpoints made from strings, a refused connection, a port in use, and HostnameEndpoint
/// ("localhost") with the threaded and the blocking resolver.
/// Twisted: twisted/internet/test/test_endpoints.py (the real-reactor parts),
/// twisted/internet/test/test_tcp.py (TCP4ClientTestsBuilder / endpoint builders).
#include "tw/endpoints.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "reactors.hpp"
#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/factory.hpp"
#include "tw/posix_reactor.hpp"
#include "tw/protocol.hpp"
#include "tw/thread_pool.hpp"
#include "tw/threads.hpp"

namespace {

using namespace std::chrono_literals;
using tw::testing::ReactorNames;
using tw::testing::Reactors;
using ProtocolPtr = std::shared_ptr<tw::IProtocol>;

template <class R>
class EndpointsTests : public tw::testing::RealReactorTest<R> {
 protected:
  /// Listens through `description` and returns the port (fails the test if listen fails).
  std::shared_ptr<tw::IListeningPort> listen(const std::string& description) {
    auto endpoint = tw::serverFromString(this->reactor, description);
    std::shared_ptr<tw::IListeningPort> port;
    endpoint->listen(tw::Factory::forProtocol<Echo>())
        .addCallbacks([&](std::shared_ptr<tw::IListeningPort> p) { port = std::move(p); },
                      [&](const tw::Failure& f) { ADD_FAILURE() << f.getErrorMessage(); });
    return port;
  }

  /// Connects through `endpoint`, sends "hello", and runs until the echo comes back; returns
  /// what the client received (or the connect failure's message).
  std::string echoThrough(tw::IStreamClientEndpoint& endpoint) {
    std::string outcome;
    auto client = std::make_shared<Client>();
    Client* raw = client.get();  // not the shared_ptr: the protocol would own itself
    client->onData = [&, raw] {
      outcome = raw->received;
      if (outcome.size() >= 5) {
        raw->transport()->loseConnection();
        this->reactor.stop();  // the shutdown closes what is still open
      }
    };
    this->reactor.callWhenRunning([&] {
      tw::connectProtocol(endpoint, client)
          .addCallbacks(
              [&](ProtocolPtr p) {
                EXPECT_EQ(p, client);
                EXPECT_TRUE(client->made);
                p.reset();
                client->transport()->write("hello");
              },
              [&](const tw::Failure& f) {
                outcome = "failed: " + f.getErrorMessage();
                this->reactor.stop();
              });
    });
    this->runBounded(10s);
    return outcome;
  }

  class Echo : public tw::Protocol {
    void dataReceived(std::string_view data) override { transport()->write(data); }
  };

  class Client : public tw::Protocol {
   public:
    void connectionMade() override { made = true; }
    void dataReceived(std::string_view data) override {
      received += data;
      if (onData) onData();
    }
    bool made = false;
    std::string received;
    std::function<void()> onData;
  };
};

TYPED_TEST_SUITE(EndpointsTests, Reactors, ReactorNames);

// "tcp:0:interface=127.0.0.1" listens; a TCP4ClientEndpoint connects, fires with the protocol
// after connectionMade, and bytes make the round trip.
TYPED_TEST(EndpointsTests, tcp4ServerAndClientFromStrings) {
  auto port = this->listen("tcp:0:interface=127.0.0.1");
  ASSERT_NE(port, nullptr);
  const int number = this->portOf(port->getHost());
  auto endpoint =
      tw::clientFromString(this->reactor, "tcp:127.0.0.1:" + std::to_string(number) + ":timeout=5");
  EXPECT_EQ(this->echoThrough(*endpoint), "hello");
  port->stopListening();
}

// Connecting to a port nobody listens on fails the Deferred with ConnectionRefusedError.
TYPED_TEST(EndpointsTests, tcp4ClientRefused) {
  auto port = this->listen("tcp:0:interface=127.0.0.1");
  ASSERT_NE(port, nullptr);
  const int number = this->portOf(port->getHost());
  std::optional<tw::Failure> failure;
  port->stopListening().addCallback([&] {
    tw::TCP4ClientEndpoint endpoint(this->reactor, "127.0.0.1", number);
    endpoint.connect(tw::Factory::forProtocol<tw::Protocol>())
        .addCallbacks([&](ProtocolPtr) { this->reactor.stop(); },
                      [&](const tw::Failure& f) {
                        failure = f;
                        this->reactor.stop();
                      });
  });
  this->runBounded(10s);
  ASSERT_TRUE(failure.has_value());
  EXPECT_NE(failure->check<tw::error::ConnectionRefusedError>(), nullptr)
      << failure->getErrorMessage();
}

// A server endpoint on a port in use fails with CannotListenError rather than throwing.
TYPED_TEST(EndpointsTests, tcp4ServerPortInUse) {
  auto port = this->listen("tcp:0:interface=127.0.0.1");
  ASSERT_NE(port, nullptr);
  tw::TCP4ServerEndpoint again(this->reactor, this->portOf(port->getHost()), 50, "127.0.0.1");
  std::optional<tw::Failure> failure;
  again.listen(tw::Factory::forProtocol<tw::Protocol>())
      .addErrback([&](const tw::Failure& f) -> std::shared_ptr<tw::IListeningPort> {
        failure = f;
        return nullptr;
      });
  ASSERT_TRUE(failure.has_value());
  EXPECT_NE(failure->check<tw::error::CannotListenError>(), nullptr);
  port->stopListening();
}

// TCP6 endpoints over ::1.
TYPED_TEST(EndpointsTests, tcp6ServerAndClientOnLoopback) {
  std::shared_ptr<tw::IListeningPort> port;
  try {
    port = this->reactor.listenTCP(0, tw::Factory::forProtocol<tw::Protocol>(), 50, "::1");
  } catch (const tw::error::CannotListenError& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  port->stopListening();
  auto server = this->listen("tcp6:0:interface=\\:\\:1");
  ASSERT_NE(server, nullptr);
  auto* host = dynamic_cast<const tw::IPv6Address*>(server->getHost().get());
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->host(), "::1");
  tw::TCP6ClientEndpoint endpoint(this->reactor, "::1", host->port(), 5s);
  EXPECT_EQ(this->echoThrough(endpoint), "hello");
  server->stopListening();
}

// HostnameEndpoint("localhost") with no resolver given uses the reactor's nameResolver(), which
// resolves on the reactor's pool, and reaches a server on 127.0.0.1 whatever order the addresses
// of localhost come in (an attempt to ::1 is refused, and the next one follows attemptDelay
// later).
TYPED_TEST(EndpointsTests, hostnameEndpointLocalhostReactorResolver) {
  auto port = this->listen("tcp:0:interface=127.0.0.1");
  ASSERT_NE(port, nullptr);
  tw::HostnameEndpoint endpoint(this->reactor, nullptr, "localhost", this->portOf(port->getHost()),
                                5s, std::nullopt, 0.05s);
  EXPECT_EQ(this->echoThrough(endpoint), "hello");
  ASSERT_NE(this->reactor.threadpool(), nullptr);  // the lookup ran there
  port->stopListening();
}

// The same with a ThreadedHostnameResolver on a pool of one's own.
TYPED_TEST(EndpointsTests, hostnameEndpointLocalhostThreadedResolver) {
  auto port = this->listen("tcp:0:interface=127.0.0.1");
  ASSERT_NE(port, nullptr);
  tw::ThreadPool pool(0, 2, "resolver");
  pool.start();
  auto resolver = std::make_shared<tw::ThreadedHostnameResolver>(this->reactor, pool);
  tw::HostnameEndpoint endpoint(this->reactor, resolver, "localhost", this->portOf(port->getHost()),
                                5s, std::nullopt, 0.05s);
  EXPECT_EQ(this->echoThrough(endpoint), "hello");
  EXPECT_EQ(this->reactor.threadpool(), nullptr);  // the reactor's pool was not needed
  port->stopListening();
  pool.stop();
}

// The same with the blocking resolver.
TYPED_TEST(EndpointsTests, hostnameEndpointLocalhostBlockingResolver) {
  auto port = this->listen("tcp:0:interface=127.0.0.1");
  ASSERT_NE(port, nullptr);
  tw::HostnameEndpoint endpoint(this->reactor, std::make_shared<tw::BlockingHostnameResolver>(),
                                "localhost", this->portOf(port->getHost()));
  EXPECT_EQ(this->echoThrough(endpoint), "hello");
  port->stopListening();
}

/// A resolver answering a fixed list of addresses at once.
class FixedResolver : public tw::IHostnameResolver {
 public:
  explicit FixedResolver(std::vector<tw::AddressPtr> addresses)
      : addresses_(std::move(addresses)) {}
  tw::Deferred<std::vector<tw::AddressPtr>> resolveHostName(std::string_view, int) override {
    return tw::succeed(addresses_);
  }

 private:
  std::vector<tw::AddressPtr> addresses_;
};

// Happy eyeballs for real: the first address refuses, the second (tried attemptDelay later)
// answers, and the Deferred fires with the protocol connected to it.
TYPED_TEST(EndpointsTests, hostnameEndpointFallsBackToTheNextAddress) {
  auto port = this->listen("tcp:0:interface=127.0.0.1");
  ASSERT_NE(port, nullptr);
  auto closed = this->listen("tcp:0:interface=127.0.0.1");  // a port that then refuses
  ASSERT_NE(closed, nullptr);
  const int closedPort = this->portOf(closed->getHost());
  closed->stopListening();
  auto resolver = std::make_shared<FixedResolver>(std::vector<tw::AddressPtr>{
      std::make_shared<tw::IPv4Address>("TCP", "127.0.0.1", closedPort),
      std::make_shared<tw::IPv4Address>("TCP", "127.0.0.1", this->portOf(port->getHost()))});
  tw::HostnameEndpoint endpoint(this->reactor, resolver, "two.example", 0, 5s, std::nullopt, 0.2s);
  const double start = this->reactor.seconds();
  EXPECT_EQ(this->echoThrough(endpoint), "hello");
  EXPECT_GE(this->reactor.seconds() - start, 0.2);
  port->stopListening();
}

// A name that does not resolve fails with DNSLookupError.
TYPED_TEST(EndpointsTests, hostnameEndpointUnknownHost) {
  tw::HostnameEndpoint endpoint(this->reactor, nullptr, "no-such-host.invalid", 80);
  std::optional<tw::Failure> failure;
  this->reactor.callWhenRunning([&] {
    endpoint.connect(tw::Factory::forProtocol<tw::Protocol>())
        .addCallbacks([](ProtocolPtr) { ADD_FAILURE() << "connected"; },
                      [&](const tw::Failure& f) { failure = f; })
        .addBoth([&](auto...) { this->reactor.stop(); });
  });
  this->runBounded(10s);
  ASSERT_TRUE(failure.has_value());
  EXPECT_NE(failure->check<tw::error::DNSLookupError>(), nullptr) << failure->getErrorMessage();
}

}  // namespace
