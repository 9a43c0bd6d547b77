/// @file
/// Tests of the endpoints on MemoryReactor(Clock): the wrapping factory of client endpoints
/// (success, failures, cancellation, half-close, transport pass-through), server endpoints,
/// connectProtocol, HostnameEndpoint's staggered attempts in virtual time, and the string
/// grammar with every error.  Twisted: twisted/internet/test/test_endpoints.py.
#include "tw/endpoints.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "result_helpers.hpp"
#include "tw/address.hpp"
#include "tw/deferred_errors.hpp"
#include "tw/error.hpp"
#include "tw/factory.hpp"
#include "tw/fakes/iosim.hpp"
#include "tw/fakes/memory_reactor.hpp"
#include "tw/fakes/string_transport.hpp"
#include "tw/protocol.hpp"

namespace {

using namespace std::chrono_literals;
using tw::test::assertNoResult;
using tw::test::failureResultOf;
using tw::test::successResultOf;
using ProtocolPtr = std::shared_ptr<tw::IProtocol>;

/// Records what happens to it.
class Recorder : public tw::Protocol {
 public:
  void connectionMade() override { made = true; }
  void dataReceived(std::string_view data) override { received += data; }
  void connectionLost(const tw::Failure& reason) override {
    Protocol::connectionLost(reason);
    lost = reason;
  }
  bool made = false;
  std::string received;
  std::optional<tw::Failure> lost;
};

/// A Recorder that also handles half-closed connections.
class HalfCloseRecorder : public Recorder, public tw::IHalfCloseableProtocol {
 public:
  void readConnectionLost() override { ++readLost; }
  void writeConnectionLost() override { ++writeLost; }
  int readLost = 0;
  int writeLost = 0;
};

/// A factory that builds `P`s and remembers the last one; counts doStart/doStop.
template <class P = Recorder>
class RecordingFactory : public tw::Factory {
 public:
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& addr) override {
    lastAddress = addr.repr();
    if (refuse) return nullptr;
    if (throwOnBuild) throw std::runtime_error("no protocol today");
    last = std::make_shared<P>();
    return last;
  }
  void startFactory() override { ++starts; }
  void stopFactory() override { ++stops; }
  std::shared_ptr<P> last;
  std::string lastAddress;
  bool refuse = false;
  bool throwOnBuild = false;
  int starts = 0;
  int stops = 0;
};

/// A resolver whose lookups the test answers by hand.
class FakeResolver : public tw::IHostnameResolver {
 public:
  tw::Deferred<std::vector<tw::AddressPtr>> resolveHostName(std::string_view host,
                                                            int port) override {
    queries.emplace_back(std::string(host), port);
    lookups.emplace_back();
    return lookups.back();
  }
  std::vector<std::pair<std::string, int>> queries;
  std::vector<tw::Deferred<std::vector<tw::AddressPtr>>> lookups;
};

tw::AddressPtr v4(const std::string& host, int port = 80) {
  return std::make_shared<tw::IPv4Address>("TCP", host, port);
}
tw::AddressPtr v6(const std::string& host, int port = 80) {
  return std::make_shared<tw::IPv6Address>("TCP", host, port);
}

/// Completes the `index`th recorded TCP attempt over a StringTransport, as a connector would.
ProtocolPtr completeTCP(tw::fakes::MemoryReactor& reactor, std::size_t index,
                        tw::fakes::StringTransport& transport) {
  const auto& client = reactor.tcpClients().at(index);
  ProtocolPtr p = client.factory->buildProtocol(tw::IPv4Address("TCP", client.host, client.port));
  if (p) p->makeConnection(transport);
  return p;
}

// --- TCP4ClientEndpoint and the wrapping factory ----------------------------------------------

// connect() calls connectTCP with the endpoint's arguments and has no result yet.
// Twisted: TCP4EndpointsTests.test_endpointConnectingCancelled's setup, test_connectTCP args.
TEST(EndpointsTests, tcp4ClientPassesItsArgumentsToConnectTCP) {
  tw::fakes::MemoryReactorClock reactor;
  tw::TCP4ClientEndpoint endpoint(reactor, "example.com", 8080, 7s, tw::BindAddress{"10.0.0.2", 0});
  auto factory = std::make_shared<RecordingFactory<>>();
  auto d = endpoint.connect(factory);
  assertNoResult(d);
  ASSERT_EQ(reactor.tcpClients().size(), 1u);
  const auto& c = reactor.tcpClients()[0];
  EXPECT_EQ(c.host, "example.com");
  EXPECT_EQ(c.port, 8080);
  EXPECT_EQ(c.timeout, tw::Seconds(7));
  ASSERT_TRUE(c.bindAddress.has_value());
  EXPECT_EQ(c.bindAddress->first, "10.0.0.2");
  d.cancel();
  failureResultOf<tw::error::ConnectingCancelledError>(d);
}

// The Deferred fires with the protocol the user's factory built, after its connectionMade, and
// that protocol gets the real transport.  Twisted: test_endpointConnectSuccess.
TEST(EndpointsTests, clientFiresWithTheProtocolAfterConnectionMade) {
  tw::fakes::MemoryReactorClock reactor;
  tw::TCP4ClientEndpoint endpoint(reactor, "127.0.0.1", 80);
  auto factory = std::make_shared<RecordingFactory<>>();
  auto d = endpoint.connect(factory);
  tw::fakes::StringTransport transport;
  ProtocolPtr wrapper = completeTCP(reactor, 0, transport);
  ASSERT_NE(wrapper, nullptr);
  EXPECT_NE(wrapper, factory->last);  // the reactor sees a wrapper
  ProtocolPtr p = successResultOf(d);
  EXPECT_EQ(p, factory->last);
  EXPECT_TRUE(factory->last->made);
  EXPECT_EQ(factory->last->transport(), &transport);
  EXPECT_EQ(factory->lastAddress, "IPv4Address(type='TCP', host='127.0.0.1', port=80)");
}

// Bytes and the end of the connection reach the wrapped protocol.
// Twisted: WrappingFactoryTests.test_wrappedProtocolDataReceived,
// test_wrappedProtocolConnectionLost.
TEST(EndpointsTests, wrapperForwardsDataAndConnectionLost) {
  tw::fakes::MemoryReactorClock reactor;
  tw::TCP4ClientEndpoint endpoint(reactor, "127.0.0.1", 80);
  auto factory = std::make_shared<RecordingFactory<>>();
  auto d = endpoint.connect(factory);
  tw::fakes::StringTransport transport;
  ProtocolPtr wrapper = completeTCP(reactor, 0, transport);
  successResultOf(d);
  wrapper->dataReceived("hello ");
  wrapper->dataReceived("world");
  EXPECT_EQ(factory->last->received, "hello world");
  wrapper->connectionLost(tw::Failure(tw::error::ConnectionDone()));
  ASSERT_TRUE(factory->last->lost.has_value());
  EXPECT_NE(factory->last->lost->check<tw::error::ConnectionDone>(), nullptr);
}

