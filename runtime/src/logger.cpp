/// @file
/// Logging: the publisher, the default stderr output, and the capture used by tests.
#include "tw/logger.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "tw/log_beginner.hpp"

namespace tw {

std::string_view logLevelName(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
    case LogLevel::critical:
      return "critical";
  }
  return "unknown";
}

std::string LogEvent::format() const {
  std::string out = "[" + ns + "#" + std::string(logLevelName(level)) + "] " + text + "\n";
  if (failure) {
    std::string tb = failure->getTraceback();
    std::size_t start = 0;
    while (start < tb.size()) {
      std::size_t end = tb.find('\n', start);
      if (end == std::string::npos) end = tb.size();
      out += "\t" + tb.substr(start, end - start) + "\n";
      start = end + 1;
    }
  }
  return out;
}

LogPublisher::ObserverId LogPublisher::addObserver(LogObserver observer) {
  std::lock_guard lock(mutex_);
  ObserverId id = nextId_++;
  observers_.emplace_back(id, std::make_shared<LogObserver>(std::move(observer)));
  return id;
}

void LogPublisher::removeObserver(ObserverId id) {
  std::lock_guard lock(mutex_);
  std::erase_if(observers_, [id](const auto& entry) { return entry.first == id; });
}

namespace {

/// The LogBeginners, by the publisher they are attached to. Kept here rather than in
/// LogPublisher so that its layout does not change.
struct BeginnerRegistry {
  std::mutex mutex;
  std::vector<std::pair<const LogPublisher*, LogBeginner*>> entries;
};

BeginnerRegistry& beginnerRegistry() {
  static BeginnerRegistry* registry = new BeginnerRegistry();  // never destroyed
  return *registry;
}

}  // namespace

