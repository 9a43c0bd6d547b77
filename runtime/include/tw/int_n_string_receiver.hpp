/// @file
/// IntNStringReceiver and Int8/Int16/Int32StringReceiver: protocols that send and receive strings
/// prefixed by their length as a 1-, 2- or 4-byte unsigned integer in network byte order.
/// Twisted: twisted.protocols.basic.IntNStringReceiver, Int8StringReceiver, Int16StringReceiver,
/// Int32StringReceiver, StringTooLongError.
/// Tests: tests/runtime/int_n_string_receiver_test.cpp,
/// tests/runtime/basic_protocols_property_test.cpp
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tw/detail/pauseable_protocol.hpp"
#include "tw/detail/receive_buffer.hpp"

namespace tw {

/// sendString was given a string whose length does not fit the length prefix.
/// Twisted: basic.StringTooLongError (an AssertionError); here a std::length_error.
class StringTooLongError : public std::length_error {
 public:
  /// An error with `what()` as given (sendString says how long the string was and the maximum).
  using std::length_error::length_error;
};

/// The common part of the length-prefixed string protocols; use Int8StringReceiver,
/// Int16StringReceiver or Int32StringReceiver.
///
/// Each message is its length, as an unsigned big-endian integer of prefixLength() bytes, then
/// that many bytes.  stringReceived() gets each message's bytes.  A length over maxLength()
/// (99999 by default) calls lengthLimitExceeded() as soon as the prefix has arrived, before any
/// of the body, and nothing more of that chunk is parsed; the default closes the connection.
///
/// @code
/// class Echo : public tw::Int32StringReceiver {
///   void stringReceived(std::string_view s) override { sendString(s); }
/// };
/// @endcode
///
/// Pausable like LineReceiver (pauseProducing / resumeProducing / stopProducing).  The `string`
/// view handed to stringReceived is valid until it returns (it points into the received chunk
/// when the message arrived whole: no copy).  A dataReceived call made from inside stringReceived
/// only queues its data.
///
/// Differs from Twisted:
///  - `recvd` is recvd() / setRecvd() (Twisted: an attribute that application code reads and
///    assigns).
///  - nothing is delivered once the transport is disconnecting (Twisted delivers every message
///    of the chunk, also after stringReceived closed the connection).
///  - after lengthLimitExceeded the receiver keeps the over-long message's prefix unparsed, so
///    recvd() still shows it; Twisted keeps the whole chunk, already delivered messages included.
///  - stringReceived is pure virtual (Twisted raises NotImplementedError when it is called).
///  - sendString writes one writeSequence({prefix, string}): Twisted's bytes, no copy.
class IntNStringReceiver : public detail::PauseableProtocol {
 public:
  /// The default maximum message length, 99999 bytes.  Twisted: IntNStringReceiver.MAX_LENGTH.
  static constexpr std::size_t kDefaultMaxLength = 99999;

  /// Parses messages out of `data` (any chunking) and calls stringReceived for each.
  void dataReceived(std::string_view data) override;

  /// Called with each message received.  `string` is valid until this returns.
  virtual void stringReceived(std::string_view string) = 0;

  /// Called when a length prefix greater than maxLength() arrives, with that length.  The default
  /// closes the connection (transport()->loseConnection()).
  virtual void lengthLimitExceeded(std::uint64_t length);

  /// Sends `string` with its length prefix.
  /// @throws StringTooLongError if `string.size() >= 2^(8 * prefixLength())`.
  /// @throws std::logic_error before makeConnection.
  void sendString(std::string_view string);

  /// The size of the length prefix in bytes (1, 2 or 4).  Twisted: prefixLength.
  std::size_t prefixLength() const noexcept { return prefixLength_; }

  /// The longest message accepted, in bytes.  Twisted: MAX_LENGTH.
  std::size_t maxLength() const noexcept { return maxLength_; }

  /// Sets maxLength().
  void setMaxLength(std::size_t maxLength) noexcept { maxLength_ = maxLength; }

  /// The bytes received but not parsed yet (a copy): inside stringReceived, what follows the
  /// current message; inside lengthLimitExceeded, the over-long message from its prefix on.
  /// Twisted: the `recvd` attribute (read).
  std::string recvd() const { return buffer_.contents(); }

  /// Replaces the bytes not parsed yet by `data`; from inside stringReceived, parsing goes on
  /// with `data`.  Twisted: assigning the `recvd` attribute.
  void setRecvd(std::string_view data) { buffer_.replace(data); }

 protected:
  /// @param prefixLength  1, 2 or 4.
  /// @throws std::invalid_argument for another size.
  explicit IntNStringReceiver(std::size_t prefixLength);

 private:
  void parse();

  detail::ReceiveBuffer buffer_;
  std::size_t prefixLength_;
  std::size_t maxLength_ = kDefaultMaxLength;
};

/// Strings prefixed by a 4-byte length in network byte order.  Twisted: Int32StringReceiver.
class Int32StringReceiver : public IntNStringReceiver {
 public:
  /// A receiver with a 4-byte prefix and maxLength() 99999, not connected.
  Int32StringReceiver() : IntNStringReceiver(4) {}
};

/// Strings prefixed by a 2-byte length in network byte order.  Twisted: Int16StringReceiver.
class Int16StringReceiver : public IntNStringReceiver {
 public:
  /// A receiver with a 2-byte prefix and maxLength() 99999, not connected.
  Int16StringReceiver() : IntNStringReceiver(2) {}
};

/// Strings prefixed by a 1-byte length.  Twisted: Int8StringReceiver.
class Int8StringReceiver : public IntNStringReceiver {
 public:
  /// A receiver with a 1-byte prefix and maxLength() 99999, not connected.
  Int8StringReceiver() : IntNStringReceiver(1) {}
};

}  // namespace tw
