/// @file
/// NetstringReceiver.  Tests: tests/runtime/netstring_receiver_test.cpp,
/// tests/runtime/basic_protocols_property_test.cpp
#include "tw/netstring_receiver.hpp"

#include <cstdio>
#include <limits>
#include <stdexcept>

namespace tw {

namespace {

constexpr std::string_view kMissingLength =
    "The received netstring does not start with a length specification";
constexpr std::string_view kMissingComma = "The received netstring is not terminated by a comma";

/// "'x' (0x78)" or "0x0a" for a byte that does not print.
std::string describeByte(char c) {
  char text[24];
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) {
    std::snprintf(text, sizeof text, "'%c' (0x%02x)", c, u);
  } else {
    std::snprintf(text, sizeof text, "0x%02x", u);
  }
  return text;
}

/// Twisted's limit on the number of digits: ceil(log10(MAX_LENGTH)) + 1.
std::size_t maxDigits(std::size_t maxLength) noexcept {
  std::size_t digits = 1;  // ceil(log10(m)) is the number of digits of m - 1
  for (std::size_t m = maxLength > 0 ? maxLength - 1 : 0; m >= 10; m /= 10) ++digits;
  if (maxLength <= 1) digits = 0;
  return digits + 1;
}

}  // namespace

std::string_view toString(NetstringParseError::Kind kind) noexcept {
  switch (kind) {
    case NetstringParseError::Kind::kMissingLength:
      return "missingLength";
    case NetstringParseError::Kind::kLeadingZero:
      return "leadingZero";
    case NetstringParseError::Kind::kMissingColon:
      return "missingColon";
    case NetstringParseError::Kind::kTooLong:
      return "tooLong";
    case NetstringParseError::Kind::kMissingComma:
      return "missingComma";
  }
  return "unknown";
}

void NetstringReceiver::resetParser() noexcept {
  parsingPayload_ = false;
  length_ = 0;
  digits_ = 0;
}

void NetstringReceiver::makeConnection(ITransport& transport) {
  resetParser();
  payload_.clear();
  buffer_.replace({});
  brokenPeer_ = false;
  lastParseError_.reset();
  Protocol::makeConnection(transport);
}

void NetstringReceiver::dataReceived(std::string_view data) {
  if (brokenPeer_) return;
  if (buffer_.busy()) {
    buffer_.appendPending(data);
    return;
  }
  detail::ReceiveBuffer::Session session(buffer_, data);
  parse();
}

void NetstringReceiver::fail(NetstringParseError::Kind kind, const std::string& message) {
  brokenPeer_ = true;
  buffer_.take();
  payload_.clear();
  resetParser();
  lastParseError_.emplace(kind, message);
  handleParseError(*lastParseError_);
}

void NetstringReceiver::parse() {
  using Kind = NetstringParseError::Kind;
  for (;;) {
    std::string_view window = buffer_.window();
    if (window.empty()) {
      if (!buffer_.absorbPending()) return;
      continue;
    }
    if (ITransport* t = transport(); t != nullptr && t->disconnecting()) return;

    if (!parsingPayload_) {
      // The length: digits then ':', checked byte by byte so that a bad or too long length is
      // refused before its ':' arrives.
      std::size_t i = 0;
      for (; i < window.size(); ++i) {
        const char c = window[i];
        if (c >= '0' && c <= '9') {
          if (digits_ == 1 && length_ == 0) {
            return fail(
                Kind::kLeadingZero,
                std::string(kMissingLength) +
                    ": the length has a leading zero (only \"0\" itself may start with 0).");
          }
          const auto digit = static_cast<std::uint64_t>(c - '0');
          ++digits_;
          if (digits_ > maxDigits(maxLength_) ||
              length_ > (std::numeric_limits<std::uint64_t>::max() - digit) / 10 ||
              length_ * 10 + digit > maxLength_) {
            return fail(Kind::kTooLong,
                        "The received netstring is longer than the maximum " +
                            std::to_string(maxLength_) +
                            " specified by MAX_LENGTH: its length has " +
                            (digits_ > maxDigits(maxLength_)
                                 ? "more than " + std::to_string(maxDigits(maxLength_)) + " digits."
                                 : "reached " + std::to_string(length_ * 10 + digit) + "."));
          }
          length_ = length_ * 10 + digit;
          continue;
        }
        if (c == ':' && digits_ > 0) break;
        if (digits_ == 0) {
          return fail(Kind::kMissingLength,
                      std::string(kMissingLength) + ": found " + describeByte(c) + " first.");
        }
        return fail(Kind::kMissingColon, std::string(kMissingLength) + ": found " +
                                             describeByte(c) + " instead of ':' after the length " +
                                             std::to_string(length_) + ".");
      }
      if (i == window.size()) {
        buffer_.consume(i);
        continue;  // the length goes on in the next bytes
      }
      buffer_.consume(i + 1);
      parsingPayload_ = true;
      payload_.clear();
      continue;
    }

    // The payload and its comma.
    const auto expected = static_cast<std::size_t>(length_) + 1;
    std::string_view payload;
    char comma;
    if (payload_.empty() && window.size() >= expected) {
      payload = window.substr(0, expected - 1);  // whole in this chunk: no copy
      comma = window[expected - 1];
      buffer_.consume(expected);
    } else {
      const std::size_t take = std::min(window.size(), expected - payload_.size());
      payload_.append(window.substr(0, take));
      buffer_.consume(take);
      if (payload_.size() < expected) continue;
      payload = std::string_view(payload_).substr(0, expected - 1);
      comma = payload_.back();
    }
    if (comma != ',') {
      return fail(Kind::kMissingComma, std::string(kMissingComma) + ": found " +
                                           describeByte(comma) + " after a " +
                                           std::to_string(length_) + "-byte payload.");
    }
    resetParser();
    stringReceived(payload);
  }
}

void NetstringReceiver::handleParseError(const NetstringParseError& /*error*/) {
  if (ITransport* t = transport()) t->loseConnection();
}

void NetstringReceiver::sendString(std::string_view string) {
  ITransport* t = transport();
  if (t == nullptr) throw std::logic_error(logPrefix() + ": sendString() before makeConnection()");
  const std::string length = std::to_string(string.size());
  t->writeSequence({std::string_view(length), ":", string, ","});
}

}  // namespace tw
