/// @file
/// Property tests of the framing receivers (LineReceiver, LineOnlyReceiver, NetstringReceiver,
/// Int8/16/32StringReceiver): the same bytes in any split give the same messages, errors and
/// close; what is sent round-trips; bad input ends in a reported error with a bounded buffer.
/// Twisted: twisted.protocols.basic (the chunking loops of test_basic.py, generalised).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tw/fakes/string_transport.hpp"
#include "tw/int_n_string_receiver.hpp"
#include "tw/line_only_receiver.hpp"
#include "tw/line_receiver.hpp"
#include "tw/netstring_receiver.hpp"

namespace {

using Events = std::vector<std::string>;

/// A way to cut `size` bytes into chunks: sorted cut points (duplicates give empty chunks).
std::vector<std::size_t> genCuts(std::size_t size) {
  auto cuts =
      *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, size + 1));
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

/// Feeds `data` to `proto` cut at `cuts`.
template <class P>
void feedCut(P& proto, std::string_view data, const std::vector<std::size_t>& cuts) {
  std::size_t start = 0;
  for (std::size_t cut : cuts) {
    proto.dataReceived(data.substr(start, cut - start));
    start = cut;
  }
  proto.dataReceived(data.substr(start));
}

/// Feeds `data` one byte at a time.
template <class P>
void feedBytes(P& proto, std::string_view data) {
  for (char c : data) proto.dataReceived(std::string_view(&c, 1));
}

// ---------------------------------------------------------------------------------------------
// LineReceiver

/// Records lines; on "rN" reads N raw bytes (as one event, whatever the chunking) and goes back
/// to line mode with the rest; records a long line and closes the connection.
class LineRecorder : public tw::LineReceiver {
 public:
  void lineReceived(std::string_view line) override {
    events.push_back("line:" + std::string(line));
    if (line.size() == 2 && line[0] == 'r' && line[1] >= '0' && line[1] <= '9') {
      need = static_cast<std::size_t>(line[1] - '0');
      if (need > 0) {
        events.emplace_back("raw:");
        setRawMode();
      }
    }
  }
  void rawDataReceived(std::string_view data) override {
    std::string_view mine = data.substr(0, need);
    need -= mine.size();
    events.back() += mine;
    if (need == 0) setLineMode(data.substr(mine.size()));
  }
  void lineLengthExceeded(std::string_view line) override {
    exceeded += line;
    ++exceededCalls;
    tw::LineReceiver::lineLengthExceeded(line);
  }
  Events events;
  std::string exceeded;
  int exceededCalls = 0;
  std::size_t need = 0;
};

struct LineOutcome {
  Events events;
  std::string undelivered;  // lineLengthExceeded's argument, then what is still buffered
  int exceededCalls;
  bool disconnecting;
  bool operator==(const LineOutcome&) const = default;
};

template <class Feed>
LineOutcome runLines(std::string_view input, std::string_view delimiter, std::size_t maxLength,
                     Feed feed) {
  LineRecorder proto;
  proto.setDelimiter(delimiter);
  proto.setMaxLength(maxLength);
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  feed(proto, input);
  return {proto.events, proto.exceeded + proto.bufferedData(), proto.exceededCalls,
          t.disconnecting()};
}

std::string genLineInput() {
  return *rc::gen::container<std::string>(rc::gen::element('a', 'r', '2', '\r', '\n'));
}

RC_GTEST_PROP(LineReceiverPropertyTests, anySplitSameLinesRawDataAndClose, ()) {
  const std::string input = genLineInput();
  const std::string delimiter = *rc::gen::element<std::string>("\r\n", "\n", "r\r\n");
  const auto maxLength = *rc::gen::inRange<std::size_t>(0, 12);
  const auto cuts = genCuts(input.size());
  const LineOutcome whole =
      runLines(input, delimiter, maxLength, [](auto& p, std::string_view d) { p.dataReceived(d); });
  const LineOutcome split = runLines(input, delimiter, maxLength,
                                     [&](auto& p, std::string_view d) { feedCut(p, d, cuts); });
  const LineOutcome bytes =
      runLines(input, delimiter, maxLength, [](auto& p, std::string_view d) { feedBytes(p, d); });
  RC_ASSERT(split == whole);
  RC_ASSERT(bytes == whole);
  RC_ASSERT(whole.exceededCalls <= 1);
  RC_ASSERT(whole.disconnecting == (whole.exceededCalls == 1));
}

