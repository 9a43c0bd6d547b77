/// @file
/// Logging: events with a level, a namespace, text and an optional Failure, sent to observers.
/// Twisted: twisted.logger (Logger, LogPublisher, globalLogPublisher).
/// Tests: tests/runtime/logger_test.cpp
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tw/failure.hpp"

namespace tw {

/// How serious an event is. Twisted: twisted.logger.LogLevel.
enum class LogLevel { debug, info, warn, error, critical };

/// The lower-case name of a level ("critical", ...).
std::string_view logLevelName(LogLevel level) noexcept;

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

  /// True for events trial treats as errors: level error or above, or carrying a Failure.
  [[nodiscard]] bool isError() const noexcept {
    return level >= LogLevel::error || failure.has_value();
  }
  /// `[ns#level] text`, then the failure's traceback indented by a tab.
  [[nodiscard]] std::string format() const;
};

/// An observer is any callable taking the event.
using LogObserver = std::function<void(const LogEvent&)>;

/// Sends events to the observers registered with it.
///
/// With no observer registered, events of level warn and above are written to stderr, so an
/// unhandled error is never silent.
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
class Logger {
 public:
  explicit Logger(std::string ns, LogPublisher& publisher = globalLogPublisher())
      : ns_(std::move(ns)), publisher_(&publisher) {}

  void debug(std::string text) const { emit(LogLevel::debug, std::move(text)); }
  void info(std::string text) const { emit(LogLevel::info, std::move(text)); }
  void warn(std::string text) const { emit(LogLevel::warn, std::move(text)); }
  void error(std::string text) const { emit(LogLevel::error, std::move(text)); }
  void critical(std::string text) const { emit(LogLevel::critical, std::move(text)); }
  /// Emits `text` with a Failure attached (Twisted's `log.failure`), critical by default.
  void failure(std::string text, Failure failure, LogLevel level = LogLevel::critical) const;
  /// Emits one event.
  void emit(LogLevel level, std::string text, std::optional<Failure> failure = {}) const;

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
