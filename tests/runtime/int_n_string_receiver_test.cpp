/// @file
/// Tests of Int8/Int16/Int32StringReceiver: length-prefixed strings over any chunking, the length
/// limit, recvd, sendString, pausing.
/// Twisted: twisted/protocols/test/test_basic.py (IntNTestCaseMixin, RecvdAttributeMixin,
/// Int32Tests, Int16Tests, Int8Tests).
#include "tw/int_n_string_receiver.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "tw/fakes/string_transport.hpp"

namespace {

using Strings = std::vector<std::string>;

/// Twisted's TestInt32 & co (TestMixin): MAX_LENGTH 50, records strings and length-limit calls;
/// a test may set `onString` to act inside stringReceived.
template <class Base>
class Tester : public Base {
 public:
  Tester() { this->setMaxLength(50); }
  void stringReceived(std::string_view s) override {
    received.emplace_back(s);
    if (onString) onString(s);
  }
  void lengthLimitExceeded(std::uint64_t length) override {
    lengths.push_back(length);
    if (onLengthLimit) {
      onLengthLimit(length);
    } else {
      Base::lengthLimitExceeded(length);
    }
  }
  Strings received;
  std::vector<std::uint64_t> lengths;
  std::function<void(std::string_view)> onString;
  std::function<void(std::uint64_t)> onLengthLimit;
};

/// The prefix of `length` in `prefixLength` big-endian bytes (Twisted: struct.pack).
std::string pack(std::size_t prefixLength, std::uint64_t length) {
  std::string out(prefixLength, '\0');
  for (std::size_t i = prefixLength; i-- > 0;) {
    out[i] = static_cast<char>(length & 0xff);
    length >>= 8;
  }
  return out;
}

template <class Base>
class IntNStringReceiverTests : public ::testing::Test {
 protected:
  void SetUp() override { proto.makeConnection(transport); }
  std::string message(std::string_view data) {
    return pack(proto.prefixLength(), data.size()) + std::string(data);
  }
  tw::fakes::StringTransport transport;
  Tester<Base> proto;
};

using Receivers =
    ::testing::Types<tw::Int32StringReceiver, tw::Int16StringReceiver, tw::Int8StringReceiver>;
TYPED_TEST_SUITE(IntNStringReceiverTests, Receivers);

// Twisted: test_basic.IntNTestCaseMixin.test_receive
// Strings fed one byte at a time are received whole.
TYPED_TEST(IntNStringReceiverTests, receiveByteByByte) {
  const Strings strings = {"a", std::string(16, 'b')};
  for (const std::string& s : strings) {
    for (char c : this->message(s)) this->proto.dataReceived(std::string_view(&c, 1));
  }
  EXPECT_EQ(this->proto.received, strings);
}

// Twisted: test_basic.IntNTestCaseMixin.test_partial
// Incomplete messages deliver nothing.
TYPED_TEST(IntNStringReceiverTests, partialDeliversNothing) {
  const std::size_t n = this->proto.prefixLength();
  const Strings partial = {std::string(n - 1, '\0'), pack(n, 8) + "dzadz", ""};
  for (const std::string& s : partial) {
    tw::fakes::StringTransport t;
    Tester<TypeParam> r;
    r.makeConnection(t);
    for (char c : s) r.dataReceived(std::string_view(&c, 1));
    EXPECT_TRUE(r.received.empty());
    EXPECT_EQ(r.recvd(), s);
  }
}

// Twisted: test_basic.IntNTestCaseMixin.test_send
// sendString writes the big-endian prefix and the string.
TYPED_TEST(IntNStringReceiverTests, sendWritesPrefixAndString) {
  this->proto.sendString(std::string(16, 'b'));
  EXPECT_EQ(this->transport.value(), pack(this->proto.prefixLength(), 16) + std::string(16, 'b'));
}

// Twisted: test_basic.IntNTestCaseMixin.test_lengthLimitExceeded
// A prefix over maxLength calls lengthLimitExceeded with it as soon as the prefix arrives.
TYPED_TEST(IntNStringReceiverTests, lengthLimitExceeded) {
  this->proto.setMaxLength(10);
  this->proto.onLengthLimit = [](std::uint64_t) {};
  this->proto.dataReceived(pack(this->proto.prefixLength(), 11));
  EXPECT_EQ(this->proto.lengths, (std::vector<std::uint64_t>{11}));
}

// Twisted: test_basic.IntNTestCaseMixin.test_longStringNotDelivered
// An over-long string arriving with its prefix is not delivered; by default the connection closes.
TYPED_TEST(IntNStringReceiverTests, longStringNotDelivered) {
  this->proto.setMaxLength(10);
  this->proto.dataReceived(pack(this->proto.prefixLength(), 11) + std::string(11, 'x'));
  EXPECT_TRUE(this->proto.received.empty());
  EXPECT_TRUE(this->transport.disconnecting());
}

// Twisted: test_basic.LPTestCaseMixin.test_illegal (Int*Tests.illegalStrings)
// A prefix over maxLength fed byte by byte closes the connection.
TYPED_TEST(IntNStringReceiverTests, illegalClosesConnection) {
  const std::size_t n = this->proto.prefixLength();
  // Twisted's strings; for Int8: two empty messages, then 'a' (97) read as a length over 50.
  const std::string illegal = n == 1 ? std::string(
                                           "\x00\x00"
                                           "aaaaaa",
                                           8)
                                     : pack(n, std::uint64_t{0x10} << (8 * (n - 1))) + "aaaaaa";
  for (char c : illegal) this->proto.dataReceived(std::string_view(&c, 1));
  EXPECT_TRUE(this->transport.disconnecting());
}

// Twisted: test_basic.IntNTestCaseMixin.test_stringReceivedNotImplemented
// stringReceived is pure virtual.
TYPED_TEST(IntNStringReceiverTests, stringReceivedNotImplemented) {
  EXPECT_TRUE(std::is_abstract_v<TypeParam>);
  EXPECT_TRUE(std::is_abstract_v<tw::IntNStringReceiver>);
}

// Twisted: test_basic.RecvdAttributeMixin.test_recvdContainsRemainingData
// Inside stringReceived, recvd() holds what follows the current message.
TYPED_TEST(IntNStringReceiverTests, recvdContainsRemainingData) {
  Strings result;
  this->proto.onString = [&](std::string_view) { result.push_back(this->proto.recvd()); };
  const std::string complete = this->message("aaaaa");
  const std::string incomplete = pack(this->proto.prefixLength(), 5) + "bbbb";
  this->proto.dataReceived(complete + incomplete);
  EXPECT_EQ(result, (Strings{incomplete}));
}

// Twisted: test_basic.RecvdAttributeMixin.test_recvdChanged
// Setting recvd inside stringReceived makes parsing go on with the new bytes.
TYPED_TEST(IntNStringReceiverTests, recvdChanged) {
  const std::string messageC = this->message("ccccc");
  bool first = true;
  this->proto.onString = [&](std::string_view) {
    if (first) this->proto.setRecvd(messageC);
    first = false;
  };
  this->proto.dataReceived(this->message("aaaaa") + this->message("bbbbb"));
  EXPECT_EQ(this->proto.received, (Strings{"aaaaa", "ccccc"}));
}

// Twisted: test_basic.RecvdAttributeMixin.test_switching
// Consuming part of recvd inside stringReceived skips those bytes; nothing is parsed twice.
TYPED_TEST(IntNStringReceiverTests, switching) {
  const Strings strings = {"a", std::string(16, 'b')};
  const std::string sw(4, '\0');
  std::string mix;
  for (const std::string& s : strings) mix += this->message(s) + sw;
  this->proto.onString = [&](std::string_view) {
    this->proto.setRecvd(this->proto.recvd().substr(sw.size()));
  };
  this->proto.dataReceived(mix);
  this->proto.dataReceived("\x01");
  EXPECT_EQ(this->proto.received, strings);
  EXPECT_EQ(this->proto.recvd(), "\x01");
}

// Twisted: test_basic.RecvdAttributeMixin.test_recvdInLengthLimitExceeded
// Inside lengthLimitExceeded, recvd() holds the over-long message from its prefix on.
TYPED_TEST(IntNStringReceiverTests, recvdInLengthLimitExceeded) {
  const std::string data = "too long";
  this->proto.setMaxLength(data.size() - 1);
  std::string seen;
  this->proto.onLengthLimit = [&](std::uint64_t) { seen = this->proto.recvd(); };
  const std::string message = this->message(data);
  this->proto.dataReceived(message);
  EXPECT_EQ(this->proto.lengths, (std::vector<std::uint64_t>{data.size()}));
  EXPECT_EQ(seen, message);
}

// Twisted: test_basic.Int32Tests.test_data (and Int16Tests, Int8Tests)
// The exact prefix bytes of each width, sent and received.
TEST(IntNStringReceiverDataTests, prefixBytesOfEachWidth) {
  {
    tw::fakes::StringTransport t;
    Tester<tw::Int32StringReceiver> r;
    r.makeConnection(t);
    r.sendString("foo");
    EXPECT_EQ(t.value(), std::string("\x00\x00\x00\x03"
                                     "foo",
                                     7));
    r.dataReceived(
        std::string("\x00\x00\x00\x04"
                    "ubar",
                    8));
    EXPECT_EQ(r.received, (Strings{"ubar"}));
  }
  {
    tw::fakes::StringTransport t;
    Tester<tw::Int16StringReceiver> r;
    r.makeConnection(t);
    r.sendString("foo");
    EXPECT_EQ(t.value(), std::string("\x00\x03"
                                     "foo",
                                     5));
    r.dataReceived(
        std::string("\x00\x04"
                    "ubar",
                    6));
    EXPECT_EQ(r.received, (Strings{"ubar"}));
  }
  {
    tw::fakes::StringTransport t;
    Tester<tw::Int8StringReceiver> r;
    r.makeConnection(t);
    r.sendString("foo");
    EXPECT_EQ(t.value(),
              "\x03"
              "foo");
    r.dataReceived(
        "\x04"
        "ubar");
    EXPECT_EQ(r.received, (Strings{"ubar"}));
  }
}

// Twisted: test_basic.Int16Tests.test_tooLongSend, Int8Tests.test_tooLongSend
// A string that does not fit the prefix is refused; the largest that fits is sent.
TEST(IntNStringReceiverDataTests, tooLongSend) {
  tw::fakes::StringTransport t8;
  Tester<tw::Int8StringReceiver> r8;
  r8.makeConnection(t8);
  EXPECT_THROW(r8.sendString(std::string(256, 'b')), tw::StringTooLongError);
  EXPECT_EQ(t8.value(), "");
  r8.sendString(std::string(255, 'b'));
  EXPECT_EQ(t8.value(), "\xff" + std::string(255, 'b'));

  tw::fakes::StringTransport t16;
  Tester<tw::Int16StringReceiver> r16;
  r16.makeConnection(t16);
  EXPECT_THROW(r16.sendString(std::string(65537, 'b')), tw::StringTooLongError);
  EXPECT_THROW(r16.sendString(std::string(65536, 'b')), std::length_error);
}

// A length prefix of another size than 1, 2 or 4 is refused.
TEST(IntNStringReceiverDataTests, badPrefixLengthRefused) {
  struct Int24 : tw::IntNStringReceiver {
    Int24() : tw::IntNStringReceiver(3) {}
    void stringReceived(std::string_view /*s*/) override {}
  };
  EXPECT_THROW(Int24{}, std::invalid_argument);
}

// pauseProducing inside stringReceived holds the rest until resumeProducing.
TYPED_TEST(IntNStringReceiverTests, pausingHoldsMessages) {
  this->proto.onString = [&](std::string_view s) {
    if (s == "pause") this->proto.pauseProducing();
  };
  this->proto.dataReceived(this->message("a") + this->message("pause") + this->message("b"));
  EXPECT_EQ(this->proto.received, (Strings{"a", "pause"}));
  EXPECT_EQ(this->transport.producerState(), tw::fakes::ProducerState::paused);
  this->proto.dataReceived(this->message("c"));
  EXPECT_EQ(this->proto.received, (Strings{"a", "pause"}));
  this->proto.resumeProducing();
  EXPECT_EQ(this->proto.received, (Strings{"a", "pause", "b", "c"}));
  EXPECT_EQ(this->transport.producerState(), tw::fakes::ProducerState::producing);
}

// dataReceived from inside stringReceived is parsed after the current messages, in order.
TYPED_TEST(IntNStringReceiverTests, reentrantDataIsQueued) {
  const std::string injected = this->message("i");
  this->proto.onString = [&](std::string_view s) {
    if (s == "inject") {
      this->proto.dataReceived(injected);
      EXPECT_EQ(s, "inject");
    }
  };
  this->proto.dataReceived(this->message("inject") + this->message("a"));
  EXPECT_EQ(this->proto.received, (Strings{"inject", "a", "i"}));
}

// Empty strings are sent and received.
TYPED_TEST(IntNStringReceiverTests, emptyStrings) {
  this->proto.sendString("");
  this->proto.sendString("");
  this->proto.dataReceived(this->transport.value());
  EXPECT_EQ(this->proto.received, (Strings{"", ""}));
}

}  // namespace
