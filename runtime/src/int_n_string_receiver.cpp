/// @file
/// IntNStringReceiver.  Tests: tests/runtime/int_n_string_receiver_test.cpp,
/// tests/runtime/basic_protocols_property_test.cpp
#include "tw/int_n_string_receiver.hpp"

#include <stdexcept>

namespace tw {

IntNStringReceiver::IntNStringReceiver(std::size_t prefixLength) : prefixLength_(prefixLength) {
  if (prefixLength != 1 && prefixLength != 2 && prefixLength != 4) {
    throw std::invalid_argument("IntNStringReceiver: the prefix length must be 1, 2 or 4, not " +
                                std::to_string(prefixLength));
  }
}

void IntNStringReceiver::dataReceived(std::string_view data) {
  if (buffer_.busy()) {
    buffer_.appendPending(data);
    return;
  }
  detail::ReceiveBuffer::Session session(buffer_, data);
  parse();
}

void IntNStringReceiver::parse() {
  const std::size_t prefix = prefixLength_;
  for (;;) {
    if (paused()) return;
    std::string_view window = buffer_.window();
    if (window.size() < prefix) {
      if (buffer_.absorbPending()) continue;
      return;
    }
    if (ITransport* t = transport(); t != nullptr && t->disconnecting()) return;
    std::uint64_t length = 0;
    for (std::size_t i = 0; i < prefix; ++i) {
      length = (length << 8) | static_cast<unsigned char>(window[i]);
    }
    if (length > maxLength_) {
      lengthLimitExceeded(length);
      return;
    }
    if (window.size() - prefix < length) {
      if (buffer_.absorbPending()) continue;
      return;
    }
    std::string_view string = window.substr(prefix, static_cast<std::size_t>(length));
    buffer_.consume(prefix + string.size());
    stringReceived(string);
  }
}

void IntNStringReceiver::lengthLimitExceeded(std::uint64_t /*length*/) {
  if (ITransport* t = transport()) t->loseConnection();
}

void IntNStringReceiver::sendString(std::string_view string) {
  const std::uint64_t limit = std::uint64_t{1} << (8 * prefixLength_);
  if (string.size() >= limit) {
    throw StringTooLongError("Try to send " + std::to_string(string.size()) +
                             " bytes whereas maximum is " + std::to_string(limit));
  }
  ITransport* t = transport();
  if (t == nullptr) throw std::logic_error(logPrefix() + ": sendString() before makeConnection()");
  char prefix[4];
  std::uint64_t length = string.size();
  for (std::size_t i = prefixLength_; i-- > 0;) {
    prefix[i] = static_cast<char>(length & 0xff);
    length >>= 8;
  }
  t->writeSequence({std::string_view(prefix, prefixLength_), string});
}

}  // namespace tw
