/// @file
/// Tests of ProtocolWrapper and WrappingFactory: relaying in both directions, registration,
/// log prefixes, and safety when the wrapped protocol closes from a callback.
/// Twisted: twisted/test/test_policies.py (WrapperTests).
#include "tw/protocol_wrapper.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/fakes/string_transport.hpp"

namespace {

// Echoes what it receives.  Twisted's EchoProtocol of test_policies.
class EchoProtocol : public tw::Protocol {
 public:
  void dataReceived(std::string_view data) override { transport()->write(data); }
};

// Twisted's Server: a ServerFactory of EchoProtocols.
class Server : public tw::ServerFactory {
 public:
  Server() {
    setProtocol([] { return std::make_shared<EchoProtocol>(); });
  }
};

// Records what happens to it; closes on "bye".
class Recorder : public tw::Protocol, public tw::IHalfCloseableProtocol {
 public:
  void connectionMade() override { events.push_back("made"); }
  void dataReceived(std::string_view data) override {
    events.push_back("data:" + std::string(data));
    if (data == "bye") transport()->loseConnection();
  }
  void connectionLost(const tw::Failure& reason) override {
    events.push_back(std::string("lost:") +
                     (reason.check<tw::error::ConnectionDone>() ? "done" : "other"));
    Protocol::connectionLost(reason);
  }
  void readConnectionLost() override { events.push_back("readLost"); }
  void writeConnectionLost() override { events.push_back("writeLost"); }
  std::vector<std::string> events;
};

// A client factory recording the calls it gets.
class RecordingClientFactory : public tw::ClientFactory {
 public:
  void startedConnecting(tw::IConnector& c) override { calls.push_back({"started", &c}); }
  void clientConnectionFailed(tw::IConnector& c, const tw::Failure&) override {
    calls.push_back({"failed", &c});
  }
  void clientConnectionLost(tw::IConnector& c, const tw::Failure&) override {
    calls.push_back({"lost", &c});
  }
  std::vector<std::pair<std::string, tw::IConnector*>> calls;
};

// A connector that does nothing.
class NullConnector : public tw::IConnector {
 public:
  void stopConnecting() override {}
  void disconnect() override {}
  void connect() override {}
  tw::AddressPtr getDestination() const override { return nullptr; }
};

// A streaming producer that does nothing.
class NullProducer : public tw::IPushProducer {
 public:
  void pauseProducing() override {}
  void resumeProducing() override {}
  void stopProducing() override {}
};

const tw::IPv4Address kAddr("TCP", "127.0.0.1", 35);

// Twisted: _getWrapper — a wrapper around a fresh protocol, connected to a StringTransport.
struct Connected {
  Connected()
      : factory(std::make_shared<tw::WrappingFactory>(std::make_shared<Server>())),
        inner(std::make_shared<Recorder>()),
        wrapper(std::make_shared<tw::ProtocolWrapper>(*factory, inner)) {
    wrapper->makeConnection(transport);
  }
  std::shared_ptr<tw::WrappingFactory> factory;
  std::shared_ptr<Recorder> inner;
  std::shared_ptr<tw::ProtocolWrapper> wrapper;
  tw::fakes::StringTransport transport;
};

// Twisted: test_protocolFactoryAttribute — the wrapped protocol's factory is the wrapped
// factory, not the wrapping one.
TEST(ProtocolWrapperTests, wrappedProtocolKeepsItsOwnFactory) {
  auto server = std::make_shared<Server>();
  tw::WrappingFactory wf(server);
  auto p = std::dynamic_pointer_cast<tw::ProtocolWrapper>(wf.buildProtocol(kAddr));
  ASSERT_TRUE(p);
  auto* inner = dynamic_cast<tw::Protocol*>(p->wrappedProtocol().get());
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->factory(), server.get());
  EXPECT_EQ(p->factory(), &wf);
}

// Twisted: test_transportInterfaces — the wrapped protocol's transport is the wrapper, and it
// is a TCP transport like the real one.
TEST(ProtocolWrapperTests, wrapperIsTheWrappedProtocolsTransport) {
  Connected c;
  EXPECT_EQ(c.inner->transport(), static_cast<tw::ITransport*>(c.wrapper.get()));
  EXPECT_NE(dynamic_cast<tw::ITCPTransport*>(c.inner->transport()), nullptr);
  EXPECT_EQ(c.wrapper->transport(), &c.transport);
}

// Twisted: test_factoryLogPrefix — the factory's prefix names both factories.
TEST(ProtocolWrapperTests, factoryLogPrefixNamesBoth) {
  tw::WrappingFactory factory(std::make_shared<Server>());
  EXPECT_EQ(factory.logPrefix(), "Server (WrappingFactory)");
}

