/// @file
/// Tests of quote of the day: the protocol on a StringTransport, the factory's configuration,
/// the client, and server and clients together in memory (iosim, and a MemoryReactor whose
/// listenTCP and connectTCP are completed by a ConnectionCompleter).
/// Twisted: twisted/test/test_protocols.py (the QOTD test of wire.py).
#include "qotd.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tw/address.hpp>
#include <tw/error.hpp>
#include <tw/fakes/iosim.hpp>
#include <tw/fakes/memory_reactor.hpp>
#include <tw/fakes/string_transport.hpp>
#include <tw/trial/assertions.hpp>
#include <tw/trial/matchers.hpp>

using qotd::QOTD;
using qotd::QOTDClient;
using qotd::QOTDFactory;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tw::trial::FailedWith;
using tw::trial::HasNoResult;
using tw::trial::Succeeded;

namespace {

const tw::IPv4Address kPeer("TCP", "127.0.0.1", 0);

/// What the protocol `factory` builds writes to a StringTransport.
std::string served(QOTDFactory& factory) {
  auto proto = factory.buildProtocol(kPeer);
  tw::fakes::StringTransport tr;
  proto->makeConnection(tr);
  EXPECT_TRUE(tr.disconnecting());
  return tr.value();
}

}  // namespace

// --- the protocol -----------------------------------------------------------------------------

// On connection the server writes its quote and a CRLF, then closes (Twisted's test_QOTD).
TEST(QOTDTests, sendsQuoteAndCloses) {
  QOTD proto;
  tw::fakes::StringTransport tr;
  proto.makeConnection(tr);
  EXPECT_EQ(tr.value(), "An apple a day keeps the doctor away\r\n");
  EXPECT_TRUE(tr.disconnecting());
}

// Whatever the client sends is ignored.
TEST(QOTDTests, ignoresInput) {
  QOTD proto("Less is more.");
  tw::fakes::StringTransport tr;
  proto.makeConnection(tr);
  tr.clear();
  proto.dataReceived("hello?\r\n");
  EXPECT_EQ(tr.value(), "");
}

// --- the factory and its configuration --------------------------------------------------------

// A factory given one quote serves it to every connection.
TEST(QOTDFactoryTests, oneQuote) {
  QOTDFactory factory("Less is more.");
  EXPECT_EQ(served(factory), "Less is more.\r\n");
  EXPECT_EQ(served(factory), "Less is more.\r\n");
}

// A factory given no quote serves the default one.
TEST(QOTDFactoryTests, defaultQuote) {
  QOTDFactory factory;
  EXPECT_EQ(served(factory), std::string(qotd::kDefaultQuote) + "\r\n");
}

// Several quotes are served in turn, starting again after the last.
TEST(QOTDFactoryTests, quotesInTurn) {
  QOTDFactory factory(std::vector<std::string>{"one", "two", "three"});
  EXPECT_EQ(served(factory), "one\r\n");
  EXPECT_EQ(served(factory), "two\r\n");
  EXPECT_EQ(served(factory), "three\r\n");
  EXPECT_EQ(served(factory), "one\r\n");
}

// The protocols it builds point back at it.
TEST(QOTDFactoryTests, protocolsKnowTheirFactory) {
  QOTDFactory factory;
  auto proto = std::dynamic_pointer_cast<QOTD>(factory.buildProtocol(kPeer));
  ASSERT_NE(proto, nullptr);
  EXPECT_EQ(proto->factory(), &factory);
}