// A producer registered by the wrapped protocol lands on the real transport.
// Twisted: the wrapped protocol uses the transport directly (test_wrappingProtocol*Producer).
TEST(EndpointsTests, wrappedProtocolRegistersProducersOnTheRealTransport) {
  struct Producer : tw::IPushProducer {
    void pauseProducing() override {}
    void resumeProducing() override {}
    void stopProducing() override {}
  } producer;
  tw::fakes::MemoryReactorClock reactor;
  tw::TCP4ClientEndpoint endpoint(reactor, "127.0.0.1", 80);
  auto factory = std::make_shared<RecordingFactory<>>();
  auto d = endpoint.connect(factory);
  tw::fakes::StringTransport transport;
  completeTCP(reactor, 0, transport);
  auto p = std::dynamic_pointer_cast<Recorder>(successResultOf(d));
  p->transport()->registerProducer(producer, true);
  EXPECT_EQ(transport.producer(), &producer);
  EXPECT_TRUE(transport.streaming());
}

// The wrapper is an IHalfCloseableProtocol exactly when the wrapped protocol is one, and then
// forwards both notifications.  Twisted: test_wrappingProtocolHalfCloseable(NotHalfCloseable),
// test_wrappingProtocolReadConnectionLost, test_wrappingProtocolWriteConnectionLost.
TEST(EndpointsTests, wrapperIsHalfCloseableOnlyForHalfCloseableProtocols) {
  tw::fakes::MemoryReactorClock reactor;
  tw::TCP4ClientEndpoint endpoint(reactor, "127.0.0.1", 80);
  auto plain = std::make_shared<RecordingFactory<>>();
  auto half = std::make_shared<RecordingFactory<HalfCloseRecorder>>();
  auto d1 = endpoint.connect(plain);
  auto d2 = endpoint.connect(half);
  tw::fakes::StringTransport t1;
  tw::fakes::StringTransport t2;
  ProtocolPtr w1 = completeTCP(reactor, 0, t1);
  ProtocolPtr w2 = completeTCP(reactor, 1, t2);
  successResultOf(d1);
  successResultOf(d2);
  EXPECT_EQ(dynamic_cast<tw::IHalfCloseableProtocol*>(w1.get()), nullptr);
  auto* h = dynamic_cast<tw::IHalfCloseableProtocol*>(w2.get());
  ASSERT_NE(h, nullptr);
  h->readConnectionLost();
  h->writeConnectionLost();
  h->writeConnectionLost();
  EXPECT_EQ(half->last->readLost, 1);
  EXPECT_EQ(half->last->writeLost, 2);
}

// The user's factory is started and stopped through the wrapper.
// Twisted: WrappingFactoryTests.test_doStart, test_doStop.
TEST(EndpointsTests, wrapperForwardsDoStartAndDoStop) {
  tw::fakes::MemoryReactorClock reactor;
  tw::TCP4ClientEndpoint endpoint(reactor, "127.0.0.1", 80);
  auto factory = std::make_shared<RecordingFactory<>>();
  auto d = endpoint.connect(factory);
  auto wrapping = reactor.tcpClients()[0].factory;
  wrapping->doStart();
  EXPECT_EQ(factory->starts, 1);
  EXPECT_EQ(factory->numPorts(), 1);
  wrapping->doStop();
  EXPECT_EQ(factory->stops, 1);
  d.cancel();
  failureResultOf<tw::error::ConnectingCancelledError>(d);
}

// clientConnectionFailed fails the Deferred with its reason.
// Twisted: test_endpointConnectFailure.
TEST(EndpointsTests, clientConnectionFailedFailsTheDeferred) {
  tw::fakes::MemoryReactorClock reactor;
  tw::TCP4ClientEndpoint endpoint(reactor, "127.0.0.1", 80);
  auto d = endpoint.connect(std::make_shared<RecordingFactory<>>());
  tw::fakes::ConnectionCompleter completer(reactor);
  ASSERT_TRUE(completer.failOnce());
  failureResultOf<tw::error::ConnectionRefusedError>(d);
}

// A factory that builds no protocol fails the Deferred with NoProtocol and refuses the
// connection.  Twisted: WrappingFactoryTests.test_buildNoneProtocol.
TEST(EndpointsTests, factoryBuildingNothingFailsWithNoProtocol) {
  tw::fakes::MemoryReactorClock reactor;
  tw::TCP4ClientEndpoint endpoint(reactor, "127.0.0.1", 80);
  auto factory = std::make_shared<RecordingFactory<>>();
  factory->refuse = true;
  auto d = endpoint.connect(factory);
  tw::fakes::StringTransport transport;
  EXPECT_EQ(completeTCP(reactor, 0, transport), nullptr);
  failureResultOf<tw::error::NoProtocol>(d);
  // A later clientConnectionFailed (the connector giving up) changes nothing.
  reactor.tcpClients()[0].factory->clientConnectionFailed(
      *reactor.tcpClients()[0].connector, tw::Failure(tw::error::ConnectionRefusedError()));
}

// An exception from buildProtocol fails the Deferred with it.
// Twisted: WrappingFactoryTests.test_failedBuildProtocol.
TEST(EndpointsTests, buildProtocolExceptionFailsTheDeferred) {
  tw::fakes::MemoryReactorClock reactor;
  tw::TCP4ClientEndpoint endpoint(reactor, "127.0.0.1", 80);
  auto factory = std::make_shared<RecordingFactory<>>();
  factory->throwOnBuild = true;
  auto d = endpoint.connect(factory);
  tw::fakes::StringTransport transport;
  EXPECT_EQ(completeTCP(reactor, 0, transport), nullptr);
  auto f = failureResultOf<std::runtime_error>(d);
  EXPECT_EQ(f.getErrorMessage(), "no protocol today");
}

// An exception from the wrapped protocol's connectionMade fails the Deferred and reaches the
// transport (which drops the connection).
TEST(EndpointsTests, connectionMadeExceptionFailsTheDeferred) {
  struct Bad : tw::Protocol {
    void connectionMade() override { throw std::logic_error("bad start"); }
  };
  tw::fakes::MemoryReactorClock reactor;
  tw::TCP4ClientEndpoint endpoint(reactor, "127.0.0.1", 80);
  auto d = endpoint.connect(std::make_shared<RecordingFactory<Bad>>());
  tw::fakes::StringTransport transport;
  EXPECT_THROW(completeTCP(reactor, 0, transport), std::logic_error);
  failureResultOf<std::logic_error>(d);
}

