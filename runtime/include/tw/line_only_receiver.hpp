/// @file
/// LineOnlyReceiver: a protocol that receives only lines (no raw mode, no pausing).
/// Twisted: twisted.protocols.basic.LineOnlyReceiver.
/// Tests: tests/runtime/line_only_receiver_test.cpp,
/// tests/runtime/basic_protocols_property_test.cpp
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "tw/detail/receive_buffer.hpp"
#include "tw/protocol.hpp"

namespace tw {

/// A protocol that splits its input into lines and calls lineReceived() for each.
///
/// Twisted offers it as a faster LineReceiver for protocols that never need raw mode; in tw both
/// parse the same way (no copy of complete lines, only the unfinished tail buffered), so this one
/// differs only in having no raw mode, no pausing and Twisted's LineOnlyReceiver rules for long
/// lines:
///  1. A complete line longer than maxLength() goes to lineLengthExceeded(line) (that line only;
///     default: close the connection).
///  2. An unfinished line goes to lineLengthExceeded(buffer) once the buffer holds maxLength() +
///     delimiter().size() bytes without a delimiter (see "Differs from Twisted").
///  3. Nothing is delivered once the transport is disconnecting.
///
/// The `line` view handed to lineReceived is valid until it returns.  A dataReceived call made
/// from inside lineReceived only queues its data; the outer call parses it next, in order.
///
/// Differs from Twisted:
///  - after lineLengthExceeded returns, parsing goes on with the next line unless the connection
///    is closing (Twisted drops the rest of the chunk and keeps its unfinished tail), so the lines
///    delivered do not depend on how the input was split.
///  - an unfinished over-long line is dropped from the buffer once reported (Twisted keeps it and
///    reports it again, longer, at each dataReceived), and a buffer of maxLength() bytes plus a
///    partial delimiter is not reported (Twisted reports any buffer over maxLength(); its
///    LineReceiver has this fix).  So the buffer never holds more than maxLength() +
///    delimiter().size() bytes while the connection is open.
///  - lines not yet delivered when the transport starts disconnecting stay buffered (Twisted drops
///    them).
///  - lineReceived is pure virtual (Twisted raises NotImplementedError when it is called).
class LineOnlyReceiver : public Protocol {
 public:
  /// The default delimiter, "\r\n".
  static constexpr std::string_view kDefaultDelimiter = "\r\n";
  /// The default maximum line length, 16384 bytes.  Twisted: LineOnlyReceiver.MAX_LENGTH.
  static constexpr std::size_t kDefaultMaxLength = 16384;

  /// A receiver with delimiter "\r\n" and maxLength() 16384, not connected.
  LineOnlyReceiver() = default;

  /// Splits `data` into lines and calls lineReceived for each.
  void dataReceived(std::string_view data) override;

  /// Called with each line received, without its delimiter.  `line` is valid until this returns.
  virtual void lineReceived(std::string_view line) = 0;

  /// Called with a line (or unfinished line) that is too long.  The default closes the connection.
  virtual void lineLengthExceeded(std::string_view line);

  /// Writes `line` then the delimiter, as one writeSequence (as Twisted does).
  /// @throws std::logic_error before makeConnection.
  void sendLine(std::string_view line);

  /// The buffered data not delivered yet (a copy).  tw's addition.
  std::string bufferedData() const { return buffer_.contents(); }

  /// The line delimiter, "\r\n" by default.
  const std::string& delimiter() const noexcept { return delimiter_; }

  /// Sets the delimiter.
  /// @throws std::invalid_argument if `delimiter` is empty.
  void setDelimiter(std::string_view delimiter);

  /// The longest line delivered, in bytes without the delimiter.  Twisted: MAX_LENGTH.
  std::size_t maxLength() const noexcept { return maxLength_; }

  /// Sets maxLength().
  void setMaxLength(std::size_t maxLength) noexcept { maxLength_ = maxLength; }

 private:
  void deliver();

  detail::ReceiveBuffer buffer_;
  std::string delimiter_{kDefaultDelimiter};
  std::size_t maxLength_ = kDefaultMaxLength;
  std::size_t scanned_ = 0;  // bytes at the window's start known to start no delimiter
};

}  // namespace tw
