/// @file
/// Log observers: timestamps, classic text lines, the file observer, filters, history, JSON.
#include "tw/log_observers.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
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

bool shouldLogEvent(const std::vector<LogFilterPredicate>& predicates, const LogEvent& event) {
  for (const auto& predicate : predicates) {
    switch (predicate(event)) {
      case PredicateResult::yes:
        return true;
      case PredicateResult::no:
        return false;
      case PredicateResult::maybe:
        break;
    }
  }
  return true;
}

FilteringLogObserver::FilteringLogObserver(LogObserver observer,
                                           std::vector<LogFilterPredicate> predicates,
                                           LogObserver negativeObserver)
    : observer_(std::move(observer)),
      predicates_(std::move(predicates)),
      negativeObserver_(std::move(negativeObserver)) {}

void FilteringLogObserver::operator()(const LogEvent& event) const {
  if (shouldLogEvent(predicates_, event)) {
    if (observer_) observer_(event);
  } else if (negativeObserver_) {
    negativeObserver_(event);
  }
}

LogLevelFilterPredicate::LogLevelFilterPredicate(LogLevel defaultLogLevel)
    : state_(std::make_shared<State>()) {
  state_->defaultLevel = defaultLogLevel;
  clearLogLevels();
}

namespace {

const LogLevel* findLevel(const std::vector<std::pair<std::string, LogLevel>>& levels,
                          std::string_view ns) {
  for (const auto& [name, level] : levels) {
    if (name == ns) return &level;
  }
  return nullptr;
}

}  // namespace

LogLevel LogLevelFilterPredicate::logLevelForNamespace(std::string_view ns) const {
  std::lock_guard lock(state_->mutex);
  // "a.b.c", then "a.b", then "a", then "" (the default).
  while (true) {
    if (const LogLevel* level = findLevel(state_->levels, ns)) return *level;
    std::size_t dot = ns.rfind('.');
    if (ns.empty()) return state_->defaultLevel;  // not reached: "" is always in the table
    ns = dot == std::string_view::npos ? std::string_view() : ns.substr(0, dot);
  }
}

void LogLevelFilterPredicate::setLogLevelForNamespace(std::string_view ns, LogLevel level) {
  std::lock_guard lock(state_->mutex);
  for (auto& [name, existing] : state_->levels) {
    if (name == ns) {
      existing = level;
      return;
    }
  }
  state_->levels.emplace_back(std::string(ns), level);
}

void LogLevelFilterPredicate::clearLogLevels() {
  std::lock_guard lock(state_->mutex);
  state_->levels.clear();
  state_->levels.emplace_back(std::string(), state_->defaultLevel);
}

PredicateResult LogLevelFilterPredicate::operator()(const LogEvent& event) const {
  if (event.ns.empty()) return PredicateResult::no;
  return event.level < logLevelForNamespace(event.ns) ? PredicateResult::no
                                                      : PredicateResult::maybe;
}

LimitedHistoryLogObserver::LimitedHistoryLogObserver(std::size_t size)
    : state_(std::make_shared<State>()) {
  state_->size = size;
}

void LimitedHistoryLogObserver::operator()(const LogEvent& event) const {
  std::lock_guard lock(state_->mutex);
  if (state_->size == 0) return;
  if (state_->events.size() == state_->size) state_->events.pop_front();
  state_->events.push_back(event);
}

void LimitedHistoryLogObserver::replayTo(const LogObserver& observer) const {
  for (const LogEvent& event : events()) observer(event);
}

std::vector<LogEvent> LimitedHistoryLogObserver::events() const {
  std::lock_guard lock(state_->mutex);
  return {state_->events.begin(), state_->events.end()};
}

// ---- JSON ----------------------------------------------------------------------------------

namespace {

void appendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void appendJsonNumber(std::string& out, double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc() || !std::isfinite(value)) {
    out += "0";
    return;
  }
  out.append(buffer, end);
}

/// A JSON value of the shapes the log records use: string, number, object (ordered), or other
/// (true/false/null, kept only as "present").
struct JsonValue {
  enum class Kind { string, number, object, other } kind = Kind::other;
  std::string string;
  double number = 0.0;
  std::vector<std::pair<std::string, JsonValue>> members;