// Cancelling stops the connector and fails with ConnectingCancelledError naming the
// destination.  Twisted: test_endpointConnectingCancelled.
TEST(EndpointsTests, cancelStopsConnectingWithConnectingCancelledError) {
  tw::fakes::MemoryReactorClock reactor;
  tw::TCP4ClientEndpoint endpoint(reactor, "127.0.0.1", 80);
  auto d = endpoint.connect(std::make_shared<RecordingFactory<>>());
  auto connector = reactor.tcpClients()[0].connector;
  d.cancel();
  auto f = failureResultOf<tw::error::ConnectingCancelledError>(d);
  EXPECT_TRUE(connector->stoppedConnecting());
  EXPECT_EQ(f.value<tw::error::ConnectingCancelledError>()->address(),
            "IPv4Address(type='TCP', host='127.0.0.1', port=80)");
  // The connector's report of the stop arrives later and is ignored.
  reactor.tcpClients()[0].factory->clientConnectionFailed(*connector,
                                                          tw::Failure(tw::error::UserError()));
}

// A connection that completes after the Deferred was cancelled is closed at once, and the
// user's protocol never sees it.
TEST(EndpointsTests, connectionAfterCancelIsClosed) {
  tw::fakes::MemoryReactorClock reactor;
  tw::TCP4ClientEndpoint endpoint(reactor, "127.0.0.1", 80);
  auto factory = std::make_shared<RecordingFactory<>>();
  auto d = endpoint.connect(factory);
  d.cancel();
  failureResultOf<tw::error::ConnectingCancelledError>(d);
  tw::fakes::StringTransport transport;
  completeTCP(reactor, 0, transport);
  EXPECT_TRUE(transport.disconnecting());
  ASSERT_NE(factory->last, nullptr);
  EXPECT_FALSE(factory->last->made);
}

// connectTCP throwing gives a failed Deferred, not an exception.
// Twisted: test_endpointConnectNonDefaultArgs / RaisingMemoryReactor connect failures.
TEST(EndpointsTests, synchronousConnectErrorFailsTheDeferred) {
  tw::fakes::RaisingMemoryReactor reactor;
  tw::TCP4ClientEndpoint endpoint(reactor, "127.0.0.1", 80);
  auto d = endpoint.connect(std::make_shared<RecordingFactory<>>());
  failureResultOf<tw::error::ConnectError>(d);
}

// connectProtocol connects the given instance.  Twisted: ConnectProtocolTests.
TEST(EndpointsTests, connectProtocolConnectsThatInstance) {
  tw::fakes::MemoryReactorClock reactor;
  tw::TCP4ClientEndpoint endpoint(reactor, "127.0.0.1", 80);
  auto mine = std::make_shared<Recorder>();
  auto d = tw::connectProtocol(endpoint, mine);
  tw::fakes::StringTransport transport;
  completeTCP(reactor, 0, transport);
  EXPECT_EQ(successResultOf(d), mine);
  EXPECT_TRUE(mine->made);
}

// A server endpoint and a client endpoint meet through ConnectionCompleter and talk.
TEST(EndpointsTests, serverAndClientEndpointsTalkThroughTheCompleter) {
  class Echo : public tw::Protocol {
    void dataReceived(std::string_view data) override { transport()->write(data); }
  };
  tw::fakes::MemoryReactorClock reactor;
  tw::TCP4ServerEndpoint server(reactor, 4321);
  auto port = successResultOf(server.listen(tw::Factory::forProtocol<Echo>()));
  tw::TCP4ClientEndpoint client(reactor, "127.0.0.1", 4321);
  auto factory = std::make_shared<RecordingFactory<>>();
  auto d = client.connect(factory);
  tw::fakes::ConnectionCompleter completer(reactor);
  auto pump = completer.succeedOnce();
  ASSERT_TRUE(pump.has_value());
  auto p = std::dynamic_pointer_cast<Recorder>(successResultOf(d));
  p->transport()->write("ping");
  pump->flush();
  EXPECT_EQ(p->received, "ping");
  successResultOf(port->stopListening());
}

// --- server endpoints -------------------------------------------------------------------------

// listen() calls listenTCP with the endpoint's arguments and fires with the port.
// Twisted: TCP4EndpointsTests.test_endpointListenSuccess.
TEST(EndpointsTests, tcp4ServerListens) {
  tw::fakes::MemoryReactor reactor;
  tw::TCP4ServerEndpoint endpoint(reactor, 8080, 5, "127.0.0.1");
  auto factory = std::make_shared<RecordingFactory<>>();
  auto port = successResultOf(endpoint.listen(factory));
  ASSERT_EQ(reactor.tcpServers().size(), 1u);
  const auto& s = reactor.tcpServers()[0];
  EXPECT_EQ(s.port, 8080);
  EXPECT_EQ(s.backlog, 5);
  EXPECT_EQ(s.interface, "127.0.0.1");
  EXPECT_EQ(s.factory, factory);
  EXPECT_EQ(port, s.listeningPort);
}

// TCP6ServerEndpoint listens on all IPv6 interfaces by default.
TEST(EndpointsTests, tcp6ServerDefaultsToAllIPv6Interfaces) {
  tw::fakes::MemoryReactor reactor;
  tw::TCP6ServerEndpoint endpoint(reactor, 0);
  successResultOf(endpoint.listen(std::make_shared<RecordingFactory<>>()));
  ASSERT_EQ(reactor.tcpServers().size(), 1u);
  EXPECT_EQ(reactor.tcpServers()[0].interface, "::");
  EXPECT_EQ(reactor.tcpServers()[0].backlog, 50);
}

// A listen that throws gives a failed Deferred.  Twisted: test_endpointListenFailure.
TEST(EndpointsTests, listenFailureFailsTheDeferred) {
  tw::fakes::RaisingMemoryReactor reactor;
  tw::TCP4ServerEndpoint tcp(reactor, 80);
  failureResultOf<tw::error::CannotListenError>(tcp.listen(std::make_shared<RecordingFactory<>>()));
  tw::UNIXServerEndpoint unix(reactor, "/tmp/x.sock");
  failureResultOf<tw::error::CannotListenError>(
      unix.listen(std::make_shared<RecordingFactory<>>()));
}

