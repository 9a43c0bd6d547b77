/// @file
/// Tests of the echo server and client: each on a StringTransport, then the two together in
/// memory (iosim).  Twisted: the Echo tests of twisted/test/test_protocols.py and the
/// echoserv.py / echoclient.py examples.
#include "echo.hpp"

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tw/address.hpp>
#include <tw/error.hpp>
#include <tw/fakes/iosim.hpp>
#include <tw/fakes/string_transport.hpp>
#include <tw/trial/assertions.hpp>
#include <tw/trial/matchers.hpp>

using echo::Echo;
using echo::EchoClient;
using echo::EchoFactory;
using tw::trial::FailedWith;
using tw::trial::HasNoResult;
using tw::trial::Succeeded;

// --- the server -------------------------------------------------------------------------------

// Every chunk received is written back at once, unchanged (binary bytes too).
TEST(EchoTests, echoesEachChunk) {
  Echo proto;
  tw::fakes::StringTransport tr;
  proto.makeConnection(tr);
  proto.dataReceived("hello, ");
  EXPECT_EQ(tr.value(), "hello, ");
  proto.dataReceived(std::string("world\0\xff\r\n", 9));
  EXPECT_EQ(tr.value(), std::string("hello, world\0\xff\r\n", 16));
}

// The server writes nothing before it receives something, and never closes by itself.
TEST(EchoTests, quietUntilSpokenTo) {
  Echo proto;
  tw::fakes::StringTransport tr;
  proto.makeConnection(tr);
  EXPECT_EQ(tr.value(), "");
  EXPECT_FALSE(tr.disconnecting());
}

// The factory builds an Echo per connection, points it back at itself, and counts them.
TEST(EchoTests, factoryBuildsEchoes) {
  EchoFactory factory;
  tw::IPv4Address addr("TCP", "127.0.0.1", 0);
  auto first = factory.buildProtocol(addr);
  auto second = factory.buildProtocol(addr);
  ASSERT_NE(std::dynamic_pointer_cast<Echo>(first), nullptr);
  EXPECT_NE(first, second);
  EXPECT_EQ(std::dynamic_pointer_cast<Echo>(second)->factory(), &factory);
  EXPECT_EQ(factory.connections(), 2);
}

// --- the client -------------------------------------------------------------------------------

// The client sends its message as soon as it is connected.
TEST(EchoClientTests, sendsOnConnect) {
  EchoClient client("hello, world!");
  tw::fakes::StringTransport tr;
  client.makeConnection(tr);
  EXPECT_EQ(tr.value(), "hello, world!");
  EXPECT_THAT(client.whenEchoed(), HasNoResult());
}

// The echo may come back in pieces: the client waits for all of it, then closes and reports it.
TEST(EchoClientTests, completesOnFullEcho) {
  EchoClient client("hello, world!");
  tw::fakes::StringTransport tr;
  client.makeConnection(tr);
  client.dataReceived("hello");
  EXPECT_THAT(client.whenEchoed(), HasNoResult());
  EXPECT_FALSE(tr.disconnecting());
  client.dataReceived(", world!");
  EXPECT_TRUE(tr.disconnecting());
  EXPECT_THAT(client.whenEchoed(), Succeeded(std::string("hello, world!")));
}

// A connection lost before the whole echo came back fails the Deferred with the reason.
TEST(EchoClientTests, connectionLostEarly) {
  auto client = std::make_shared<EchoClient>("hello");
  tw::fakes::StringTransportWithDisconnection tr;
  tr.setProtocol(*client);
  client->makeConnection(tr);
  client->dataReceived("hel");
  tr.abortConnection();
  EXPECT_THAT(client->whenEchoed(), FailedWith<tw::error::ConnectionAborted>());
  EXPECT_EQ(client->received(), "hel");
}

// The client's own close after a full echo is no failure.
TEST(EchoClientTests, ownCloseIsNoFailure) {
  auto client = std::make_shared<EchoClient>("hi");
  tw::fakes::StringTransportWithDisconnection tr;
  tr.setProtocol(*client);
  client->makeConnection(tr);
  client->dataReceived("hi");
  EXPECT_FALSE(tr.connected());
  EXPECT_THAT(client->whenEchoed(), Succeeded(std::string("hi")));
}

// An empty message is echoed at once: nothing is sent and the connection is closed.
TEST(EchoClientTests, emptyMessage) {
  EchoClient client("");
  tw::fakes::StringTransport tr;
  client.makeConnection(tr);
  EXPECT_EQ(tr.value(), "");
  EXPECT_TRUE(tr.disconnecting());
  EXPECT_THAT(client.whenEchoed(), Succeeded(std::string()));
}

// The client factory gives every client the same message.
TEST(EchoClientTests, factoryBuildsClients) {
  echo::EchoClientFactory factory("ping");
  auto client = std::dynamic_pointer_cast<EchoClient>(
      factory.buildProtocol(tw::IPv4Address("TCP", "127.0.0.1", 0)));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->message(), "ping");
  EXPECT_EQ(client->factory(), &factory);
}

// --- together, in memory ----------------------------------------------------------------------

// The client's message goes to the server and comes back; then both ends see the close.
TEST(EchoLoopbackTests, clientAndServer) {
  EchoFactory factory;
  auto pair = tw::fakes::connectedServerAndClient(
      [&] {
        return std::dynamic_pointer_cast<Echo>(
            factory.buildProtocol(tw::IPv4Address("TCP", "127.0.0.1", 0)));
      },
      [] { return std::make_shared<EchoClient>("hello, world!"); }, /*greet=*/false);
  EXPECT_THAT(pair.client->whenEchoed(), HasNoResult());
  pair.pump.flush();
  EXPECT_THAT(pair.client->whenEchoed(), Succeeded(std::string("hello, world!")));
  EXPECT_FALSE(pair.client->connected());
  EXPECT_FALSE(pair.server->connected());
  EXPECT_TRUE(pair.serverTransport().connectionLostReported());
}

// Step by step: one pump round carries the message, the next the echo.
TEST(EchoLoopbackTests, pumpRounds) {
  auto pair = tw::fakes::connectedServerAndClient([] { return std::make_shared<Echo>(); },
                                                  [] { return std::make_shared<EchoClient>("x"); },
                                                  /*greet=*/false);
  ASSERT_TRUE(pair.pump.pump());  // client -> server; the server's echo waits in its buffer
  EXPECT_THAT(pair.client->whenEchoed(), HasNoResult());
  ASSERT_TRUE(pair.pump.pump());  // server -> client
  EXPECT_THAT(pair.client->whenEchoed(), Succeeded(std::string("x")));
}
