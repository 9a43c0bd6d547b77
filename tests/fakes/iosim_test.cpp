/// @file
/// Tests of iosim: FakeTransport, IOPump, connect, connectedServerAndClient and
/// ConnectionCompleter — real protocols talking in memory.
/// Twisted: twisted/test/test_iosim.py, and the iosim scenarios of twisted/test/test_tcp.py.
#include "tw/fakes/iosim.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/error.hpp"
#include "tw/factory.hpp"
#include "tw/fakes/accumulating_protocol.hpp"
#include "tw/fakes/memory_reactor.hpp"
#include "tw/line_receiver.hpp"
#include "tw/reconnecting_client_factory.hpp"

namespace {

using namespace std::chrono_literals;
using tw::fakes::FakeTransport;

// Echoes lines; "quit" closes the connection, "abort" aborts it.
class EchoServer : public tw::LineReceiver {
 public:
  void connectionMade() override { sendLine("hello"); }
  void lineReceived(std::string_view line) override {
    if (line == "quit") {
      sendLine("bye");
      transport()->loseConnection();
    } else if (line == "abort") {
      dynamic_cast<tw::ITCPTransport*>(transport())->abortConnection();
    } else {
      sendLine(line);
    }
  }
  void connectionLost(const tw::Failure& reason) override {
    lost.push_back(reason);
    LineReceiver::connectionLost(reason);
  }
  std::vector<tw::Failure> lost;
};

// Records lines; sends its queue after the greeting.
class Client : public tw::LineReceiver {
 public:
  void lineReceived(std::string_view line) override {
    lines.emplace_back(line);
    if (line == "hello") {
      for (const auto& l : toSend) sendLine(l);
    }
  }
  void connectionLost(const tw::Failure& reason) override {
    lost.push_back(reason);
    LineReceiver::connectionLost(reason);
  }
  std::vector<std::string> toSend;
  std::vector<std::string> lines;
  std::vector<tw::Failure> lost;
};

// Twisted: test_connectionSerial — each transport has its own serial number.
TEST(FakeTransportTests, serialsAreUnique) {
  FakeTransport a(std::make_shared<tw::Protocol>(), true);
  FakeTransport b(std::make_shared<tw::Protocol>(), false);
  EXPECT_NE(a.serial(), b.serial());
  EXPECT_EQ(a.repr(), "FakeTransport<S," + std::to_string(a.serial()) + ",Protocol>");
}

// Twisted: test_writeSequence — writeSequence writes the concatenation.
TEST(FakeTransportTests, writeSequenceConcatenates) {
  FakeTransport a(std::make_shared<tw::Protocol>(), false);
  a.write("a");
  a.writeSequence({"b", "c", "d"});
  EXPECT_EQ(a.getOutBuffer(), "abcd");
  EXPECT_EQ(a.getOutBuffer(), "");
}

// Twisted: test_writeAfterClose — writes after loseConnection are discarded (and counted).
TEST(FakeTransportTests, writesAfterCloseAreDroppedAndCounted) {
  FakeTransport a(std::make_shared<tw::Protocol>(), false);
  a.write("before");
  a.loseConnection();
  a.write("after");
  EXPECT_EQ(a.getOutBuffer(), "before");
  EXPECT_EQ(a.droppedBytes(), 5u);
}

// Default addresses are FakeAddresses, stable across calls, each equal only to itself.
TEST(FakeTransportTests, defaultAddressesAreFake) {
  FakeTransport a(std::make_shared<tw::Protocol>(), false);
  EXPECT_EQ(a.getHost()->repr(), "FakeAddress()");
  EXPECT_EQ(a.getHost(), a.getHost());
  EXPECT_FALSE(*a.getHost() == *a.getPeer());
}

// A null protocol is rejected.
TEST(FakeTransportTests, nullProtocolIsRejected) {
  EXPECT_THROW(FakeTransport(nullptr, true), std::invalid_argument);
}

// A push producer whose state machine refuses invalid transitions, as Twisted's
// StrictPushProducer.
class StrictPushProducer : public tw::IPushProducer {
 public:
  void stopProducing() override {
    if (state == "stopped") throw std::logic_error("already stopped");
    state = "stopped";
  }
  void pauseProducing() override {
    if (state != "running") throw std::logic_error("pause while " + state);
    state = "paused";
  }
  void resumeProducing() override {
    if (state != "paused") throw std::logic_error("resume while " + state);
    state = "running";
  }
  std::string state = "running";
};

// Twisted: test_serverStreamingProducer, test_clientStreamingProducer — the pump never resumes
// a streaming producer.
TEST(IOPumpTests, streamingProducersAreNotResumedByThePump) {
  for (bool onServer : {true, false}) {
    auto server = std::make_shared<tw::Protocol>();
    auto client = std::make_shared<tw::Protocol>();
    auto sio = std::make_shared<FakeTransport>(server, true);
    auto cio = std::make_shared<FakeTransport>(client, false);
    auto pump = tw::fakes::connect(server, sio, client, cio, false);
    StrictPushProducer producer;
    (onServer ? *sio : *cio).registerProducer(producer, true);
    pump.pump();
    EXPECT_EQ(producer.state, "running");
  }
}

// A pull producer that writes one chunk per request, three times.
class ThreeChunks : public tw::IPullProducer {
 public:
  explicit ThreeChunks(tw::IConsumer& consumer) : consumer_(consumer) {}
  void resumeProducing() override {
    if (count_ < 3) {
      consumer_.write("chunk" + std::to_string(count_++) + "\r\n");
    }
  }
  void stopProducing() override { stopped = true; }
  bool stopped = false;