// UNIX server and client endpoints pass their arguments on; the client behaves as TCP's.
// Twisted: UNIXEndpointsTests.
TEST(EndpointsTests, unixEndpoints) {
  tw::fakes::MemoryReactorClock reactor;
  tw::UNIXServerEndpoint server(reactor, "/var/run/app.sock", 7, 0600, true);
  successResultOf(server.listen(std::make_shared<RecordingFactory<>>()));
  ASSERT_EQ(reactor.unixServers().size(), 1u);
  EXPECT_EQ(reactor.unixServers()[0].address, "/var/run/app.sock");
  EXPECT_EQ(reactor.unixServers()[0].backlog, 7);
  EXPECT_EQ(reactor.unixServers()[0].mode, 0600);
  EXPECT_TRUE(reactor.unixServers()[0].wantPID);

  tw::UNIXClientEndpoint client(reactor, "/var/run/app.sock", 3s, true);
  auto factory = std::make_shared<RecordingFactory<>>();
  auto d = client.connect(factory);
  ASSERT_EQ(reactor.unixClients().size(), 1u);
  const auto& c = reactor.unixClients()[0];
  EXPECT_EQ(c.address, "/var/run/app.sock");
  EXPECT_EQ(c.timeout, tw::Seconds(3));
  EXPECT_TRUE(c.checkPID);
  tw::fakes::StringTransport transport;
  ProtocolPtr wrapper = c.factory->buildProtocol(tw::UNIXAddress("/var/run/app.sock"));
  wrapper->makeConnection(transport);
  EXPECT_EQ(successResultOf(d), factory->last);

  auto cancelled = client.connect(factory);
  cancelled.cancel();
  failureResultOf<tw::error::ConnectingCancelledError>(cancelled);
  EXPECT_TRUE(reactor.unixClients()[1].connector->stoppedConnecting());
}

// --- TCP6ClientEndpoint -----------------------------------------------------------------------

// An IPv6 literal is connected to directly.  Twisted: TCP6EndpointsTests.test_connectTCP.
TEST(EndpointsTests, tcp6ClientConnectsToALiteralAtOnce) {
  tw::fakes::MemoryReactorClock reactor;
  auto resolver = std::make_shared<FakeResolver>();
  tw::TCP6ClientEndpoint endpoint(reactor, "::1", 80, 30s, std::nullopt, resolver);
  auto d = endpoint.connect(std::make_shared<RecordingFactory<>>());
  EXPECT_TRUE(resolver->queries.empty());
  ASSERT_EQ(reactor.tcpClients().size(), 1u);
  EXPECT_EQ(reactor.tcpClients()[0].host, "::1");
  d.cancel();
  failureResultOf<tw::error::ConnectingCancelledError>(d);
}

// A name is resolved and the first IPv6 address used; no IPv6 address is a DNSLookupError.
// Twisted: TCP6EndpointNameResolutionTests.
TEST(EndpointsTests, tcp6ClientResolvesANameToItsFirstIPv6Address) {
  tw::fakes::MemoryReactorClock reactor;
  auto resolver = std::make_shared<FakeResolver>();
  tw::TCP6ClientEndpoint endpoint(reactor, "ipv6.example.com", 443, 30s, std::nullopt, resolver);
  auto d = endpoint.connect(std::make_shared<RecordingFactory<>>());
  EXPECT_TRUE(reactor.tcpClients().empty());
  ASSERT_EQ(resolver->queries.size(), 1u);
  EXPECT_EQ(resolver->queries[0].first, "ipv6.example.com");
  resolver->lookups[0].callback({v4("10.0.0.1", 443), v6("2001:db8::1", 443), v6("::2", 443)});
  ASSERT_EQ(reactor.tcpClients().size(), 1u);
  EXPECT_EQ(reactor.tcpClients()[0].host, "2001:db8::1");
  EXPECT_EQ(reactor.tcpClients()[0].port, 443);
  d.cancel();  // forwarded to the attempt it waits on
  failureResultOf<tw::error::ConnectingCancelledError>(d);

  auto none = endpoint.connect(std::make_shared<RecordingFactory<>>());
  resolver->lookups[1].callback({v4("10.0.0.1", 443)});
  failureResultOf<tw::error::DNSLookupError>(none);
}

// A failed lookup fails the TCP6 connect with the resolver's error.
TEST(EndpointsTests, tcp6ClientLookupFailurePropagates) {
  tw::fakes::MemoryReactorClock reactor;
  auto resolver = std::make_shared<FakeResolver>();
  tw::TCP6ClientEndpoint endpoint(reactor, "nowhere.example", 80, 30s, std::nullopt, resolver);
  auto d = endpoint.connect(std::make_shared<RecordingFactory<>>());
  resolver->lookups[0].errback(tw::error::DNSLookupError("nowhere"));
  failureResultOf<tw::error::DNSLookupError>(d);
  EXPECT_TRUE(reactor.tcpClients().empty());
}

// --- HostnameEndpoint -------------------------------------------------------------------------

struct HostnameFixture {
  tw::fakes::MemoryReactorClock reactor;
  std::shared_ptr<FakeResolver> resolver = std::make_shared<FakeResolver>();
  std::shared_ptr<RecordingFactory<>> factory = std::make_shared<RecordingFactory<>>();
  tw::HostnameEndpoint endpoint{reactor, resolver, "example.com", 80, 10s};
};

// The lookup asks for the host and port; attempts start at once and then every attemptDelay,
// in the resolved order, IPv6 ones through connectTCP with the IPv6 host.
// Twisted: HostnameEndpointsGAIFailureTest / test_nameResolution, test_ipv4AndIpv6.
TEST(EndpointsTests, hostnameAttemptsAreStaggeredByAttemptDelay) {
  HostnameFixture f;
  auto d = f.endpoint.connect(f.factory);
  ASSERT_EQ(f.resolver->queries.size(), 1u);
  EXPECT_EQ(f.resolver->queries[0], (std::pair<std::string, int>{"example.com", 80}));
  EXPECT_TRUE(f.reactor.tcpClients().empty());
  f.resolver->lookups[0].callback({v6("2001:db8::1"), v4("10.0.0.1"), v4("10.0.0.2")});
  ASSERT_EQ(f.reactor.tcpClients().size(), 1u);
  EXPECT_EQ(f.reactor.tcpClients()[0].host, "2001:db8::1");
  EXPECT_EQ(f.reactor.tcpClients()[0].timeout, tw::Seconds(10));
  f.reactor.advance(0.25s);
  EXPECT_EQ(f.reactor.tcpClients().size(), 1u);
  f.reactor.advance(0.05s);
  ASSERT_EQ(f.reactor.tcpClients().size(), 2u);
  EXPECT_EQ(f.reactor.tcpClients()[1].host, "10.0.0.1");
  f.reactor.advance(0.3s);
  ASSERT_EQ(f.reactor.tcpClients().size(), 3u);
  EXPECT_EQ(f.reactor.tcpClients()[2].host, "10.0.0.2");
  f.reactor.advance(10s);
  EXPECT_EQ(f.reactor.tcpClients().size(), 3u);
  assertNoResult(d);
  d.cancel();
  failureResultOf<tw::error::ConnectingCancelledError>(d);
  EXPECT_TRUE(f.reactor.getDelayedCalls().empty());
}

