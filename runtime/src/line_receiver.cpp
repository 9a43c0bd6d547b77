/// @file
/// LineReceiver.  Tests: tests/runtime/line_receiver_test.cpp,
/// tests/runtime/basic_protocols_property_test.cpp
#include "tw/line_receiver.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace tw {

namespace {
std::size_t saturatingAdd(std::size_t a, std::size_t b) noexcept {
  return a > std::numeric_limits<std::size_t>::max() - b ? std::numeric_limits<std::size_t>::max()
                                                         : a + b;
}
}  // namespace

void LineReceiver::dataReceived(std::string_view data) {
  if (buffer_.busy()) {
    buffer_.appendPending(data);
    return;
  }
  detail::ReceiveBuffer::Session session(buffer_, data);
  deliver();
}

void LineReceiver::deliver() {
  for (;;) {
    if (paused()) return;
    std::string_view window = buffer_.window();
    if (window.empty()) {
      if (!buffer_.absorbPending()) return;
      scanned_ = 0;
      continue;
    }
    // Nothing is delivered once the transport is disconnecting (checked just before each
    // delivery, so that feeding a partial line costs no virtual call).
    auto closing = [this] {
      ITransport* t = transport();
      return t != nullptr && t->disconnecting();
    };

    if (!lineMode_) {
      // Raw mode hands on everything buffered at once, as Twisted does.
      if (buffer_.absorbPending()) continue;
      if (closing()) return;
      buffer_.consume(window.size());
      scanned_ = 0;
      rawDataReceived(window);
      continue;
    }

    // A line longer than maxLength_ is refused whether or not its delimiter has arrived, so no
    // search needs to look further than maxLength_ + dlen bytes.
    // (Both may change in a callback: read them afresh.)
    const std::size_t dlen = delimiter_.size();
    const std::size_t limit = saturatingAdd(maxLength_, dlen);
    const std::size_t at =
        detail::findDelimiter(window, delimiter_, std::min(scanned_, window.size()), limit);
    if (at == std::string_view::npos) {
      if (window.size() < limit) {
        // No delimiter starts before this point, now or after more bytes arrive.
        scanned_ = window.size() >= dlen ? window.size() - (dlen - 1) : 0;
        if (buffer_.absorbPending()) continue;  // the window grew: search its new bytes
        return;
      }
      if (buffer_.absorbPending()) continue;  // lineLengthExceeded gets everything buffered
      if (closing()) return;
      buffer_.consume(window.size());
      scanned_ = 0;
      lineLengthExceeded(window);
      return;
    }
    if (closing()) return;
    std::string_view line = window.substr(0, at);
    buffer_.consume(at + dlen);
    scanned_ = 0;
    lineReceived(line);
  }
}

void LineReceiver::rawDataReceived(std::string_view /*data*/) {
  throw std::logic_error(logPrefix() +
                         ": rawDataReceived() is not overridden, but the receiver is in raw mode "
                         "(setRawMode() was called)");
}

void LineReceiver::lineLengthExceeded(std::string_view /*line*/) {
  if (ITransport* t = transport()) t->loseConnection();
}

void LineReceiver::setLineMode(std::string_view extra) {
  lineMode_ = true;
  scanned_ = 0;
  if (!extra.empty()) dataReceived(extra);
}

std::string LineReceiver::clearLineBuffer() {
  scanned_ = 0;
  return buffer_.take();
}

std::string LineReceiver::bufferedData() const { return buffer_.contents(); }

void LineReceiver::sendLine(std::string_view line) {
  ITransport* t = transport();
  if (t == nullptr) throw std::logic_error(logPrefix() + ": sendLine() before makeConnection()");
  t->writeSequence({line, std::string_view(delimiter_)});
}

void LineReceiver::setDelimiter(std::string_view delimiter) {
  if (delimiter.empty()) throw std::invalid_argument("LineReceiver: the delimiter is empty");
  delimiter_.assign(delimiter);
  scanned_ = 0;
}

}  // namespace tw