 private:
  tw::IConsumer& consumer_;
  int count_ = 0;
};

// A pull producer is asked at registration and again at every pump.
TEST(IOPumpTests, pullProducersAreResumedOnEveryPump) {
  auto c = tw::fakes::connectedServerAndClient<EchoServer, Client>();
  ThreeChunks producer(c.clientTransport());
  c.clientTransport().registerProducer(producer, false);
  c.pump.flush();
  EXPECT_EQ(c.client->lines, (std::vector<std::string>{"hello", "chunk0", "chunk1", "chunk2"}));
}

// The greeting is exchanged by connect's flush; lines go back and forth in order.
TEST(IOPumpTests, clientAndServerTalk) {
  auto c = tw::fakes::connectedServerAndClient([] { return std::make_shared<EchoServer>(); },
                                               [] {
                                                 auto client = std::make_shared<Client>();
                                                 client->toSend = {"one", "two"};
                                                 return client;
                                               });
  EXPECT_EQ(c.client->lines, (std::vector<std::string>{"hello", "one", "two"}));
  c.client->sendLine("three");
  EXPECT_TRUE(c.pump.pump());  // "three" reaches the server, which answers
  EXPECT_EQ(c.client->lines.back(), "two");
  EXPECT_TRUE(c.pump.pump());  // the answer reaches the client
  EXPECT_EQ(c.client->lines.back(), "three");
  EXPECT_FALSE(c.pump.flush());
}

// greet=false leaves the greeting in the server's buffer until the first pump.
TEST(IOPumpTests, withoutGreetNothingMoves) {
  auto c = tw::fakes::connectedServerAndClient<EchoServer, Client>(false);
  EXPECT_TRUE(c.client->lines.empty());
  EXPECT_TRUE(c.pump.pump());
  EXPECT_EQ(c.client->lines, std::vector<std::string>{"hello"});
}

// Twisted's disconnect order: the client closes; the 1st quiet pump tells the server, the 2nd
// the client, both with ConnectionDone.
TEST(IOPumpTests, clientCloseReachesServerThenClient) {
  auto c = tw::fakes::connectedServerAndClient<EchoServer, Client>();
  c.client->transport()->loseConnection();
  EXPECT_TRUE(c.pump.pump());
  ASSERT_EQ(c.server->lost.size(), 1u);
  EXPECT_TRUE(c.client->lost.empty());
  EXPECT_TRUE(c.pump.pump());
  ASSERT_EQ(c.client->lost.size(), 1u);
  EXPECT_TRUE(c.server->lost[0].check<tw::error::ConnectionDone>());
  EXPECT_TRUE(c.client->lost[0].check<tw::error::ConnectionDone>());
  EXPECT_FALSE(c.pump.pump());
}

// A server that closes after its last line: the line arrives, then both ends are told.
TEST(IOPumpTests, serverCloseAfterWriting) {
  auto c = tw::fakes::connectedServerAndClient<EchoServer, Client>();
  c.client->sendLine("quit");
  c.pump.flush();
  EXPECT_EQ(c.client->lines, (std::vector<std::string>{"hello", "bye"}));
  EXPECT_EQ(c.client->lost.size(), 1u);
  EXPECT_EQ(c.server->lost.size(), 1u);
  EXPECT_TRUE(c.clientTransport().connectionLostReported());
  EXPECT_TRUE(c.serverTransport().connectionLostReported());
}

// An abort discards unsent data; the aborting end sees ConnectionAborted, the peer
// ConnectionLost.
TEST(IOPumpTests, abortReportsAbortedAndLost) {
  auto c = tw::fakes::connectedServerAndClient<EchoServer, Client>();
  c.client->sendLine("abort");
  c.pump.pump();                     // the server reads "abort" and aborts
  c.server->sendLine("never sent");  // dropped: the server is closing
  c.pump.flush();
  ASSERT_EQ(c.server->lost.size(), 1u);
  ASSERT_EQ(c.client->lost.size(), 1u);
  EXPECT_TRUE(c.server->lost[0].check<tw::error::ConnectionAborted>());
  EXPECT_TRUE(c.client->lost[0].check<tw::error::ConnectionLost>());
  EXPECT_FALSE(c.client->lost[0].check<tw::error::ConnectionAborted>());
  EXPECT_EQ(c.client->lines, std::vector<std::string>{"hello"});
  EXPECT_GT(c.serverTransport().droppedBytes(), 0u);
}

// Pausing a transport holds received bytes until it is resumed; nothing is lost.
TEST(IOPumpTests, pausedTransportHoldsData) {
  auto c = tw::fakes::connectedServerAndClient<EchoServer, Client>();
  c.clientTransport().pauseProducing();
  c.client->sendLine("x");
  c.pump.flush();
  EXPECT_EQ(c.client->lines, std::vector<std::string>{"hello"});
  c.clientTransport().resumeProducing();
  EXPECT_EQ(c.client->lines, (std::vector<std::string>{"hello", "x"}));
}

// A large transfer arrives whole and in order.
TEST(IOPumpTests, largeTransfer) {
  auto c = tw::fakes::connectedServerAndClient<EchoServer, Client>();
  for (int i = 0; i < 10000; ++i) c.client->sendLine("line " + std::to_string(i));
  c.pump.flush();
  ASSERT_EQ(c.client->lines.size(), 10001u);
  EXPECT_EQ(c.client->lines.back(), "line 9999");
}

// Two protocols that answer each other forever make flush fail with "Too long".
TEST(IOPumpTests, endlessTalkIsReported) {
  class Chatty : public tw::Protocol {
    void connectionMade() override { transport()->write("x"); }
    void dataReceived(std::string_view data) override { transport()->write(data); }
  };
  auto c = tw::fakes::connectedServerAndClient<Chatty, Chatty>(false);
  try {
    c.pump.flush();
    FAIL() << "expected Too long";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("Too long"), std::string::npos);
  }
}