/// A LineRecorder that pauses itself after every line.
class PausingLineRecorder : public LineRecorder {
 public:
  void lineReceived(std::string_view line) override {
    LineRecorder::lineReceived(line);
    pauseProducing();
  }
};

RC_GTEST_PROP(LineReceiverPropertyTests, pausingAfterEachLineChangesNothing, ()) {
  const std::string input = genLineInput();
  const auto cuts = genCuts(input.size());
  const LineOutcome plain =
      runLines(input, "\r\n", 1000, [](auto& p, std::string_view d) { p.dataReceived(d); });
  PausingLineRecorder proto;
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  std::size_t start = 0;
  auto feedAndDrain = [&](std::string_view chunk) {
    proto.dataReceived(chunk);
    // Each resumeProducing delivers one held-back line, which pauses again.
    while (proto.paused()) proto.resumeProducing();
  };
  for (std::size_t cut : cuts) {
    feedAndDrain(std::string_view(input).substr(start, cut - start));
    start = cut;
  }
  feedAndDrain(std::string_view(input).substr(start));
  RC_ASSERT(proto.events == plain.events);
  RC_ASSERT(proto.bufferedData() == plain.undelivered);
}

RC_GTEST_PROP(LineReceiverPropertyTests, sendLineRoundTrips, ()) {
  auto lines = *rc::gen::container<std::vector<std::string>>(
      rc::gen::container<std::string>(rc::gen::element('a', 'b', '\r', '\n', '\0')));
  const std::string delimiter = *rc::gen::element<std::string>("\r\n", "\n", "END");
  for (std::string& line : lines) {
    // A line cannot contain its delimiter.
    for (auto at = line.find(delimiter); at != std::string::npos; at = line.find(delimiter)) {
      line.erase(at, delimiter.size());
    }
  }
  tw::fakes::StringTransport wire;
  LineRecorder sender;
  sender.setDelimiter(delimiter);
  sender.makeConnection(wire);
  for (const std::string& line : lines) sender.sendLine(line);
  LineRecorder receiver;
  receiver.setDelimiter(delimiter);
  receiver.setMaxLength(1 << 20);
  tw::fakes::StringTransport t;
  receiver.makeConnection(t);
  feedCut(receiver, wire.value(), genCuts(wire.value().size()));
  Events expected;
  for (const std::string& line : lines) expected.push_back("line:" + line);
  RC_ASSERT(receiver.events == expected);
  RC_ASSERT(receiver.bufferedData().empty());
}

RC_GTEST_PROP(LineReceiverPropertyTests, garbageNeverBuffersPastTheLimit, ()) {
  const auto maxLength = *rc::gen::inRange<std::size_t>(0, 64);
  const auto chunks = *rc::gen::container<std::vector<std::string>>(
      rc::gen::container<std::string>(rc::gen::element('x', '\r')));
  LineRecorder proto;
  proto.setMaxLength(maxLength);
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  for (const std::string& chunk : chunks) {
    proto.dataReceived(chunk);
    if (t.disconnecting()) break;
    // Without a delimiter nothing is delivered, and the buffer stays under the limit.
    RC_ASSERT(proto.bufferedData().size() < maxLength + proto.delimiter().size());
  }
  RC_ASSERT(proto.events.empty());
}

// ---------------------------------------------------------------------------------------------
// LineOnlyReceiver

class LineOnlyRecorder : public tw::LineOnlyReceiver {
 public:
  void lineReceived(std::string_view line) override { lines.emplace_back(line); }
  void lineLengthExceeded(std::string_view line) override {
    ++exceededCalls;
    tw::LineOnlyReceiver::lineLengthExceeded(line);
  }
  Events lines;
  int exceededCalls = 0;
};

struct LineOnlyOutcome {
  Events lines;
  int exceededCalls;
  bool disconnecting;
  bool operator==(const LineOnlyOutcome&) const = default;
};

template <class Feed>
LineOnlyOutcome runLineOnly(std::string_view input, std::size_t maxLength, Feed feed) {
  LineOnlyRecorder proto;
  proto.setMaxLength(maxLength);
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  feed(proto, input);
  return {proto.lines, proto.exceededCalls, t.disconnecting()};
}

