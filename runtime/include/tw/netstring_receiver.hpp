/// @file
/// NetstringReceiver: a protocol that sends and receives netstrings (`<length>:<payload>,`).
/// Twisted: twisted.protocols.basic.NetstringReceiver, NetstringParseError.
/// Tests: tests/runtime/netstring_receiver_test.cpp,
/// tests/runtime/basic_protocols_property_test.cpp
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tw/detail/receive_buffer.hpp"
#include "tw/protocol.hpp"

namespace tw {

/// The incoming data is not a valid netstring.  Twisted: basic.NetstringParseError.
///
/// `what()` starts with Twisted's sentence for the problem, then says what was found, e.g.
/// "The received netstring is not terminated by a comma: found 'x' (0x78) after a 3-byte payload."
///
/// Differs from Twisted: derives from std::runtime_error (Twisted: ValueError) and says which
/// problem it is (kind()); Twisted reports a missing colon, a leading zero and a non-digit alike as
/// "does not start with a length specification".
class NetstringParseError : public std::runtime_error {
 public:
  /// What is wrong with the input.
  enum class Kind {
    kMissingLength,  ///< the netstring does not start with a digit (e.g. ":abc," or "abc")
    kLeadingZero,    ///< the length has a leading zero ("01:a,"); only "0" itself may start with 0
    kMissingColon,   ///< the digits are followed by something else than ':' ("3abc,")
    kTooLong,        ///< the length exceeds MAX_LENGTH (found as soon as its digits show it)
    kMissingComma,   ///< the byte after the payload is not ','
  };

  /// An error of `kind`; `message` is what what() returns.
  NetstringParseError(Kind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}

  /// Which problem this is.
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

/// "missingLength", "leadingZero", "missingColon", "tooLong" or "missingComma".
std::string_view toString(NetstringParseError::Kind kind) noexcept;

/// A protocol that sends and receives netstrings (http://cr.yp.to/proto/netstrings.txt): the
/// payload's length in decimal, a colon, the payload, a comma.
///
/// @code
/// class Echo : public tw::NetstringReceiver {
///   void stringReceived(std::string_view s) override { sendString(s); }
/// };
/// @endcode
///
/// Security, as Twisted's: payloads are limited to maxLength() bytes (99999 by default), and the
/// limit is enforced while the length's digits arrive, before the ':' (a peer cannot make the
/// receiver buffer a huge length or payload).  Any malformed input (see NetstringParseError::Kind)
/// delivers nothing more: the receiver sets brokenPeer(), keeps the error in lastParseError() and
/// calls handleParseError(), which closes the connection.  The receiver then ignores whatever
/// else arrives.  While the connection is open, what it keeps between calls is bounded by
/// maxLength() + 1 bytes (a payload arriving in pieces); the length's digits are not buffered.
///
/// The `payload` view handed to stringReceived is valid until it returns (it points into the
/// received chunk when the netstring arrived whole, else into the receiver's payload buffer).
/// A dataReceived call made from inside stringReceived only queues its data; the outer call parses
/// it next.
///
/// Differs from Twisted:
///  - a parse error is kept (lastParseError()) and passed to the virtual handleParseError();
///  Twisted
///    logs nothing and keeps only `brokenPeer = 1`.  After a parse error the receiver ignores
///    further input (Twisted goes on parsing the garbage that follows).
///  - nothing is delivered once the transport is disconnecting (Twisted delivers every netstring of
///    the chunk, also after stringReceived closed the connection).  What arrives meanwhile stays
///    buffered.
///  - stringReceived is pure virtual (Twisted raises NotImplementedError when it is called).
///  - sendString writes one writeSequence({length, ":", string, ","}): Twisted's bytes, no copy.
class NetstringReceiver : public Protocol {
 public:
  /// The default maximum payload length, 99999 bytes.  Twisted: NetstringReceiver.MAX_LENGTH.
  static constexpr std::size_t kDefaultMaxLength = 99999;

  /// A receiver with maxLength() 99999, not connected.
  NetstringReceiver() = default;

  /// Resets the parser (and brokenPeer()), then connects as Protocol does.
  void makeConnection(ITransport& transport) override;

  /// Parses netstrings out of `data` (any chunking) and calls stringReceived for each.
  void dataReceived(std::string_view data) override;

  /// Called with each netstring's payload.  `payload` is valid until this returns.
  virtual void stringReceived(std::string_view payload) = 0;

  /// Called once when the input is found malformed, after brokenPeer() and lastParseError() are
  /// set.  The default closes the connection (transport()->loseConnection()).  Twisted:
  /// NetstringReceiver._handleParseError.
  virtual void handleParseError(const NetstringParseError& error);

  /// Sends `string` as a netstring.
  /// @throws std::logic_error before makeConnection.
  void sendString(std::string_view string);

  /// True once malformed input was received.  Twisted: brokenPeer.
  bool brokenPeer() const noexcept { return brokenPeer_; }

  /// The error that broke the peer, if any.  tw's addition.
  const std::optional<NetstringParseError>& lastParseError() const noexcept {
    return lastParseError_;
  }

  /// The longest payload accepted, in bytes.  Twisted: MAX_LENGTH.
  std::size_t maxLength() const noexcept { return maxLength_; }

  /// Sets maxLength().
  void setMaxLength(std::size_t maxLength) noexcept { maxLength_ = maxLength; }

 private:
  void parse();
  void fail(NetstringParseError::Kind kind, const std::string& detail);
  void resetParser() noexcept;

  detail::ReceiveBuffer buffer_;
  std::string payload_;  // a payload arriving in pieces, with its comma
  std::uint64_t length_ = 0;
  std::size_t digits_ = 0;
  std::optional<NetstringParseError> lastParseError_;
  std::size_t maxLength_ = kDefaultMaxLength;
  bool parsingPayload_ = false;
  bool brokenPeer_ = false;
};

}  // namespace tw