// The pump advances the clock by 0 first, so calls due now run before bytes move.
TEST(IOPumpTests, pumpRunsCallsDueNow) {
  tw::fakes::Clock clock;
  auto c = tw::fakes::connectedServerAndClient<EchoServer, Client>(true, &clock);
  bool ran = false;
  clock.callLater(0s, [&] { ran = true; });
  c.pump.pump();
  EXPECT_TRUE(ran);
}

// The connection is lost: a registered producer is stopped.
TEST(IOPumpTests, lostConnectionStopsTheProducer) {
  auto c = tw::fakes::connectedServerAndClient<EchoServer, Client>();
  StrictPushProducer producer;
  c.serverTransport().registerProducer(producer, true);
  c.client->transport()->loseConnection();
  c.pump.flush();
  EXPECT_EQ(producer.state, "stopped");
}

// A protocol that drops the last reference to itself... is kept alive by its transport while
// its callbacks run: closing from dataReceived and connectionLost is safe (run under ASan).
TEST(IOPumpTests, closingFromCallbacksIsSafe) {
  class Closer : public tw::Protocol {
    void dataReceived(std::string_view) override {
      transport()->loseConnection();
      transport()->write("ignored");
    }
    void connectionLost(const tw::Failure& r) override {
      transport()->loseConnection();
      Protocol::connectionLost(r);
    }
  };
  auto c = tw::fakes::connectedServerAndClient<Closer, EchoServer>();
  c.pump.flush();
  EXPECT_TRUE(c.serverTransport().connectionLostReported());
  EXPECT_TRUE(c.clientTransport().connectionLostReported());
}

