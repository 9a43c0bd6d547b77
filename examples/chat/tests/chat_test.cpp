/// @file
/// Tests of the chat server: one user at a time on StringTransports, then several users at once,
/// each a real ChatClient connected in memory (iosim), with the idle timeout on a Clock.
/// Twisted: the chat.py example of the "Writing Servers" howto (which has no tests).
#include "chat.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tw/address.hpp>
#include <tw/fakes/clock.hpp>
#include <tw/fakes/iosim.hpp>
#include <tw/fakes/string_transport.hpp>

using namespace std::chrono_literals;
using chat::ChatClient;
using chat::ChatFactory;
using chat::ChatProtocol;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

namespace {

const tw::IPv4Address kPeer("TCP", "127.0.0.1", 0);

/// The lines written to `tr` since the last call, split at CRLF.
std::vector<std::string> takeLines(tw::fakes::StringTransport& tr) {
  std::vector<std::string> lines;
  std::string data = tr.value();
  tr.clear();
  std::size_t start = 0;
  for (std::size_t end; (end = data.find("\r\n", start)) != std::string::npos; start = end + 2) {
    lines.push_back(data.substr(start, end - start));
  }
  EXPECT_EQ(start, data.size()) << "unfinished line in " << data;
  return lines;
}

}  // namespace

// --- names ------------------------------------------------------------------------------------

// Valid nicknames: a letter, then letters, digits, '_' or '-', at most 16 in all.
TEST(ChatNameTests, valid) {
  for (const char* name : {"a", "alice", "Bob_2", "x-y", "abcdefghijklmnop"}) {
    EXPECT_EQ(chat::checkName(name), std::nullopt) << name;
  }
}

// Each invalid nickname gets the reason.
TEST(ChatNameTests, invalid) {
  EXPECT_EQ(chat::checkName(""), "a name cannot be empty");
  EXPECT_EQ(chat::checkName("abcdefghijklmnopq"), "a name has at most 16 characters");
  EXPECT_EQ(chat::checkName("2pac"), "a name starts with a letter");
  EXPECT_EQ(chat::checkName("_x"), "a name starts with a letter");
  EXPECT_EQ(chat::checkName("al ice"), "a name has only letters, digits, '_' and '-'");
  EXPECT_EQ(chat::checkName("al\xc3\xaf"
                            "ce"),
            "a name has only letters, digits, '_' and '-'");
}

// --- one protocol at a time, on StringTransports ----------------------------------------------

class ChatProtocolTests : public ::testing::Test {
 protected:
  /// A new connection to the factory, on its own transport.
  struct User {
    std::shared_ptr<ChatProtocol> proto;
    std::unique_ptr<tw::fakes::StringTransportWithDisconnection> tr;
  };
  User connect() {
    User user{std::dynamic_pointer_cast<ChatProtocol>(factory_.buildProtocol(kPeer)),
              std::make_unique<tw::fakes::StringTransportWithDisconnection>()};
    user.tr->setProtocol(*user.proto);
    user.proto->makeConnection(*user.tr);
    return user;
  }
  /// connect(), then join as `name`; the greeting lines are dropped.
  User join(const std::string& name) {
    User user = connect();
    user.proto->dataReceived(name + "\r\n");
    takeLines(*user.tr);
    return user;
  }

  tw::fakes::Clock clock_;
  ChatFactory factory_{clock_, 60s};
};

// A new connection is asked for a name; the name given is welcomed and joins the room.
TEST_F(ChatProtocolTests, asksForAName) {
  User alice = connect();
  EXPECT_THAT(takeLines(*alice.tr), ElementsAre("What's your name?"));
  EXPECT_EQ(alice.proto->name(), std::nullopt);
  alice.proto->dataReceived("alice\r\n");
  EXPECT_THAT(takeLines(*alice.tr), ElementsAre("Welcome, alice! Here: alice."));
  EXPECT_EQ(alice.proto->name(), "alice");
  EXPECT_THAT(factory_.room().names(), ElementsAre("alice"));
}

