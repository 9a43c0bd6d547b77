/// @file
/// LineReceiver: a protocol that splits its input into lines, or passes it on raw, by mode.
/// Twisted: twisted.protocols.basic.LineReceiver.  Tests: tests/runtime/line_receiver_test.cpp,
/// tests/runtime/basic_protocols_property_test.cpp
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "tw/detail/pauseable_protocol.hpp"
#include "tw/detail/receive_buffer.hpp"

namespace tw {

/// A protocol that receives lines and/or raw data, depending on its mode.
///
/// In line mode (the initial mode) each line, without its delimiter, goes to lineReceived().  In
/// raw mode everything goes to rawDataReceived() as it arrives.  setRawMode() and setLineMode()
/// switch between the two, also from inside a callback: the rest of the current chunk then goes
/// the new way in the same dataReceived call.  Useful for IRC, HTTP, POP, SMTP, ...
///
/// @code
/// class Echo : public tw::LineReceiver {
///   void lineReceived(std::string_view line) override { sendLine(line); }
/// };
/// @endcode
///
/// Delivery rules, as Twisted's:
///  1. Lines may arrive split anywhere, also inside the delimiter; a partial delimiter is never
///     delivered.
///  2. A line longer than maxLength() bytes goes to lineLengthExceeded() (default: close the
///     connection) together with everything buffered after it; so does an unfinished line once
///     the buffer holds maxLength() + delimiter().size() bytes without a delimiter.
///  3. Nothing is delivered while paused() (pauseProducing, stopProducing); resumeProducing()
///     delivers what was buffered meanwhile.
///  4. A dataReceived() call made from inside a callback (directly, through setLineMode(extra) or
///     resumeProducing()) only appends to the buffer; the outer call delivers it, in order.  Mode
///     switches do not recurse, however many a chunk causes.
///
/// The `line` and `data` views handed to callbacks are valid until the callback returns (they
/// point into the received chunk or the receiver's buffer: no copy is made).  The buffer holds
/// only the unfinished tail of the input, so parsing is linear in the input whatever the chunk
/// size.
///
/// Stopping early: lineReceived() returns void.  To stop the processing of the data already
/// received, call transport()->loseConnection() (nothing more is delivered), pauseProducing() or
/// stopProducing(), or clearLineBuffer() (drops it); or throw: the exception leaves dataReceived
/// (the transport logs it and drops the connection, see DESIGN.md rule 5) and the undelivered
/// rest stays buffered.
///
/// Differs from Twisted:
///  - Twisted lets a truthy value returned by lineReceived / rawDataReceived stop the processing
///    and returns it from dataReceived (the TCP transport then drops the connection with it as
///    the reason, after a deprecation warning).  In tw the callbacks return void and a callback
///    that wants that throws instead (see "Stopping early").
///  - Twisted checks `transport.disconnecting` only after each lineReceived, so the first line of
///    a later chunk is still delivered after a close.  tw checks before every delivery (lines, raw
///    data and lineLengthExceeded alike): nothing is delivered once the transport is disconnecting.
///    What arrives meanwhile stays buffered (clearLineBuffer() returns it).
///  - lineReceived is pure virtual (Twisted raises NotImplementedError when it is called).
///    rawDataReceived, needed only in raw mode, throws std::logic_error naming the class if it was
///    not overridden (Twisted: NotImplementedError).
///  - sendLine writes `writeSequence({line, delimiter})`: the same bytes as Twisted's
///    `write(line + delimiter)` without copying the line.
///  - An empty delimiter is refused (std::invalid_argument); Twisted fails at the first split.
class LineReceiver : public detail::PauseableProtocol {
 public:
  /// The default delimiter, "\r\n".
  static constexpr std::string_view kDefaultDelimiter = "\r\n";
  /// The default maximum line length, 16384 bytes.  Twisted: LineReceiver.MAX_LENGTH.
  static constexpr std::size_t kDefaultMaxLength = 16384;

  /// A receiver in line mode, delimiter "\r\n", maxLength() 16384, not connected.
  LineReceiver() = default;

  /// Parses `data` into lines (or hands it on raw) and calls the callbacks; see the class comment.
  void dataReceived(std::string_view data) override;

  /// Called with each line received, without its delimiter.  `line` is valid until this returns.
  virtual void lineReceived(std::string_view line) = 0;

  /// Called in raw mode with the data received.  `data` is valid until this returns.
  /// @throws std::logic_error if not overridden: a subclass that calls setRawMode() must
  ///         override it.
  virtual void rawDataReceived(std::string_view data);

  /// Called when a line is too long (see rule 2 of the class comment).  `line` holds the start of
  /// the long line and everything buffered after it; the buffer is empty when this is called.
  /// The default closes the connection (transport()->loseConnection()).  An override may e.g.
  /// call setLineMode(rest) to skip the long line and go on with the rest.
  virtual void lineLengthExceeded(std::string_view line);

  /// Switches to line mode.  Data not delivered yet (the rest of the chunk) is parsed for lines.
  /// `extra` is fed through dataReceived: parsed at once when called from outside a callback,
  /// appended to the buffer (after what is already there) when called from inside one, typically
  /// rawDataReceived passing on the bytes after its own.
  void setLineMode(std::string_view extra = {});

  /// Switches to raw mode: the rest of the data (also the rest of the current chunk, when called
  /// from lineReceived) goes to rawDataReceived().
  void setRawMode() noexcept { lineMode_ = false; }

  /// True in line mode (the initial mode).  Twisted: line_mode.
  bool lineMode() const noexcept { return lineMode_; }

  /// Returns the buffered data not delivered yet, and forgets it.  From inside lineReceived this
  /// drops the lines of the current chunk not delivered yet.
  std::string clearLineBuffer();

  /// The buffered data not delivered yet (a copy).  tw's addition, for tests and diagnostics.
  std::string bufferedData() const;

  /// Writes `line` followed by the delimiter to the transport.
  void sendLine(std::string_view line);

  /// The line delimiter, "\r\n" by default.  Twisted: the `delimiter` attribute.
  const std::string& delimiter() const noexcept { return delimiter_; }

  /// Sets the delimiter (any non-empty byte string; one and two bytes are the fastest).
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
  bool lineMode_ = true;
};

}  // namespace tw
