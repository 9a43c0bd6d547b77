/// @file
/// The chat on real loopback sockets: chat::ChatFactory listening on 127.0.0.1 (port 0) on the
/// epoll reactor, several chat::ChatClients connected to it at once.  The iosim tests
/// (examples/chat/tests/chat_test.cpp, ChatLoopbackTests) check the same behaviour in memory.
/// Twisted: the Chat/ChatFactory of the "Writing Servers" howto, with telnet clients.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "chat.hpp"
#include "loopback_test.hpp"
#include "tw/deferred.hpp"
#include "tw/error.hpp"
#include "tw/factory.hpp"

namespace {

using namespace std::chrono_literals;
using examples_testing::Connecting;
using ::testing::ElementsAre;

/// chat::ChatClient, which also says when it has received a number of lines.
class WaitingChatClient : public chat::ChatClient {
 public:
  /// Fires once lines() holds at least `count` lines (at once if it does already).
  tw::Deferred<void> whenLines(std::size_t count) {
    tw::Deferred<void> d;
    if (lines().size() >= count) {
      d.callback();
    } else {
      waiting_.push_back({count, d});
    }
    return d;
  }
  void lineReceived(std::string_view line) override {
    chat::ChatClient::lineReceived(line);
    // A callback may resume a coroutine that waits again: take the waiters out first.
    std::vector<Waiter> waiting = std::exchange(waiting_, {});
    for (auto& w : waiting) {
      if (lines().size() >= w.count) {
        w.d.callback();
      } else {
        waiting_.push_back(w);
      }
    }
  }

 private:
  struct Waiter {
    std::size_t count;
    tw::Deferred<void> d;
  };
  std::vector<Waiter> waiting_;
};

using Client = Connecting<tw::ClientFactory, WaitingChatClient>;

class ChatIntegrationTests : public examples_testing::LoopbackTest {
 protected:
  /// A connection to `port`, once greeted by the server (the greeting is forgotten).
  struct User {
    std::shared_ptr<Client> factory;
    std::shared_ptr<WaitingChatClient> client;
  };
  tw::Deferred<User> connect(int port) {
    auto factory = tw::Factory::forProtocol<WaitingChatClient, Client>(reactor);
    reactor.connectTCP("127.0.0.1", port, factory);
    std::shared_ptr<WaitingChatClient> client = co_await factory->connected();
    co_await client->whenLines(1);
    EXPECT_THAT(client->takeLines(), ElementsAre("What's your name?"));
    co_return User{factory, client};
  }
  /// connect(), then join as `name`; the welcome is forgotten.
  tw::Deferred<User> join(int port, std::string name) {
    User user = co_await connect(port);
    user.client->say(name);
    co_await user.client->whenLines(1);
    EXPECT_THAT(user.client->takeLines()[0], ::testing::StartsWith("Welcome, " + name + "!"));
    co_return user;
  }

  std::shared_ptr<chat::ChatFactory> server = std::make_shared<chat::ChatFactory>(reactor, 60s);
};

// Two users: the second's arrival is announced to the first, a message from one is broadcast to
// the other, and /quit says goodbye, closes, and tells the one left.
TEST_F(ChatIntegrationTests, broadcast) {
  run([this]() -> tw::Deferred<void> {
    const int port = listen(server);
    User alice = co_await join(port, "alice");
    User bob = co_await join(port, "bob");
    co_await alice.client->whenLines(1);
    EXPECT_THAT(alice.client->takeLines(), ElementsAre("* bob has joined"));

    alice.client->say("hi bob");
    co_await bob.client->whenLines(1);
    EXPECT_THAT(bob.client->takeLines(), ElementsAre("<alice> hi bob"));

    bob.client->say("/who");
    co_await bob.client->whenLines(1);
    EXPECT_THAT(bob.client->takeLines(), ElementsAre("Here: alice, bob."));

    bob.client->say("/quit");
    co_await bob.factory->lost();
    EXPECT_THAT(bob.client->takeLines(), ElementsAre("Bye, bob!"));
    co_await alice.client->whenLines(1);
    EXPECT_THAT(alice.client->takeLines(), ElementsAre("* bob has left"));
    EXPECT_THAT(server->room().names(), ElementsAre("alice"));

    alice.client->transport()->loseConnection();
    co_await alice.factory->lost();
  }());
}

// A nickname already taken (in any case) is refused; the user picks another and joins.
TEST_F(ChatIntegrationTests, nameTaken) {
  run([this]() -> tw::Deferred<void> {
    const int port = listen(server);
    User alice = co_await join(port, "alice");
    User other = co_await connect(port);
    other.client->say("Alice");
    co_await other.client->whenLines(1);
    EXPECT_THAT(other.client->takeLines(), ElementsAre("Name taken, please choose another."));
    other.client->say("carol");
    co_await other.client->whenLines(1);
    EXPECT_THAT(other.client->takeLines(), ElementsAre("Welcome, carol! Here: alice, carol."));
    EXPECT_EQ(server->room().size(), 2u);
    for (User* u : {&alice, &other}) u->client->transport()->loseConnection();
    for (User* u : {&alice, &other}) co_await u->factory->lost();
  }());
}

// A client whose connection drops is announced to the others, and leaves the room.
TEST_F(ChatIntegrationTests, clientDisconnects) {
  run([this]() -> tw::Deferred<void> {
    const int port = listen(server);
    User alice = co_await join(port, "alice");
    User bob = co_await join(port, "bob");
    co_await alice.client->whenLines(1);
    alice.client->takeLines();
    bob.client->transport()->loseConnection();
    co_await alice.client->whenLines(1);
    EXPECT_THAT(alice.client->takeLines(), ElementsAre("* bob has left"));
    EXPECT_EQ(server->room().size(), 1u);
    alice.client->transport()->loseConnection();
    co_await alice.factory->lost();
    co_await bob.factory->lost();
  }());
}

// A user silent for the idle timeout (here 300 ms of real time) is told so and disconnected.
TEST_F(ChatIntegrationTests, idleTimeout) {
  server = std::make_shared<chat::ChatFactory>(reactor, 300ms);
  run([this]() -> tw::Deferred<void> {
    const int port = listen(server);
    const double start = reactor.seconds();
    User alice = co_await join(port, "alice");
    co_await alice.factory->lost();
    EXPECT_GE(reactor.seconds() - start, 0.3);
    EXPECT_THAT(alice.client->takeLines(), ElementsAre("Idle for too long, bye."));
    EXPECT_EQ(server->room().size(), 0u);
  }());
}

}  // namespace
