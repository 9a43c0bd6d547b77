/// @file
/// Echo on real loopback sockets: echo::EchoFactory listening on 127.0.0.1 (port 0) on the epoll
/// reactor, echo::EchoClientFactory connecting to it.  The iosim tests
/// (examples/echo/tests/echo_test.cpp) check the same behaviour in memory.
/// Twisted: docs/core/examples/echoserv.py and echoclient.py, run against each other.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "echo.hpp"
#include "loopback_test.hpp"
#include "tw/deferred.hpp"
#include "tw/error.hpp"

namespace {

using examples_testing::Connecting;
using Client = Connecting<echo::EchoClientFactory, echo::EchoClient>;

class EchoIntegrationTests : public examples_testing::LoopbackTest {
 protected:
  /// Connects a client sending `message` to `port`; its echo must come back whole, after which
  /// the client closes the connection cleanly.
  tw::Deferred<void> echoOnce(int port, std::string message) {
    auto factory = std::make_shared<Client>(reactor, message);
    reactor.connectTCP("127.0.0.1", port, factory);
    std::shared_ptr<echo::EchoClient> client = co_await factory->connected();
    std::string echoed = co_await client->whenEchoed();
    EXPECT_EQ(echoed.size(), message.size());
    EXPECT_TRUE(echoed == message) << "the echo differs from the message";
    co_await factory->lost();
    EXPECT_NE(factory->lostReason()->check<tw::error::ConnectionDone>(), nullptr)
        << factory->lostReason()->getErrorMessage();
  }

  std::shared_ptr<echo::EchoFactory> server = std::make_shared<echo::EchoFactory>();
};

// A short message comes back, and the connection ends cleanly.
TEST_F(EchoIntegrationTests, echoesAMessage) {
  run([this]() -> tw::Deferred<void> {
    co_await echoOnce(listen(server), "hello, world!");
    EXPECT_EQ(server->connections(), 1);
  }());
}

// A message far larger than the socket buffers (and than the transport's 64 KiB high-water
// mark) comes back whole and in order: writes the kernel does not take at once are buffered.
TEST_F(EchoIntegrationTests, echoesALargeMessage) {
  std::string message;
  for (int i = 0; message.size() < 4 * 1024 * 1024; ++i) message += std::to_string(i) + ",";
  run([this, message]() -> tw::Deferred<void> { co_await echoOnce(listen(server), message); }());
}

// Several clients at once are each echoed their own message.
TEST_F(EchoIntegrationTests, severalClients) {
  run([this]() -> tw::Deferred<void> {
    const int port = listen(server);
    std::vector<tw::Deferred<void>> echoes;
    for (int i = 0; i < 8; ++i) echoes.push_back(echoOnce(port, "client " + std::to_string(i)));
    for (auto& d : echoes) co_await d;
    EXPECT_EQ(server->connections(), 8);
  }());
}

}  // namespace