// The first attempt to connect wins: the others are cancelled, no new one starts.
// Twisted: HostnameEndpointsOneIPv4Tests / OneIPv6Tests (test_endpointConnectSuccess).
TEST(EndpointsTests, hostnameFirstSuccessWinsAndCancelsTheRest) {
  HostnameFixture f;
  auto d = f.endpoint.connect(f.factory);
  f.resolver->lookups[0].callback({v4("10.0.0.1"), v4("10.0.0.2"), v4("10.0.0.3")});
  f.reactor.advance(0.3s);
  ASSERT_EQ(f.reactor.tcpClients().size(), 2u);
  auto first = f.reactor.tcpClients()[0].connector;
  tw::fakes::StringTransport transport;
  completeTCP(f.reactor, 1, transport);  // the second attempt connects first
  EXPECT_EQ(successResultOf(d), f.factory->last);
  EXPECT_TRUE(first->stoppedConnecting());
  f.reactor.advance(5s);
  EXPECT_EQ(f.reactor.tcpClients().size(), 2u);
  EXPECT_TRUE(f.reactor.getDelayedCalls().empty());
}

// When every attempt fails, the Deferred fails with the last failure once no address is left.
// Twisted: HostnameEndpoint with MemoryReactorClock, run on Twisted 22.4: the same times.
TEST(EndpointsTests, hostnameAllAttemptsFailingFailsWithTheLastFailure) {
  HostnameFixture f;
  auto d = f.endpoint.connect(f.factory);
  f.resolver->lookups[0].callback({v4("10.0.0.1"), v4("10.0.0.2")});
  f.reactor.tcpClients()[0].factory->clientConnectionFailed(
      *f.reactor.tcpClients()[0].connector, tw::Failure(tw::error::ConnectionRefusedError()));
  assertNoResult(d);  // the next address is still to be tried, at 0.3 s
  f.reactor.advance(0.3s);
  ASSERT_EQ(f.reactor.tcpClients().size(), 2u);
  f.reactor.advance(0.1s);
  f.reactor.tcpClients()[1].factory->clientConnectionFailed(*f.reactor.tcpClients()[1].connector,
                                                            tw::Failure(tw::error::NoRouteError()));
  assertNoResult(d);  // the failure is reported at the next tick, as Twisted's LoopingCall does
  f.reactor.advance(0.2s);
  failureResultOf<tw::error::NoRouteError>(d);
  EXPECT_TRUE(f.reactor.getDelayedCalls().empty());
}

// After the last address was tried, the last pending attempt's failure ends it at once.
TEST(EndpointsTests, hostnameFailsWhenTheLastPendingAttemptFails) {
  HostnameFixture f;
  auto d = f.endpoint.connect(f.factory);
  f.resolver->lookups[0].callback({v4("10.0.0.1")});
  f.reactor.advance(0.3s);  // the tick that finds no address left
  assertNoResult(d);
  f.reactor.advance(3s);
  f.reactor.tcpClients()[0].factory->clientConnectionFailed(*f.reactor.tcpClients()[0].connector,
                                                            tw::Failure(tw::error::TimeoutError()));
  failureResultOf<tw::error::TimeoutError>(d);
}

// A failed lookup is a DNSLookupError naming the host; an empty answer too.
// Twisted: test_failure (HostnameEndpoint), test_nameResolutionNoResult.
TEST(EndpointsTests, hostnameLookupFailuresAreDNSLookupErrors) {
  HostnameFixture f;
  auto d = f.endpoint.connect(f.factory);
  f.resolver->lookups[0].errback(tw::error::DNSLookupError("nope"));
  auto failure = failureResultOf<tw::error::DNSLookupError>(d);
  EXPECT_NE(failure.getErrorMessage().find("Couldn't find the hostname 'example.com'"),
            std::string::npos);
  auto empty = f.endpoint.connect(f.factory);
  f.resolver->lookups[1].callback({});
  auto e = failureResultOf<tw::error::DNSLookupError>(empty);
  EXPECT_NE(e.getErrorMessage().find("no results for hostname lookup: example.com"),
            std::string::npos);
  EXPECT_TRUE(f.reactor.tcpClients().empty());
}

// Cancelling during the lookup cancels it and fails with ConnectingCancelledError.
TEST(EndpointsTests, hostnameCancelDuringLookup) {
  HostnameFixture f;
  auto d = f.endpoint.connect(f.factory);
  d.cancel();
  auto failure = failureResultOf<tw::error::ConnectingCancelledError>(d);
  EXPECT_EQ(failure.value<tw::error::ConnectingCancelledError>()->address(),
            "HostnameAddress(hostname='example.com', port=80)");
  EXPECT_TRUE(f.resolver->lookups[0].called());  // cancelled (the endpoint took the failure)
  EXPECT_TRUE(f.reactor.tcpClients().empty());
}

// Cancelling during the attempts stops every pending one and the stagger.
// Twisted: test_endpointConnectingCancelled (HostnameEndpoint).
TEST(EndpointsTests, hostnameCancelDuringAttempts) {
  HostnameFixture f;
  auto d = f.endpoint.connect(f.factory);
  f.resolver->lookups[0].callback({v4("10.0.0.1"), v4("10.0.0.2"), v4("10.0.0.3")});
  f.reactor.advance(0.3s);
  d.cancel();
  failureResultOf<tw::error::ConnectingCancelledError>(d);
  ASSERT_EQ(f.reactor.tcpClients().size(), 2u);
  EXPECT_TRUE(f.reactor.tcpClients()[0].connector->stoppedConnecting());
  EXPECT_TRUE(f.reactor.tcpClients()[1].connector->stoppedConnecting());
  f.reactor.advance(1s);
  EXPECT_EQ(f.reactor.tcpClients().size(), 2u);
}

// A resolver that throws instead of failing its Deferred still gives a DNSLookupError.
TEST(EndpointsTests, hostnameResolverThrowingIsADNSLookupError) {
  struct Throwing : tw::IHostnameResolver {
    tw::Deferred<std::vector<tw::AddressPtr>> resolveHostName(std::string_view, int) override {
      throw std::runtime_error("resolver broken");
    }
  };
  tw::fakes::MemoryReactorClock reactor;
  tw::HostnameEndpoint endpoint(reactor, std::make_shared<Throwing>(), "example.com", 80);
  failureResultOf<tw::error::DNSLookupError>(
      endpoint.connect(std::make_shared<RecordingFactory<>>()));
}