double logClockNow() noexcept {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

void LogPublisher::publish(const LogEvent& original) {
  std::optional<LogEvent> stamped;
  if (original.time == 0.0) {
    stamped.emplace(original);
    stamped->time = logClockNow();
  }
  const LogEvent& event = stamped ? *stamped : original;
  std::vector<std::shared_ptr<LogObserver>> targets;
  {
    std::lock_guard lock(mutex_);
    targets.reserve(observers_.size());
    for (const auto& entry : observers_) targets.push_back(entry.second);
    // Kept for a LogBeginner under this lock, so that beginLoggingTo (which adds its observers
    // first) sees every event either buffered or delivered, never both.
    if (targets.empty()) {
      BeginnerRegistry& registry = beginnerRegistry();
      std::lock_guard registryLock(registry.mutex);
      for (const auto& [owner, beginner] : registry.entries) {
        if (owner == this) beginner->keep(event);
      }
    }
  }
  if (targets.empty()) {
    if (event.level >= LogLevel::warn || event.failure) {
      std::string text = event.format();
      std::fwrite(text.data(), 1, text.size(), stderr);
    }
    return;
  }
  // An observer that throws does not stop the fan-out; its failure is then reported to the
  // others (Twisted: LogPublisher.__call__ and its error logger).
  std::vector<std::pair<const LogObserver*, Failure>> broken;
  for (const auto& observer : targets) {
    try {
      (*observer)(event);
    } catch (...) {
      broken.emplace_back(observer.get(), Failure(std::current_exception()));
    }
  }
  for (const auto& [bad, failure] : broken) {
    LogEvent report;
    report.level = LogLevel::critical;
    report.ns = "tw.logger";
    report.text = "Temporarily disabling observer due to exception: " + failure.repr();
    report.failure = failure;
    report.time = logClockNow();
    for (const auto& observer : targets) {
      if (observer.get() == bad) continue;
      try {
        (*observer)(report);
      } catch (...) {  // a second failure while reporting the first is dropped
      }
    }
  }
}

namespace {

struct GlobalLogging {
  LogPublisher publisher;
  LogBeginner beginner{publisher};
};

GlobalLogging& globalLogging() {
  static GlobalLogging* global = new GlobalLogging();  // never destroyed: usable at exit
  return *global;
}

}  // namespace

LogPublisher& globalLogPublisher() { return globalLogging().publisher; }

LogBeginner& globalLogBeginner() { return globalLogging().beginner; }

LogBeginner::LogBeginner(LogPublisher& publisher, std::size_t bufferSize)
    : publisher_(&publisher), bufferSize_(bufferSize) {
  BeginnerRegistry& registry = beginnerRegistry();
  std::lock_guard lock(registry.mutex);
  registry.entries.emplace_back(publisher_, this);
}

LogBeginner::~LogBeginner() {
  BeginnerRegistry& registry = beginnerRegistry();
  std::lock_guard lock(registry.mutex);
  std::erase_if(registry.entries, [this](const auto& entry) { return entry.second == this; });
}

void LogBeginner::keep(const LogEvent& event) {
  std::lock_guard lock(mutex_);
  if (began_ || bufferSize_ == 0) return;
  if (buffer_.size() >= bufferSize_) buffer_.pop_front();
  buffer_.push_back(event);
}

void LogBeginner::beginLoggingTo(std::vector<LogObserver> observers, bool discardBuffer) {
  // 1. Add the observers: from then on no event is kept (the publisher has observers), and every
  //    event kept before is in the buffer (keeping happens under the publisher's lock).
  std::vector<std::shared_ptr<LogObserver>> added;
  for (auto& observer : observers) {
    auto shared = std::make_shared<LogObserver>(std::move(observer));
    publisher_->addObserver([shared](const LogEvent& event) { (*shared)(event); });
    added.push_back(std::move(shared));
  }
  // 2. Take the buffer and stop buffering.
  std::deque<LogEvent> replay;
  bool again = false;
  {
    std::lock_guard lock(mutex_);
    again = began_;
    began_ = true;
    replay.swap(buffer_);
  }
  if (again) {
    Logger("tw.logger", *publisher_)
        .warn("Warning: primary log target selected twice; beginLoggingTo was already called.");
    return;
  }
  if (discardBuffer) return;
  // 3. Replay to the new observers only.
  for (const LogEvent& event : replay) {
    for (const auto& observer : added) {
      try {
        (*observer)(event);
      } catch (...) {  // a replayed event an observer cannot take is skipped for it
      }
    }
  }
}

bool LogBeginner::began() const {
  std::lock_guard lock(mutex_);
  return began_;
}

std::vector<LogEvent> LogBeginner::bufferedEvents() const {
  std::lock_guard lock(mutex_);
  return {buffer_.begin(), buffer_.end()};
}

void Logger::failure(std::string text, Failure failure, LogLevel level) const {
  emit(level, std::move(text), std::move(failure));
}

void Logger::emit(LogLevel level, std::string text, std::optional<Failure> failure) const {
  LogEvent event;
  event.level = level;
  event.ns = ns_;
  event.text = std::move(text);
  event.failure = std::move(failure);
  event.time = logClockNow();
  publisher_->publish(event);
}

void Logger::failure(std::string format, LogFields fields, Failure failure, LogLevel level) const {
  emit(level, std::move(format), std::move(fields), std::move(failure));
}

void Logger::emit(LogLevel level, std::string format, LogFields fields,
                  std::optional<Failure> failure) const {
  LogEvent event;
  event.level = level;
  event.ns = ns_;
  event.logFormat = std::move(format);
  event.fields = std::move(fields);
  event.text = formatEvent(event);
  event.failure = std::move(failure);
  event.time = logClockNow();
  publisher_->publish(event);
}

LogCapture::LogCapture(LogPublisher& publisher) : publisher_(&publisher) {
  id_ = publisher_->addObserver([this](const LogEvent& event) {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
  });
}

LogCapture::~LogCapture() { publisher_->removeObserver(id_); }

std::vector<LogEvent> LogCapture::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

std::vector<LogEvent> LogCapture::errors() const {
  std::lock_guard lock(mutex_);
  std::vector<LogEvent> out;
  std::copy_if(events_.begin(), events_.end(), std::back_inserter(out),
               [](const LogEvent& e) { return e.isError(); });
  return out;
}

void LogCapture::clear() {
  std::lock_guard lock(mutex_);
  events_.clear();
}

}  // namespace tw
