/// @file
/// Tests of LineReceiver: line splitting over any chunking, raw mode, long lines, pausing,
/// clearLineBuffer, re-entrancy, sending.
/// Twisted: twisted/protocols/test/test_basic.py (LineReceiverTests,
/// LineReceiverLineLengthExceededTests, ProducerTests).
#include "tw/line_receiver.hpp"

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "tw/error.hpp"
#include "tw/fakes/clock.hpp"
#include "tw/fakes/string_transport.hpp"

namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

/// Twisted's LineTester: "\n"-delimited, MAX_LENGTH 64, acting on some tokens (pause, rawpause,
/// stop, len N, produce, unproduce); in raw mode it reads `len` bytes into the last entry.
class LineTester : public tw::LineReceiver {
 public:
  explicit LineTester(tw::fakes::Clock* clock = nullptr) : clock_(clock) {
    setDelimiter("\n");
    setMaxLength(64);
  }

  void connectionMade() override { received.clear(); }

  void lineReceived(std::string_view line) override {
    received.emplace_back(line);
    if (line.empty()) {
      setRawMode();
    } else if (line == "pause") {
      pauseProducing();
      clock_->callLater(0s, [this] { resumeProducing(); });
    } else if (line == "rawpause") {
      pauseProducing();
      setRawMode();
      received.emplace_back();
      clock_->callLater(0s, [this] { resumeProducing(); });
    } else if (line == "stop") {
      stopProducing();
    } else if (line.starts_with("len ")) {
      length = std::stoul(std::string(line.substr(4)));
    } else if (line.starts_with("produce")) {
      // Twisted registers it as a pull producer on a FileWrapper, which checks nothing; the
      // LineReceiver is a push producer, and StringTransport checks.
      transport()->registerProducer(*this, true);
    } else if (line.starts_with("unproduce")) {
      transport()->unregisterProducer();
    }
  }

  void rawDataReceived(std::string_view data) override {
    std::string_view mine = data.substr(0, length);
    std::string_view rest = data.substr(mine.size());
    length -= mine.size();
    received.back().append(mine);
    if (length == 0) setLineMode(rest);
  }

  void lineLengthExceeded(std::string_view line) override {
    if (line.size() > maxLength() + 1) setLineMode(line.substr(maxLength() + 1));
  }

  Lines received;
  std::size_t length = 0;

 private:
  tw::fakes::Clock* clock_;
};

/// Feeds `data` to `proto` in pieces of `size` bytes (Twisted's loop, including its trailing
/// empty piece).
void feed(tw::LineReceiver& proto, std::string_view data, std::size_t size) {
  for (std::size_t i = 0; i < data.size() / size + 1; ++i) {
    proto.dataReceived(data.substr(std::min(i * size, data.size()), size));
  }
}

/// A receiver that records lines and raw data.
class Recorder : public tw::LineReceiver {
 public:
  void lineReceived(std::string_view line) override { lines.emplace_back(line); }
  void rawDataReceived(std::string_view data) override { raw += data; }
  Lines lines;
  std::string raw;
};

/// A receiver that implements only lineReceived (Twisted's bare LineReceiver).
class Bare : public tw::LineReceiver {
 public:
  void lineReceived(std::string_view /*line*/) override {}
};

constexpr std::string_view kBuffer =
    "len 10\n"
    "\n"
    "0123456789len 5\n"
    "\n"
    "1234\n"
    "len 20\n"
    "foo 123\n"
    "\n"
    "0123456789\n"
    "012345678len 0\n"
    "foo 5\n"
    "\n"
    "1234567890123456789012345678901234567890123456789012345678901234567890\n"
    "len 1\n"
    "\n"
    "a";

const Lines kOutput = {
    "len 10", "0123456789", "len 5", "1234\n", "len 20", "foo 123", "0123456789\n012345678",
    "len 0",  "foo 5",      "",      "67890",  "len 1",  "a"};