// A host that cannot be a name fails at once, without a lookup.
// Twisted: test_badHostname ("invalid hostname").
TEST(EndpointsTests, hostnameInvalidHostFailsAtOnce) {
  tw::fakes::MemoryReactorClock reactor;
  auto resolver = std::make_shared<FakeResolver>();
  tw::HostnameEndpoint endpoint(reactor, resolver, "bad host\n", 80);
  auto failure = failureResultOf<std::invalid_argument>(
      endpoint.connect(std::make_shared<RecordingFactory<>>()));
  EXPECT_EQ(failure.getErrorMessage(), "invalid hostname: bad host\n");
  EXPECT_TRUE(resolver->queries.empty());
}

// repr brackets IPv6 literals.  Twisted: test_hostIPv6Address / repr tests.
TEST(EndpointsTests, hostnameRepr) {
  tw::fakes::MemoryReactorClock reactor;
  EXPECT_EQ(tw::HostnameEndpoint(reactor, nullptr, "example.com", 80).repr(),
            "<HostnameEndpoint example.com:80>");
  EXPECT_EQ(tw::HostnameEndpoint(reactor, nullptr, "::1", 443).repr(),
            "<HostnameEndpoint [::1]:443>");
}

// The blocking resolver answers literals without a name server (unknown names are in the
// integration tests: they may ask one).
TEST(EndpointsTests, blockingResolverResolvesLiterals) {
  tw::BlockingHostnameResolver resolver;
  auto v4s = successResultOf(resolver.resolveHostName("127.0.0.1", 8080));
  ASSERT_EQ(v4s.size(), 1u);
  EXPECT_EQ(v4s[0]->repr(), "IPv4Address(type='TCP', host='127.0.0.1', port=8080)");
  auto v6s = successResultOf(resolver.resolveHostName("::1", 80));
  ASSERT_EQ(v6s.size(), 1u);
  EXPECT_NE(dynamic_cast<const tw::IPv6Address*>(v6s[0].get()), nullptr);
}

/// The message of the std::invalid_argument that `f` throws ("" if none).
template <class F>
std::string invalidArgument(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// --- the grammar ------------------------------------------------------------------------------

// Positional and keyword arguments.  Twisted: ParserTests.test_simpleString, test_kwargs.
TEST(EndpointsTests, parseSplitsPositionalAndKeywordArguments) {
  auto d = tw::parseEndpointDescription("a:b:d=1:c");
  EXPECT_EQ(d.args, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(d.kwargs.size(), 1u);
  EXPECT_EQ(d.kwargs.at("d"), "1");
  EXPECT_EQ(tw::parseEndpointDescription("").args, std::vector<std::string>{""});
  EXPECT_EQ(tw::parseEndpointDescription("a::b").args, (std::vector<std::string>{"a", "", "b"}));
}

// After '=', only ':' is an operator.  Twisted: ParserTests.test_multiEquals (k=v=w).
TEST(EndpointsTests, parseKeepsEqualsInsideAValue) {
  auto d = tw::parseEndpointDescription("x:k=v=w:j=");
  EXPECT_EQ(d.args, std::vector<std::string>{"x"});
  EXPECT_EQ(d.kwargs.at("k"), "v=w");
  EXPECT_EQ(d.kwargs.at("j"), "");
}

// Backslash escapes.  Twisted: ParserTests.test_escaping, test_quoteStringArgument.
TEST(EndpointsTests, parseHonoursBackslashEscapes) {
  auto d = tw::parseEndpointDescription(R"(unix:C\:/path\\to:key=a\:b:x\=y)");
  EXPECT_EQ(d.args, (std::vector<std::string>{"unix", R"(C:/path\to)", "x=y"}));
  EXPECT_EQ(d.kwargs.at("key"), "a:b");
  EXPECT_EQ(tw::parseEndpointDescription("a\\").args, std::vector<std::string>{"a\\"});
  EXPECT_EQ(tw::quoteStringArgument(R"(some\:value=x)"), R"(some\\\:value\=x)");
}

// The same split as Twisted 22.4's endpoints._parse, case by case (its output pinned here).
TEST(EndpointsTests, parseAgreesWithTwisted) {
  using Args = std::vector<std::string>;
  using Kw = std::map<std::string, std::string, std::less<>>;
  struct Case {
    const char* description;
    Args args;
    Kw kwargs;
  };
  const std::vector<Case> cases = {
      {"tcp:80:interface=127.0.0.1", {"tcp", "80"}, {{"interface", "127.0.0.1"}}},
      {"k=v=w", {}, {{"k", "v=w"}}},
      {":", {"", ""}, {}},
      {"=", {}, {{"", ""}}},
      {"a=b:c=d=e:f", {"f"}, {{"a", "b"}, {"c", "d=e"}}},
      {"tcp:host=h:port=80:timeout=5:bindAddress=h,port",
       {"tcp"},
       {{"bindAddress", "h,port"}, {"host", "h"}, {"port", "80"}, {"timeout", "5"}}},
      {R"(\a\b:c)", {"ab", "c"}, {}},
      {"a:=b", {"a"}, {{"", "b"}}},
      {"==x", {}, {{"", "=x"}}},
  };
  for (const Case& c : cases) {
    const auto d = tw::parseEndpointDescription(c.description);
    EXPECT_EQ(d.args, c.args) << c.description;
    EXPECT_EQ(d.kwargs, c.kwargs) << c.description;
  }
  tw::fakes::MemoryReactor reactor;
  EXPECT_EQ(invalidArgument([&] { tw::serverFromString(reactor, "k=v"); }),
            "endpoint description has no type: 'k=v'");
}

// A repeated keyword keeps its last value, as Python's dict does.
TEST(EndpointsTests, parseRepeatedKeywordKeepsTheLast) {
  EXPECT_EQ(tw::parseEndpointDescription("a:k=1:k=2").kwargs.at("k"), "2");
}

// "tcp:PORT" with interface and backlog, by position or keyword, any case.
// Twisted: ServerStringTests.test_tcp.
TEST(EndpointsTests, serverFromStringTCP) {
  tw::fakes::MemoryReactor reactor;
  auto e = std::dynamic_pointer_cast<tw::TCP4ServerEndpoint>(
      tw::serverFromString(reactor, "tcp:1234:backlog=12:interface=10.0.0.1"));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->port(), 1234);
  EXPECT_EQ(e->backlog(), 12);
  EXPECT_EQ(e->interface(), "10.0.0.1");
  auto byKeyword = std::dynamic_pointer_cast<tw::TCP4ServerEndpoint>(
      tw::serverFromString(reactor, "TCP:port=80"));
  ASSERT_NE(byKeyword, nullptr);
  EXPECT_EQ(byKeyword->port(), 80);
  EXPECT_EQ(byKeyword->backlog(), 50);
  EXPECT_EQ(byKeyword->interface(), "");
  successResultOf(e->listen(std::make_shared<RecordingFactory<>>()));
  EXPECT_EQ(reactor.tcpServers().at(0).port, 1234);
  EXPECT_EQ(reactor.tcpServers().at(0).interface, "10.0.0.1");
}

// "tcp6:PORT" makes a TCP6ServerEndpoint on "::" by default.  Twisted: the tcp6 plugin.
TEST(EndpointsTests, serverFromStringTCP6) {
  tw::fakes::MemoryReactor reactor;
  auto e = tw::serverFromString(reactor, "tcp6:8080:interface=\\:\\:1");
  auto* t = dynamic_cast<tw::TCP6ServerEndpoint*>(e.get());
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->interface(), "::1");
  auto d =
      std::dynamic_pointer_cast<tw::TCP6ServerEndpoint>(tw::serverFromString(reactor, "tcp6:0"));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->interface(), "::");
}

