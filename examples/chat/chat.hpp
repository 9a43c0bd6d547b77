/// @file
/// A multi-user, line-based chat server: users pick a nickname, then every line they send goes
/// to everyone else; idle users are disconnected.  Also a minimal line client for it.
/// Twisted: the Chat/ChatFactory example of Twisted's "Writing Servers" howto (chat.py),
/// extended.  Tests: examples/chat/tests/chat_test.cpp, examples/chat/tests/chat_property_test.cpp
///
/// A session, as each user sees it (lines from the server on the right):
/// @code
///   (connect)                         What's your name?
///   alice                             Welcome, alice! Here: alice.
///                                     * bob has joined
///   hi bob                            (bob sees: <alice> hi bob)
///   /who                              Here: alice, bob.
///   /quit                             Bye, alice!          (bob sees: * alice has left)
/// @endcode
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tw/factory.hpp"
#include "tw/interfaces/i_reactor_time.hpp"
#include "tw/line_receiver.hpp"
#include "tw/timeout_mixin.hpp"

namespace chat {

/// The longest nickname, in bytes.
inline constexpr std::size_t kMaxNameLength = 16;

/// Why `name` cannot be a nickname, or nothing if it can.  A nickname is 1 to kMaxNameLength
/// ASCII letters, digits, '_' or '-', starting with a letter.
std::optional<std::string> checkName(std::string_view name);

class ChatProtocol;

/// The users of one chat: their nicknames and connections.  Shared by a ChatFactory and the
/// protocols it builds.  Nicknames are unique without regard to case ("Bob" is taken when "bob"
/// is here) and kept as their user typed them.
class ChatRoom {
 public:
  /// True if `name` (in any case) is taken.
  bool has(std::string_view name) const;
  /// Adds `user` as `name`.  Preconditions: checkName(name) passes and !has(name).
  void join(std::string_view name, ChatProtocol& user);
  /// Removes `name`, if here.
  void leave(std::string_view name);
  /// Sends `line` to every user here but `except` (which may be null).
  void broadcast(std::string_view line, const ChatProtocol* except = nullptr);
  /// The nicknames, sorted without regard to case.
  std::vector<std::string> names() const;
  /// How many users are here.
  std::size_t size() const noexcept { return users_.size(); }

 private:
  struct User {
    std::string name;
    ChatProtocol* protocol;
  };
  std::map<std::string, User, std::less<>> users_;  // by lower-case name
};

/// One user's connection.  Twisted: the howto's Chat(LineReceiver), with validation, commands,
/// join/leave notices and an idle timeout.
///
/// States: asking for a name (each line is a nickname to try) → chatting (each line is a message
/// to the others, or a command).  Commands, in both states: `/who` lists the users, `/quit`
/// says goodbye and closes.  Empty lines are ignored.  A user silent for idleTimeout() is told so
/// and disconnected.  When a user who joined leaves (by /quit, timeout or a lost connection),
/// the others are told.
class ChatProtocol : public tw::LineReceiver, public tw::TimeoutMixin {
 public:
  /// @param room         the chat to join; shared with the factory.
  /// @param clock        where the idle timeout is scheduled; must outlive the protocol.
  /// @param idleTimeout  how long a user may stay silent; nothing disables the timeout.
  ChatProtocol(std::shared_ptr<ChatRoom> room, tw::IReactorTime& clock,
               std::optional<tw::Seconds> idleTimeout);
  /// Leaves the room (silently) if connectionLost did not.
  ~ChatProtocol() override;

  /// The nickname, once the user has joined.
  const std::optional<std::string>& name() const noexcept { return name_; }

  /// Asks for a name and starts the idle timeout.
  void connectionMade() override;
  /// Handles one line from the user.
  void lineReceived(std::string_view line) override;
  /// Stops the timeout, leaves the room and tells the others.
  void connectionLost(const tw::Failure& reason) override;

 protected:
  /// Tells the user why, then closes the connection.
  void timeoutConnection() override;

 private:
  void tryName(std::string_view name);
  void command(std::string_view line);
  void leave();

  std::shared_ptr<ChatRoom> room_;
  std::optional<tw::Seconds> idleTimeout_;
  std::optional<std::string> name_;
};

/// Builds a ChatProtocol per connection, all in one room, timing out on one clock.
/// Twisted: the howto's ChatFactory (whose `users` dict is the room).
class ChatFactory : public tw::ServerFactory {
 public:
  /// How long a user may stay silent by default: 5 minutes.
  static constexpr tw::Seconds kDefaultIdleTimeout{300};

  /// @param clock        where idle timeouts are scheduled; must outlive the protocols.
  /// @param idleTimeout  nothing disables the idle timeout.
  explicit ChatFactory(tw::IReactorTime& clock,
                       std::optional<tw::Seconds> idleTimeout = kDefaultIdleTimeout)
      : clock_(clock), idleTimeout_(idleTimeout) {}

  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& addr) override;

  /// The users here now.
  const ChatRoom& room() const noexcept { return *room_; }

 private:
  tw::IReactorTime& clock_;
  std::optional<tw::Seconds> idleTimeout_;
  std::shared_ptr<ChatRoom> room_ = std::make_shared<ChatRoom>();
};

/// A minimal chat client: records every line the server sends and sends lines for its user.
class ChatClient : public tw::LineReceiver {
 public:
  /// Sends one line (a name, a message or a command).
  void say(std::string_view line) { sendLine(line); }
  /// The lines received so far.
  const std::vector<std::string>& lines() const noexcept { return lines_; }
  /// Returns the lines received so far and forgets them.
  std::vector<std::string> takeLines() { return std::exchange(lines_, {}); }

  void lineReceived(std::string_view line) override { lines_.emplace_back(line); }

 private:
  std::vector<std::string> lines_;
};

}  // namespace chat
