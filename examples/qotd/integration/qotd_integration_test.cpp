/// @file
/// Quote of the day on real loopback sockets: qotd::QOTDFactory listening on 127.0.0.1 (port 0)
/// on the epoll reactor, qotd::QOTDClientFactory connecting to it.  The iosim tests
/// (examples/qotd/tests/qotd_test.cpp) check the same behaviour in memory.
/// Twisted: the QOTD server of the "Writing Servers" howto, fetched as `nc 127.0.0.1 PORT` would.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "loopback_test.hpp"
#include "qotd.hpp"
#include "tw/deferred.hpp"
#include "tw/error.hpp"

namespace {

using examples_testing::Connecting;
using Client = Connecting<qotd::QOTDClientFactory, qotd::QOTDClient>;

class QOTDIntegrationTests : public examples_testing::LoopbackTest {
 protected:
  /// Fetches one quote from `port`; the server must close the connection cleanly.
  tw::Deferred<std::string> fetch(int port) {
    auto factory = std::make_shared<Client>(reactor);
    reactor.connectTCP("127.0.0.1", port, factory);
    std::shared_ptr<qotd::QOTDClient> client = co_await factory->connected();
    std::string quote = co_await client->whenQuote();
    co_await factory->lost();
    EXPECT_NE(factory->lostReason()->check<tw::error::ConnectionDone>(), nullptr)
        << factory->lostReason()->getErrorMessage();
    co_return quote;
  }
};

// The default factory serves the howto's quote.
TEST_F(QOTDIntegrationTests, defaultQuote) {
  run([this]() -> tw::Deferred<void> {
    const int port = listen(std::make_shared<qotd::QOTDFactory>());
    EXPECT_EQ(co_await fetch(port), qotd::kDefaultQuote);
  }());
}

// Clients one after another get the configured quotes in turn, starting again after the last.
TEST_F(QOTDIntegrationTests, quotesInTurn) {
  run([this]() -> tw::Deferred<void> {
    const int port =
        listen(qotd::QOTDFactory::fromText("# two quotes\n"
                                           "The best way out is always through.\n"
                                           "\n"
                                           "Simplicity is prerequisite for reliability.\n"));
    std::vector<std::string> got;
    for (int i = 0; i < 3; ++i) got.push_back(co_await fetch(port));
    EXPECT_EQ(got, (std::vector<std::string>{"The best way out is always through.",
                                             "Simplicity is prerequisite for reliability.",
                                             "The best way out is always through."}));
  }());
}

// Clients connecting at once each get one whole quote.
TEST_F(QOTDIntegrationTests, concurrentClients) {
  run([this]() -> tw::Deferred<void> {
    const int port = listen(std::make_shared<qotd::QOTDFactory>("Less is more."));
    std::vector<tw::Deferred<std::string>> quotes;
    for (int i = 0; i < 6; ++i) quotes.push_back(fetch(port));
    for (auto& quote : quotes) EXPECT_EQ(co_await quote, "Less is more.");
  }());
}

}  // namespace