  [[nodiscard]] const JsonValue* member(std::string_view name) const {
    for (const auto& [key, value] : members) {
      if (key == name) return &value;
    }
    return nullptr;
  }
};

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  JsonValue parseDocument() {
    JsonValue value = parseValue(0);
    skipSpace();
    if (pos_ != text_.size()) fail("trailing data");
    return value;
  }

 private:
  [[noreturn]] static void fail(const char* what) { throw std::invalid_argument(what); }

  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  JsonValue parseValue(int depth) {
    if (depth > 32) fail("nested too deeply");
    skipSpace();
    if (pos_ >= text_.size()) fail("unexpected end");
    JsonValue value;
    char c = text_[pos_];
    if (c == '"') {
      value.kind = JsonValue::Kind::string;
      value.string = parseString();
    } else if (c == '{') {
      value.kind = JsonValue::Kind::object;
      ++pos_;
      skipSpace();
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return value;
      }
      while (true) {
        skipSpace();
        if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a key");
        std::string key = parseString();
        skipSpace();
        if (!consume(":")) fail("expected ':'");
        value.members.emplace_back(std::move(key), parseValue(depth + 1));
        skipSpace();
        if (consume(",")) continue;
        if (consume("}")) break;
        fail("expected ',' or '}'");
      }
    } else if (c == '[') {
      ++pos_;
      skipSpace();
      if (!consume("]")) {
        while (true) {
          (void)parseValue(depth + 1);
          skipSpace();
          if (consume(",")) continue;
          if (consume("]")) break;
          fail("expected ',' or ']'");
        }
      }
    } else if (consume("true") || consume("false") || consume("null")) {
    } else {
      value.kind = JsonValue::Kind::number;
      std::size_t start = pos_;
      while (pos_ < text_.size() && std::strchr("+-0123456789.eE", text_[pos_]) != nullptr) ++pos_;
      auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, value.number);
      if (ec != std::errc() || end != text_.data() + pos_ || start == pos_) fail("bad number");
    }
    return value;
  }

  static void appendUtf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::uint32_t parseHex4() {
    if (pos_ + 4 > text_.size()) fail("short \\u escape");
    std::uint32_t cp = 0;
    for (int k = 0; k < 4; ++k) {
      char h = text_[pos_++];
      cp <<= 4;
      if (h >= '0' && h <= '9') {
        cp |= std::uint32_t(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        cp |= std::uint32_t(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        cp |= std::uint32_t(h - 'A' + 10);
      } else {
        fail("bad \\u escape");
      }
    }
    return cp;
  }

  std::string parseString() {
    ++pos_;  // the opening quote
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) fail("unterminated string");
      char c = text_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) fail("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp = parseHex4();
          if (cp >= 0xD800 && cp < 0xDC00 && text_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            std::uint32_t low = parseHex4();
            if (low >= 0xDC00 && low < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              appendUtf8(out, cp);
              cp = low;
            }
          }
          appendUtf8(out, cp);
          break;
        }
        default:
          fail("bad escape");
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::optional<LogLevel> levelNamed(std::string_view name) {
  for (LogLevel level :
       {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error, LogLevel::critical}) {
    if (logLevelName(level) == name) return level;
  }
  return std::nullopt;
}

const Logger& jsonLog() {
  static const Logger log("tw.logger.json");
  return log;
}

}  // namespace

RestoredFailureError::RestoredFailureError(std::string typeName, const std::string& message,
                                           std::string traceback)
    : std::runtime_error(message),
      typeName_(std::move(typeName)),
      traceback_(std::move(traceback)) {}

