/// @file
/// Tests of LineSendingProtocol.  Twisted: twisted/internet/testing.py (LineSendingProtocol).
#include "tw/fakes/line_sending_protocol.hpp"

#include <gtest/gtest.h>

#include "tw/fakes/string_transport.hpp"

namespace {

// With start, the lines are sent on connection; received lines are recorded.
TEST(LineSendingProtocolTests, sendsOnConnection) {
  tw::fakes::LineSendingProtocol p({"HELO x", "QUIT"});
  tw::fakes::StringTransportWithDisconnection tr;
  tr.setProtocol(p);
  p.makeConnection(tr);
  EXPECT_EQ(tr.value(), "HELO x\r\nQUIT\r\n");
  p.dataReceived("250 ok\r\n221 bye\r\n");
  EXPECT_EQ(p.response(), (std::vector<std::string>{"250 ok", "221 bye"}));
  tr.loseConnection();
  EXPECT_TRUE(p.lostConn());
}

// Without start, the lines are sent when the first line arrives, and only once.
TEST(LineSendingProtocolTests, sendsAfterTheFirstLine) {
  tw::fakes::LineSendingProtocol p({"hello"}, false);
  tw::fakes::StringTransport tr;
  p.makeConnection(tr);
  EXPECT_EQ(tr.value(), "");
  p.dataReceived("220 ready\r\n220 again\r\n");
  EXPECT_EQ(tr.value(), "hello\r\n");
  EXPECT_EQ(p.response().size(), 2u);
}

}  // namespace
