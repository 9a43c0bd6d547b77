/// @file
/// Tests of the policy wrappers: throttling, idle timeouts, connection limits, traffic logging.
/// Twisted: twisted/test/test_policies.py (ThrottlingTests, TimeoutProtocolTests,
/// TimeoutFactoryTests, LimitTotalConnectionsFactoryTests, LoggingFactoryTests).
#include "tw/policies.hpp"

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/fakes/clock.hpp"
#include "tw/fakes/string_transport.hpp"
#include "tw/logger.hpp"

namespace {

using namespace std::chrono_literals;

// Twisted's EchoProtocol of test_policies: echoes, and is a push producer that records pauses.
class EchoProtocol : public tw::Protocol, public tw::IPushProducer {
 public:
  void dataReceived(std::string_view data) override { transport()->write(data); }
  void pauseProducing() override { paused = true; }
  void resumeProducing() override { paused = false; }
  void stopProducing() override {}
  bool paused = false;
};

// Twisted's SimpleProtocol: records connection and disconnection.
class SimpleProtocol : public tw::Protocol {
 public:
  void connectionMade() override { connectedFlag = true; }
  void connectionLost(const tw::Failure& reason) override {
    disconnected = true;
    Protocol::connectionLost(reason);
  }
  void dataReceived(std::string_view data) override { buffer += data; }
  bool connectedFlag = false;
  bool disconnected = false;
  std::string buffer;
};

template <class P>
std::shared_ptr<tw::ServerFactory> serverOf() {
  auto f = std::make_shared<tw::ServerFactory>();
  f->setProtocol([] { return std::make_shared<P>(); });
  f->setNoisy(false);
  return f;
}

const tw::IPv4Address kAddr("TCP", "127.0.0.1", 12345);

// A wrapper connected to a StringTransportWithDisconnection.
template <class Wrapper>
struct Connection {
  explicit Connection(std::shared_ptr<tw::IProtocol> p)
      : proto(std::dynamic_pointer_cast<Wrapper>(std::move(p))) {
    transport.setProtocol(*proto);
    proto->makeConnection(transport);
  }
  std::shared_ptr<Wrapper> proto;
  tw::fakes::StringTransportWithDisconnection transport;
};

// Twisted: ThrottlingTests.test_writeSequence — writeSequence counts every byte written.
TEST(ThrottlingFactoryTests, writeSequenceCountsBytes) {
  tw::fakes::Clock clock;
  tw::ThrottlingFactory factory(serverOf<EchoProtocol>(), clock);
  Connection<tw::ThrottlingProtocol> c(factory.buildProtocol(kAddr));
  c.proto->writeSequence({"bytes", "bytes", "bytes", "bytes"});
  EXPECT_EQ(c.transport.value(), "bytesbytesbytesbytes");
  EXPECT_EQ(factory.writtenThisSecond(), 20u);
}

// Twisted: ThrottlingTests.test_writeLimit — past the write limit, the producer is paused for
// the excess fraction of a second, then resumed.
TEST(ThrottlingFactoryTests, writeLimitPausesTheProducer) {
  tw::fakes::Clock clock;
  tw::ThrottlingFactory factory(serverOf<EchoProtocol>(), clock, 1000, std::nullopt, 10);
  Connection<tw::ThrottlingProtocol> c(factory.buildProtocol(kAddr));
  auto* echo = dynamic_cast<EchoProtocol*>(c.proto->wrappedProtocol().get());
  ASSERT_NE(echo, nullptr);
  c.proto->registerProducer(*echo, true);
  c.proto->dataReceived("0123456789");
  c.proto->dataReceived("abcdefghij");
  EXPECT_EQ(c.transport.value(), "0123456789abcdefghij");
  EXPECT_EQ(factory.writtenThisSecond(), 20u);
  EXPECT_FALSE(echo->paused);
  clock.advance(1.05s);
  EXPECT_EQ(factory.writtenThisSecond(), 0u);
  EXPECT_TRUE(echo->paused);
  clock.advance(1.05s);
  EXPECT_FALSE(echo->paused);
  c.proto->unregisterProducer();
  c.transport.loseConnection();
}

// Twisted: ThrottlingTests.test_readLimit — past the read limit, the transport is paused, then
// resumed; again on the next burst.
TEST(ThrottlingFactoryTests, readLimitPausesTheTransport) {
  tw::fakes::Clock clock;
  tw::ThrottlingFactory factory(serverOf<EchoProtocol>(), clock, 1000, 10);
  Connection<tw::ThrottlingProtocol> c(factory.buildProtocol(kAddr));
  for (int round = 0; round < 2; ++round) {
    c.transport.clear();
    c.proto->dataReceived("0123456789");
    c.proto->dataReceived("abcdefghij");
    EXPECT_EQ(c.transport.value(), "0123456789abcdefghij");
    EXPECT_EQ(factory.readThisSecond(), 20u);
    clock.advance(1.05s);
    EXPECT_EQ(factory.readThisSecond(), 0u);
    EXPECT_EQ(c.transport.producerState(), tw::fakes::ProducerState::paused);
    clock.advance(1.05s);
    EXPECT_EQ(c.transport.producerState(), tw::fakes::ProducerState::producing);
  }
  c.transport.loseConnection();
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// Twisted: ThrottlingTests.test_limit (without sockets) — beyond maxConnectionCount,
// connections are refused until one closes.
TEST(ThrottlingFactoryTests, maxConnectionCountRefusesExtraConnections) {
  tw::fakes::Clock clock;
  tw::ThrottlingFactory factory(serverOf<SimpleProtocol>(), clock, 2);
  auto c1 = std::make_unique<Connection<tw::ThrottlingProtocol>>(factory.buildProtocol(kAddr));
  Connection<tw::ThrottlingProtocol> c2(factory.buildProtocol(kAddr));
  EXPECT_EQ(factory.buildProtocol(kAddr), nullptr);
  EXPECT_EQ(factory.protocols().size(), 2u);
  c1->transport.loseConnection();
  EXPECT_EQ(factory.connectionCount(), 1u);
  Connection<tw::ThrottlingProtocol> c4(factory.buildProtocol(kAddr));
  EXPECT_TRUE(c4.proto);
  EXPECT_EQ(factory.connectionCount(), 2u);
}

// Destroying a throttling factory cancels its timers.
TEST(ThrottlingFactoryTests, destructionCancelsTimers) {
  tw::fakes::Clock clock;
  {
    tw::ThrottlingFactory factory(serverOf<EchoProtocol>(), clock, 10, 10, 10);
    auto p = factory.buildProtocol(kAddr);
    EXPECT_EQ(clock.getDelayedCalls().size(), 2u);
  }
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// Twisted: TimeoutProtocolTests.getProtocolAndClock — a TimeoutProtocol with no period, connected.
struct TimeoutSetup {
  TimeoutSetup()
      : factory(std::make_shared<tw::TimeoutFactory>(serverOf<SimpleProtocol>(), clock, 3s)),
        c(factory->buildProtocol(kAddr)) {}
  tw::fakes::Clock clock;
  std::shared_ptr<tw::TimeoutFactory> factory;
  Connection<tw::TimeoutProtocol> c;
  SimpleProtocol& wrapped() {
    return *std::dynamic_pointer_cast<SimpleProtocol>(c.proto->wrappedProtocol());
  }
};

// Twisted: TimeoutProtocolTests.test_cancelTimeout — cancelTimeout stops the countdown.
TEST(TimeoutProtocolTests, cancelTimeoutStopsTheCountdown) {
  TimeoutSetup s;
  auto keep = std::dynamic_pointer_cast<SimpleProtocol>(s.c.proto->wrappedProtocol());
  s.c.proto->setTimeout(3s);
  s.clock.advance(1s);
  s.c.proto->cancelTimeout();
  EXPECT_TRUE(s.clock.getDelayedCalls().empty());
  s.clock.advance(3s);
  EXPECT_FALSE(keep->disconnected);
}

// Twisted: test_cancelTimeoutNoTimeout, test_cancelTimeoutAlreadyCalled,
// test_cancelTimeoutAlreadyCancelled — cancelTimeout is quiet in every state.
TEST(TimeoutProtocolTests, cancelTimeoutIsQuietInEveryState) {
  TimeoutSetup s;
  auto keep = std::dynamic_pointer_cast<SimpleProtocol>(s.c.proto->wrappedProtocol());
  s.c.proto->cancelTimeout();
  EXPECT_NO_THROW(s.c.proto->cancelTimeout());
  s.c.proto->setTimeout(3s);
  s.clock.getDelayedCalls().at(0)->cancel();
  EXPECT_NO_THROW(s.c.proto->cancelTimeout());
  EXPECT_FALSE(keep->disconnected);
  s.c.proto->setTimeout(3s);
  s.clock.advance(3s);
  EXPECT_TRUE(keep->disconnected);
  EXPECT_NO_THROW(s.c.proto->cancelTimeout());
}

// Twisted: TimeoutFactoryTests.test_timeout — an idle connection is closed after the period.
TEST(TimeoutFactoryTests, idleConnectionTimesOut) {
  TimeoutSetup s;
  auto keep = std::dynamic_pointer_cast<SimpleProtocol>(s.c.proto->wrappedProtocol());
  s.clock.pump({0s, 0.5s, 1s, 1s, 0.4s});
  EXPECT_FALSE(keep->disconnected);
  s.clock.pump({0s, 0.2s});
  EXPECT_TRUE(keep->disconnected);
}

// Twisted: TimeoutFactoryTests.test_sendAvoidsTimeout — writing restarts the countdown.
TEST(TimeoutFactoryTests, sendingAvoidsTheTimeout) {
  TimeoutSetup s;
  auto keep = std::dynamic_pointer_cast<SimpleProtocol>(s.c.proto->wrappedProtocol());
  s.clock.pump({0s, 0.5s, 1s});
  s.c.proto->write("bytes bytes bytes");
  s.clock.pump({0s, 1s, 1s});
  EXPECT_FALSE(keep->disconnected);
  s.c.proto->writeSequence({"bytes", "bytes", "bytes"});
  s.clock.pump({0s, 1s, 1s});
  EXPECT_FALSE(keep->disconnected);
  s.clock.pump({0s, 2s});
  EXPECT_TRUE(keep->disconnected);
}

// Twisted: TimeoutFactoryTests.test_receiveAvoidsTimeout — receiving restarts the countdown.
TEST(TimeoutFactoryTests, receivingAvoidsTheTimeout) {
  TimeoutSetup s;
  auto keep = std::dynamic_pointer_cast<SimpleProtocol>(s.c.proto->wrappedProtocol());
  s.clock.pump({0s, 1s, 0.5s});
  s.c.proto->dataReceived("bytes bytes bytes");
  s.clock.pump({0s, 1s, 1s});
  EXPECT_FALSE(keep->disconnected);
  s.clock.pump({0s, 1s, 1s});
  EXPECT_TRUE(keep->disconnected);
  EXPECT_EQ(keep->buffer, "bytes bytes bytes");
}

// A TimeoutProtocol destroyed before its timeout leaves nothing scheduled.
TEST(TimeoutFactoryTests, unconnectedProtocolCancelsOnDestruction) {
  tw::fakes::Clock clock;
  tw::TimeoutFactory factory(serverOf<SimpleProtocol>(), clock, 3s);
  { auto p = factory.buildProtocol(kAddr); }
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// Twisted: LimitTotalConnectionsFactoryTests.testConnectionCounting — connections are counted
// while open.
TEST(LimitTotalConnectionsFactoryTests, countsOpenConnections) {
  tw::LimitTotalConnectionsFactory factory(serverOf<SimpleProtocol>(), std::nullopt);
  auto c1 = std::make_unique<Connection<tw::ProtocolWrapper>>(factory.buildProtocol(kAddr));
  EXPECT_EQ(factory.connectionCount(), 1u);
  auto c2 = std::make_unique<Connection<tw::ProtocolWrapper>>(factory.buildProtocol(kAddr));
  EXPECT_EQ(factory.connectionCount(), 2u);
  c1->transport.loseConnection();
  EXPECT_EQ(factory.connectionCount(), 1u);
  c2->transport.loseConnection();
  EXPECT_EQ(factory.connectionCount(), 0u);
}

// Twisted: testConnectionLimiting — beyond the limit, connections are refused.
TEST(LimitTotalConnectionsFactoryTests, refusesBeyondTheLimit) {
  tw::LimitTotalConnectionsFactory factory(serverOf<SimpleProtocol>(), 1);
  Connection<tw::ProtocolWrapper> c1(factory.buildProtocol(kAddr));
  EXPECT_EQ(factory.buildProtocol(kAddr), nullptr);
  EXPECT_EQ(factory.connectionCount(), 1u);
}

// Twisted: testOverflowProtocol — beyond the limit, the overflow factory's protocol is used.
TEST(LimitTotalConnectionsFactoryTests, overflowProtocolTakesExtraConnections) {
  class Busy : public tw::Protocol {
    void connectionMade() override {
      transport()->write("busy\r\n");
      transport()->loseConnection();
    }
  };
  tw::LimitTotalConnectionsFactory factory(serverOf<SimpleProtocol>(), 1, serverOf<Busy>());
  Connection<tw::ProtocolWrapper> c1(factory.buildProtocol(kAddr));
  Connection<tw::ProtocolWrapper> c2(factory.buildProtocol(kAddr));
  EXPECT_EQ(c2.transport.value(), "busy\r\n");
  EXPECT_EQ(factory.connectionCount(), 1u);
}

// At most maxConnectionsPerPeer connections per peer host; released on close.
TEST(LimitConnectionsByPeerTests, limitsEachHost) {
  tw::LimitConnectionsByPeer factory(serverOf<SimpleProtocol>(), 2);
  factory.doStart();
  tw::IPv4Address peer("TCP", "192.168.1.1", 54321);  // StringTransport's default peer
  auto c1 = std::make_unique<Connection<tw::ProtocolWrapper>>(factory.buildProtocol(peer));
  Connection<tw::ProtocolWrapper> c2(factory.buildProtocol(peer));
  EXPECT_EQ(factory.buildProtocol(peer), nullptr);
  EXPECT_NE(factory.buildProtocol(tw::IPv4Address("TCP", "10.9.9.9", 1)), nullptr);
  c1->transport.loseConnection();
  EXPECT_EQ(factory.peerConnections().at("192.168.1.1"), 1);
  EXPECT_NE(factory.buildProtocol(peer), nullptr);
  factory.doStop();
}

// A traffic logging factory that logs to string streams.
class StringLoggingFactory : public tw::TrafficLoggingFactory {
 public:
  using TrafficLoggingFactory::TrafficLoggingFactory;
  std::unique_ptr<std::ostream> open(const std::string& name) override {
    names.push_back(name);
    auto stream = std::make_unique<std::ostringstream>();
    streams.push_back(stream.get());
    return stream;
  }
  std::vector<std::string> names;
  std::vector<std::ostringstream*> streams;
};

// Twisted: LoggingFactoryTests.test_thingsGetLogged — connection, data in and out, and the
// close are logged, one line each.
TEST(TrafficLoggingFactoryTests, thingsGetLogged) {
  StringLoggingFactory factory(serverOf<EchoProtocol>(), "test");
  Connection<tw::ProtocolWrapper> c(factory.buildProtocol(kAddr));
  ASSERT_EQ(factory.names, std::vector<std::string>{"test-1"});
  c.proto->dataReceived("here are some bytes");
  c.proto->writeSequence({"a", "b"});
  c.proto->loseConnection();
  std::string log = factory.streams[0]->str();
  EXPECT_NE(log.find("*\n"), std::string::npos);
  EXPECT_NE(log.find("C 1: b'here are some bytes'\n"), std::string::npos);
  EXPECT_NE(log.find("S 1: b'here are some bytes'\n"), std::string::npos);
  EXPECT_NE(log.find("SV 1: [b'a', b'b']\n"), std::string::npos);
  EXPECT_NE(log.find("S 1: *\n"), std::string::npos);
  EXPECT_NE(log.find("C 1: "), std::string::npos);
  EXPECT_NE(log.find("ConnectionDone"), std::string::npos);
}

// Twisted: LoggingFactoryTests.test_counter — connections are numbered; resetCounter restarts.
TEST(TrafficLoggingFactoryTests, counterNumbersConnections) {
  StringLoggingFactory factory(serverOf<EchoProtocol>(), "test");
  auto p1 = factory.buildProtocol(kAddr);
  auto p2 = factory.buildProtocol(kAddr);
  EXPECT_EQ(factory.counter(), 2);
  factory.resetCounter();
  auto p3 = factory.buildProtocol(kAddr);
  EXPECT_EQ(factory.names, (std::vector<std::string>{"test-1", "test-2", "test-1"}));
}

// lengthLimit elides long chunks.
TEST(TrafficLoggingFactoryTests, longDataIsElided) {
  StringLoggingFactory factory(serverOf<SimpleProtocol>(), "test", 15);
  Connection<tw::ProtocolWrapper> c(factory.buildProtocol(kAddr));
  c.proto->dataReceived("0123456789abcdefghij");
  EXPECT_NE(factory.streams[0]->str().find("C 1: b'012'<... elided>"), std::string::npos);
  c.transport.loseConnection();
}

// The spewing factory logs what is received and sent.
TEST(SpewingFactoryTests, logsTraffic) {
  tw::LogCapture capture;
  tw::SpewingFactory factory(serverOf<EchoProtocol>());
  Connection<tw::ProtocolWrapper> c(factory.buildProtocol(kAddr));
  c.proto->dataReceived("hi\n");
  std::vector<std::string> texts;
  for (const auto& e : capture.events()) texts.push_back(e.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"Received: b'hi\\n'", "Sending: b'hi\\n'"}));
  c.transport.loseConnection();
}

// bytesRepr prints bytes as Python does.
TEST(PoliciesTests, bytesReprMatchesPython) {
  EXPECT_EQ(tw::bytesRepr("abc"), "b'abc'");
  EXPECT_EQ(tw::bytesRepr(std::string("\r\n\t\\\x00\xff", 6)), "b'\\r\\n\\t\\\\\\x00\\xff'");
  EXPECT_EQ(tw::bytesRepr("it's"), "b\"it's\"");
  EXPECT_EQ(tw::bytesRepr("'\""), "b'\\'\"'");
}

}  // namespace