// Twisted: test_basic.LineReceiverTests.test_buffer
// Lines, raw blocks and long lines come out the same for every packet size from 1 to 9.
TEST(LineReceiverTests, bufferAnyPacketSize) {
  for (std::size_t size = 1; size < 10; ++size) {
    tw::fakes::StringTransport t;
    LineTester a;
    a.makeConnection(t);
    feed(a, kBuffer, size);
    EXPECT_EQ(a.received, kOutput) << "packet size " << size;
  }
}

// Twisted: test_basic.LineReceiverTests.test_pausing
// A line that pauses the receiver holds back the next lines until resumeProducing.
TEST(LineReceiverTests, pausingHoldsLinesUntilResumed) {
  const std::string_view buf = "twiddle1\ntwiddle2\npause\ntwiddle3\n";
  for (std::size_t size = 1; size < 10; ++size) {
    tw::fakes::StringTransport t;
    tw::fakes::Clock clock;
    LineTester a(&clock);
    a.makeConnection(t);
    feed(a, buf, size);
    EXPECT_EQ(a.received, (Lines{"twiddle1", "twiddle2", "pause"})) << "packet size " << size;
    EXPECT_TRUE(a.paused());
    EXPECT_EQ(t.producerState(), tw::fakes::ProducerState::paused);
    clock.advance(0s);
    EXPECT_EQ(a.received, (Lines{"twiddle1", "twiddle2", "pause", "twiddle3"}));
    EXPECT_FALSE(a.paused());
    EXPECT_EQ(t.producerState(), tw::fakes::ProducerState::producing);
  }
}

// Twisted: test_basic.LineReceiverTests.test_rawPausing
// Pausing and switching to raw mode in one line holds back the raw data until resumed.
TEST(LineReceiverTests, rawPausingHoldsRawDataUntilResumed) {
  const std::string_view buf = "twiddle1\ntwiddle2\nlen 5\nrawpause\n12345twiddle3\n";
  for (std::size_t size = 1; size < 10; ++size) {
    tw::fakes::StringTransport t;
    tw::fakes::Clock clock;
    LineTester a(&clock);
    a.makeConnection(t);
    feed(a, buf, size);
    EXPECT_EQ(a.received, (Lines{"twiddle1", "twiddle2", "len 5", "rawpause", ""}))
        << "packet size " << size;
    clock.advance(0s);
    EXPECT_EQ(a.received,
              (Lines{"twiddle1", "twiddle2", "len 5", "rawpause", "12345", "twiddle3"}));
  }
}

// Twisted: test_basic.LineReceiverTests.test_stopProducing
// stopProducing inside lineReceived stops delivery for good and stops the transport.
TEST(LineReceiverTests, stopProducingStopsDelivery) {
  const std::string_view buf = "twiddle1\ntwiddle2\nstop\nmore\nstuff\n";
  for (std::size_t size = 1; size < 10; ++size) {
    tw::fakes::StringTransport t;
    LineTester a;
    a.makeConnection(t);
    feed(a, buf, size);
    EXPECT_EQ(a.received, (Lines{"twiddle1", "twiddle2", "stop"})) << "packet size " << size;
    EXPECT_EQ(t.producerState(), tw::fakes::ProducerState::stopped);
  }
}

// Twisted: test_basic.LineReceiverTests.test_lineReceiverAsProducer
// A receiver can register and unregister itself as its transport's producer while receiving.
TEST(LineReceiverTests, lineReceiverAsProducer) {
  tw::fakes::StringTransport t;
  LineTester a;
  a.makeConnection(t);
  a.dataReceived("produce\nhello world\nunproduce\ngoodbye\n");
  EXPECT_EQ(a.received, (Lines{"produce", "hello world", "unproduce", "goodbye"}));
  EXPECT_EQ(t.producer(), nullptr);
}

