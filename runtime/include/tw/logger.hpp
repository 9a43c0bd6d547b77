/// @file
/// Logging: events with a level, a namespace, text (optionally from a `{name}` format and fields)
/// and an optional Failure, sent to observers. Observers: log_observers.hpp; log_beginner.hpp.
/// Twisted: twisted.logger (Logger, LogPublisher, globalLogPublisher).
/// Tests: tests/runtime/logger_test.cpp
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tw/failure.hpp"

namespace tw {

/// How serious an event is. Twisted: twisted.logger.LogLevel.
enum class LogLevel { debug, info, warn, error, critical };

/// The lower-case name of a level ("critical", ...).
std::string_view logLevelName(LogLevel level) noexcept;

/// The named values of a structured event, in the order given. A vector rather than a map: events
/// have few fields, and a linear search over them is faster than hashing.
using LogFields = std::vector<std::pair<std::string, std::string>>;

/// One log event.
struct LogEvent {
  LogLevel level = LogLevel::info;
  std::string ns;    ///< where it comes from, e.g. "tw.deferred"
  std::string text;  ///< the formatted message
  std::optional<Failure> failure;
  /// When it happened: wall-clock seconds since the Unix epoch. 0 means "not set yet";
  /// LogPublisher::publish stamps the current time on events that reach it unset.
  /// Twisted: the `log_time` key.
  double time = 0.0;
  /// Overrides `ns#level` in the `[...]` part of text log lines when not empty.
  /// Twisted: the `log_system` key.
  std::string system;
  /// The `{name}` format `text` was made from, or "" for a plain-text event.
  /// Twisted: the `log_format` key.
  std::string logFormat;
  /// The named values of a structured event (Twisted: the event's other keys).
  LogFields fields;

  /// The value of the field `name`, or nullptr.
  [[nodiscard]] const std::string* field(std::string_view name) const noexcept {
    for (const auto& entry : fields) {
      if (entry.first == name) return &entry.second;
    }
    return nullptr;
  }

  /// True for events trial treats as errors: level error or above, or carrying a Failure.
  [[nodiscard]] bool isError() const noexcept {
    return level >= LogLevel::error || failure.has_value();
  }
  /// `[ns#level] text`, then the failure's traceback indented by a tab.
  [[nodiscard]] std::string format() const;
};

/// Why a `{name}` format could not be formatted (what() is Twisted's wording of the error).
class LogFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Formats `format` PEP 3101-style, taking each `{name}` from `fields`.
///
/// Supported: `{{` and `}}` for literal braces; `{name}`, `{name!r}` (quoted), `{name!s}`;
/// a format spec `{name:[[fill]align][0][width][.precision][s]}`, with `{other}` allowed inside it.
/// @throws LogFormatError for an unknown name (what() is the name, quoted), a lone brace, a
/// positional field (`{}`, `{0}`), an attribute or index lookup (`{a.b}`, `{a[0]}`), a bad spec.
/// Differs from Twisted: values are strings, so there is no `{name()}` call syntax, and number
/// format specs are errors.
std::string formatLogMessage(std::string_view format, const LogFields& fields);

/// Twisted's text for an event whose format failed: "Unable to format event {'log_format': ...,
/// 'log_namespace': ..., 'log_level': <LogLevel=info>, fields...}: <error>".
/// Twisted: twisted.logger._format.formatUnformattableEvent.
std::string formatUnformattableEvent(const LogEvent& event, std::string_view error);

/// The message of an event: its `logFormat` formatted with its fields, or
/// `formatUnformattableEvent` if that fails; its `text` when it has no format. Never throws.
/// Twisted: twisted.logger.formatEvent.
std::string formatEvent(const LogEvent& event);

/// An observer is any callable taking the event.
using LogObserver = std::function<void(const LogEvent&)>;

/// Sends events to the observers registered with it.
///
/// With no observer registered, events of level warn and above are written to stderr, so an
/// unhandled error is never silent; and a LogBeginner attached to the publisher (the global one
/// has one, see log_beginner.hpp) keeps the event to replay it once logging begins.
///
/// Thread safety: every member may be called from any thread; observers are called on the
/// publishing thread, outside the publisher's lock (an observer may log).
class LogPublisher {
 public:
  using ObserverId = std::uint64_t;