// An invalid name is refused with the reason; the user may try again.
TEST_F(ChatProtocolTests, invalidName) {
  User user = connect();
  takeLines(*user.tr);
  user.proto->dataReceived("al ice\r\n");
  EXPECT_THAT(takeLines(*user.tr),
              ElementsAre("Invalid name: a name has only letters, digits, '_' and '-'. "
                          "Please choose another."));
  EXPECT_EQ(factory_.room().size(), 0u);
  user.proto->dataReceived("alice\r\n");
  EXPECT_EQ(user.proto->name(), "alice");
}

// A name taken (in any case) is refused; it is free again once its user left.
TEST_F(ChatProtocolTests, duplicateName) {
  User alice = join("alice");
  User other = connect();
  takeLines(*other.tr);
  other.proto->dataReceived("ALICE\r\n");
  EXPECT_THAT(takeLines(*other.tr), ElementsAre("Name taken, please choose another."));
  alice.tr->loseConnection();
  other.proto->dataReceived("Alice\r\n");
  EXPECT_THAT(takeLines(*other.tr), ElementsAre("Welcome, Alice! Here: Alice."));
}

// A message goes to every other user who joined, not back to its sender nor to someone still
// choosing a name.
TEST_F(ChatProtocolTests, broadcastToOthers) {
  User alice = join("alice");
  User bob = join("bob");
  User anonymous = connect();
  takeLines(*anonymous.tr);
  takeLines(*alice.tr);  // "* bob has joined"
  alice.proto->dataReceived("hello, everyone\r\n");
  EXPECT_THAT(takeLines(*bob.tr), ElementsAre("<alice> hello, everyone"));
  EXPECT_THAT(takeLines(*alice.tr), IsEmpty());
  EXPECT_THAT(takeLines(*anonymous.tr), IsEmpty());
}

// The others are told when someone joins.
TEST_F(ChatProtocolTests, joinNotice) {
  User alice = join("alice");
  User bob = connect();
  bob.proto->dataReceived("bob\r\n");
  EXPECT_THAT(takeLines(*alice.tr), ElementsAre("* bob has joined"));
  EXPECT_THAT(takeLines(*bob.tr),
              ElementsAre("What's your name?", "Welcome, bob! Here: alice, bob."));
}

// Empty lines are ignored.
TEST_F(ChatProtocolTests, emptyLines) {
  User alice = join("alice");
  User bob = join("bob");
  takeLines(*alice.tr);
  bob.proto->dataReceived("\r\n\r\n");
  EXPECT_THAT(takeLines(*alice.tr), IsEmpty());
  EXPECT_THAT(takeLines(*bob.tr), IsEmpty());
}

// /who lists the users, sorted without regard to case, in both states.
TEST_F(ChatProtocolTests, who) {
  User bob = join("bob");
  User alice = join("Alice");
  User newcomer = connect();
  takeLines(*newcomer.tr);
  newcomer.proto->dataReceived("/who\r\n");
  EXPECT_THAT(takeLines(*newcomer.tr), ElementsAre("Here: Alice, bob."));
  bob.proto->dataReceived("/who\r\n");
  EXPECT_THAT(takeLines(*bob.tr), ElementsAre("* Alice has joined", "Here: Alice, bob."));
}

// /quit says goodbye and closes; the others are told.
TEST_F(ChatProtocolTests, quit) {
  User alice = join("alice");
  User bob = join("bob");
  takeLines(*alice.tr);
  bob.proto->dataReceived("/quit\r\n");
  EXPECT_THAT(takeLines(*bob.tr), ElementsAre("Bye, bob!"));
  EXPECT_FALSE(bob.tr->connected());
  EXPECT_THAT(takeLines(*alice.tr), ElementsAre("* bob has left"));
  EXPECT_THAT(factory_.room().names(), ElementsAre("alice"));
}

// Lines after /quit in the same chunk are not handled.
TEST_F(ChatProtocolTests, nothingAfterQuit) {
  User alice = join("alice");
  User bob = join("bob");
  takeLines(*alice.tr);
  bob.proto->dataReceived("/quit\r\nstill here?\r\n");
  EXPECT_THAT(takeLines(*alice.tr), ElementsAre("* bob has left"));
}