RC_GTEST_PROP(LineOnlyReceiverPropertyTests, anySplitSameLinesAndClose, ()) {
  const std::string input = genLineInput();
  const auto maxLength = *rc::gen::inRange<std::size_t>(0, 12);
  const auto cuts = genCuts(input.size());
  const auto whole =
      runLineOnly(input, maxLength, [](auto& p, std::string_view d) { p.dataReceived(d); });
  const auto split =
      runLineOnly(input, maxLength, [&](auto& p, std::string_view d) { feedCut(p, d, cuts); });
  const auto bytes =
      runLineOnly(input, maxLength, [](auto& p, std::string_view d) { feedBytes(p, d); });
  RC_ASSERT(split == whole);
  RC_ASSERT(bytes == whole);
}

// ---------------------------------------------------------------------------------------------
// NetstringReceiver

class NetstringRecorder : public tw::NetstringReceiver {
 public:
  void stringReceived(std::string_view s) override { strings.emplace_back(s); }
  void handleParseError(const tw::NetstringParseError& error) override {
    errors.emplace_back(error.what());
    tw::NetstringReceiver::handleParseError(error);
  }
  Events strings;
  Events errors;
};

struct NetstringOutcome {
  Events strings;
  Events errors;
  bool disconnecting;
  bool operator==(const NetstringOutcome&) const = default;
};

template <class Feed>
NetstringOutcome runNetstrings(std::string_view input, std::size_t maxLength, Feed feed) {
  NetstringRecorder proto;
  proto.setMaxLength(maxLength);
  tw::fakes::StringTransport t;
  proto.makeConnection(t);
  feed(proto, input);
  RC_ASSERT(proto.brokenPeer() == !proto.errors.empty());
  RC_ASSERT(proto.errors.size() <= 1u);
  return {proto.strings, proto.errors, t.disconnecting()};
}

/// Valid netstrings, then maybe a mutation (a byte replaced, inserted or removed).
std::string genNetstringInput() {
  const auto strings = *rc::gen::container<std::vector<std::string>>(
      rc::gen::container<std::string>(rc::gen::element('a', ':', ',', '1')));
  std::string input;
  for (const std::string& s : strings) input += std::to_string(s.size()) + ":" + s + ",";
  if (!input.empty() && *rc::gen::arbitrary<bool>()) {
    const auto at = *rc::gen::inRange<std::size_t>(0, input.size());
    const char c = *rc::gen::element('0', '7', ':', ',', 'x');
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        input[at] = c;
        break;
      case 1:
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(at), c);
        break;
      default:
        input.erase(at, 1);
    }
  }
  return input;
}

RC_GTEST_PROP(NetstringReceiverPropertyTests, anySplitSameStringsAndErrors, ()) {
  const std::string input = genNetstringInput();
  const auto maxLength = *rc::gen::inRange<std::size_t>(0, 20);
  const auto cuts = genCuts(input.size());
  const auto whole =
      runNetstrings(input, maxLength, [](auto& p, std::string_view d) { p.dataReceived(d); });
  const auto split =
      runNetstrings(input, maxLength, [&](auto& p, std::string_view d) { feedCut(p, d, cuts); });
  const auto bytes =
      runNetstrings(input, maxLength, [](auto& p, std::string_view d) { feedBytes(p, d); });
  RC_ASSERT(split == whole);
  RC_ASSERT(bytes == whole);
  RC_ASSERT(whole.disconnecting == !whole.errors.empty());
}

RC_GTEST_PROP(NetstringReceiverPropertyTests, sendStringRoundTrips, ()) {
  const auto strings =
      *rc::gen::container<std::vector<std::string>>(rc::gen::arbitrary<std::string>());
  tw::fakes::StringTransport wire;
  NetstringRecorder sender;
  sender.makeConnection(wire);
  for (const std::string& s : strings) sender.sendString(s);
  const auto out =
      runNetstrings(wire.value(), NetstringRecorder::kDefaultMaxLength,
                    [&](auto& p, std::string_view d) { feedCut(p, d, genCuts(d.size())); });
  RC_ASSERT(out.strings == Events(strings.begin(), strings.end()));
  RC_ASSERT(out.errors.empty());
}

