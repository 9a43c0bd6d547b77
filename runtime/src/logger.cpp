/// @file
/// Logging: the publisher, the default stderr output, and the capture used by tests.
#include "tw/logger.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

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

LogPublisher& globalLogPublisher() {
  static LogPublisher* publisher = new LogPublisher();  // never destroyed: usable at exit
  return *publisher;
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