// Twisted: test_protocolLogPrefix — the wrapper's prefix names both protocols.
TEST(ProtocolWrapperTests, protocolLogPrefixNamesBoth) {
  tw::WrappingFactory factory(std::make_shared<Server>());
  auto p = std::dynamic_pointer_cast<tw::ProtocolWrapper>(factory.buildProtocol(kAddr));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->logPrefix(), "EchoProtocol (ProtocolWrapper)");
}

// Twisted: test_getHost, test_getPeer — addresses come from the real transport.
TEST(ProtocolWrapperTests, addressesComeFromTheRealTransport) {
  Connected c;
  EXPECT_EQ(c.wrapper->getHost(), c.transport.getHost());
  EXPECT_EQ(c.wrapper->getPeer(), c.transport.getPeer());
}

// Twisted: test_registerProducer, test_unregisterProducer — producers are registered on the
// real transport.
TEST(ProtocolWrapperTests, producersGoToTheRealTransport) {
  Connected c;
  NullProducer producer;
  c.wrapper->registerProducer(producer, true);
  EXPECT_EQ(c.transport.producer(), &producer);
  EXPECT_TRUE(c.transport.streaming());
  c.wrapper->unregisterProducer();
  EXPECT_EQ(c.transport.producer(), nullptr);
  EXPECT_FALSE(c.transport.streaming());
}

// Pausing, resuming and stopping the wrapper act on the real transport.
TEST(ProtocolWrapperTests, producerCallsGoToTheRealTransport) {
  Connected c;
  c.wrapper->pauseProducing();
  EXPECT_EQ(c.transport.producerState(), tw::fakes::ProducerState::paused);
  c.wrapper->resumeProducing();
  EXPECT_EQ(c.transport.producerState(), tw::fakes::ProducerState::producing);
  c.wrapper->stopProducing();
  EXPECT_EQ(c.transport.producerState(), tw::fakes::ProducerState::stopped);
}

// Writes of the wrapped protocol reach the real transport, in order.
TEST(ProtocolWrapperTests, writesReachTheRealTransport) {
  Connected c;
  c.inner->transport()->write("a");
  c.inner->transport()->writeSequence({"b", "c"});
  EXPECT_EQ(c.transport.value(), "abc");
}

// Data from the real transport reaches the wrapped protocol.
TEST(ProtocolWrapperTests, dataReachesTheWrappedProtocol) {
  Connected c;
  c.wrapper->dataReceived("x");
  EXPECT_EQ(c.inner->events, (std::vector<std::string>{"made", "data:x"}));
}

// loseConnection sets disconnecting on the wrapper and closes the real transport.
TEST(ProtocolWrapperTests, loseConnectionClosesTheRealTransport) {
  Connected c;
  EXPECT_FALSE(c.wrapper->disconnecting());
  c.inner->transport()->loseConnection();
  EXPECT_TRUE(c.wrapper->disconnecting());
  EXPECT_TRUE(c.transport.disconnecting());
}

// abortConnection, half-close and the socket options go to the real TCP transport.
TEST(ProtocolWrapperTests, tcpCallsGoToTheRealTransport) {
  Connected c;
  c.wrapper->setTcpNoDelay(true);
  c.wrapper->setTcpKeepAlive(true);
  EXPECT_TRUE(c.transport.getTcpNoDelay());
  EXPECT_TRUE(c.wrapper->getTcpKeepAlive());
  c.wrapper->loseWriteConnection();
  EXPECT_TRUE(c.transport.writeDisconnected());
  c.wrapper->abortConnection();
  EXPECT_TRUE(c.transport.disconnected());
}

// Half-close notifications are forwarded to a half-closeable wrapped protocol.
TEST(ProtocolWrapperTests, halfCloseIsForwarded) {
  Connected c;
  c.wrapper->readConnectionLost();
  c.wrapper->writeConnectionLost();
  EXPECT_EQ(c.inner->events, (std::vector<std::string>{"made", "readLost", "writeLost"}));
}

// The wrapper registers with its factory while connected.
TEST(ProtocolWrapperTests, registersWithItsFactoryWhileConnected) {
  auto factory = std::make_shared<tw::WrappingFactory>(std::make_shared<Server>());
  auto inner = std::make_shared<Recorder>();
  auto wrapper = std::make_shared<tw::ProtocolWrapper>(*factory, inner);
  EXPECT_TRUE(factory->protocols().empty());
  tw::fakes::StringTransportWithDisconnection transport;
  transport.setProtocol(*wrapper);
  wrapper->makeConnection(transport);
  EXPECT_EQ(factory->protocols().count(wrapper.get()), 1u);
  transport.loseConnection();
  EXPECT_TRUE(factory->protocols().empty());
}