// An unknown command is answered with the list of commands, and not broadcast.
TEST_F(ChatProtocolTests, unknownCommand) {
  User alice = join("alice");
  User bob = join("bob");
  takeLines(*alice.tr);
  bob.proto->dataReceived("/nick robert\r\n");
  EXPECT_THAT(takeLines(*bob.tr), ElementsAre("Unknown command: /nick. Commands: /who, /quit."));
  EXPECT_THAT(takeLines(*alice.tr), IsEmpty());
}

// A lost connection leaves the room, tells the others, and stops the idle timeout.
TEST_F(ChatProtocolTests, connectionLost) {
  User alice = join("alice");
  User bob = join("bob");
  takeLines(*alice.tr);
  bob.tr->abortConnection();
  EXPECT_THAT(takeLines(*alice.tr), ElementsAre("* bob has left"));
  EXPECT_THAT(factory_.room().names(), ElementsAre("alice"));
  EXPECT_EQ(clock_.pendingCount(), 1u);  // alice's
}

// A user leaving before choosing a name is no news to anyone.
TEST_F(ChatProtocolTests, anonymousLeaves) {
  User alice = join("alice");
  User anonymous = connect();
  anonymous.tr->loseConnection();
  EXPECT_THAT(takeLines(*alice.tr), IsEmpty());
}

// A protocol destroyed without connectionLost still leaves the room.
TEST_F(ChatProtocolTests, destroyedLeaves) {
  {
    User alice = join("alice");
    EXPECT_EQ(factory_.room().size(), 1u);
  }
  EXPECT_EQ(factory_.room().size(), 0u);
}

// A silent user is disconnected after the idle timeout, with a word; any line restarts it.
TEST_F(ChatProtocolTests, idleTimeout) {
  User alice = join("alice");
  User bob = join("bob");
  takeLines(*alice.tr);
  clock_.advance(50s);
  alice.proto->dataReceived("still here\r\n");
  clock_.advance(10s);  // bob: 60 s of silence
  EXPECT_THAT(takeLines(*bob.tr), ElementsAre("<alice> still here", "Idle for too long, bye."));
  EXPECT_FALSE(bob.tr->connected());
  EXPECT_TRUE(alice.tr->connected());
  EXPECT_THAT(takeLines(*alice.tr), ElementsAre("* bob has left"));
  clock_.advance(49s);
  EXPECT_TRUE(alice.tr->connected());
  clock_.advance(1s);
  EXPECT_FALSE(alice.tr->connected());
  EXPECT_EQ(clock_.pendingCount(), 0u);
}

// Choosing a name counts as activity; so does an empty line.
TEST_F(ChatProtocolTests, idleTimeoutWhileChoosingAName) {
  User user = connect();
  clock_.advance(59s);
  user.proto->dataReceived("\r\n");
  clock_.advance(59s);
  EXPECT_TRUE(user.tr->connected());
  clock_.advance(1s);
  EXPECT_FALSE(user.tr->connected());
}

// The factory's idle timeout can be disabled.
TEST(ChatFactoryTests, noIdleTimeout) {
  tw::fakes::Clock clock;
  ChatFactory factory(clock, std::nullopt);
  auto proto = factory.buildProtocol(kPeer);
  tw::fakes::StringTransport tr;
  proto->makeConnection(tr);
  EXPECT_EQ(clock.pendingCount(), 0u);
  EXPECT_EQ(std::dynamic_pointer_cast<ChatProtocol>(proto)->factory(), &factory);
}

// --- several users at once, in memory ---------------------------------------------------------