// A configuration that cannot be served is refused when the factory is made, saying why.
TEST(QOTDFactoryTests, badConfiguration) {
  auto refused = [](std::vector<std::string> quotes) -> std::string {
    try {
      QOTDFactory factory(std::move(quotes));
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_EQ(refused({}), "QOTDFactory: no quote to serve");
  EXPECT_EQ(refused({"fine", ""}), "QOTDFactory: quote 2 is empty");
  EXPECT_EQ(refused({"two\r\nlines"}),
            "QOTDFactory: quote 1 holds a line break; a quote is one line");
  EXPECT_THAT(refused({std::string(512, 'x')}), HasSubstr("quote 1 is 512 bytes long"));
  EXPECT_EQ(refused({std::string(511, 'x')}), "accepted");
}

// Quotes read from a text: one a line, trimmed; blank lines and comments skipped.
TEST(QOTDFactoryTests, quotesFromText) {
  auto factory = QOTDFactory::fromText(
      "# quotes for the office\r\n"
      "\r\n"
      "  The best way out is always through.  \r\n"
      "\tSimplicity is prerequisite for reliability.\n"
      "   # an indented comment\n"
      "Last one, no line end");
  EXPECT_THAT(factory->quotes(),
              ElementsAre("The best way out is always through.",
                          "Simplicity is prerequisite for reliability.", "Last one, no line end"));
  EXPECT_EQ(served(*factory), "The best way out is always through.\r\n");
}

// A text with no quote, or with a quote too long, is refused, naming the line.
TEST(QOTDFactoryTests, badText) {
  EXPECT_THROW(QOTDFactory::parseQuotes("# nothing here\n\n"), std::invalid_argument);
  try {
    QOTDFactory::parseQuotes("ok\n\n" + std::string(600, 'y') + "\n");
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("line 3 is 600 bytes long"));
  }
}

// --- the client -------------------------------------------------------------------------------

class QOTDClientTests : public ::testing::Test {
 protected:
  QOTDClientTests() {
    tr_.setProtocol(*client_);
    client_->makeConnection(tr_);
  }
  std::shared_ptr<QOTDClient> client_ = std::make_shared<QOTDClient>();
  tw::fakes::StringTransportWithDisconnection tr_;
};

// The quote is complete only when the server closes; its line end is dropped.
TEST_F(QOTDClientTests, quoteOnClose) {
  client_->dataReceived("Less is ");
  client_->dataReceived("more.\r\n");
  EXPECT_THAT(client_->whenQuote(), HasNoResult());
  tr_.loseConnection();  // a clean close: ConnectionDone
  EXPECT_THAT(client_->whenQuote(), Succeeded(std::string("Less is more.")));
}

// A clean close with nothing received is an error.
TEST_F(QOTDClientTests, noQuote) {
  tr_.loseConnection();
  EXPECT_THAT(client_->whenQuote(), FailedWith<qotd::NoQuoteError>());
}

// A connection lost uncleanly fails with its reason, even after part of a quote.
TEST_F(QOTDClientTests, connectionLost) {
  client_->dataReceived("Less");
  tr_.abortConnection();
  EXPECT_THAT(client_->whenQuote(), FailedWith<tw::error::ConnectionAborted>());
}

// --- server and clients in memory -------------------------------------------------------------

// Three clients in a row get the factory's quotes in turn; each connection ends cleanly.
TEST(QOTDLoopbackTests, clientsGetQuotesInTurn) {
  QOTDFactory factory(std::vector<std::string>{"first quote", "second quote"});
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) {
    auto pair = tw::fakes::connectedServerAndClient(
        [&] { return std::dynamic_pointer_cast<QOTD>(factory.buildProtocol(kPeer)); },
        [] { return std::make_shared<QOTDClient>(); });
    pair.pump.flush();
    got.push_back(tw::trial::successResultOf(pair.client->whenQuote()));
    EXPECT_FALSE(pair.server->connected());
    EXPECT_FALSE(pair.client->connected());
  }
  EXPECT_THAT(got, ElementsAre("first quote", "second quote", "first quote"));
}

// The way a program uses it: listenTCP on port 17 and connectTCP to it, here on a
// MemoryReactor whose connection attempt a ConnectionCompleter completes.
TEST(QOTDLoopbackTests, throughAReactor) {
  tw::fakes::MemoryReactorClock reactor;
  auto server = std::make_shared<QOTDFactory>("Less is more.");
  auto client = std::make_shared<qotd::QOTDClientFactory>();
  reactor.listenTCP(17, server);
  reactor.connectTCP("127.0.0.1", 17, client);
  tw::fakes::ConnectionCompleter completer(reactor);
  auto pump = completer.succeedOnce();
  ASSERT_TRUE(pump.has_value());
  pump->flush();
  ASSERT_NE(client->lastClient(), nullptr);
  EXPECT_THAT(client->lastClient()->whenQuote(), Succeeded(std::string("Less is more.")));
}