// Twisted: test_basic.LineReceiverTests.test_clearLineBuffer
// clearLineBuffer inside lineReceived returns the undelivered data and drops it.
TEST(LineReceiverTests, clearLineBufferDropsPendingLines) {
  class ClearingReceiver : public tw::LineReceiver {
   public:
    void lineReceived(std::string_view l) override {
      line = l;
      rest = clearLineBuffer();
    }
    std::string line;
    std::string rest;
  };
  ClearingReceiver proto;
  proto.dataReceived("foo\r\nbar\r\nbaz");
  EXPECT_EQ(proto.line, "foo");
  EXPECT_EQ(proto.rest, "bar\r\nbaz");
  proto.dataReceived("quux\r\n");
  EXPECT_EQ(proto.line, "quux");
  EXPECT_EQ(proto.rest, "");
}

// clearLineBuffer outside a callback returns the unfinished line and forgets it.
TEST(LineReceiverTests, clearLineBufferOutsideCallback) {
  Recorder proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived("one\r\ntw");
  EXPECT_EQ(proto.clearLineBuffer(), "tw");
  EXPECT_EQ(proto.clearLineBuffer(), "");
  proto.dataReceived("o\r\n");
  EXPECT_EQ(proto.lines, (Lines{"one", "o"}));
}

// Twisted: test_basic.LineReceiverTests.test_stackRecursion
// Flipping between line and raw mode thousands of times in one chunk does not recurse.
TEST(LineReceiverTests, stackRecursion) {
  class FlippingLineTester : public tw::LineReceiver {
   public:
    FlippingLineTester() { setDelimiter("\n"); }
    void lineReceived(std::string_view line) override {
      lines += line;
      setRawMode();
    }
    void rawDataReceived(std::string_view data) override { setLineMode(data.substr(1)); }
    std::string lines;
  };
  FlippingLineTester proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  constexpr std::size_t kLimit = 10000;
  std::string data;
  for (std::size_t i = 0; i < kLimit; ++i) data += "x\nx";
  proto.dataReceived(data);
  EXPECT_EQ(proto.lines, std::string(kLimit, 'x'));
}

// Twisted: test_basic.LineReceiverTests.test_maximumLineLength
// A finished line longer than maxLength closes the connection by default.
TEST(LineReceiverTests, maximumLineLength) {
  Bare proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived(std::string(proto.maxLength() + 1, 'x') + "\r\nr");
  EXPECT_TRUE(t.disconnecting());
}

// Twisted: test_basic.LineReceiverTests.test_maximumLineLengthPartialDelimiter
// A line of exactly maxLength whose delimiter arrives split over two chunks is delivered.
TEST(LineReceiverTests, maximumLineLengthPartialDelimiter) {
  LineTester proto;
  proto.setMaxLength(4);
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  const std::string line(proto.maxLength() - 1, 'x');
  proto.dataReceived(line);
  proto.dataReceived(std::string_view(proto.delimiter()).substr(0, proto.delimiter().size() - 1));
  proto.dataReceived(std::string(proto.delimiter().substr(proto.delimiter().size() - 1)) + line);
  EXPECT_FALSE(t.disconnecting());
  EXPECT_EQ(proto.received, (Lines{line}));
}

// Twisted: test_basic.LineReceiverTests.test_notQuiteMaximumLineLengthUnfinished
// An unfinished line of maxLength bytes plus a partial delimiter is not too long yet.
TEST(LineReceiverTests, notQuiteMaximumLineLengthUnfinished) {
  Bare proto;
  proto.setDelimiter("\r\n");
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived(std::string(proto.maxLength(), 'x') + "\r");
  EXPECT_FALSE(t.disconnecting());
  proto.dataReceived("\n");
  EXPECT_FALSE(t.disconnecting());
  EXPECT_EQ(proto.bufferedData(), "");
}

// Twisted: test_basic.LineReceiverTests.test_rawDataError (tw: an exception, not a return value)
// An exception thrown by rawDataReceived leaves dataReceived; later data is still received.
TEST(LineReceiverTests, rawDataErrorPropagates) {
  class Failing : public tw::LineReceiver {
   public:
    void lineReceived(std::string_view /*line*/) override {}
    void rawDataReceived(std::string_view data) override {
      seen += data;
      throw std::runtime_error("oops");
    }
    std::string seen;
  };
  Failing proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.setRawMode();
  EXPECT_THROW(proto.dataReceived("data"), std::runtime_error);
  EXPECT_EQ(proto.seen, "data");
  EXPECT_THROW(proto.dataReceived("more"), std::runtime_error);
  EXPECT_EQ(proto.seen, "datamore");
}

