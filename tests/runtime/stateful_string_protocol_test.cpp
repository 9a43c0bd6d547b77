/// @file
/// Tests of StatefulStringProtocol over NetstringReceiver and Int32StringReceiver.
/// Twisted: twisted/protocols/basic.py (StatefulStringProtocol).
#include "tw/stateful_string_protocol.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/fakes/string_transport.hpp"
#include "tw/int_n_string_receiver.hpp"
#include "tw/logger.hpp"
#include "tw/netstring_receiver.hpp"

namespace {

// A login exchange: user, then password, then done.
class Login : public tw::StatefulStringProtocol<tw::NetstringReceiver> {
 public:
  Login() {
    addState("init", [this](std::string_view user) {
      seen.emplace_back(user);
      return std::string("password");
    });
    addState("password", [this](std::string_view pw) {
      seen.emplace_back(pw);
      sendString("welcome");
      return std::string("done");
    });
  }
  std::vector<std::string> seen;
};

// Each string goes to the current state's handler; "done" closes the connection.
TEST(StatefulStringProtocolTests, dispatchesByStateUntilDone) {
  Login p;
  tw::fakes::StringTransport tr;
  p.makeConnection(tr);
  EXPECT_EQ(p.state(), "init");
  p.dataReceived("5:alice,");
  EXPECT_EQ(p.state(), "password");
  EXPECT_FALSE(tr.disconnecting());
  p.dataReceived("6:secret,");
  EXPECT_EQ(p.seen, (std::vector<std::string>{"alice", "secret"}));
  EXPECT_EQ(tr.value(), "7:welcome,");
  EXPECT_TRUE(tr.disconnecting());
}

// A state without a handler logs a warning and keeps the state.
TEST(StatefulStringProtocolTests, unknownStateIsLogged) {
  tw::LogCapture capture;
  class Empty : public tw::StatefulStringProtocol<tw::Int32StringReceiver> {};
  Empty p;
  tw::fakes::StringTransport tr;
  p.makeConnection(tr);
  p.setState("nowhere");
  p.dataReceived(std::string("\0\0\0\x02hi", 6));
  EXPECT_EQ(p.state(), "nowhere");
  ASSERT_EQ(capture.events().size(), 1u);
  EXPECT_EQ(capture.events()[0].level, tw::LogLevel::warn);
  EXPECT_NE(capture.events()[0].text.find("callback nowhere not found"), std::string::npos);
}

}  // namespace
