/// @file
/// Log observers: timestamps, classic text lines, the file observer.
#include "tw/log_observers.hpp"

#include <cerrno>
#include <cmath>
#include <ctime>
#include <fstream>
#include <system_error>

namespace tw {

std::string formatTime(double when, std::string_view timeFormat, std::string_view defaultText) {
  if (when == 0.0 || timeFormat.empty()) return std::string(defaultText);
  auto seconds = static_cast<std::time_t>(std::floor(when));
  std::tm parts{};
  if (localtime_r(&seconds, &parts) == nullptr) return std::string(defaultText);
  std::string format(timeFormat);
  std::string out(64, '\0');
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::size_t n = std::strftime(out.data(), out.size(), format.c_str(), &parts);
    if (n > 0) {
      out.resize(n);
      return out;
    }
    out.resize(out.size() * 4);  // 0 means "too small" (or an empty result)
  }
  return "";
}

std::string eventAsText(const LogEvent& event, const EventAsTextOptions& options,
                        const LogTimeFormatter& timeFormatter) {
  std::string text = event.text;
  if (options.includeTraceback && event.failure) {
    std::string traceback = event.failure->getTraceback();
    while (!traceback.empty() && traceback.back() == '\n') traceback.pop_back();
    text += "\n";
    text += traceback;
  }
  if (text.empty()) return text;
  std::string out;
  if (options.includeTimestamp) {
    out += timeFormatter ? timeFormatter(event.time) : formatTime(event.time);
    out += " ";
  }
  if (options.includeSystem) {
    out += "[";
    if (!event.system.empty()) {
      out += event.system;
    } else {
      out += event.ns.empty() ? std::string("-") : event.ns;
      out += "#";
      out += logLevelName(event.level);
    }
    out += "] ";
  }
  out += text;
  return out;
}

std::string formatEventAsClassicLogText(const LogEvent& event,
                                        const LogTimeFormatter& timeFormatter) {
  std::string text = eventAsText(event, {}, timeFormatter);
  if (text.empty()) return text;
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    out += c;
    if (c == '\n') out += '\t';
  }
  out += '\n';
  return out;
}

FileLogObserver::FileLogObserver(std::ostream& stream, LogEventFormatter formatter)
    : state_(std::make_shared<State>()) {
  state_->stream = &stream;
  state_->formatter = std::move(formatter);
}

FileLogObserver::FileLogObserver(std::shared_ptr<std::ostream> stream, LogEventFormatter formatter)
    : state_(std::make_shared<State>()) {
  state_->owned = std::move(stream);
  state_->stream = state_->owned.get();
  state_->formatter = std::move(formatter);
}

void FileLogObserver::operator()(const LogEvent& event) const {
  std::string text = state_->formatter(event);  // formatted outside the lock
  if (text.empty()) return;
  std::lock_guard lock(state_->mutex);
  state_->stream->write(text.data(), static_cast<std::streamsize>(text.size()));
  state_->stream->flush();
}

namespace {

LogEventFormatter classicFormatter(std::string timeFormat) {
  return [timeFormat = std::move(timeFormat)](const LogEvent& event) {
    return formatEventAsClassicLogText(
        event, [&timeFormat](double when) { return formatTime(when, timeFormat); });
  };
}

}  // namespace

FileLogObserver textFileLogObserver(std::ostream& stream, std::string timeFormat) {
  return FileLogObserver(stream, classicFormatter(std::move(timeFormat)));
}

FileLogObserver textFileLogObserver(const std::filesystem::path& path, std::string timeFormat) {
  auto file =
      std::make_shared<std::ofstream>(path, std::ios::out | std::ios::app | std::ios::binary);
  if (!file->is_open()) {
    int code = errno != 0 ? errno : ENOENT;
    throw std::system_error(code, std::generic_category(), "cannot open log file " + path.string());
  }
  return FileLogObserver(std::shared_ptr<std::ostream>(std::move(file)),
                         classicFormatter(std::move(timeFormat)));
}

}  // namespace tw