RC_GTEST_PROP(NetstringReceiverPropertyTests, giantLengthRefusedEarly, ()) {
  const auto maxLength = *rc::gen::inRange<std::size_t>(0, 100000);
  const std::string digits =
      std::to_string(maxLength + 1 + *rc::gen::inRange<std::size_t>(0, 1000));
  const std::string input =
      digits + *rc::gen::container<std::string>(rc::gen::element('9', ':', 'a'));
  const auto out =
      runNetstrings(input, maxLength, [](auto& p, std::string_view d) { feedBytes(p, d); });
  RC_ASSERT(out.strings.empty());
  RC_ASSERT(out.errors.size() == 1u);
  RC_ASSERT(out.disconnecting);
  RC_ASSERT(out.errors[0].find("longer than the maximum") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Int8/16/32StringReceiver

template <class Base>
class IntNRecorder : public Base {
 public:
  void stringReceived(std::string_view s) override { events.push_back("s:" + std::string(s)); }
  void lengthLimitExceeded(std::uint64_t length) override {
    events.push_back("limit:" + std::to_string(length));
    Base::lengthLimitExceeded(length);
  }
  Events events;
};

std::string pack(std::size_t prefixLength, std::uint64_t length) {
  std::string out(prefixLength, '\0');
  for (std::size_t i = prefixLength; i-- > 0;) {
    out[i] = static_cast<char>(length & 0xff);
    length >>= 8;
  }
  return out;
}

template <class Base>
void checkIntNAnySplit() {
  const std::size_t prefix = IntNRecorder<Base>().prefixLength();
  const auto strings = *rc::gen::container<std::vector<std::string>>(
      rc::gen::container<std::string>(rc::gen::element('a', '\0', '\xff')));
  std::string input;
  for (const std::string& s : strings) input += pack(prefix, s.size()) + s;
  if (*rc::gen::arbitrary<bool>()) input += pack(prefix, *rc::gen::inRange<std::uint64_t>(0, 255));
  const auto maxLength = *rc::gen::inRange<std::size_t>(0, 20);
  auto run = [&](auto feed) {
    IntNRecorder<Base> proto;
    proto.setMaxLength(maxLength);
    tw::fakes::StringTransport t;
    proto.makeConnection(t);
    feed(proto, std::string_view(input));
    Events out = proto.events;
    out.push_back(t.disconnecting() ? "closed" : "open");
    return out;
  };
  const auto cuts = genCuts(input.size());
  const Events whole = run([](auto& p, std::string_view d) { p.dataReceived(d); });
  const Events split = run([&](auto& p, std::string_view d) { feedCut(p, d, cuts); });
  const Events bytes = run([](auto& p, std::string_view d) { feedBytes(p, d); });
  RC_ASSERT(split == whole);
  RC_ASSERT(bytes == whole);
}

template <class Base>
void checkIntNRoundTrip() {
  const auto strings = *rc::gen::container<std::vector<std::string>>(
      rc::gen::resize(300, rc::gen::arbitrary<std::string>()));
  tw::fakes::StringTransport wire;
  IntNRecorder<Base> sender;
  sender.makeConnection(wire);
  Events expected;
  for (const std::string& s : strings) {
    if (sender.prefixLength() == 1 && s.size() > 255) {
      RC_ASSERT_THROWS_AS(sender.sendString(s), tw::StringTooLongError);
      continue;
    }
    sender.sendString(s);
    expected.push_back("s:" + s);
  }
  IntNRecorder<Base> receiver;
  tw::fakes::StringTransport t;
  receiver.makeConnection(t);
  feedCut(receiver, wire.value(), genCuts(wire.value().size()));
  RC_ASSERT(receiver.events == expected);
  RC_ASSERT(receiver.recvd().empty());
}

RC_GTEST_PROP(IntNStringReceiverPropertyTests, int32AnySplit, ()) {
  checkIntNAnySplit<tw::Int32StringReceiver>();
}
RC_GTEST_PROP(IntNStringReceiverPropertyTests, int16AnySplit, ()) {
  checkIntNAnySplit<tw::Int16StringReceiver>();
}
RC_GTEST_PROP(IntNStringReceiverPropertyTests, int8AnySplit, ()) {
  checkIntNAnySplit<tw::Int8StringReceiver>();
}
RC_GTEST_PROP(IntNStringReceiverPropertyTests, int32RoundTrip, ()) {
  checkIntNRoundTrip<tw::Int32StringReceiver>();
}
RC_GTEST_PROP(IntNStringReceiverPropertyTests, int16RoundTrip, ()) {
  checkIntNRoundTrip<tw::Int16StringReceiver>();
}
RC_GTEST_PROP(IntNStringReceiverPropertyTests, int8RoundTrip, ()) {
  checkIntNRoundTrip<tw::Int8StringReceiver>();
}

}  // namespace