// "unix:PATH" with mode (octal), backlog and lockfile.  Twisted: ServerStringTests.test_unix,
// test_unixDefaultMode, test_unixWantPID.
TEST(EndpointsTests, serverFromStringUNIX) {
  tw::fakes::MemoryReactor reactor;
  auto e = std::dynamic_pointer_cast<tw::UNIXServerEndpoint>(
      tw::serverFromString(reactor, "unix:/var/foo/bar:backlog=7:mode=0123:lockfile=1"));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->address(), "/var/foo/bar");
  EXPECT_EQ(e->backlog(), 7);
  EXPECT_EQ(e->mode(), 0123);
  EXPECT_TRUE(e->wantPID());
  auto defaults = std::dynamic_pointer_cast<tw::UNIXServerEndpoint>(
      tw::serverFromString(reactor, "unix:/var/foo/bar:lockfile=0"));
  EXPECT_EQ(defaults->mode(), 0666);
  EXPECT_EQ(defaults->backlog(), 50);
  EXPECT_FALSE(defaults->wantPID());
  auto locked = std::dynamic_pointer_cast<tw::UNIXServerEndpoint>(
      tw::serverFromString(reactor, "unix:address=/p:mode=660"));
  EXPECT_TRUE(locked->wantPID());
  EXPECT_EQ(locked->mode(), 0660);
}

// Every malformed server description is a std::invalid_argument saying what is wrong.
// Twisted: ServerStringTests.test_unknownType (ValueError) and the TypeErrors of bad calls.
TEST(EndpointsTests, serverFromStringErrors) {
  tw::fakes::MemoryReactor r;
  auto err = [&](const char* desc) {
    return invalidArgument([&] { tw::serverFromString(r, desc); });
  };
  EXPECT_EQ(err("zork:1234"), "Unknown endpoint type: 'zork'");
  EXPECT_EQ(err(""), "Unknown endpoint type: ''");
  EXPECT_EQ(err("tcp"), "tcp: missing parameter 'port'");
  EXPECT_EQ(err("tcp:http"), "tcp: invalid value for port: 'http' (expected an integer)");
  EXPECT_EQ(err("tcp:80x"), "tcp: invalid value for port: '80x' (expected an integer)");
  EXPECT_EQ(err("tcp:70000"), "tcp: invalid value for port: 70000 (expected 0 to 65535)");
  EXPECT_EQ(err("tcp:80:backlog="), "tcp: invalid value for backlog: '' (expected an integer)");
  EXPECT_EQ(err("tcp:80:1.2.3.4:5:6"), "tcp: too many positional arguments (4, at most 3)");
  EXPECT_EQ(err("tcp:80:colour=red"), "tcp: unknown parameter 'colour'");
  EXPECT_EQ(err("tcp:80:port=81"), "tcp: parameter 'port' given twice");
  EXPECT_EQ(err("unix:/p:mode=9"), "unix: invalid value for mode: '9' (expected an octal integer)");
  EXPECT_EQ(err("unix:/p:mode=660:lockfile=1:backlog="),
            "unix: invalid value for backlog: '' (expected an integer)");
  EXPECT_EQ(err("unix:/p:lockfile=yes"),
            "unix: invalid value for lockfile: 'yes' (expected an integer)");
  EXPECT_EQ(err("unix"), "unix: missing parameter 'address'");
}

// Client TCP: "HOST:PORT", host=/port= keywords, mixed; timeout and bindAddress.
// Twisted: ClientStringTests.test_tcp, test_tcpPositionalArgs, test_tcpHostPositionalArg,
// test_tcpPortPositionalArg, test_tcpDefaults.
TEST(EndpointsTests, clientFromStringTCP) {
  tw::fakes::MemoryReactorClock reactor;
  auto parse = [&](const char* desc) {
    auto e = std::dynamic_pointer_cast<tw::TCP4ClientEndpoint>(tw::clientFromString(reactor, desc));
    EXPECT_NE(e, nullptr) << desc;
    return e;
  };
  auto full = parse("tcp:host=example.com:port=1234:timeout=7:bindAddress=10.0.0.3");
  EXPECT_EQ(full->host(), "example.com");
  EXPECT_EQ(full->port(), 1234);
  EXPECT_EQ(full->timeout(), tw::Seconds(7));
  ASSERT_TRUE(full->bindAddress().has_value());
  EXPECT_EQ(*full->bindAddress(), (tw::BindAddress{"10.0.0.3", 0}));
  auto positional = parse("tcp:example.com:1234");
  EXPECT_EQ(positional->host(), "example.com");
  EXPECT_EQ(positional->port(), 1234);
  EXPECT_EQ(positional->timeout(), tw::Seconds(30));
  EXPECT_FALSE(positional->bindAddress().has_value());
  auto hostKeyword = parse("tcp:host=example.com:1234");
  EXPECT_EQ(hostKeyword->host(), "example.com");
  EXPECT_EQ(hostKeyword->port(), 1234);
  auto portKeyword = parse("tcp:example.com:port=1234");
  EXPECT_EQ(portKeyword->host(), "example.com");
  EXPECT_EQ(portKeyword->port(), 1234);
  auto withBindPort = parse("tcp:h:80:timeout=2.5:bindAddress=127.0.0.1,4000");
  EXPECT_EQ(withBindPort->timeout(), tw::Seconds(2.5));
  EXPECT_EQ(*withBindPort->bindAddress(), (tw::BindAddress{"127.0.0.1", 4000}));
  auto six = tw::clientFromString(reactor, "tcp6:\\:\\:1:80");
  auto* t6 = dynamic_cast<tw::TCP6ClientEndpoint*>(six.get());
  ASSERT_NE(t6, nullptr);
  EXPECT_EQ(t6->host(), "::1");
}