// Twisted: test_breakReferenceCycle — connectionLost forwards, then drops the wrapped protocol.
TEST(ProtocolWrapperTests, connectionLostDropsTheWrappedProtocol) {
  auto factory = std::make_shared<tw::WrappingFactory>(std::make_shared<Server>());
  auto inner = std::make_shared<Recorder>();
  auto wrapper = std::make_shared<tw::ProtocolWrapper>(*factory, inner);
  tw::fakes::StringTransportWithDisconnection transport;
  transport.setProtocol(*wrapper);
  wrapper->makeConnection(transport);
  EXPECT_TRUE(wrapper->wrappedProtocol());
  transport.loseConnection();
  EXPECT_FALSE(wrapper->wrappedProtocol());
  EXPECT_EQ(inner->events.back(), "lost:done");
  EXPECT_FALSE(wrapper->connected());
}

// A wrapped protocol that closes the connection inside dataReceived, when nothing else holds it,
// survives until its dataReceived returns (run under ASan).
TEST(ProtocolWrapperTests, closingFromDataReceivedIsSafe) {
  auto factory = std::make_shared<tw::WrappingFactory>(std::make_shared<Server>());
  auto wrapper = std::make_shared<tw::ProtocolWrapper>(*factory, std::make_shared<Recorder>());
  tw::fakes::StringTransportWithDisconnection transport;
  transport.setProtocol(*wrapper);
  wrapper->makeConnection(transport);
  wrapper->dataReceived("bye");
  EXPECT_FALSE(wrapper->wrappedProtocol());
  EXPECT_TRUE(transport.disconnecting());
}

// Twisted: test_startedConnecting, test_clientConnectionLost, test_clientConnectionFailed — the
// client callbacks are forwarded to the wrapped client factory.
TEST(WrappingFactoryTests, forwardsClientCallbacks) {
  auto inner = std::make_shared<RecordingClientFactory>();
  tw::WrappingFactory wf(inner);
  NullConnector connector;
  tw::Failure reason(tw::error::ConnectionLost{});
  wf.startedConnecting(connector);
  wf.clientConnectionFailed(connector, reason);
  wf.clientConnectionLost(connector, reason);
  ASSERT_EQ(inner->calls.size(), 3u);
  EXPECT_EQ(inner->calls[0].first, "started");
  EXPECT_EQ(inner->calls[1].first, "failed");
  EXPECT_EQ(inner->calls[2].first, "lost");
  EXPECT_EQ(inner->calls[2].second, &connector);
}

// Client callbacks are ignored when the wrapped factory is a server factory.
TEST(WrappingFactoryTests, clientCallbacksOnAServerFactoryAreIgnored) {
  tw::WrappingFactory wf(std::make_shared<Server>());
  NullConnector connector;
  EXPECT_NO_THROW(wf.startedConnecting(connector));
  EXPECT_NO_THROW(wf.clientConnectionLost(connector, tw::Failure(tw::error::ConnectionLost{})));
}

// doStart and doStop reach the wrapped factory as well as the wrapping one.
TEST(WrappingFactoryTests, startAndStopAreForwarded) {
  auto inner = std::make_shared<Server>();
  tw::WrappingFactory wf(inner);
  wf.doStart();
  EXPECT_EQ(inner->numPorts(), 1);
  EXPECT_EQ(wf.numPorts(), 1);
  wf.doStop();
  EXPECT_EQ(inner->numPorts(), 0);
  EXPECT_EQ(wf.numPorts(), 0);
}

// A connection the wrapped factory refuses is refused by the wrapping factory too.
TEST(WrappingFactoryTests, refusalIsPassedOn) {
  auto inner = std::make_shared<tw::ServerFactory>();
  inner->setProtocol([] { return std::shared_ptr<tw::Protocol>(); });
  tw::WrappingFactory wf(inner);
  EXPECT_EQ(wf.buildProtocol(kAddr), nullptr);
}

// A null wrapped factory or protocol is rejected at construction.
TEST(WrappingFactoryTests, nullsAreRejected) {
  EXPECT_THROW(tw::WrappingFactory(nullptr), std::invalid_argument);
  tw::WrappingFactory wf(std::make_shared<Server>());
  EXPECT_THROW(tw::ProtocolWrapper(wf, nullptr), std::invalid_argument);
}

}  // namespace
