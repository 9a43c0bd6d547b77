/// @file
/// Tests of NetstringReceiver: netstrings over any chunking, every parse error, sendString.
/// Twisted: twisted/protocols/test/test_basic.py (NetstringReceiverTests, LPTestCaseMixin).
#include "tw/netstring_receiver.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "tw/fakes/string_transport.hpp"

namespace {

using Strings = std::vector<std::string>;
using Kind = tw::NetstringParseError::Kind;

/// Twisted's TestNetstring: MAX_LENGTH 50, records and echoes each string, notes the close.
class TestNetstring : public tw::NetstringReceiver {
 public:
  TestNetstring() { setMaxLength(50); }
  void connectionMade() override { received.clear(); }
  void stringReceived(std::string_view s) override {
    received.emplace_back(s);
    transport()->write(s);
  }
  void connectionLost(const tw::Failure& reason) override {
    tw::NetstringReceiver::connectionLost(reason);
    closed = true;
  }
  void handleParseError(const tw::NetstringParseError& error) override {
    errors.emplace_back(error.what());
    tw::NetstringReceiver::handleParseError(error);
  }
  Strings received;
  Strings errors;
  bool closed = false;
};

class NetstringReceiverTests : public ::testing::Test {
 protected:
  void SetUp() override { proto.makeConnection(transport); }

  /// Feeds `data` and expects the connection dropped with a parse error of `kind`, and nothing
  /// delivered.
  void expectRefused(std::string_view data, Kind kind) {
    proto.dataReceived(data);
    EXPECT_TRUE(transport.disconnecting()) << data;
    EXPECT_TRUE(proto.brokenPeer()) << data;
    ASSERT_TRUE(proto.lastParseError().has_value()) << data;
    EXPECT_EQ(proto.lastParseError()->kind(), kind)
        << data << ": " << proto.lastParseError()->what();
    EXPECT_TRUE(proto.received.empty()) << data;
  }