// An exception thrown by lineReceived leaves the undelivered lines buffered, in order.
TEST(LineReceiverTests, lineReceivedExceptionKeepsTheRestBuffered) {
  class ThrowsOnBad : public tw::LineReceiver {
   public:
    void lineReceived(std::string_view line) override {
      if (line == "bad") throw std::runtime_error("bad line");
      lines.emplace_back(line);
    }
    Lines lines;
  };
  ThrowsOnBad proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  EXPECT_THROW(proto.dataReceived("a\r\nbad\r\nb\r\nc"), std::runtime_error);
  EXPECT_EQ(proto.lines, (Lines{"a"}));
  EXPECT_EQ(proto.bufferedData(), "b\r\nc");
  proto.dataReceived("\r\n");
  EXPECT_EQ(proto.lines, (Lines{"a", "b", "c"}));
}

// Twisted: test_basic.LineReceiverTests.test_rawDataReceivedNotImplemented
// Raw mode without a rawDataReceived override fails with a clear error naming the problem.
TEST(LineReceiverTests, rawDataReceivedNotImplemented) {
  Bare proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.setRawMode();
  try {
    proto.dataReceived("foo");
    FAIL() << "expected std::logic_error";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("rawDataReceived"), std::string::npos) << e.what();
  }
}

// Twisted: test_basic.LineReceiverTests.test_lineReceivedNotImplemented
// lineReceived is pure virtual: a LineReceiver without it cannot be built.
TEST(LineReceiverTests, lineReceivedNotImplemented) {
  EXPECT_TRUE(std::is_abstract_v<tw::LineReceiver>);
  EXPECT_FALSE(std::is_abstract_v<Bare>);
}

/// Twisted's ExcessivelyLargeLineCatcher, with MAX_LENGTH 6.
class ExcessivelyLargeLineCatcher : public tw::LineReceiver {
 public:
  ExcessivelyLargeLineCatcher() { setMaxLength(6); }
  void lineReceived(std::string_view /*line*/) override {}
  void lineLengthExceeded(std::string_view data) override { longLines.emplace_back(data); }
  Lines longLines;
};

class LineReceiverLineLengthExceededTests : public ::testing::Test {
 protected:
  void SetUp() override { proto.makeConnection(transport); }
  ExcessivelyLargeLineCatcher proto;
  tw::fakes::StringTransport transport;
};

// Twisted: test_basic.LineReceiverLineLengthExceededTests.test_longUnendedLine
// Too many bytes without a delimiter all go to lineLengthExceeded, in one string.
TEST_F(LineReceiverLineLengthExceededTests, longUnendedLine) {
  const std::string excessive(proto.maxLength() * 2 + 2, 'x');
  proto.dataReceived(excessive);
  EXPECT_EQ(proto.longLines, (Lines{excessive}));
}

// Twisted: test_basic.LineReceiverLineLengthExceededTests.test_longLineAfterShortLine
// After a short line, the excessive rest goes to lineLengthExceeded without the short line.
TEST_F(LineReceiverLineLengthExceededTests, longLineAfterShortLine) {
  const std::string excessive(proto.maxLength() * 2 + 2, 'x');
  proto.dataReceived("x" + proto.delimiter() + excessive);
  EXPECT_EQ(proto.longLines, (Lines{excessive}));
}

// Twisted: test_basic.LineReceiverLineLengthExceededTests.test_longLineWithDelimiter
// A delimiter found only after maxLength bytes: the whole input goes to lineLengthExceeded.
TEST_F(LineReceiverLineLengthExceededTests, longLineWithDelimiter) {
  const std::string part(proto.maxLength() * 2 + 2, 'x');
  const std::string excessive = part + proto.delimiter() + part;
  proto.dataReceived(excessive);
  EXPECT_EQ(proto.longLines, (Lines{excessive}));
}

