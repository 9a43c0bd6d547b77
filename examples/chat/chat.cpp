/// @file
/// The chat server and client.  See chat.hpp.
#include "chat.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace chat {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isAsciiDigit(char c) { return c >= '0' && c <= '9'; }

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace

std::optional<std::string> checkName(std::string_view name) {
  if (name.empty()) return "a name cannot be empty";
  if (name.size() > kMaxNameLength) {
    return "a name has at most " + std::to_string(kMaxNameLength) + " characters";
  }
  if (!isAsciiAlpha(name.front())) return "a name starts with a letter";
  for (char c : name) {
    if (!isAsciiAlpha(c) && !isAsciiDigit(c) && c != '_' && c != '-') {
      return "a name has only letters, digits, '_' and '-'";
    }
  }
  return std::nullopt;
}

// --- ChatRoom --------------------------------------------------------------------------------

bool ChatRoom::has(std::string_view name) const { return users_.contains(lower(name)); }

void ChatRoom::join(std::string_view name, ChatProtocol& user) {
  users_.emplace(lower(name), User{std::string(name), &user});
}

void ChatRoom::leave(std::string_view name) { users_.erase(lower(name)); }

void ChatRoom::broadcast(std::string_view line, const ChatProtocol* except) {
  // Look each user up again before sending: a write that fails may drop a connection, and
  // with it a user, while we are going through them.
  std::vector<std::string> keys;
  keys.reserve(users_.size());
  for (const auto& [key, user] : users_) keys.push_back(key);
  for (const auto& key : keys) {
    auto it = users_.find(key);
    if (it != users_.end() && it->second.protocol != except) it->second.protocol->sendLine(line);
  }
}

std::vector<std::string> ChatRoom::names() const {
  std::vector<std::string> out;
  out.reserve(users_.size());
  for (const auto& [key, user] : users_) out.push_back(user.name);  // sorted by key
  return out;
}

// --- ChatProtocol ----------------------------------------------------------------------------

ChatProtocol::ChatProtocol(std::shared_ptr<ChatRoom> room, tw::IReactorTime& clock,
                           std::optional<tw::Seconds> idleTimeout)
    : tw::TimeoutMixin(clock), room_(std::move(room)), idleTimeout_(idleTimeout) {}

ChatProtocol::~ChatProtocol() {
  if (name_) room_->leave(*name_);
}

void ChatProtocol::connectionMade() {
  sendLine("What's your name?");
  setTimeout(idleTimeout_);
}

void ChatProtocol::lineReceived(std::string_view line) {
  resetTimeout();
  if (line.empty()) return;
  if (line.front() == '/') {
    command(line);
  } else if (!name_) {
    tryName(line);
  } else {
    std::string message = "<" + *name_ + "> ";
    message.append(line);
    room_->broadcast(message, this);
  }
}

void ChatProtocol::tryName(std::string_view name) {
  if (auto why = checkName(name)) {
    sendLine("Invalid name: " + *why + ". Please choose another.");
    return;
  }
  if (room_->has(name)) {
    sendLine("Name taken, please choose another.");
    return;
  }
  name_ = std::string(name);
  room_->join(name, *this);
  sendLine("Welcome, " + *name_ + "! Here: " + joined(room_->names()) + ".");
  room_->broadcast("* " + *name_ + " has joined", this);
}

void ChatProtocol::command(std::string_view line) {
  if (line == "/who") {
    sendLine("Here: " + joined(room_->names()) + ".");
  } else if (line == "/quit") {
    sendLine(name_ ? "Bye, " + *name_ + "!" : std::string("Bye!"));
    transport()->loseConnection();
  } else {
    std::string reply = "Unknown command: ";
    reply.append(line.substr(0, line.find(' ')));
    sendLine(reply + ". Commands: /who, /quit.");
  }
}

void ChatProtocol::timeoutConnection() {
  sendLine("Idle for too long, bye.");
  transport()->loseConnection();
}

void ChatProtocol::connectionLost(const tw::Failure& reason) {
  setTimeout(std::nullopt);
  leave();
  tw::LineReceiver::connectionLost(reason);
}

void ChatProtocol::leave() {
  if (!name_) return;
  std::string name = std::move(*name_);
  name_.reset();
  room_->leave(name);
  room_->broadcast("* " + name + " has left");
}

// --- ChatFactory -----------------------------------------------------------------------------

std::shared_ptr<tw::IProtocol> ChatFactory::buildProtocol(const tw::IAddress& /*addr*/) {
  return makeProtocol<ChatProtocol>(room_, clock_, idleTimeout_);
}

}  // namespace chat