  /// Registers an observer; returns the id that removes it.
  ObserverId addObserver(LogObserver observer);
  /// Unregisters an observer; unknown ids are ignored.
  void removeObserver(ObserverId id);
  /// Delivers an event to every observer (or to stderr when there is none), stamping the current
  /// wall-clock time into a copy of it first when its `time` is 0. An observer that
  /// throws does not stop the others; its failure is then published to the other observers as
  /// a critical event in namespace "tw.logger". Nothing propagates to the caller.
  void publish(const LogEvent& event);

 private:
  std::mutex mutex_;
  std::vector<std::pair<ObserverId, std::shared_ptr<LogObserver>>> observers_;
  ObserverId nextId_ = 1;
};

/// The current wall-clock time in seconds since the Unix epoch (what `LogEvent::time` holds).
double logClockNow() noexcept;

/// The process-wide publisher that `Logger` emits to.
LogPublisher& globalLogPublisher();

/// Emits events in one namespace. Twisted: twisted.logger.Logger.
///
/// Two forms: `log.info("plain text")` emits the text as is (braces are not special), and
/// `log.info("user {user} logged in", {{"user", name}})` emits a structured event whose `text`
/// is the format with the fields substituted (see formatLogMessage), keeping the format and the
/// fields in the event for observers that want them (e.g. jsonFileLogObserver). A format that
/// fails does not throw: the text says why (see formatUnformattableEvent).
///
/// Differs from Twisted: in Twisted every message is a format; here only the two-argument form
/// is, so existing plain messages containing braces stay as they are. Field values are strings.
/// A structured event without fields is spelled `emit(level, format, LogFields{})` (a bare `{}`
/// is ambiguous with the Failure argument).
class Logger {
 public:
  explicit Logger(std::string ns, LogPublisher& publisher = globalLogPublisher())
      : ns_(std::move(ns)), publisher_(&publisher) {}

  void debug(std::string text) const { emit(LogLevel::debug, std::move(text)); }
  void info(std::string text) const { emit(LogLevel::info, std::move(text)); }
  void warn(std::string text) const { emit(LogLevel::warn, std::move(text)); }
  void error(std::string text) const { emit(LogLevel::error, std::move(text)); }
  void critical(std::string text) const { emit(LogLevel::critical, std::move(text)); }
  void debug(std::string format, LogFields fields) const {
    emit(LogLevel::debug, std::move(format), std::move(fields));
  }
  void info(std::string format, LogFields fields) const {
    emit(LogLevel::info, std::move(format), std::move(fields));
  }
  void warn(std::string format, LogFields fields) const {
    emit(LogLevel::warn, std::move(format), std::move(fields));
  }
  void error(std::string format, LogFields fields) const {
    emit(LogLevel::error, std::move(format), std::move(fields));
  }
  void critical(std::string format, LogFields fields) const {
    emit(LogLevel::critical, std::move(format), std::move(fields));
  }
  /// Emits `text` with a Failure attached (Twisted's `log.failure`), critical by default.
  void failure(std::string text, Failure failure, LogLevel level = LogLevel::critical) const;
  /// Emits a structured event with a Failure attached, critical by default.
  void failure(std::string format, LogFields fields, Failure failure,
               LogLevel level = LogLevel::critical) const;
  /// Emits one event.
  void emit(LogLevel level, std::string text, std::optional<Failure> failure = {}) const;
  /// Emits one structured event: `logFormat` = format, `fields`, `text` = formatEvent(...).
  /// Twisted: twisted.logger.Logger.emit(level, format, **kwargs).
  void emit(LogLevel level, std::string format, LogFields fields,
            std::optional<Failure> failure = {}) const;

  [[nodiscard]] const std::string& ns() const noexcept { return ns_; }

 private:
  std::string ns_;
  LogPublisher* publisher_;
};

/// Collects every event published to a publisher while it is alive (for tests).
///
/// Thread safety: events may arrive from any thread; read them once those threads are done.
class LogCapture {
 public:
  explicit LogCapture(LogPublisher& publisher = globalLogPublisher());
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  /// The events captured so far, oldest first.
  [[nodiscard]] std::vector<LogEvent> events() const;
  /// The captured events that are errors (LogEvent::isError).
  [[nodiscard]] std::vector<LogEvent> errors() const;
  /// Forgets the captured events.
  void clear();

 private:
  LogPublisher* publisher_;
  LogPublisher::ObserverId id_;
  mutable std::mutex mutex_;
  std::vector<LogEvent> events_;
};

}  // namespace tw