// Twisted: test_basic.LineReceiverLineLengthExceededTests.test_multipleLongLines
// Several long lines in one chunk: the whole chunk goes to lineLengthExceeded once.
TEST_F(LineReceiverLineLengthExceededTests, multipleLongLines) {
  const std::string part = std::string(proto.maxLength() * 2 + 2, 'x') + proto.delimiter();
  const std::string excessive = part + part;
  proto.dataReceived(excessive);
  EXPECT_EQ(proto.longLines, (Lines{excessive}));
}

// Twisted: test_basic.LineReceiverLineLengthExceededTests.test_maximumLineLengthRemaining
// An unfinished line of maxLength + len(delimiter) bytes closes the connection by default.
TEST(LineReceiverTests, maximumLineLengthRemaining) {
  Bare proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived(std::string(proto.maxLength() + proto.delimiter().size(), 'x'));
  EXPECT_TRUE(t.disconnecting());
  EXPECT_EQ(proto.bufferedData(), "");
}

// A long line arriving one byte at a time is reported as soon as the limit is reached.
TEST_F(LineReceiverLineLengthExceededTests, longLineByteByByteReportedAtTheLimit) {
  const std::size_t limit = proto.maxLength() + proto.delimiter().size();
  for (std::size_t i = 0; i + 1 < limit; ++i) proto.dataReceived("x");
  EXPECT_TRUE(proto.longLines.empty());
  proto.dataReceived("x");
  EXPECT_EQ(proto.longLines, (Lines{std::string(limit, 'x')}));
  EXPECT_EQ(proto.bufferedData(), "");
}

// Twisted: test_basic.ProducerTests.test_pauseResume
// A receiver that pauses itself after each line delivers one line per resumeProducing.
TEST(LineReceiverTests, pauseResume) {
  class ConsumingProtocol : public tw::LineReceiver {
   public:
    void lineReceived(std::string_view line) override {
      transport()->write(std::string(line) + "|");
      pauseProducing();
    }
  };
  using tw::fakes::ProducerState;
  ConsumingProtocol p;
  tw::fakes::StringTransport t;
  p.makeConnection(t);

  p.dataReceived("hello, ");
  EXPECT_EQ(t.value(), "");
  EXPECT_EQ(t.producerState(), ProducerState::producing);
  EXPECT_FALSE(p.paused());

  p.dataReceived("world\r\n");
  EXPECT_EQ(t.value(), "hello, world|");
  EXPECT_EQ(t.producerState(), ProducerState::paused);
  EXPECT_TRUE(p.paused());

  p.resumeProducing();
  EXPECT_EQ(t.value(), "hello, world|");
  EXPECT_EQ(t.producerState(), ProducerState::producing);
  EXPECT_FALSE(p.paused());

  p.dataReceived("hello\r\nworld\r\n");
  EXPECT_EQ(t.value(), "hello, world|hello|");
  EXPECT_TRUE(p.paused());

  p.resumeProducing();
  EXPECT_EQ(t.value(), "hello, world|hello|world|");
  EXPECT_TRUE(p.paused());

  p.dataReceived("goodbye\r\n");
  EXPECT_EQ(t.value(), "hello, world|hello|world|");
  EXPECT_TRUE(p.paused());

  p.resumeProducing();
  EXPECT_EQ(t.value(), "hello, world|hello|world|goodbye|");
  EXPECT_TRUE(p.paused());

  p.resumeProducing();
  EXPECT_EQ(t.value(), "hello, world|hello|world|goodbye|");
  EXPECT_FALSE(p.paused());
  EXPECT_EQ(t.producerState(), ProducerState::producing);
}

