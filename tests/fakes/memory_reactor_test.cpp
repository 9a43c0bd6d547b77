/// @file
/// Tests of MemoryReactor, MemoryReactorClock and RaisingMemoryReactor: what is recorded, the
/// fake ports and connectors, run/stop/crash, system events, descriptors, UDP.
/// Twisted: twisted/internet/test/test_testing.py (ReactorTests).
#include "tw/fakes/memory_reactor.hpp"

#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../runtime/result_helpers.hpp"
#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/factory.hpp"
#include "tw/fakes/accumulating_protocol.hpp"
#include "tw/logger.hpp"

namespace {

using namespace std::chrono_literals;
using tw::fakes::MemoryReactor;
using tw::fakes::MemoryReactorClock;

// Counts startedConnecting.
class CountingClientFactory : public tw::ClientFactory {
 public:
  void startedConnecting(tw::IConnector& c) override { started.push_back(&c); }
  std::vector<tw::IConnector*> started;
};

const tw::IPv4Address& ipv4(const tw::AddressPtr& a) {
  return dynamic_cast<const tw::IPv4Address&>(*a);
}

// Twisted: test_connectDestination — connectors' destinations reflect the arguments.
TEST(MemoryReactorTests, connectorDestinationsReflectTheArguments) {
  MemoryReactor reactor;
  auto factory = std::make_shared<tw::ClientFactory>();
  auto c = reactor.connectTCP("test.example.com", 8321, factory);
  EXPECT_EQ(ipv4(c->getDestination()).host(), "test.example.com");
  EXPECT_EQ(ipv4(c->getDestination()).port(), 8321);
  auto c6 = reactor.connectTCP("::1", 8321, factory);
  EXPECT_EQ(c6->getDestination()->repr(),
            "IPv6Address(type='TCP', host='::1', port=8321, flowInfo=0, scopeID=0)");
  auto u = reactor.connectUNIX("/fake/path", factory);
  EXPECT_EQ(dynamic_cast<const tw::UNIXAddress&>(*u->getDestination()).name(), "/fake/path");
}

// Twisted: test_listenDefaultHost — ports listen on 0.0.0.0:port, or the given IPv6 interface,
// or the UNIX path.
TEST(MemoryReactorTests, listeningPortsHaveTheirAddress) {
  MemoryReactor reactor;
  auto factory = std::make_shared<tw::Factory>();
  auto p = reactor.listenTCP(8242, factory);
  EXPECT_EQ(ipv4(p->getHost()).host(), "0.0.0.0");
  EXPECT_EQ(ipv4(p->getHost()).port(), 8242);
  auto p6 = reactor.listenTCP(8242, factory, 50, "::1");
  EXPECT_EQ(p6->getHost()->repr(),
            "IPv6Address(type='TCP', host='::1', port=8242, flowInfo=0, scopeID=0)");
  auto u = reactor.listenUNIX("/path/to/socket", factory);
  EXPECT_EQ(dynamic_cast<const tw::UNIXAddress&>(*u->getHost()).name(), "/path/to/socket");
}

// listenTCP and connectTCP record every argument, with the caller's source location.
TEST(MemoryReactorTests, tcpCallsAreRecorded) {
  MemoryReactor reactor;
  auto server = std::make_shared<tw::Factory>();
  auto client = std::make_shared<CountingClientFactory>();
  reactor.listenTCP(1234, server, 7, "127.0.0.1");
  int line = __LINE__ + 1;
  auto c = reactor.connectTCP("example.org", 80, client, 5s, tw::BindAddress{"10.0.0.9", 0});
  ASSERT_EQ(reactor.tcpServers().size(), 1u);
  const auto& s = reactor.tcpServers()[0];
  EXPECT_EQ(s.port, 1234);
  EXPECT_EQ(s.factory, server);
  EXPECT_EQ(s.backlog, 7);
  EXPECT_EQ(s.interface, "127.0.0.1");
  ASSERT_EQ(reactor.tcpClients().size(), 1u);
  const auto& cl = reactor.tcpClients()[0];
  EXPECT_EQ(cl.host, "example.org");
  EXPECT_EQ(cl.port, 80);
  EXPECT_EQ(cl.factory, client);
  EXPECT_DOUBLE_EQ(cl.timeout.count(), 5.0);
  EXPECT_EQ(cl.bindAddress->first, "10.0.0.9");
  EXPECT_EQ(cl.connector, c);
  EXPECT_EQ(cl.where.line(), static_cast<unsigned>(line));
  EXPECT_EQ(reactor.connectors().size(), 1u);
}

// Defaults are Twisted's: backlog 50, interface "", timeout 30 s, no bind address.
TEST(MemoryReactorTests, defaultsAreTwisteds) {
  MemoryReactor reactor;
  reactor.listenTCP(1, std::make_shared<tw::Factory>());
  reactor.connectTCP("h", 2, std::make_shared<tw::ClientFactory>());
  reactor.listenUNIX("/s", std::make_shared<tw::Factory>());
  EXPECT_EQ(reactor.tcpServers()[0].backlog, 50);
  EXPECT_EQ(reactor.tcpServers()[0].interface, "");
  EXPECT_DOUBLE_EQ(reactor.tcpClients()[0].timeout.count(), 30.0);
  EXPECT_FALSE(reactor.tcpClients()[0].bindAddress);
  EXPECT_EQ(reactor.unixServers()[0].mode, 0666);
  EXPECT_FALSE(reactor.unixServers()[0].wantPID);
}

// connect* calls startedConnecting at once with the returned connector; nothing completes.
TEST(MemoryReactorTests, connectCallsStartedConnecting) {
  MemoryReactor reactor;
  auto client = std::make_shared<CountingClientFactory>();
  auto c = reactor.connectTCP("h", 1, client);
  auto u = reactor.connectUNIX("/s", client);
  EXPECT_EQ(client->started, (std::vector<tw::IConnector*>{c.get(), u.get()}));
  EXPECT_EQ(reactor.unixClients().at(0).address, "/s");
}

// Fake connectors record stopConnecting, disconnect and connect calls.
TEST(MemoryReactorTests, fakeConnectorRecordsCalls) {
  MemoryReactor reactor;
  reactor.connectTCP("h", 1, std::make_shared<tw::ClientFactory>());
  auto c = reactor.connectors().at(0);
  EXPECT_FALSE(c->stoppedConnecting());
  c->stopConnecting();
  c->disconnect();
  c->connect();
  c->connect();
  EXPECT_TRUE(c->stoppedConnecting());
  EXPECT_TRUE(c->disconnected());
  EXPECT_EQ(c->connectCalls(), 2);
}

// A connector's connect() records a new attempt with the same arguments, as a real connector
// starts a new attempt; startedConnecting runs again.
TEST(MemoryReactorTests, connectorConnectRecordsANewAttempt) {
  MemoryReactor reactor;
  auto client = std::make_shared<CountingClientFactory>();
  auto c = reactor.connectTCP("h", 1, client, 9s);
  c->connect();
  ASSERT_EQ(reactor.tcpClients().size(), 2u);
  EXPECT_EQ(reactor.tcpClients()[1].host, "h");
  EXPECT_DOUBLE_EQ(reactor.tcpClients()[1].timeout.count(), 9.0);
  EXPECT_EQ(reactor.tcpClients()[1].connector, c);
  EXPECT_EQ(client->started.size(), 2u);
  auto u = reactor.connectUNIX("/s", client);
  u->connect();
  EXPECT_EQ(reactor.unixClients().size(), 2u);
}

// A fake port's stopListening fires at once and marks it stopped.
TEST(MemoryReactorTests, fakePortStops) {
  MemoryReactor reactor;
  reactor.listenTCP(1, std::make_shared<tw::Factory>());
  auto p = reactor.tcpServers()[0].listeningPort;
  EXPECT_TRUE(p->listening());
  tw::test::successResultOf(p->stopListening());
  EXPECT_FALSE(p->listening());
}

// run() runs the callWhenRunning hooks in order, then stops; afterwards callWhenRunning hooks
// wait for the next run.
TEST(MemoryReactorTests, runRunsHooksThenStops) {
  MemoryReactor reactor;
  std::vector<int> seen;
  EXPECT_FALSE(reactor.hasRun());
  reactor.callWhenRunning([&] { seen.push_back(1); });
  reactor.callWhenRunning([&] {
    seen.push_back(2);
    EXPECT_TRUE(reactor.running());
    EXPECT_FALSE(reactor.callWhenRunning([&] { seen.push_back(3); }));
  });
  reactor.run();
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(reactor.hasRun());
  EXPECT_TRUE(reactor.hasStopped());
  EXPECT_FALSE(reactor.running());
}

// stop() when not running is an error, as on a real reactor; crash() marks a crash.
TEST(MemoryReactorTests, stopAndCrash) {
  MemoryReactor reactor;
  EXPECT_THROW(reactor.stop(), tw::error::ReactorNotRunning);
  reactor.callWhenRunning([&] { reactor.crash(); });
  reactor.run();
  EXPECT_TRUE(reactor.hasCrashed());
  EXPECT_FALSE(reactor.hasStopped());
  EXPECT_FALSE(reactor.running());
}

// Triggers are recorded by phase and event, and removable by id.
TEST(MemoryReactorTests, triggersAreRecordedAndRemovable) {
  MemoryReactor reactor;
  auto a = reactor.addSystemEventTrigger("before", "shutdown", [] {});
  reactor.addSystemEventTrigger("after", "startup", [] { return tw::succeed(); });
  EXPECT_EQ(reactor.triggers().at("before").at("shutdown").size(), 1u);
  EXPECT_EQ(reactor.triggers().at("after").at("startup").size(), 1u);
  reactor.removeSystemEventTrigger(a);
  EXPECT_TRUE(reactor.triggers().at("before").at("shutdown").empty());
  EXPECT_THROW(reactor.removeSystemEventTrigger(a), std::invalid_argument);
  EXPECT_THROW(reactor.addSystemEventTrigger("later", "shutdown", [] {}), std::invalid_argument);
}

// fireSystemEvent runs before, then (once every "before" Deferred fired) during, then after.
TEST(MemoryReactorTests, fireSystemEventRunsThreePhases) {
  MemoryReactor reactor;
  std::vector<std::string> seen;
  tw::Deferred<void> gate;
  reactor.addSystemEventTrigger("after", "shutdown", [&] { seen.push_back("after"); });
  reactor.addSystemEventTrigger("during", "shutdown", [&] { seen.push_back("during"); });
  reactor.addSystemEventTrigger("before", "shutdown", [&] {
    seen.push_back("before1");
    return gate;
  });
  reactor.addSystemEventTrigger("before", "shutdown", [&] { seen.push_back("before2"); });
  reactor.addSystemEventTrigger("during", "other", [&] { seen.push_back("other"); });
  reactor.fireSystemEvent("shutdown");
  EXPECT_EQ(seen, (std::vector<std::string>{"before1", "before2"}));
  gate.callback();
  EXPECT_EQ(seen, (std::vector<std::string>{"before1", "before2", "during", "after"}));
}

// A failing trigger is logged and the event goes on.
TEST(MemoryReactorTests, failingTriggerIsLogged) {
  tw::LogCapture capture;
  MemoryReactor reactor;
  bool after = false;
  reactor.addSystemEventTrigger("before", "shutdown",
                                []() -> tw::Deferred<void> { throw std::runtime_error("boom"); });
  reactor.addSystemEventTrigger("after", "shutdown", [&] { after = true; });
  reactor.fireSystemEvent("shutdown");
  EXPECT_TRUE(after);
  ASSERT_EQ(capture.errors().size(), 1u);
  EXPECT_TRUE(capture.errors()[0].failure->check<std::runtime_error>());
}

// Firing an event consumes its triggers, as a real reactor does (Twisted's _ThreePhaseEvent):
// fired again, only the triggers added since run.  A "before" trigger added by a "before"
// trigger runs in the same firing.
TEST(MemoryReactorTests, firingConsumesTriggers) {
  MemoryReactor reactor;
  std::vector<std::string> seen;
  reactor.addSystemEventTrigger("before", "custom", [&] {
    seen.push_back("before");
    reactor.addSystemEventTrigger("before", "custom", [&] { seen.push_back("added"); });
  });
  reactor.addSystemEventTrigger("during", "custom", [&] { seen.push_back("during"); });
  reactor.fireSystemEvent("custom");
  EXPECT_EQ(seen, (std::vector<std::string>{"before", "added", "during"}));
  EXPECT_TRUE(reactor.triggers().at("before").at("custom").empty());
  EXPECT_TRUE(reactor.triggers().at("during").at("custom").empty());
  reactor.addSystemEventTrigger("after", "custom", [&] { seen.push_back("later"); });
  reactor.fireSystemEvent("custom");
  EXPECT_EQ(seen, (std::vector<std::string>{"before", "added", "during", "later"}));
}

// A reader or writer to be watched.
class Descriptor : public tw::IReadDescriptor, public tw::IWriteDescriptor {
 public:
  int fileno() const override { return 3; }
  void connectionLost(const tw::Failure&) override {}
  std::optional<tw::Failure> doRead() override { return std::nullopt; }
  std::optional<tw::Failure> doWrite() override { return std::nullopt; }
};

// Twisted: test_readers, test_writers — adding twice keeps one; removing forgets; removeAll
// returns each descriptor once.
TEST(MemoryReactorTests, readersAndWriters) {
  MemoryReactor reactor;
  Descriptor d;
  reactor.addReader(d);
  reactor.addReader(d);
  EXPECT_EQ(reactor.getReaders(), std::vector<tw::IReadDescriptor*>{&d});
  reactor.removeReader(d);
  EXPECT_TRUE(reactor.getReaders().empty());
  reactor.removeReader(d);
  reactor.addWriter(d);
  reactor.addWriter(d);
  EXPECT_EQ(reactor.getWriters(), std::vector<tw::IWriteDescriptor*>{&d});
  reactor.addReader(d);
  EXPECT_EQ(reactor.removeAll().size(), 1u);
  EXPECT_TRUE(reactor.getReaders().empty());
  EXPECT_TRUE(reactor.getWriters().empty());
}

// Adopted sockets are recorded; an unsupported family is an error.
TEST(MemoryReactorTests, adoptedSocketsAreRecorded) {
  MemoryReactor reactor;
  auto factory = std::make_shared<tw::Factory>();
  auto p = reactor.adoptStreamPort(7, AF_INET, factory);
  EXPECT_EQ(p->getHost()->repr(), "IPv4Address(type='TCP', host='0.0.0.0', port=1234)");
  reactor.adoptStreamConnection(8, AF_INET6, factory);
  EXPECT_THROW(reactor.adoptStreamPort(9, AF_UNIX, factory), tw::error::UnsupportedAddressFamily);
  EXPECT_EQ(reactor.adoptedPorts().size(), 1u);
  EXPECT_EQ(reactor.adoptedStreamConnections().at(0).fileDescriptor, 8);
}

// Answers every datagram with "ok".
class Answer : public tw::DatagramProtocol {
 public:
  void startProtocol() override { started = true; }
  void stopProtocol() override { stopped = true; }
  void datagramReceived(std::string_view, const tw::IAddress& addr) override {
    const auto& from = dynamic_cast<const tw::IPv4Address&>(addr);
    transport()->write("ok", std::make_pair(from.host(), from.port()));
  }
  bool started = false;
  bool stopped = false;
};

// listenUDP is recorded (Twisted's fake has no UDP, twisted#9695): the protocol starts on a
// FakeDatagramTransport, its writes are visible, and stopping the port stops the protocol.
TEST(MemoryReactorTests, udpPortsAreRecordedAndUsable) {
  MemoryReactor reactor;
  auto proto = std::make_shared<Answer>();
  auto port = reactor.listenUDP(5353, proto, "", 1500);
  ASSERT_EQ(reactor.udpPorts().size(), 1u);
  const auto& u = reactor.udpPorts()[0];
  EXPECT_EQ(u.port, 5353);
  EXPECT_EQ(u.maxPacketSize, 1500u);
  EXPECT_TRUE(proto->started);
  proto->datagramReceived("q", tw::IPv4Address("UDP", "10.1.1.1", 9));
  ASSERT_EQ(u.transport->written().size(), 1u);
  EXPECT_EQ(u.transport->written()[0].addr, (std::pair<std::string, int>{"10.1.1.1", 9}));
  EXPECT_EQ(port->getHost()->repr(), "IPv4Address(type='UDP', host='0.0.0.0', port=5353)");
  tw::test::successResultOf(port->stopListening());
  EXPECT_TRUE(proto->stopped);
  EXPECT_EQ(proto->transport(), nullptr);
}

// resolve answers IP literals and hosts added with addHost, and fails for others.
TEST(MemoryReactorTests, resolveUsesTheHostTable) {
  MemoryReactor reactor;
  reactor.addHost("example.org", "93.184.216.34");
  EXPECT_EQ(tw::test::successResultOf(reactor.resolve("example.org", 1s)), "93.184.216.34");
  EXPECT_EQ(tw::test::successResultOf(reactor.resolve("10.0.0.1", 1s)), "10.0.0.1");
  tw::test::failureResultOf<tw::error::DNSLookupError>(reactor.resolve("nowhere", 1s));
}

// MemoryReactorClock records network calls and drives time; iterate runs what is due.
TEST(MemoryReactorClockTests, isBothAReactorAndAClock) {
  MemoryReactorClock reactor;
  bool fired = false;
  reactor.callLater(0s, [&] { fired = true; });
  reactor.listenTCP(1, std::make_shared<tw::Factory>());
  reactor.iterate();
  EXPECT_TRUE(fired);
  reactor.advance(5s);
  EXPECT_DOUBLE_EQ(reactor.seconds(), 5.0);
  tw::IReactorTime& time = reactor;
  tw::IReactorTCP& tcp = reactor;
  EXPECT_EQ(time.getDelayedCalls().size(), 0u);
  tcp.connectTCP("h", 1, std::make_shared<tw::ClientFactory>());
  EXPECT_EQ(reactor.tcpClients().size(), 1u);
}

// RaisingMemoryReactor throws the given exceptions from every listen and connect.
TEST(RaisingMemoryReactorTests, raisesTheGivenExceptions) {
  tw::fakes::RaisingMemoryReactor reactor(
      std::make_exception_ptr(std::runtime_error("no listen")),
      std::make_exception_ptr(tw::error::ConnectionRefusedError()));
  auto factory = std::make_shared<tw::ClientFactory>();
  EXPECT_THROW(reactor.listenTCP(1, factory), std::runtime_error);
  EXPECT_THROW(reactor.listenUNIX("/s", factory), std::runtime_error);
  EXPECT_THROW(reactor.listenUDP(1, std::make_shared<Answer>()), std::runtime_error);
  EXPECT_THROW(reactor.adoptStreamPort(1, AF_INET, factory), std::runtime_error);
  EXPECT_THROW(reactor.connectTCP("h", 1, factory), tw::error::ConnectionRefusedError);
  EXPECT_THROW(reactor.connectUNIX("/s", factory), tw::error::ConnectionRefusedError);
  EXPECT_THROW(reactor.adoptStreamConnection(1, AF_INET, factory),
               tw::error::ConnectionRefusedError);
}

// Without exceptions given, it raises CannotListenError and ConnectError.
TEST(RaisingMemoryReactorTests, defaultExceptions) {
  tw::fakes::RaisingMemoryReactor reactor;
  auto factory = std::make_shared<tw::ClientFactory>();
  EXPECT_THROW(reactor.listenTCP(1, factory), tw::error::CannotListenError);
  EXPECT_THROW(reactor.connectTCP("h", 1, factory), tw::error::ConnectError);
}

}  // namespace
