/// @file
/// Tests of LineOnlyReceiver: lines over any chunking, long lines, closing, sending.
/// Twisted: twisted/protocols/test/test_basic.py (LineOnlyReceiverTests).
#include "tw/line_only_receiver.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "tw/fakes/string_transport.hpp"

namespace {

using Lines = std::vector<std::string>;

/// Twisted's LineOnlyTester: "\n"-delimited, MAX_LENGTH 64, records lines.
class LineOnlyTester : public tw::LineOnlyReceiver {
 public:
  LineOnlyTester() {
    setDelimiter("\n");
    setMaxLength(64);
  }
  void connectionMade() override { received.clear(); }
  void lineReceived(std::string_view line) override {
    received.emplace_back(line);
    if (line == "quit") transport()->loseConnection();
  }
  Lines received;
};

/// A tester that records long lines instead of closing.
class LongLineRecorder : public LineOnlyTester {
 public:
  void lineLengthExceeded(std::string_view line) override { longLines.emplace_back(line); }
  Lines longLines;
};

// Twisted: test_basic.LineOnlyReceiverTests.test_buffer
// Lines fed one byte at a time come out whole.
TEST(LineOnlyReceiverTests, bufferByteByByte) {
  const std::string_view buffer = "foo\n    bleakness\n    desolation\n    plastic forks\n    ";
  tw::fakes::StringTransport t;
  LineOnlyTester a;
  a.makeConnection(t);
  for (char c : buffer) a.dataReceived(std::string_view(&c, 1));
  EXPECT_EQ(a.received, (Lines{"foo", "    bleakness", "    desolation", "    plastic forks"}));
  EXPECT_EQ(a.bufferedData(), "    ");
}

// Twisted: test_basic.LineOnlyReceiverTests.test_greaterThanMaximumLineLength
// A line longer than maxLength closes the connection by default.
TEST(LineOnlyReceiverTests, greaterThanMaximumLineLength) {
  LineOnlyTester proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived(std::string(proto.maxLength() + proto.delimiter().size() + 1, 'x') + "\r\nr");
  EXPECT_TRUE(t.disconnecting());
  EXPECT_TRUE(proto.received.empty());
}

// Twisted: test_basic.LineOnlyReceiverTests.test_lineReceivedNotImplemented
// lineReceived is pure virtual.
TEST(LineOnlyReceiverTests, lineReceivedNotImplemented) {
  EXPECT_TRUE(std::is_abstract_v<tw::LineOnlyReceiver>);
}

// A line that closes the connection stops delivery of the rest of the chunk.
TEST(LineOnlyReceiverTests, noDeliveryOnceDisconnecting) {
  LineOnlyTester proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived("a\nquit\nb\n");
  EXPECT_EQ(proto.received, (Lines{"a", "quit"}));
  EXPECT_EQ(proto.bufferedData(), "b\n");
}

// sendLine writes the line and the delimiter.
TEST(LineOnlyReceiverTests, sendLineAppendsDelimiter) {
  LineOnlyTester proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.sendLine("hello");
  proto.sendLine("");
  EXPECT_EQ(t.value(), "hello\n\n");
}

// A long complete line goes alone to lineLengthExceeded; the next lines are still delivered.
TEST(LineOnlyReceiverTests, longLineReportedAloneThenParsingGoesOn) {
  LongLineRecorder proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  const std::string longLine(proto.maxLength() + 1, 'x');
  proto.dataReceived("a\n" + longLine + "\nb\n");
  EXPECT_EQ(proto.received, (Lines{"a", "b"}));
  EXPECT_EQ(proto.longLines, (Lines{longLine}));
}

// A line of exactly maxLength is delivered.
TEST(LineOnlyReceiverTests, lineOfMaximumLengthDelivered) {
  LongLineRecorder proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  const std::string line(proto.maxLength(), 'x');
  proto.dataReceived(line);
  proto.dataReceived("\n");
  EXPECT_EQ(proto.received, (Lines{line}));
  EXPECT_TRUE(proto.longLines.empty());
}

// An unfinished over-long line is reported once, and dropped from the buffer.
TEST(LineOnlyReceiverTests, unfinishedLongLineReportedOnceAndDropped) {
  LongLineRecorder proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  const std::size_t limit = proto.maxLength() + proto.delimiter().size();
  for (std::size_t i = 0; i + 1 < limit; ++i) proto.dataReceived("y");
  EXPECT_TRUE(proto.longLines.empty());
  proto.dataReceived("y");
  EXPECT_EQ(proto.longLines, (Lines{std::string(limit, 'y')}));
  EXPECT_EQ(proto.bufferedData(), "");
}

// dataReceived from inside lineReceived is parsed after the current lines, in order.
TEST(LineOnlyReceiverTests, reentrantDataIsQueued) {
  class Reentrant : public tw::LineOnlyReceiver {
   public:
    void lineReceived(std::string_view line) override {
      lines.emplace_back(line);
      if (line == "inject") dataReceived("i\r\n");
    }
    Lines lines;
  };
  Reentrant proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived("inject\r\na\r\n");
  EXPECT_EQ(proto.lines, (Lines{"inject", "a", "i"}));
}

// An empty delimiter is refused.
TEST(LineOnlyReceiverTests, emptyDelimiterRefused) {
  LineOnlyTester proto;
  EXPECT_THROW(proto.setDelimiter(""), std::invalid_argument);
}

}  // namespace