class ChatLoopbackTests : public ::testing::Test {
 protected:
  /// A ChatClient connected to a new server protocol of the factory; greeted already.
  std::shared_ptr<ChatClient> connect() {
    auto pair = tw::fakes::connectedServerAndClient(
        [&] { return std::dynamic_pointer_cast<ChatProtocol>(factory_.buildProtocol(kPeer)); },
        [] { return std::make_shared<ChatClient>(); }, /*greet=*/true, &clock_);
    pumps_.push_back(pair.pump);
    return pair.client;
  }
  /// Moves every connection's bytes until none moves.
  void flushAll() {
    bool moved = true;
    while (moved) {
      moved = false;
      for (auto& pump : pumps_) moved = pump.flush() || moved;
    }
  }
  /// connect(), join as `name`, and forget the greeting.
  std::shared_ptr<ChatClient> join(const std::string& name) {
    auto client = connect();
    client->say(name);
    flushAll();
    client->takeLines();
    return client;
  }

  tw::fakes::Clock clock_;
  ChatFactory factory_{clock_, 120s};
  std::vector<tw::fakes::IOPump> pumps_;
};

// Three users chat; each sees the conversation from their side.
TEST_F(ChatLoopbackTests, conversation) {
  auto alice = connect();
  auto bob = connect();
  auto carol = connect();
  EXPECT_THAT(alice->takeLines(), ElementsAre("What's your name?"));
  alice->say("alice");
  flushAll();
  bob->say("bob");
  flushAll();
  carol->say("alice");  // taken
  flushAll();
  carol->say("carol");
  flushAll();
  alice->say("hi all");
  flushAll();
  bob->say("hi alice");
  carol->say("/who");
  flushAll();
  carol->say("/quit");
  flushAll();

  EXPECT_THAT(alice->takeLines(),
              ElementsAre("Welcome, alice! Here: alice.", "* bob has joined", "* carol has joined",
                          "<bob> hi alice", "* carol has left"));
  EXPECT_THAT(bob->takeLines(),
              ElementsAre("What's your name?", "Welcome, bob! Here: alice, bob.",
                          "* carol has joined", "<alice> hi all", "* carol has left"));
  EXPECT_THAT(carol->takeLines(),
              ElementsAre("What's your name?", "Name taken, please choose another.",
                          "Welcome, carol! Here: alice, bob, carol.", "<alice> hi all",
                          "<bob> hi alice", "Here: alice, bob, carol.", "Bye, carol!"));
  EXPECT_FALSE(carol->connected());
  EXPECT_TRUE(alice->connected());
  EXPECT_THAT(factory_.room().names(), ElementsAre("alice", "bob"));
}

// Lines a client sends in one write, or split anywhere, arrive as the same messages.
TEST_F(ChatLoopbackTests, linesInAnyChunks) {
  auto alice = join("alice");
  auto bob = join("bob");
  alice->takeLines();
  bob->transport()->write("one\r\ntw");
  flushAll();
  bob->transport()->write("o\r");
  flushAll();
  bob->transport()->write("\nthree\r\n");
  flushAll();
  EXPECT_THAT(alice->takeLines(), ElementsAre("<bob> one", "<bob> two", "<bob> three"));
}

// A client that drops its connection is announced to the others.
TEST_F(ChatLoopbackTests, clientDisconnects) {
  auto alice = join("alice");
  auto bob = join("bob");
  alice->takeLines();
  bob->transport()->loseConnection();
  flushAll();
  EXPECT_THAT(alice->takeLines(), ElementsAre("* bob has left"));
  EXPECT_EQ(factory_.room().size(), 1u);
}

// Idle users are disconnected on the factory's clock, each after its own silence.
TEST_F(ChatLoopbackTests, idleTimeout) {
  auto alice = join("alice");
  clock_.advance(60s);
  auto bob = join("bob");
  alice->takeLines();
  clock_.advance(60s);  // alice: 120 s of silence
  flushAll();
  EXPECT_THAT(alice->takeLines(), ElementsAre("Idle for too long, bye."));
  EXPECT_FALSE(alice->connected());
  EXPECT_THAT(bob->takeLines(), ElementsAre("* alice has left"));
  clock_.advance(60s);
  flushAll();
  EXPECT_THAT(bob->takeLines(), ElementsAre("Idle for too long, bye."));
  EXPECT_EQ(factory_.room().size(), 0u);
  EXPECT_EQ(clock_.pendingCount(), 0u);
}
