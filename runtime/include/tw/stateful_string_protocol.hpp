/// @file
/// StatefulStringProtocol: dispatches each received string to the handler of the current state.
/// Twisted: twisted.protocols.basic.StatefulStringProtocol.
/// Tests: tests/runtime/stateful_string_protocol_test.cpp
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "tw/logger.hpp"

namespace tw {

/// Mixes a state machine into a string receiver (NetstringReceiver, Int32StringReceiver, ...):
/// each string goes to the handler of the current state, which returns the next state.  The
/// state starts as "init"; reaching "done" closes the connection.
///
/// @code
/// class Login : public tw::StatefulStringProtocol<tw::NetstringReceiver> {
///  public:
///   Login() {
///     addState("init", [this](std::string_view user) { user_ = user; return "password"; });
///     addState("password", [this](std::string_view) { sendString("welcome"); return "done"; });
///   }
///   std::string user_;
/// };
/// @endcode
///
/// Differs from Twisted: handlers are registered with addState instead of being found by name
/// (`proto_<state>` methods); a string received in a state without a handler is logged at warn
/// level (Twisted logs "callback <state> not found") and the state is kept.
template <class Receiver>
class StatefulStringProtocol : public Receiver {
 public:
  /// Handles one string in a state; returns the next state.
  using Handler = std::function<std::string(std::string_view)>;

  /// Sets the handler of `state`.
  void addState(std::string state, Handler handler) {
    handlers_[std::move(state)] = std::move(handler);
  }

  /// The current state ("init" at first).
  const std::string& state() const noexcept { return state_; }

  /// Changes the state directly.
  void setState(std::string state) { state_ = std::move(state); }

  /// Calls the current state's handler; "done" closes the connection.
  void stringReceived(std::string_view string) override {
    auto it = handlers_.find(state_);
    if (it == handlers_.end()) {
      Logger("tw.stateful_string_protocol")
          .warn("callback " + state_ + " not found (string of " + std::to_string(string.size()) +
                " bytes ignored)");
      return;
    }
    state_ = it->second(string);
    if (state_ == "done" && this->transport() != nullptr) this->transport()->loseConnection();
  }

 private:
  std::string state_ = "init";
  std::map<std::string, Handler, std::less<>> handlers_;
};

}  // namespace tw