// Client UNIX: path positional or keyword, timeout, lockfile/checkPID.
// Twisted: ClientStringTests.test_unix, test_unixDefaults, test_unixPathPositionalArg,
// test_unixPathPositionalArgWithOptions.
TEST(EndpointsTests, clientFromStringUNIX) {
  tw::fakes::MemoryReactorClock reactor;
  auto e = std::dynamic_pointer_cast<tw::UNIXClientEndpoint>(
      tw::clientFromString(reactor, "unix:path=/var/foo/bar:lockfile=1:timeout=9"));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->path(), "/var/foo/bar");
  EXPECT_TRUE(e->checkPID());
  EXPECT_EQ(e->timeout(), tw::Seconds(9));
  auto defaults = std::dynamic_pointer_cast<tw::UNIXClientEndpoint>(
      tw::clientFromString(reactor, "unix:/var/foo/bar"));
  EXPECT_EQ(defaults->path(), "/var/foo/bar");
  EXPECT_FALSE(defaults->checkPID());
  EXPECT_EQ(defaults->timeout(), tw::Seconds(30));
  auto check = std::dynamic_pointer_cast<tw::UNIXClientEndpoint>(
      tw::clientFromString(reactor, "unix:/p:checkPID=1"));
  EXPECT_TRUE(check->checkPID());
}

// Every malformed client description is a std::invalid_argument.
TEST(EndpointsTests, clientFromStringErrors) {
  tw::fakes::MemoryReactorClock r;
  auto err = [&](const char* desc) {
    return invalidArgument([&] { tw::clientFromString(r, desc); });
  };
  EXPECT_EQ(err("zork:h:1"), "Unknown endpoint type: 'zork'");
  EXPECT_EQ(err("tcp:example.com"), "tcp: missing parameter 'port'");
  EXPECT_EQ(err("tcp:port=80"), "tcp: missing parameter 'host'");
  EXPECT_EQ(err("tcp:h:80:extra"),
            "tcp: too many positional arguments (3, at most 2: host and port)");
  EXPECT_EQ(err("tcp:h:eighty"), "tcp: invalid value for port: 'eighty' (expected an integer)");
  EXPECT_EQ(err("tcp:h:80:timeout=soon"),
            "tcp: invalid value for timeout: 'soon' (expected a number of seconds)");
  EXPECT_EQ(err("tcp:h:80:timeout=-1"),
            "tcp: invalid value for timeout: '-1' (expected a number of seconds)");
  EXPECT_EQ(err("tcp:h:80:bindAddress=1.2.3.4,x"),
            "tcp: invalid value for bindAddress port: 'x' (expected an integer)");
  EXPECT_EQ(err("tcp:h:80:speed=fast"), "tcp: unknown parameter 'speed'");
  EXPECT_EQ(err("unix:path=/p:timeout="),
            "unix: invalid value for timeout: '' (expected a number of seconds)");
  EXPECT_EQ(err("unix:/a:/b"), "unix: too many positional arguments (2, at most 1)");
  EXPECT_EQ(err("unix:/a:path=/b"), "unix: parameter 'path' given twice");
  EXPECT_EQ(err("unix:/a:lockfile=1:checkPID=1"), "unix: give lockfile or checkPID, not both");
}

/// An IReactorCore that is neither IReactorTCP nor IReactorUNIX.
class CoreOnly : public tw::IReactorCore {
 public:
  bool running() const override { return false; }
  tw::Deferred<std::string> resolve(std::string_view, tw::Seconds) override {
    return tw::succeed(std::string("127.0.0.1"));
  }
  void run() override {}
  void stop() override {}
  void crash() override {}
  void iterate(tw::Seconds) override {}
  void fireSystemEvent(std::string_view) override {}
  void removeSystemEventTrigger(tw::TriggerId) override {}
  std::optional<tw::TriggerId> callWhenRunning(std::function<void()>) override {
    return std::nullopt;
  }

 protected:
  tw::TriggerId doAddSystemEventTrigger(std::string_view, std::string_view,
                                        std::function<tw::Deferred<void>()>) override {
    return tw::TriggerId{};
  }
};

// A reactor without the capability a prefix needs is named in the error.
TEST(EndpointsTests, fromStringNamesTheMissingReactorCapability) {
  CoreOnly reactor;
  EXPECT_EQ(invalidArgument([&] { tw::serverFromString(reactor, "tcp:80"); }),
            "tcp: the reactor does not implement IReactorTCP, which this endpoint type needs");
  EXPECT_EQ(invalidArgument([&] { tw::clientFromString(reactor, "unix:/p"); }),
            "unix: the reactor does not implement IReactorUNIX, which this endpoint type needs");
}

// Registered prefixes extend both functions; duplicates are refused; they can be removed.
// Twisted: the IStreamServerEndpointStringParser plugin tests (test_pluginDiscovery).
TEST(EndpointsTests, registeredParsersExtendTheGrammar) {
  tw::fakes::MemoryReactor reactor;
  tw::EndpointDescription seen;
  tw::registerServerEndpointParser(
      "Fake", [&](tw::IReactorCore& r, const tw::EndpointDescription& d) {
        seen = d;
        return std::make_shared<tw::TCP4ServerEndpoint>(dynamic_cast<tw::IReactorTCP&>(r), 1);
      });
  tw::registerClientEndpointParser(
      "fake", [&](tw::IReactorCore& r, const tw::EndpointDescription& d) {
        seen = d;
        return std::make_shared<tw::TCP4ClientEndpoint>(dynamic_cast<tw::IReactorTCP&>(r), "h", 2);
      });
  EXPECT_NE(tw::serverFromString(reactor, "FAKE:alpha:beta=gamma"), nullptr);
  EXPECT_EQ(seen.args, std::vector<std::string>{"alpha"});
  EXPECT_EQ(seen.kwargs.at("beta"), "gamma");
  EXPECT_NE(tw::clientFromString(reactor, "fake:x"), nullptr);
  EXPECT_EQ(seen.args, std::vector<std::string>{"x"});
  EXPECT_EQ(invalidArgument([&] {
              tw::registerServerEndpointParser(
                  "fake", [](tw::IReactorCore&, const tw::EndpointDescription&) {
                    return std::shared_ptr<tw::IStreamServerEndpoint>();
                  });
            }),
            "endpoint prefix already registered: 'fake'");
  EXPECT_NE(invalidArgument([&] {
              tw::registerClientEndpointParser(
                  "a:b", [](tw::IReactorCore&, const tw::EndpointDescription&) {
                    return std::shared_ptr<tw::IStreamClientEndpoint>();
                  });
            }),
            "");
  EXPECT_TRUE(tw::unregisterServerEndpointParser("fake"));
  EXPECT_TRUE(tw::unregisterClientEndpointParser("FAKE"));
  EXPECT_FALSE(tw::unregisterClientEndpointParser("fake"));
  EXPECT_EQ(invalidArgument([&] { tw::serverFromString(reactor, "fake:1"); }),
            "Unknown endpoint type: 'fake'");
}

}  // namespace
