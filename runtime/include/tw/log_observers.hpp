/// @file
/// Log observers: text and JSON files, filtering by level and namespace, a bounded history;
/// event formatting and timestamps.
/// Twisted: twisted.logger._file (FileLogObserver, textFileLogObserver), _format (formatTime,
/// formatEventAsClassicLogText, eventAsText), _filter (FilteringLogObserver,
/// LogLevelFilterPredicate), _buffer (LimitedHistoryLogObserver), _json (jsonFileLogObserver,
/// eventsFromJSONLogFile).
/// Tests: tests/runtime/log_observers_test.cpp
#pragma once

#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

/// What a filter predicate says about an event. Twisted: twisted.logger.PredicateResult.
enum class PredicateResult {
  yes,    ///< log it; later predicates are not asked
  no,     ///< drop it; later predicates are not asked
  maybe,  ///< no opinion: ask the next predicate (an event every predicate is unsure of is logged)
};

/// A filter predicate. Twisted: twisted.logger.ILogFilterPredicate.
using LogFilterPredicate = std::function<PredicateResult(const LogEvent&)>;

/// Whether `predicates`, asked in order, let `event` through (the first yes/no wins; all maybe
/// means yes). Twisted: twisted.logger._filter.shouldLogEvent.
bool shouldLogEvent(const std::vector<LogFilterPredicate>& predicates, const LogEvent& event);

/// An observer that forwards to `observer` the events its predicates let through, and the
/// others to `negativeObserver` (if any).
///
/// Thread safety: as safe as its predicates and observers (LogLevelFilterPredicate is).
/// Twisted: twisted.logger.FilteringLogObserver.
/// Differs from Twisted: no `log_trace` support.
class FilteringLogObserver {
 public:
  FilteringLogObserver(LogObserver observer, std::vector<LogFilterPredicate> predicates,
                       LogObserver negativeObserver = {});

  void operator()(const LogEvent& event) const;

 private:
  LogObserver observer_;
  std::vector<LogFilterPredicate> predicates_;
  LogObserver negativeObserver_;
};

/// A predicate that says no to events below the level set for their namespace, and maybe to the
/// others.
///
/// Levels are inherited along dotted namespaces: "tw.reactor.tcp" uses the level set for itself,
/// else for "tw.reactor", else for "tw", else the default level. Copies share the same table (it
/// is a handle), so levels can be changed after the predicate is given to a
/// FilteringLogObserver.
///
/// Thread safety: every member may be called from any thread.
/// Twisted: twisted.logger.LogLevelFilterPredicate.
/// Like Twisted, it says no to an event with an empty namespace.
class LogLevelFilterPredicate {
 public:
  explicit LogLevelFilterPredicate(LogLevel defaultLogLevel = LogLevel::info);

  /// The level in force for `ns` ("" is the default level).
  [[nodiscard]] LogLevel logLevelForNamespace(std::string_view ns) const;
  /// Sets the level for `ns` and the namespaces under it ("" sets the default).
  void setLogLevelForNamespace(std::string_view ns, LogLevel level);
  /// Forgets every level set, going back to the default level given at construction.
  void clearLogLevels();

  PredicateResult operator()(const LogEvent& event) const;

 private:
  struct State {
    mutable std::mutex mutex;
    LogLevel defaultLevel;
    std::vector<std::pair<std::string, LogLevel>> levels;  // "" first
  };
  std::shared_ptr<State> state_;
};

/// An observer that keeps the last `size` events it saw, to replay them later.
///
/// Copies share the same buffer (it is a handle).
/// Thread safety: every member may be called from any thread; `replayTo` calls the observer
/// outside the lock, on a snapshot.
/// Twisted: twisted.logger.LimitedHistoryLogObserver.
class LimitedHistoryLogObserver {
 public:
  /// @param size how many events to keep (the oldest go first); 0 keeps none.
  explicit LimitedHistoryLogObserver(std::size_t size = 65536);

  void operator()(const LogEvent& event) const;
  /// Sends the kept events, oldest first, to `observer`.
  void replayTo(const LogObserver& observer) const;
  /// The kept events, oldest first.
  [[nodiscard]] std::vector<LogEvent> events() const;

 private:
  struct State {
    mutable std::mutex mutex;
    std::size_t size;
    std::deque<LogEvent> events;
  };
  std::shared_ptr<State> state_;
};

/// The exception inside a Failure read back from a JSON log record: it keeps the original
/// exception's type name, message (what()) and traceback text.
class RestoredFailureError : public std::runtime_error {
 public:
  RestoredFailureError(std::string typeName, const std::string& message, std::string traceback);
  /// The type name of the exception that was logged.
  [[nodiscard]] const std::string& typeName() const noexcept { return typeName_; }
  /// The traceback text that was logged.
  [[nodiscard]] const std::string& traceback() const noexcept { return traceback_; }

 private:
  std::string typeName_;
  std::string traceback_;
};

/// One event as a JSON object on one line (no newline), keys: "log_level" (its name),
/// "log_namespace", "log_time", "log_system" and "log_format" (when not empty), "log_text",
/// "log_fields" (an object, in order) and "log_failure" ({"type", "message", "traceback"}).
/// Twisted: twisted.logger.eventAsJSON.
/// Differs from Twisted: a fixed schema of strings rather than any JSON-able Python value; the
/// Failure is kept as text, not pickled-like state.
std::string eventAsJSON(const LogEvent& event);

/// Reads back an event written by `eventAsJSON`; nullopt for a record that is not valid JSON or
/// does not match the schema. A failure comes back as a Failure holding a RestoredFailureError.
/// Twisted: twisted.logger.eventFromJSON.
std::optional<LogEvent> eventFromJSON(std::string_view text);

/// A FileLogObserver writing each event as `recordSeparator + eventAsJSON(event) + "\n"`; the
/// default separator, RS (0x1E), makes the file an RFC 7464 JSON text sequence.
/// Twisted: twisted.logger.jsonFileLogObserver.
FileLogObserver jsonFileLogObserver(std::ostream& stream, std::string recordSeparator = "\x1e");

/// Reads every event of a file written by `jsonFileLogObserver`.
///
/// @param recordSeparator nullopt to detect it: RS when the data starts with RS, else one record
/// per line.
/// Records that are truncated (with a separator, not ending in a newline) or unreadable are
/// skipped, each reported as an error event in namespace "tw.logger.json".
/// Twisted: twisted.logger.eventsFromJSONLogFile.
/// Differs from Twisted: returns all the events at once rather than a lazy iterator.
std::vector<LogEvent> eventsFromJSONLogFile(std::istream& in,
                                            std::optional<std::string> recordSeparator = {});

}  // namespace tw
