/// @file
/// The remote calculator on real loopback sockets: calculator::CalculatorFactory listening on
/// 127.0.0.1 (port 0) on the epoll reactor, calculator::CalculatorClientFactory connecting to
/// it, each answer awaited through the client's Deferreds.  The iosim tests
/// (examples/calculator/tests/calculator_test.cpp) check the same behaviour in memory.
/// Twisted: the trial tutorial's calculus/remote_1.py server and client_3.py client.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "calculator.hpp"
#include "loopback_test.hpp"
#include "tw/deferred.hpp"
#include "tw/error.hpp"
#include "tw/factory.hpp"
#include "tw/protocol.hpp"

namespace {

using namespace std::chrono_literals;
using calculator::CalculatorClient;
using examples_testing::Connecting;
using Client = Connecting<calculator::CalculatorClientFactory, CalculatorClient>;

class CalculatorIntegrationTests : public examples_testing::LoopbackTest {
 protected:
  /// A client factory for `port`, its clients timing out after `timeout`; connects it.
  std::shared_ptr<Client> connect(int port, tw::Seconds timeout = 5s) {
    auto factory = std::make_shared<Client>(reactor, reactor, timeout);
    reactor.connectTCP("127.0.0.1", port, factory);
    return factory;
  }
};

// The tutorial's first exchange: add 4123 9423 is 13546, through the client's Deferred.
TEST_F(CalculatorIntegrationTests, adds) {
  run([this]() -> tw::Deferred<void> {
    auto factory = connect(listen(std::make_shared<calculator::CalculatorFactory>()));
    std::shared_ptr<CalculatorClient> client = co_await factory->connected();
    EXPECT_EQ(co_await client->add(4123, 9423), 13546);
    client->transport()->loseConnection();
    co_await factory->lost();
  }());
}

// Each operation, sent together without waiting: the answers come back in order.
TEST_F(CalculatorIntegrationTests, pipelinedOperations) {
  run([this]() -> tw::Deferred<void> {
    auto factory = connect(listen(std::make_shared<calculator::CalculatorFactory>()));
    std::shared_ptr<CalculatorClient> client = co_await factory->connected();
    auto sum = client->add(2, 3);
    auto difference = client->subtract(2, 7);
    auto product = client->multiply(-6, 7);
    auto quotient = client->divide(-7, 2);
    EXPECT_EQ(client->pending(), 4u);
    EXPECT_EQ(co_await sum, 5);
    EXPECT_EQ(co_await difference, -5);
    EXPECT_EQ(co_await product, -42);
    EXPECT_EQ(co_await quotient, -4);
    EXPECT_EQ(client->pending(), 0u);
    client->transport()->loseConnection();
    co_await factory->lost();
  }());
}

// Division by zero: the server answers an error line, the Deferred fails with
// CalculationError, and the connection stays usable.
TEST_F(CalculatorIntegrationTests, divisionByZero) {
  run([this]() -> tw::Deferred<void> {
    auto factory = connect(listen(std::make_shared<calculator::CalculatorFactory>()));
    std::shared_ptr<CalculatorClient> client = co_await factory->connected();
    std::string error;
    try {
      co_await client->divide(1, 0);
      ADD_FAILURE() << "divide 1 0 succeeded";
    } catch (const calculator::CalculationError& e) {
      error = e.what();
    }
    EXPECT_EQ(error, "error: division by zero");
    EXPECT_EQ(co_await client->divide(9, 3), 3);
    client->transport()->loseConnection();
    co_await factory->lost();
  }());
}

// Several clients of one server each get their own answers.
TEST_F(CalculatorIntegrationTests, severalClients) {
  run([this]() -> tw::Deferred<void> {
    const int port = listen(std::make_shared<calculator::CalculatorFactory>());
    std::vector<std::shared_ptr<Client>> factories;
    for (int i = 0; i < 5; ++i) factories.push_back(connect(port));
    std::vector<std::shared_ptr<CalculatorClient>> clients;
    for (auto& f : factories) clients.push_back(co_await f->connected());
    std::vector<tw::Deferred<int>> products;
    for (int i = 0; i < 5; ++i) products.push_back(clients[i]->multiply(i, 100));
    for (int i = 0; i < 5; ++i) EXPECT_EQ(co_await products[i], i * 100);
    for (auto& c : clients) c->transport()->loseConnection();
    for (auto& f : factories) co_await f->lost();
  }());
}

// A server that never answers: after the client's timeout (here 200 ms of real time) the
// Deferred fails with TimeoutError and the client closes the connection.
TEST_F(CalculatorIntegrationTests, timesOutWithoutAnswer) {
  run([this]() -> tw::Deferred<void> {
    auto silent = tw::ServerFactory::forProtocol<tw::Protocol, tw::ServerFactory>();
    auto factory = connect(listen(silent), 200ms);
    std::shared_ptr<CalculatorClient> client = co_await factory->connected();
    const double start = reactor.seconds();
    bool timedOut = false;
    try {
      co_await client->add(1, 1);
    } catch (const tw::error::TimeoutError&) {
      timedOut = true;
    }
    EXPECT_TRUE(timedOut);
    EXPECT_GE(reactor.seconds() - start, 0.2);
    co_await factory->lost();
    EXPECT_FALSE(client->connected());
  }());
}

// Nothing listens on the port: connected() fails with ConnectionRefusedError.
TEST_F(CalculatorIntegrationTests, connectionRefused) {
  run([this]() -> tw::Deferred<void> {
    // A port that was free a moment ago: listen, note it, stop listening.
    auto port =
        reactor.listenTCP(0, std::make_shared<calculator::CalculatorFactory>(), 50, "127.0.0.1");
    const int number = dynamic_cast<const tw::IPv4Address&>(*port->getHost()).port();
    co_await port->stopListening();
    auto factory = connect(number);
    bool refused = false;
    try {
      co_await factory->connected();
    } catch (const tw::error::ConnectionRefusedError&) {
      refused = true;
    }
    EXPECT_TRUE(refused);
  }());
}

}  // namespace
