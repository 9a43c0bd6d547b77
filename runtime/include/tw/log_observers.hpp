/// @file
/// Log observers: text files, event formatting and timestamps.
/// Twisted: twisted.logger._file (FileLogObserver, textFileLogObserver) and twisted.logger._format
/// (formatTime, formatEventAsClassicLogText, eventAsText).
/// Tests: tests/runtime/log_observers_test.cpp
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

#include "tw/logger.hpp"

namespace tw {

/// RFC 3339 with a numeric zone, e.g. "2026-12-02T21:30:00+0000" (a strftime format).
/// Twisted: twisted.logger.timeFormatRFC3339.
inline constexpr std::string_view kTimeFormatRFC3339 = "%Y-%m-%dT%H:%M:%S%z";

/// Formats a timestamp (seconds since the epoch) in the local time zone with a strftime format.
///
/// @param when the time; 0 stands for "no time" and gives `defaultText`.
/// @param timeFormat a strftime format; an empty one gives `defaultText`.
/// @param defaultText what to return when there is no time or no format.
/// Differs from Twisted: "no time" is 0 rather than None, and "no format" the empty string.
std::string formatTime(double when, std::string_view timeFormat = kTimeFormatRFC3339,
                       std::string_view defaultText = "-");

/// Turns an event's time into text (the `formatTime` argument of the functions below).
using LogTimeFormatter = std::function<std::string(double)>;

/// What `eventAsText` puts around the message.
struct EventAsTextOptions {
  bool includeTraceback = true;  ///< append the failure's traceback on the next lines
  bool includeTimestamp = true;  ///< start with the formatted time and a space
  bool includeSystem = true;     ///< then "[system] " (or "[ns#level] ")
};

/// Formats an event as "{time} [{system}] {text}" then, if it has a failure, a newline and the
/// traceback. Returns "" when the event has no text and no failure (nothing worth writing).
///
/// The system part is the event's `system` when set, otherwise `ns#level` (an empty namespace
/// shows as "-").
/// Twisted: twisted.logger.eventAsText.
std::string eventAsText(const LogEvent& event, const EventAsTextOptions& options = {},
                        const LogTimeFormatter& timeFormatter = {});

/// Formats an event as one classic log line: `eventAsText` with every continuation line (of a
/// multi-line text or of the traceback) indented by a tab, ending in a newline; "" when there is
/// nothing to write. Example: "2026-12-02T21:30:00+0000 [tw.tcp#info] connected\n".
///
/// @param timeFormatter formats the time; empty means `formatTime(t)` (RFC 3339, local time).
/// Twisted: twisted.logger.formatEventAsClassicLogText.
/// Differs from Twisted: returns "" rather than None, and a traceback's trailing newline does
/// not leave an empty tab-only line.
std::string formatEventAsClassicLogText(const LogEvent& event,
                                        const LogTimeFormatter& timeFormatter = {});

/// Turns an event into the text a FileLogObserver writes ("" writes nothing).
using LogEventFormatter = std::function<std::string(const LogEvent&)>;

/// An observer that writes each event, formatted, to an output stream, and flushes it.
///
/// Copies share the same stream and lock (it is a handle), so it can be stored in a
/// `LogObserver` and still be used or inspected. The stream must outlive every copy, unless
/// the observer owns it (see `textFileLogObserver(path)`).
///
/// Thread safety: may be called from any number of threads at once; each event's text is
/// written in one piece under a lock, so the lines of two events never interleave.
/// Twisted: twisted.logger.FileLogObserver.
class FileLogObserver {
 public:
  /// Writes to `stream`, which the caller keeps alive.
  FileLogObserver(std::ostream& stream, LogEventFormatter formatter);
  /// Writes to a stream it owns (closed when the last copy goes).
  FileLogObserver(std::shared_ptr<std::ostream> stream, LogEventFormatter formatter);

  /// Formats the event and writes the text, if any, then flushes. A formatter that throws is
  /// the caller's problem (LogPublisher reports it); a stream error is ignored.
  void operator()(const LogEvent& event) const;

 private:
  struct State {
    std::mutex mutex;
    std::shared_ptr<std::ostream> owned;
    std::ostream* stream = nullptr;
    LogEventFormatter formatter;
  };
  std::shared_ptr<State> state_;
};

/// A FileLogObserver writing `formatEventAsClassicLogText` lines to `stream`, times formatted
/// with `timeFormat` (strftime; empty writes "-").
/// Twisted: twisted.logger.textFileLogObserver.
FileLogObserver textFileLogObserver(std::ostream& stream,
                                    std::string timeFormat = std::string(kTimeFormatRFC3339));

/// Like `textFileLogObserver(stream)` but opens `path` for appending (creating it) and owns
/// the file; it is closed when the last copy of the observer goes (for a runner's --logfile).
/// @throws std::system_error when the file cannot be opened.
/// Differs from Twisted: Twisted takes an open file; this also opens it.
FileLogObserver textFileLogObserver(const std::filesystem::path& path,
                                    std::string timeFormat = std::string(kTimeFormatRFC3339));

}  // namespace tw
