/// @file
/// LogBeginner: keeps the events nobody observed until logging "begins", then replays them.
/// Twisted: twisted.logger.LogBeginner and globalLogBeginner.
/// Tests: tests/runtime/logger_test.cpp (LoggerTests.beginner*)
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "tw/logger.hpp"

namespace tw {

/// Keeps the events a publisher had no observer for until logging "begins", then replays them to
/// the observers logging begins with, so that what happens at start-up (before a runner has
/// opened its log file) is not lost.
///
/// How it fits the "no observer → stderr" rule of LogPublisher:
/// 1. Before `beginLoggingTo`, an event published while the publisher has no observer is written
///    to stderr if it is warn or above (as before) and also kept in a bounded buffer (the oldest
///    go first once `bufferSize` is reached).
/// 2. `beginLoggingTo(observers)` registers the observers, stops the buffering, and replays the
///    kept events, oldest first, to those observers only (unless told to discard them).
/// 3. From then on the publisher has observers, so nothing goes to stderr; if every observer is
///    removed later the stderr rule applies again, but nothing is buffered any more.
/// A program that never begins keeps the stderr rule, at the cost of the bounded buffer (which
/// also keeps the buffered events' Failures alive).
///
/// `globalLogPublisher()` has one attached from the start: `globalLogBeginner()`.
///
/// Thread safety: every member may be called from any thread. An event published while
/// `beginLoggingTo` runs reaches the new observers exactly once, either replayed or directly; it
/// may arrive before older replayed events.
///
/// Differs from Twisted: only events that no observer saw are buffered (Twisted's temporary
/// observer sees every event, even those other observers saw); it does not redirect stdout,
/// stderr or warnings; the default buffer holds 65536 events, not 200.
class LogBeginner {
 public:
  static constexpr std::size_t kDefaultBufferSize = 65536;

  /// Attaches to `publisher` and starts buffering.
  /// Preconditions: no other LogBeginner is attached to `publisher`, which outlives it.
  explicit LogBeginner(LogPublisher& publisher, std::size_t bufferSize = kDefaultBufferSize);
  /// Detaches from the publisher.
  ~LogBeginner();
  LogBeginner(const LogBeginner&) = delete;
  LogBeginner& operator=(const LogBeginner&) = delete;

  /// Adds `observers` to the publisher and replays the buffered events to them (or drops the
  /// buffer if `discardBuffer`). Meant to be called once; a later call only adds the observers
  /// and logs a warning in namespace "tw.logger". A replayed event an observer throws on is
  /// skipped for that observer.
  void beginLoggingTo(std::vector<LogObserver> observers, bool discardBuffer = false);
  /// True once `beginLoggingTo` has been called.
  [[nodiscard]] bool began() const;
  /// The events buffered so far, oldest first (empty once begun).
  [[nodiscard]] std::vector<LogEvent> bufferedEvents() const;

 private:
  friend class LogPublisher;
  void keep(const LogEvent& event);

  LogPublisher* publisher_;
  std::size_t bufferSize_;
  mutable std::mutex mutex_;
  bool began_ = false;
  std::deque<LogEvent> buffer_;
};

/// The LogBeginner of `globalLogPublisher()`, attached from the start: a runner calls
/// `globalLogBeginner().beginLoggingTo({textFileLogObserver(path)})` once it knows where to log.
LogBeginner& globalLogBeginner();

}  // namespace tw
