/// @file
/// Properties of the chat server: with several users connected in memory, whatever they say
/// and in whatever order, every user receives exactly the others' messages, in the order said.
#include "chat.hpp"

#include <rapidcheck.h>

#include <memory>
#include <string>
#include <vector>

#include <tw/address.hpp>
#include <tw/fakes/iosim.hpp>
#include <tw/trial/prop.hpp>

namespace {

/// One message: who says it (an index into the users) and what (printable ASCII, not a
/// command, not empty).
struct Said {
  std::size_t speaker;
  std::string text;
};

rc::Gen<std::string> messageText() {
  return rc::gen::suchThat(
      rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::inRange<char>(' ', '~' + 1))),
      [](const std::string& s) { return s.front() != '/'; });
}

}  // namespace

// Every user gets every message of the others, in order, and none of their own.
TW_PROP(ChatPropertyTests, everyoneHearsTheOthersInOrder, ()) {
  const auto users = *rc::gen::inRange<std::size_t>(2, 5);
  const auto said = *rc::gen::container<std::vector<Said>>(
      rc::gen::construct<Said>(rc::gen::inRange<std::size_t>(0, users), messageText()));
  auto& clock = tw::trial::propReactor();
  chat::ChatFactory factory(clock, std::nullopt);
  const tw::IPv4Address peer("TCP", "127.0.0.1", 0);
  std::vector<tw::fakes::IOPump> pumps;
  std::vector<std::shared_ptr<chat::ChatClient>> clients;
  auto flushAll = [&] {
    for (bool moved = true; moved;) {
      moved = false;
      for (auto& pump : pumps) moved = pump.flush() || moved;
    }
  };
  for (std::size_t i = 0; i < users; ++i) {
    auto pair = tw::fakes::connectedServerAndClient(
        [&] { return std::dynamic_pointer_cast<chat::ChatProtocol>(factory.buildProtocol(peer)); },
        [] { return std::make_shared<chat::ChatClient>(); });
    pumps.push_back(pair.pump);
    clients.push_back(pair.client);
    pair.client->say("user" + std::to_string(i));
  }
  flushAll();
  for (auto& client : clients) client->takeLines();  // greetings and join notices

  for (const auto& s : said) {
    clients[s.speaker]->say(s.text);
    flushAll();
  }
  for (std::size_t i = 0; i < users; ++i) {
    std::vector<std::string> expected;
    for (const auto& s : said) {
      if (s.speaker != i) expected.push_back("<user" + std::to_string(s.speaker) + "> " + s.text);
    }
    RC_ASSERT(clients[i]->takeLines() == expected);
  }
}
