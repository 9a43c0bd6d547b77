/// @file
/// LineOnlyReceiver.  Tests: tests/runtime/line_only_receiver_test.cpp,
/// tests/runtime/basic_protocols_property_test.cpp
#include "tw/line_only_receiver.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace tw {

void LineOnlyReceiver::dataReceived(std::string_view data) {
  if (buffer_.busy()) {
    buffer_.appendPending(data);
    return;
  }
  detail::ReceiveBuffer::Session session(buffer_, data);
  deliver();
}

void LineOnlyReceiver::deliver() {
  for (;;) {
    std::string_view window = buffer_.window();
    if (window.empty()) {
      if (!buffer_.absorbPending()) return;
      continue;
    }
    if (ITransport* t = transport(); t != nullptr && t->disconnecting()) return;
    // The delimiter and maxLength may change in a callback: read them afresh.
    const std::size_t dlen = delimiter_.size();
    const std::size_t limit = maxLength_ > std::numeric_limits<std::size_t>::max() - dlen
                                  ? std::numeric_limits<std::size_t>::max()
                                  : maxLength_ + dlen;
    std::size_t at =
        detail::findDelimiter(window, delimiter_, std::min(scanned_, window.size()), limit);
    if (at != std::string_view::npos) {
      std::string_view line = window.substr(0, at);
      buffer_.consume(at + dlen);
      scanned_ = 0;
      lineReceived(line);
      continue;
    }
    if (window.size() < limit) {
      // An unfinished line, not too long yet; no delimiter starts before this point.
      scanned_ = window.size() >= dlen ? window.size() - (dlen - 1) : 0;
      if (buffer_.absorbPending()) continue;
      return;
    }
    if (buffer_.absorbPending()) continue;
    scanned_ = 0;
    // Too long: report the line if its delimiter is further on, else the whole buffer.
    at = window.find(delimiter_, limit - dlen + 1);
    std::string_view line = at == std::string_view::npos ? window : window.substr(0, at);
    buffer_.consume(at == std::string_view::npos ? window.size() : at + dlen);
    lineLengthExceeded(line);
  }
}

void LineOnlyReceiver::lineLengthExceeded(std::string_view /*line*/) {
  if (ITransport* t = transport()) t->loseConnection();
}

void LineOnlyReceiver::sendLine(std::string_view line) {
  ITransport* t = transport();
  if (t == nullptr) throw std::logic_error(logPrefix() + ": sendLine() before makeConnection()");
  t->writeSequence({line, std::string_view(delimiter_)});
}

void LineOnlyReceiver::setDelimiter(std::string_view delimiter) {
  if (delimiter.empty()) throw std::invalid_argument("LineOnlyReceiver: the delimiter is empty");
  delimiter_.assign(delimiter);
  scanned_ = 0;
}

}  // namespace tw