  tw::fakes::StringTransport transport;
  TestNetstring proto;
};

// Twisted: test_basic.NetstringReceiverTests.test_buffer
// Netstrings come out the same for every packet size from 1 to 9.
TEST_F(NetstringReceiverTests, bufferAnyPacketSize) {
  const Strings strings = {
      "hello", "world", "how", "are", "you123", ":today", std::string(515, 'a')};
  for (std::size_t size = 1; size < 10; ++size) {
    tw::fakes::StringTransport t;
    TestNetstring a;
    a.setMaxLength(699);
    a.makeConnection(t);
    for (const std::string& s : strings) a.sendString(s);
    const std::string out = t.value();
    for (std::size_t i = 0; i < out.size(); i += size) a.dataReceived(out.substr(i, size));
    EXPECT_EQ(a.received, strings) << "packet size " << size;
    EXPECT_FALSE(a.brokenPeer());
  }
}

// Twisted: test_basic.NetstringReceiverTests.test_receiveEmptyNetstring
// An empty netstring ("0:,") is received.
TEST_F(NetstringReceiverTests, receiveEmptyNetstring) {
  proto.dataReceived("0:,");
  EXPECT_EQ(proto.received, (Strings{""}));
}

// Twisted: test_basic.NetstringReceiverTests.test_receiveOneCharacter
// A one-character netstring is received.
TEST_F(NetstringReceiverTests, receiveOneCharacter) {
  proto.dataReceived("1:a,");
  EXPECT_EQ(proto.received, (Strings{"a"}));
}

// Twisted: test_basic.NetstringReceiverTests.test_receiveTwoCharacters
// A two-character netstring is received.
TEST_F(NetstringReceiverTests, receiveTwoCharacters) {
  proto.dataReceived("2:ab,");
  EXPECT_EQ(proto.received, (Strings{"ab"}));
}

// Twisted: test_basic.NetstringReceiverTests.test_receiveNestedNetstring
// ':' and ',' inside the payload are data.
TEST_F(NetstringReceiverTests, receiveNestedNetstring) {
  proto.dataReceived("4:1:a,,");
  EXPECT_EQ(proto.received, (Strings{"1:a,"}));
}

// Twisted: test_basic.NetstringReceiverTests.test_moreDataThanSpecified
// More payload than the length says is refused: the comma is missing.
TEST_F(NetstringReceiverTests, moreDataThanSpecified) {
  expectRefused("2:aaa,", Kind::kMissingComma);
}

// Twisted: test_basic.NetstringReceiverTests.test_moreDataThanSpecifiedBorderCase
// Data in a netstring of length 0 is refused.
TEST_F(NetstringReceiverTests, moreDataThanSpecifiedBorderCase) {
  expectRefused("0:a,", Kind::kMissingComma);
}

// Twisted: test_basic.NetstringReceiverTests.test_missingNumber
// A netstring without its length is refused.
TEST_F(NetstringReceiverTests, missingNumber) { expectRefused(":aaa,", Kind::kMissingLength); }

// Twisted: test_basic.NetstringReceiverTests.test_missingColon
// A length not followed by ':' is refused.
TEST_F(NetstringReceiverTests, missingColon) { expectRefused("3aaa,", Kind::kMissingColon); }

// Twisted: test_basic.NetstringReceiverTests.test_missingNumberAndColon
// Data without length or colon is refused.
TEST_F(NetstringReceiverTests, missingNumberAndColon) {
  expectRefused("aaa,", Kind::kMissingLength);
}

// Twisted: test_basic.NetstringReceiverTests.test_onlyData
// Bare data is refused at its first byte.
TEST_F(NetstringReceiverTests, onlyData) { expectRefused("aaa", Kind::kMissingLength); }

// A length with a leading zero is refused; "0" alone is a valid length.
TEST_F(NetstringReceiverTests, leadingZeroRefused) { expectRefused("01:a,", Kind::kLeadingZero); }

// A non-digit inside the length is refused before the ':' arrives.
TEST_F(NetstringReceiverTests, nonDigitInLengthRefused) {
  expectRefused("1x", Kind::kMissingColon);
}

// Twisted: test_basic.NetstringReceiverTests.test_receiveNetstringPortions_1
// A netstring received in two portions.
TEST_F(NetstringReceiverTests, receiveNetstringPortions1) {
  proto.dataReceived("4:aa");
  proto.dataReceived("aa,");
  EXPECT_EQ(proto.received, (Strings{"aaaa"}));
}

// Twisted: test_basic.NetstringReceiverTests.test_receiveNetstringPortions_2
// A netstring received in several portions, its length split between two of them.
TEST_F(NetstringReceiverTests, receiveNetstringPortions2) {
  for (std::string_view part : {"1", "0:01234", "56789", ","}) proto.dataReceived(part);
  EXPECT_EQ(proto.received, (Strings{"0123456789"}));
}

// Twisted: test_basic.NetstringReceiverTests.test_receiveNetstringPortions_3
// A netstring received one character at a time.
TEST_F(NetstringReceiverTests, receiveNetstringPortions3) {
  for (std::string_view part : {"2", ":", "a", "b", ","}) proto.dataReceived(part);
  EXPECT_EQ(proto.received, (Strings{"ab"}));
}

// Twisted: test_basic.NetstringReceiverTests.test_receiveTwoNetstrings
// A chunk holding a whole netstring and the length of the next.
TEST_F(NetstringReceiverTests, receiveTwoNetstrings) {
  proto.dataReceived("1:a,1");
  EXPECT_EQ(proto.received, (Strings{"a"}));
  proto.dataReceived(":b,");
  EXPECT_EQ(proto.received, (Strings{"a", "b"}));
}

// Twisted: test_basic.NetstringReceiverTests.test_maxReceiveLimit
// A length over maxLength is refused.
TEST_F(NetstringReceiverTests, maxReceiveLimit) {
  const std::size_t tooLong = proto.maxLength() + 1;
  expectRefused(std::to_string(tooLong) + ":" + std::string(tooLong, 'a'), Kind::kTooLong);
}

// Twisted: test_basic.NetstringReceiverTests.test_consumeLengthBorderCase1
// A length equal to maxLength is accepted.
TEST_F(NetstringReceiverTests, lengthEqualToMaximumAccepted) {
  proto.setMaxLength(12);
  proto.dataReceived("12:");
  EXPECT_FALSE(proto.brokenPeer());
  proto.dataReceived("abcdefghijkl,");
  EXPECT_EQ(proto.received, (Strings{"abcdefghijkl"}));
}

// Twisted: test_basic.NetstringReceiverTests.test_consumeLengthBorderCase2
// A length of maxLength + 1 is refused.
TEST_F(NetstringReceiverTests, lengthOneOverMaximumRefused) {
  proto.setMaxLength(11);
  expectRefused("12:", Kind::kTooLong);
}

// Twisted: test_basic.NetstringReceiverTests.test_consumeLengthBorderCase3
// A length far over maxLength is refused.
TEST_F(NetstringReceiverTests, lengthFarOverMaximumRefused) {
  proto.setMaxLength(11);
  expectRefused("1000:", Kind::kTooLong);
}

// An over-long length is refused as soon as its digits show it, before the ':' arrives.
TEST_F(NetstringReceiverTests, tooLongDetectedBeforeColon) {
  proto.dataReceived("5");
  EXPECT_FALSE(proto.brokenPeer());
  expectRefused("1", Kind::kTooLong);  // 51 > 50, no ':' yet
}

// A giant length is refused without overflow, with a message naming the limit.
TEST_F(NetstringReceiverTests, giantLengthRefused) {
  expectRefused("99999999999999999999999999999999999999:", Kind::kTooLong);
  EXPECT_NE(std::string(proto.lastParseError()->what()).find("maximum 50"), std::string::npos)
      << proto.lastParseError()->what();
}

// Twisted: test_basic.LPTestCaseMixin.test_illegal (NetstringReceiverTests.illegalStrings)
// Each illegal input, fed one byte at a time, closes the connection.
TEST(NetstringReceiverIllegalTests, illegalStringsByteByByte) {
  const std::vector<std::string> illegal = {
      "9999999999999999999999", "abc", "4:abcde",
      "51:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab,"};
  for (const std::string& s : illegal) {
    tw::fakes::StringTransport t;
    TestNetstring r;
    r.makeConnection(t);
    for (char c : s) r.dataReceived(std::string_view(&c, 1));
    EXPECT_TRUE(t.disconnecting()) << s;
    EXPECT_TRUE(r.received.empty()) << s;
    EXPECT_EQ(r.errors.size(), 1u) << s;
  }
}

// Valid netstrings before a malformed one are delivered; nothing after it is.
TEST_F(NetstringReceiverTests, nothingDeliveredAfterError) {
  proto.dataReceived("3:abc,4:abcdX3:def,");
  EXPECT_EQ(proto.received, (Strings{"abc"}));
  EXPECT_TRUE(proto.brokenPeer());
  EXPECT_EQ(proto.errors.size(), 1u);
  proto.dataReceived("3:ghi,");
  EXPECT_EQ(proto.received, (Strings{"abc"}));
  EXPECT_EQ(proto.errors.size(), 1u);  // reported once
}

// The parse error says what was found: Twisted's sentence, the byte and the payload length.
TEST_F(NetstringReceiverTests, parseErrorDescribesTheProblem) {
  proto.dataReceived("3:abcx");
  ASSERT_EQ(proto.errors.size(), 1u);
  EXPECT_EQ(proto.errors[0],
            "The received netstring is not terminated by a comma: found 'x' (0x78) after a "
            "3-byte payload.");
  EXPECT_EQ(tw::toString(proto.lastParseError()->kind()), "missingComma");
}

// makeConnection resets the parser and brokenPeer.
TEST_F(NetstringReceiverTests, makeConnectionResetsState) {
  proto.dataReceived("x");
  EXPECT_TRUE(proto.brokenPeer());
  tw::fakes::StringTransport t2;
  proto.makeConnection(t2);
  EXPECT_FALSE(proto.brokenPeer());
  EXPECT_FALSE(proto.lastParseError().has_value());
  proto.dataReceived("2:ok,");
  EXPECT_EQ(proto.received, (Strings{"ok"}));
}

// sendString writes Twisted's "<len>:<payload>," framing.
TEST_F(NetstringReceiverTests, sendStringFraming) {
  proto.sendString("hello");
  proto.sendString("");
  proto.sendString(std::string_view("a\0b", 3));
  EXPECT_EQ(transport.value(), std::string("5:hello,0:,3:a\0b,", 17));
}

// Twisted: test_basic.NetstringReceiverTests.test_stringReceivedNotImplemented
// stringReceived is pure virtual.
TEST(NetstringReceiverIllegalTests, stringReceivedNotImplemented) {
  EXPECT_TRUE(std::is_abstract_v<tw::NetstringReceiver>);
}

// dataReceived from inside stringReceived is parsed after the current netstrings, in order.
TEST(NetstringReceiverReentrancyTests, reentrantDataIsQueued) {
  class Reentrant : public tw::NetstringReceiver {
   public:
    void stringReceived(std::string_view s) override {
      received.emplace_back(s);
      if (s == "inject") {
        dataReceived("1:i,");
        EXPECT_EQ(s, "inject");
        EXPECT_EQ(received.size(), 1u);
      }
    }
    Strings received;
  };
  Reentrant proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived("6:inject,1:a,");
  EXPECT_EQ(proto.received, (Strings{"inject", "a", "i"}));
}

// A stringReceived that closes the connection stops delivery of the rest of the chunk.
TEST(NetstringReceiverReentrancyTests, noDeliveryOnceDisconnecting) {
  class Closer : public tw::NetstringReceiver {
   public:
    void stringReceived(std::string_view s) override {
      received.emplace_back(s);
      transport()->loseConnection();
    }
    Strings received;
  };
  Closer proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived("1:a,1:b,");
  EXPECT_EQ(proto.received, (Strings{"a"}));
}

}  // namespace