// A callback that drops the last references to the connection (the pair, its pump and its
// transports) during a pump: the transport and the protocol stay alive until the callback
// returns, and everything is freed afterwards (run under ASan, leaks checked).
TEST(IOPumpTests, droppingTheConnectionInsideACallbackIsSafe) {
  class Dropper : public tw::Protocol {
   public:
    void dataReceived(std::string_view) override {
      std::function<void()> drop = std::move(onData);
      drop();
      transport()->write("still here");  // the transport is kept alive for this call
      transport()->loseConnection();
    }
    std::function<void()> onData;
  };
  std::weak_ptr<Dropper> watch;
  {
    auto pair = std::make_unique<tw::fakes::ConnectedPair<EchoServer, Dropper>>(
        tw::fakes::connectedServerAndClient<EchoServer, Dropper>(false));
    watch = pair->client;
    tw::fakes::IOPump pump = pair->pump;  // a copy: pump() may outlive the pair
    pair->client->onData = [&pair] { pair.reset(); };
    EXPECT_TRUE(pump.pump());  // the greeting reaches the client, which drops the pair
    EXPECT_FALSE(pair);
    EXPECT_FALSE(watch.expired());  // the copy of the pump still holds the connection
  }
  EXPECT_TRUE(watch.expired());
}

// A client factory of Client protocols that records its callbacks.
class ClientFactory : public tw::ClientFactory {
 public:
  ClientFactory() {
    setProtocol([] { return std::make_shared<Client>(); });
    setNoisy(false);
  }
  void clientConnectionFailed(tw::IConnector&, const tw::Failure& reason) override {
    failed.push_back(reason);
  }
  void clientConnectionLost(tw::IConnector&, const tw::Failure& reason) override {
    lost.push_back(reason);
  }
  std::vector<tw::Failure> failed;
  std::vector<tw::Failure> lost;
};