// A line that closes the connection stops delivery of the rest of its chunk and of later data.
TEST(LineReceiverTests, noDeliveryOnceDisconnecting) {
  class Closer : public tw::LineReceiver {
   public:
    void lineReceived(std::string_view line) override {
      lines.emplace_back(line);
      if (line == "quit") transport()->loseConnection();
    }
    void rawDataReceived(std::string_view data) override { raw += data; }
    Lines lines;
    std::string raw;
  };
  Closer proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived("a\r\nquit\r\nb\r\n");
  EXPECT_EQ(proto.lines, (Lines{"a", "quit"}));
  proto.dataReceived("c\r\n");
  proto.setRawMode();
  proto.dataReceived("raw");
  EXPECT_EQ(proto.lines, (Lines{"a", "quit"}));
  EXPECT_EQ(proto.raw, "");
  EXPECT_EQ(proto.clearLineBuffer(), "b\r\nc\r\nraw");
}

// With StringTransportWithDisconnection, a closing line runs connectionLost and stops delivery.
TEST(LineReceiverTests, closeWithDisconnectionTransport) {
  class Closer : public tw::LineReceiver {
   public:
    void lineReceived(std::string_view line) override {
      lines.emplace_back(line);
      if (line == "quit") transport()->loseConnection();
    }
    void connectionLost(const tw::Failure& reason) override {
      tw::LineReceiver::connectionLost(reason);
      lostDone = reason.check<tw::error::ConnectionDone>();
    }
    Lines lines;
    bool lostDone = false;
  };
  Closer proto;
  tw::fakes::StringTransportWithDisconnection t;
  t.setProtocol(proto);
  proto.makeConnection(t);
  proto.dataReceived("quit\r\nafter\r\n");
  EXPECT_EQ(proto.lines, (Lines{"quit"}));
  EXPECT_TRUE(proto.lostDone);
}

// setRawMode in lineReceived sends the rest of the same chunk to rawDataReceived, and
// setLineMode(extra) from rawDataReceived parses extra for lines in the same call.
TEST(LineReceiverTests, modeSwitchWithinOneChunk) {
  class Switcher : public tw::LineReceiver {
   public:
    void lineReceived(std::string_view line) override {
      events.push_back("line:" + std::string(line));
      if (line == "raw") {
        setRawMode();
        need = 3;
      }
    }
    void rawDataReceived(std::string_view data) override {
      std::string_view mine = data.substr(0, need);
      need -= mine.size();
      events.push_back("raw:" + std::string(mine));
      if (need == 0) setLineMode(data.substr(mine.size()));
    }
    Lines events;
    std::size_t need = 0;
  };
  Switcher proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived("a\r\nraw\r\nXYZb\r\nc\r\nraw\r\nQQ");
  proto.dataReceived("Qd\r\n");
  EXPECT_EQ(proto.events, (Lines{"line:a", "line:raw", "raw:XYZ", "line:b", "line:c", "line:raw",
                                 "raw:QQ", "raw:Q", "line:d"}));
}

// setLineMode(extra) called from outside any callback parses extra at once.
TEST(LineReceiverTests, setLineModeFromOutsideParsesExtra) {
  Recorder proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.setRawMode();
  proto.dataReceived("bytes");
  proto.setLineMode("x\r\ny\r\nz");
  EXPECT_EQ(proto.raw, "bytes");
  EXPECT_EQ(proto.lines, (Lines{"x", "y"}));
  EXPECT_EQ(proto.bufferedData(), "z");
}

// dataReceived called from inside lineReceived only appends; its lines follow the current ones.
TEST(LineReceiverTests, reentrantDataReceivedAppends) {
  class Reentrant : public tw::LineReceiver {
   public:
    void lineReceived(std::string_view line) override {
      lines.emplace_back(line);
      if (line == "inject") {
        dataReceived("i1\r\ni2");
        EXPECT_EQ(lines.size(), 2u);  // nothing delivered by the nested call
        EXPECT_EQ(line, "inject");    // the view is still valid
      }
    }
    Lines lines;
  };
  Reentrant proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived("a\r\ninject\r\nb\r\nc");
  EXPECT_EQ(proto.lines, (Lines{"a", "inject", "b", "ci1"}));
  proto.dataReceived("\r\n");
  EXPECT_EQ(proto.lines, (Lines{"a", "inject", "b", "ci1", "i2"}));
}