std::string eventAsJSON(const LogEvent& event) {
  std::string out = "{\"log_level\":";
  appendJsonString(out, logLevelName(event.level));
  out += ",\"log_namespace\":";
  appendJsonString(out, event.ns);
  out += ",\"log_time\":";
  appendJsonNumber(out, event.time);
  if (!event.system.empty()) {
    out += ",\"log_system\":";
    appendJsonString(out, event.system);
  }
  if (!event.logFormat.empty()) {
    out += ",\"log_format\":";
    appendJsonString(out, event.logFormat);
  }
  out += ",\"log_text\":";
  appendJsonString(out, event.text);
  out += ",\"log_fields\":{";
  bool first = true;
  for (const auto& [key, value] : event.fields) {
    if (!first) out += ',';
    first = false;
    appendJsonString(out, key);
    out += ':';
    appendJsonString(out, value);
  }
  out += '}';
  if (event.failure) {
    out += ",\"log_failure\":{\"type\":";
    const auto* restored = event.failure->value<RestoredFailureError>();
    appendJsonString(out, restored ? restored->typeName() : event.failure->typeName());
    out += ",\"message\":";
    appendJsonString(out, event.failure->getErrorMessage());
    out += ",\"traceback\":";
    appendJsonString(out, restored ? restored->traceback() : event.failure->getTraceback());
    out += '}';
  }
  out += '}';
  return out;
}

std::optional<LogEvent> eventFromJSON(std::string_view text) {
  JsonValue root;
  try {
    root = JsonParser(text).parseDocument();
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
  if (root.kind != JsonValue::Kind::object) return std::nullopt;
  LogEvent event;
  auto stringMember = [&root](std::string_view name, std::string& into) {
    const JsonValue* value = root.member(name);
    if (value == nullptr) return true;
    if (value->kind != JsonValue::Kind::string) return false;
    into = value->string;
    return true;
  };
  std::string levelName;
  if (!stringMember("log_level", levelName)) return std::nullopt;
  auto level = levelNamed(levelName);
  if (!level) return std::nullopt;
  event.level = *level;
  if (!stringMember("log_namespace", event.ns) || !stringMember("log_system", event.system) ||
      !stringMember("log_format", event.logFormat) || !stringMember("log_text", event.text))
    return std::nullopt;
  if (const JsonValue* time = root.member("log_time")) {
    if (time->kind != JsonValue::Kind::number) return std::nullopt;
    event.time = time->number;
  }
  if (const JsonValue* fields = root.member("log_fields")) {
    if (fields->kind != JsonValue::Kind::object) return std::nullopt;
    for (const auto& [key, value] : fields->members) {
      if (value.kind != JsonValue::Kind::string) return std::nullopt;
      event.fields.emplace_back(key, value.string);
    }
  }
  if (const JsonValue* failure = root.member("log_failure")) {
    if (failure->kind != JsonValue::Kind::object) return std::nullopt;
    std::string parts[3];
    const char* names[3] = {"type", "message", "traceback"};
    for (int k = 0; k < 3; ++k) {
      const JsonValue* part = failure->member(names[k]);
      if (part != nullptr && part->kind == JsonValue::Kind::string) parts[k] = part->string;
    }
    event.failure = Failure(std::make_exception_ptr(
        RestoredFailureError(std::move(parts[0]), parts[1], std::move(parts[2]))));
  }
  return event;
}

FileLogObserver jsonFileLogObserver(std::ostream& stream, std::string recordSeparator) {
  return FileLogObserver(stream,
                         [recordSeparator = std::move(recordSeparator)](const LogEvent& event) {
                           return recordSeparator + eventAsJSON(event) + "\n";
                         });
}

std::vector<LogEvent> eventsFromJSONLogFile(std::istream& in,
                                            std::optional<std::string> recordSeparator) {
  std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::string separator;
  if (recordSeparator) {
    separator = *recordSeparator;
  } else {
    separator = !data.empty() && data[0] == '\x1e' ? "\x1e" : "";
  }
  bool newlineDelimited = separator.empty();
  if (newlineDelimited) separator = "\n";
  std::vector<LogEvent> events;
  std::size_t start = 0;
  while (start <= data.size()) {
    std::size_t end = data.find(separator, start);
    if (end == std::string::npos) end = data.size();
    std::string_view record(data.data() + start, end - start);
    start = end + separator.size();
    if (record.empty()) continue;
    if (!newlineDelimited && record.back() != '\n') {
      jsonLog().error("Unable to read truncated JSON record: {record!r}",
                      {{"record", std::string(record)}});
      continue;
    }
    if (auto event = eventFromJSON(record)) {
      events.push_back(std::move(*event));
    } else {
      jsonLog().error("Unable to read JSON record: {record!r}", {{"record", std::string(record)}});
    }
  }
  return events;
}

}  // namespace tw
