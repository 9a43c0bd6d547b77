/// @file
/// ReceiveBuffer: the input buffer shared by the framing receivers (LineReceiver,
/// LineOnlyReceiver, NetstringReceiver, IntNStringReceiver): zero-copy parsing out of the
/// incoming chunk, only the unfinished tail kept, re-entrant input queued.
/// Twisted: the `_buffer` / `_remainingData` / `_unprocessed` attributes of
/// twisted.protocols.basic. Tests: tests/runtime/line_receiver_test.cpp,
/// tests/runtime/basic_protocols_property_test.cpp
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace tw::detail {

/// The position of the first `delimiter` (non-empty) in `window` that starts at or after `from`
/// and ends at or before `limit`, or npos.  memchr-based for one- and two-byte delimiters.
inline std::size_t findDelimiter(std::string_view window, std::string_view delimiter,
                                 std::size_t from, std::size_t limit) noexcept {
  const std::size_t end = std::min(window.size(), limit);
  const std::size_t dlen = delimiter.size();
  if (from >= end || end - from < dlen) return std::string_view::npos;
  const char* base = window.data();
  if (dlen == 1) {
    const void* hit = std::memchr(base + from, delimiter[0], end - from);
    return hit == nullptr ? std::string_view::npos
                          : static_cast<std::size_t>(static_cast<const char*>(hit) - base);
  }
  if (dlen == 2) {
    const char first = delimiter[0];
    const char second = delimiter[1];
    const std::size_t lastStart = end - 1;  // a match starts before it
    std::size_t pos = from;
    while (pos < lastStart) {
      const void* hit = std::memchr(base + pos, first, lastStart - pos);
      if (hit == nullptr) return std::string_view::npos;
      pos = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
      if (base[pos + 1] == second) return pos;
      ++pos;
    }
    return std::string_view::npos;
  }
  return window.substr(0, end).find(delimiter, from);
}

/// The bytes a receiver has not consumed yet, seen as one contiguous window while it parses.
///
/// A receiver's dataReceived opens a Session; while it is open, `window()` is the unconsumed
/// input: a view into the caller's chunk when nothing was buffered before (no copy at all), else
/// into the receiver's own storage (the old tail with the chunk appended).  The receiver consumes
/// from its front and hands views of it to user callbacks.
///
/// Input that arrives while a Session is open (a callback calling dataReceived, setLineMode(extra),
/// ...) is queued by `appendPending`, never written into the storage the window points into, so a
/// view handed to a callback stays valid until that callback returns.  Between callbacks the
/// receiver calls `absorbPending()` to make the queued bytes part of the window.
///
/// When the Session closes (also by an exception), what is left of the window plus the queue is
/// kept, compacted, for the next call: memory is proportional to the unfinished tail only.
class ReceiveBuffer {
 public:
  /// Opens and closes the parsing of one dataReceived call.
  class Session {
   public:
    Session(ReceiveBuffer& buffer, std::string_view data) : buffer_(buffer) { buffer.begin(data); }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session() { buffer_.end(); }

   private:
    ReceiveBuffer& buffer_;
  };

  /// True while a Session is open (a dataReceived is running).
  bool busy() const noexcept { return busy_; }

  /// The unconsumed bytes (while busy: without the queued ones, see absorbPending).
  std::string_view window() const noexcept { return busy_ ? win_ : std::string_view(buf_); }

  /// Consumes the first `n` bytes of the window.  Preconditions: busy, n <= window().size().
  void consume(std::size_t n) noexcept { win_.remove_prefix(n); }

  /// Queues bytes received while busy.
  void appendPending(std::string_view data) { more_.append(data); }

  /// True if bytes are queued.
  bool hasPending() const noexcept { return !more_.empty(); }

  /// Moves the queued bytes to the end of the window (copying at most the window and the queue).
  /// Returns false, doing nothing, when none are queued.  Only call it between callbacks: views
  /// of the window taken before are invalidated.
  bool absorbPending() {
    if (more_.empty()) return false;
    absorbSlow();
    return true;
  }

  /// Total unconsumed bytes: the window plus the queue.
  std::size_t size() const noexcept { return window().size() + (busy_ ? more_.size() : 0); }

  /// A copy of every unconsumed byte (window then queue).
  std::string contents() const;

  /// Returns every unconsumed byte (window then queue) and forgets them.  While busy it does not
  /// touch the storage a callback's view points into.
  std::string take();

  /// Replaces every unconsumed byte by `data` (queued while busy).
  void replace(std::string_view data);

 private:
  void begin(std::string_view data) {
    if (buf_.empty()) {
      win_ = data;
      winInBuf_ = false;
    } else {
      buf_.append(data);
      win_ = buf_;
      winInBuf_ = true;
    }
    busy_ = true;  // last: if the append throws, the buffer is left as it was
  }

  void end() noexcept {
    busy_ = false;
    if (winInBuf_ && more_.empty() && win_.size() == buf_.size()) return;  // nothing consumed
    endSlow();
  }

  void absorbSlow();
  void endSlow() noexcept;

  std::string buf_;        // owned bytes: the tail kept between calls, or the combined window
  std::string more_;       // bytes queued while busy
  std::string_view win_;   // while busy: the unconsumed input (a suffix of its source)
  bool winInBuf_ = false;  // win_ points into buf_ (else into the caller's chunk)
  bool busy_ = false;
};

}  // namespace tw::detail