// Twisted: ConnectionCompleter.succeedOnce — a connectTCP meets the listenTCP on its port.
TEST(ConnectionCompleterTests, succeedOnceConnectsClientAndServer) {
  tw::fakes::MemoryReactorClock reactor;
  auto serverFactory = tw::Factory::forProtocol<EchoServer>();
  auto clientFactory = std::make_shared<ClientFactory>();
  reactor.listenTCP(4321, serverFactory);
  reactor.connectTCP("127.0.0.1", 4321, clientFactory);
  tw::fakes::ConnectionCompleter completer(reactor);
  auto pump = completer.succeedOnce();
  ASSERT_TRUE(pump);
  EXPECT_TRUE(reactor.tcpClients().empty());
  EXPECT_EQ(reactor.connectors().size(), 1u);
  auto client = std::dynamic_pointer_cast<Client>(pump->client());
  ASSERT_TRUE(client);
  EXPECT_EQ(client->lines, std::vector<std::string>{"hello"});
  EXPECT_EQ(pump->clientIO().getPeer()->repr(),
            "IPv4Address(type='TCP', host='127.0.0.1', port=4321)");
  EXPECT_TRUE(*pump->clientIO().getHost() == *pump->serverIO().getPeer());
  // Losing the connection reaches the client factory, as with a real connector.
  client->transport()->loseConnection();
  pump->flush();
  ASSERT_EQ(clientFactory->lost.size(), 1u);
  EXPECT_TRUE(clientFactory->lost[0].check<tw::error::ConnectionDone>());
  EXPECT_FALSE(completer.succeedOnce());
}

// succeedOnce does nothing when no listener matches the port.
TEST(ConnectionCompleterTests, noListenerNoConnection) {
  tw::fakes::MemoryReactorClock reactor;
  reactor.connectTCP("127.0.0.1", 1, std::make_shared<ClientFactory>());
  tw::fakes::ConnectionCompleter completer(reactor);
  EXPECT_FALSE(completer.succeedOnce());
  EXPECT_EQ(reactor.tcpClients().size(), 1u);
}

// Twisted: ConnectionCompleter.failOnce — the attempt fails with ConnectionRefusedError.
TEST(ConnectionCompleterTests, failOnceRefuses) {
  tw::fakes::MemoryReactorClock reactor;
  auto clientFactory = std::make_shared<ClientFactory>();
  reactor.connectTCP("127.0.0.1", 1, clientFactory);
  tw::fakes::ConnectionCompleter completer(reactor);
  EXPECT_TRUE(completer.failOnce());
  ASSERT_EQ(clientFactory->failed.size(), 1u);
  EXPECT_TRUE(clientFactory->failed[0].check<tw::error::ConnectionRefusedError>());
  EXPECT_FALSE(completer.failOnce());
}

// A ReconnectingClientFactory on a MemoryReactorClock: refused, it retries after its delay;
// the retry connects.
TEST(ConnectionCompleterTests, reconnectingClientRetriesAfterRefusal) {
  tw::fakes::MemoryReactorClock reactor;
  class Reconnecting : public tw::ReconnectingClientFactory {
   public:
    Reconnecting(tw::IReactorTime& clock, tw::fakes::MemoryReactor& r)
        : ReconnectingClientFactory(clock), reactor(r) {
      setProtocol([] { return std::make_shared<Client>(); });
      setJitter(0);
      setNoisy(false);
    }
    tw::fakes::MemoryReactor& reactor;
  };
  auto factory = std::make_shared<Reconnecting>(reactor, reactor);
  reactor.connectTCP("127.0.0.1", 7, factory);
  tw::fakes::ConnectionCompleter completer(reactor);
  completer.failOnce();
  ASSERT_EQ(reactor.getDelayedCalls().size(), 1u);
  EXPECT_NEAR(reactor.getDelayedCalls()[0]->getTime(), factory->factor(), 1e-9);
  EXPECT_TRUE(reactor.tcpClients().empty());
  reactor.advance(tw::Seconds(factory->factor()));
  ASSERT_EQ(reactor.tcpClients().size(), 1u);  // the retry is a new attempt
  reactor.listenTCP(7, tw::Factory::forProtocol<EchoServer>());
  auto pump = completer.succeedOnce();
  ASSERT_TRUE(pump);
  auto client = std::dynamic_pointer_cast<Client>(pump->client());
  EXPECT_EQ(client->lines, std::vector<std::string>{"hello"});
  factory->resetDelay();
  EXPECT_EQ(factory->retries(), 0);
  factory->stopTrying();
  client->transport()->loseConnection();
  pump->flush();
  EXPECT_TRUE(reactor.getDelayedCalls().empty());  // stopped trying: no retry after the loss
}

}  // namespace