// Lines come straight out of the received chunk when nothing was buffered: no copy is made.
TEST(LineReceiverTests, linesAreViewsIntoTheChunk) {
  class Pointers : public tw::LineReceiver {
   public:
    void lineReceived(std::string_view line) override { starts.push_back(line.data()); }
    std::vector<const char*> starts;
  };
  Pointers proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  const std::string chunk = "ab\r\ncd\r\nunfinished";
  proto.dataReceived(chunk);
  ASSERT_EQ(proto.starts.size(), 2u);
  EXPECT_EQ(proto.starts[0], chunk.data());
  EXPECT_EQ(proto.starts[1], chunk.data() + 4);
  EXPECT_EQ(proto.bufferedData(), "unfinished");  // only the unfinished tail is kept
}

// sendLine writes the line followed by the delimiter.
TEST(LineReceiverTests, sendLineAppendsDelimiter) {
  Recorder proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.sendLine("hello");
  proto.setDelimiter("\n");
  proto.sendLine("");
  proto.sendLine("world");
  EXPECT_EQ(t.value(), "hello\r\n\nworld\n");
}

// sendLine before makeConnection is a clear error.
TEST(LineReceiverTests, sendLineWithoutTransportThrows) {
  Recorder proto;
  EXPECT_THROW(proto.sendLine("x"), std::logic_error);
}

// An empty delimiter is refused.
TEST(LineReceiverTests, emptyDelimiterRefused) {
  Recorder proto;
  EXPECT_THROW(proto.setDelimiter(""), std::invalid_argument);
  EXPECT_EQ(proto.delimiter(), "\r\n");
}

// A delimiter of several bytes is found across every split, also inside the delimiter.
TEST(LineReceiverTests, longDelimiterAnySplit) {
  const std::string_view input = "oneEND\ntwoEN\nEND\nEND\nthree";
  for (std::size_t size = 1; size <= input.size(); ++size) {
    Recorder proto;
    proto.setDelimiter("END\n");
    tw::fakes::StringTransport t;
    proto.makeConnection(t);
    feed(proto, input, size);
    EXPECT_EQ(proto.lines, (Lines{"one", "twoEN\n", ""})) << "packet size " << size;
    EXPECT_EQ(proto.bufferedData(), "three");
  }
}

// A "\r" not followed by "\n" is part of the line; a line may end in "\r\r\n".
TEST(LineReceiverTests, loneCarriageReturnIsData) {
  Recorder proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived("a\rb\r");
  proto.dataReceived("\r\n\r");
  proto.dataReceived("\n");
  EXPECT_EQ(proto.lines, (Lines{"a\rb\r", ""}));
}

// Raw mode hands over everything buffered, including data queued by a nested dataReceived.
TEST(LineReceiverTests, rawModeGetsTheWholeBuffer) {
  class Raw : public tw::LineReceiver {
   public:
    void lineReceived(std::string_view /*line*/) override {
      dataReceived("queued");
      setRawMode();
    }
    void rawDataReceived(std::string_view data) override { raw.emplace_back(data); }
    Lines raw;
  };
  Raw proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived("go\r\nrest-");
  EXPECT_EQ(proto.raw, (Lines{"rest-queued"}));
}

// A delimiter set inside lineReceived applies to the rest of the same chunk at once.
TEST(LineReceiverTests, delimiterChangedInsideCallback) {
  class Switcher : public tw::LineReceiver {
   public:
    void lineReceived(std::string_view line) override {
      lines.emplace_back(line);
      if (line == "unix") setDelimiter("\n");
      if (line == "long") setDelimiter("<END>");
    }
    Lines lines;
  };
  Switcher proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  proto.dataReceived("a\r\nunix\r\nb\r\nlong\nc\nd<END>e<EN");
  proto.dataReceived("D>");
  EXPECT_EQ(proto.lines, (Lines{"a", "unix", "b\r", "long", "c\nd", "e"}));
}

}  // namespace
