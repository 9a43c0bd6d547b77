/// @file
/// Tests of the log observers: timestamps, classic text lines, the file observer.
/// Twisted: twisted/logger/test/test_format.py, test_file.py.
#include "tw/log_observers.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tw/failure.hpp"
#include "tw/logger.hpp"

namespace {

/// Sets the TZ environment variable for the scope of a test, then restores it.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~ScopedTimeZone() {
    if (old_) {
      ::setenv("TZ", old_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  ScopedTimeZone(const ScopedTimeZone&) = delete;
  ScopedTimeZone& operator=(const ScopedTimeZone&) = delete;

 private:
  std::optional<std::string> old_;
};

/// A file path in the temporary directory, removed at the end of the test.
class TempPath {
 public:
  explicit TempPath(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              ("tw_log_" + std::to_string(::getpid()) + "_" + name)) {
    std::filesystem::remove(path_);
  }
  ~TempPath() { std::filesystem::remove(path_); }
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// 2026-12-02T21:30:00Z
constexpr double kSomeTime = 1796247000.0;

tw::LogEvent makeEvent(std::string ns, tw::LogLevel level, std::string text, double time = 0.0) {
  tw::LogEvent event;
  event.ns = std::move(ns);
  event.level = level;
  event.text = std::move(text);
  event.time = time;
  return event;
}

}  // namespace

// formatTime renders RFC 3339 with a numeric offset in the local zone, by default.
// Twisted: logger.test.test_format.TimeFormattingTests.test_formatTimeWithDefaultFormat
TEST(LogObserversTests, formatTimeDefaultFormat) {
  {
    ScopedTimeZone utc("UTC0");
    EXPECT_EQ(tw::formatTime(kSomeTime), "2026-12-02T21:30:00+0000");
    EXPECT_EQ(tw::formatTime(kSomeTime + 0.75), "2026-12-02T21:30:00+0000");
  }
  {
    ScopedTimeZone est("EST5");
    EXPECT_EQ(tw::formatTime(kSomeTime), "2026-12-02T16:30:00-0500");
  }
}

// formatTime takes a strftime format; no time or no format gives the default text.
// Twisted: logger.test.test_format.TimeFormattingTests.test_formatTimeWithNoTime,
// test_formatTimeWithNoFormat, test_formatTimeWithAlternateTimeFormat
TEST(LogObserversTests, formatTimeFormatAndDefault) {
  ScopedTimeZone utc("UTC0");
  EXPECT_EQ(tw::formatTime(kSomeTime, "%Y/%W"), "2026/48");
  EXPECT_EQ(tw::formatTime(0.0), "-");
  EXPECT_EQ(tw::formatTime(0.0, tw::kTimeFormatRFC3339, "XYZZY"), "XYZZY");
  EXPECT_EQ(tw::formatTime(kSomeTime, "", "XYZZY"), "XYZZY");
  std::string longFormat(300, 'x');
  EXPECT_EQ(tw::formatTime(kSomeTime, longFormat + "%Y"), longFormat + "2026");
}

// A classic line is "{time} [ns#level] text" and a newline.
// Twisted: logger.test.test_format.ClassicLogFormattingTests.test_formatTimeDefault,
// test_formatNamespace, test_formatLevel
TEST(LogObserversTests, classicLogTextLayout) {
  ScopedTimeZone utc("UTC0");
  auto event = makeEvent("tw.tcp", tw::LogLevel::warn, "connection lost", kSomeTime);
  EXPECT_EQ(tw::formatEventAsClassicLogText(event),
            "2026-12-02T21:30:00+0000 [tw.tcp#warn] connection lost\n");
  // A custom time formatter is used for the time part.
  EXPECT_EQ(tw::formatEventAsClassicLogText(event, [](double t) { return std::to_string(int(t)); }),
            "1796247000 [tw.tcp#warn] connection lost\n");
}

// No time shows as "-", no namespace as "-", and `system` replaces "ns#level".
// Twisted: logger.test.test_format.ClassicLogFormattingTests.test_formatTimeDefault,
// test_formatSystem, test_formatSystemRulz, test_formatNamespace
TEST(LogObserversTests, classicLogTextDefaultsAndSystem) {
  auto event = makeEvent("", tw::LogLevel::info, "hello");
  EXPECT_EQ(tw::formatEventAsClassicLogText(event), "- [-#info] hello\n");
  event.ns = "ns";
  event.system = "HTTPChannel,0,127.0.0.1";
  EXPECT_EQ(tw::formatEventAsClassicLogText(event), "- [HTTPChannel,0,127.0.0.1] hello\n");
}

// An event with neither text nor failure gives no line at all.
// Twisted: logger.test.test_format.ClassicLogFormattingTests.test_formatEmptyFormat
TEST(LogObserversTests, classicLogTextEmptyEvent) {
  auto event = makeEvent("tw.x", tw::LogLevel::critical, "", kSomeTime);
  EXPECT_EQ(tw::formatEventAsClassicLogText(event), "");
  EXPECT_EQ(tw::eventAsText(event), "");
}

// Continuation lines of a multi-line text are indented by a tab.
// Twisted: logger.test.test_format.ClassicLogFormattingTests.test_formatMessageMultiline
TEST(LogObserversTests, classicLogTextMultiline) {
  auto event = makeEvent("ns", tw::LogLevel::info, "X\nY\nZ");
  EXPECT_EQ(tw::formatEventAsClassicLogText(event), "- [ns#info] X\n\tY\n\tZ\n");
}

// A failure's traceback follows the text on tab-indented lines.
// Twisted: logger.test.test_format.EventAsTextTests.test_eventWithTraceback and
// ClassicLogFormattingTests
TEST(LogObserversTests, classicLogTextWithFailure) {
  auto event = makeEvent("ns", tw::LogLevel::critical, "it broke");
  event.failure = tw::Failure(std::runtime_error("boom"));
  std::string line = tw::formatEventAsClassicLogText(event);
  auto lines = linesOf(line);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], "- [ns#critical] it broke");
  EXPECT_EQ(lines[1], "\tFailure: std::runtime_error: boom");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    EXPECT_TRUE(lines[i].starts_with("\t")) << lines[i];
    EXPECT_NE(lines[i], "\t");
  }
  EXPECT_TRUE(line.ends_with("\n"));
  EXPECT_FALSE(line.ends_with("\n\n"));
  // Without the traceback option only the text remains; a failure alone still gives a line.
  EXPECT_EQ(tw::eventAsText(event, {.includeTraceback = false}), "- [ns#critical] it broke");
  event.text = "";
  EXPECT_TRUE(tw::eventAsText(event, {.includeTimestamp = false, .includeSystem = false})
                  .starts_with("\nFailure: std::runtime_error: boom"));
}

// eventAsText can leave out the time and the system.
// Twisted: logger.test.test_format.EventAsTextTests.test_eventAsTextSystemOnly,
// test_eventAsTextTimestampOnly, test_eventAsTextSystemMissing
TEST(LogObserversTests, eventAsTextOptions) {
  auto event = makeEvent("ns", tw::LogLevel::debug, "msg", kSomeTime);
  auto fmt = [](double) { return std::string("T"); };
  EXPECT_EQ(tw::eventAsText(event, {.includeTimestamp = false}, fmt), "[ns#debug] msg");
  EXPECT_EQ(tw::eventAsText(event, {.includeSystem = false}, fmt), "T msg");
  EXPECT_EQ(tw::eventAsText(event, {.includeTimestamp = false, .includeSystem = false}), "msg");
}

// A FileLogObserver writes the formatter's text for each event, nothing for "", and flushes.
// Twisted: logger.test.test_file.FileLogObserverTests.test_observeWrites,
// test_observeWritesNone, test_observeFlushes
TEST(LogObserversTests, fileLogObserverWritesFormatted) {
  std::ostringstream out;
  tw::FileLogObserver observer(out, [](const tw::LogEvent& e) {
    return e.text == "skip" ? std::string() : "<" + e.text + ">";
  });
  observer(makeEvent("ns", tw::LogLevel::info, "a"));
  observer(makeEvent("ns", tw::LogLevel::info, "skip"));
  tw::LogObserver asObserver = observer;  // a copy shares the stream
  asObserver(makeEvent("ns", tw::LogLevel::info, "b"));
  EXPECT_EQ(out.str(), "<a><b>");
}

// textFileLogObserver writes classic lines with the chosen time format.
// Twisted: logger.test.test_file.TextFileLogObserverTests.test_timeFormat,
// test_defaultTimeStamp, test_emptyFormat
TEST(LogObserversTests, textFileLogObserverLines) {
  ScopedTimeZone utc("UTC0");
  std::ostringstream out;
  auto observer = tw::textFileLogObserver(out);
  observer(makeEvent("tw.a", tw::LogLevel::info, "one", kSomeTime));
  auto custom = tw::textFileLogObserver(out, "%Y/%W");
  custom(makeEvent("tw.b", tw::LogLevel::error, "two", kSomeTime));
  auto noTime = tw::textFileLogObserver(out, "");
  noTime(makeEvent("tw.c", tw::LogLevel::debug, "three", kSomeTime));
  EXPECT_EQ(out.str(),
            "2026-12-02T21:30:00+0000 [tw.a#info] one\n"
            "2026/48 [tw.b#error] two\n"
            "- [tw.c#debug] three\n");
}

// Registered with a publisher, a text observer receives events stamped with the current time.
TEST(LogObserversTests, textFileLogObserverThroughLogger) {
  std::ostringstream out;
  tw::LogPublisher publisher;
  publisher.addObserver(tw::textFileLogObserver(out));
  tw::Logger("tw.test", publisher).info("hello");
  std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} \[tw\.test#info\] hello\n)");
  EXPECT_TRUE(std::regex_match(out.str(), line)) << out.str();
  std::vector<tw::LogEvent> seen;
  publisher.addObserver([&](const tw::LogEvent& e) { seen.push_back(e); });
  double before = tw::logClockNow();
  tw::Logger("tw.test", publisher).info("again");
  double after = tw::logClockNow();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_GE(seen[0].time, before);
  EXPECT_LE(seen[0].time, after);
}

// The path variant appends to the file (creating it), and two observers append in turn.
TEST(LogObserversTests, textFileLogObserverPathAppends) {
  TempPath temp("append.log");
  { std::ofstream(temp.path()) << "existing\n"; }
  {
    auto observer = tw::textFileLogObserver(temp.path(), "");
    observer(makeEvent("ns", tw::LogLevel::info, "first"));
  }
  {
    auto observer = tw::textFileLogObserver(temp.path(), "");
    tw::LogObserver stored = observer;
    stored(makeEvent("ns", tw::LogLevel::warn, "second"));
    // Written and flushed at once, before the observer is gone.
    EXPECT_EQ(readFile(temp.path()), "existing\n- [ns#info] first\n- [ns#warn] second\n");
  }
}

// The path variant throws std::system_error when the file cannot be opened.
TEST(LogObserversTests, textFileLogObserverPathError) {
  TempPath temp("missing_dir");
  EXPECT_THROW((void)tw::textFileLogObserver(temp.path() / "x.log"), std::system_error);
}

// Events written from many threads at once come out as whole lines, none lost.
TEST(LogObserversTests, fileLogObserverThreadSafe) {
  TempPath temp("threads.log");
  constexpr int kThreads = 8;
  constexpr int kLines = 500;
  {
    auto observer = tw::textFileLogObserver(temp.path(), "");
    tw::LogPublisher publisher;
    publisher.addObserver(observer);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&publisher, t] {
        tw::Logger log("tw.t" + std::to_string(t), publisher);
        for (int i = 0; i < kLines; ++i) {
          log.info(std::string(40 + (i % 50), char('a' + t)) + " " + std::to_string(i));
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  auto lines = linesOf(readFile(temp.path()));
  ASSERT_EQ(lines.size(), std::size_t(kThreads * kLines));
  std::map<int, int> nextIndex;
  std::regex shape(R"(- \[tw\.t(\d)#info\] ([a-z])+ (\d+))");
  for (const std::string& l : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(l, m, shape)) << l;
    int t = std::stoi(m[1]);
    int i = std::stoi(m[3]);
    EXPECT_EQ(l, "- [tw.t" + std::to_string(t) + "#info] " +
                     std::string(40 + (i % 50), char('a' + t)) + " " + std::to_string(i));
    EXPECT_EQ(i, nextIndex[t]++) << "thread " << t << " out of order";
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(nextIndex[t], kLines);
}

// The publisher stamps unset times and keeps times already set.
TEST(LogObserversTests, publisherStampsTime) {
  tw::LogPublisher publisher;
  std::vector<tw::LogEvent> seen;
  publisher.addObserver([&](const tw::LogEvent& e) { seen.push_back(e); });
  double before = tw::logClockNow();
  publisher.publish(makeEvent("ns", tw::LogLevel::info, "unset"));
  publisher.publish(makeEvent("ns", tw::LogLevel::info, "set", kSomeTime));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_GE(seen[0].time, before);
  EXPECT_LE(seen[0].time, tw::logClockNow());
  EXPECT_EQ(seen[1].time, kSomeTime);
}

// ---- filtering ------------------------------------------------------------------------------

// Predicates are asked in order: the first yes or no decides; all maybe lets the event through.
// Twisted: logger.test.test_filter.FilteringLogObserverTests.test_shouldLogEventNoFilters,
// test_shouldLogEventNoFilter... and test_shouldLogEventOtherObserver
TEST(LogObserversTests, shouldLogEventOrder) {
  using tw::PredicateResult;
  auto always = [](PredicateResult r) { return [r](const tw::LogEvent&) { return r; }; };
  tw::LogEvent event;
  EXPECT_TRUE(tw::shouldLogEvent({}, event));
  EXPECT_TRUE(tw::shouldLogEvent({always(PredicateResult::maybe)}, event));
  EXPECT_FALSE(tw::shouldLogEvent({always(PredicateResult::no)}, event));
  EXPECT_TRUE(tw::shouldLogEvent({always(PredicateResult::yes)}, event));
  EXPECT_TRUE(tw::shouldLogEvent(
      {always(PredicateResult::maybe), always(PredicateResult::yes), always(PredicateResult::no)},
      event));
  EXPECT_FALSE(tw::shouldLogEvent(
      {always(PredicateResult::maybe), always(PredicateResult::no), always(PredicateResult::yes)},
      event));
}

// Events the predicates reject go to the negative observer, the others to the observer.
// Twisted: logger.test.test_filter.FilteringLogObserverTests.test_filteredEvents,
// test_negativeObserver
TEST(LogObserversTests, filteringLogObserverRoutes) {
  std::vector<std::string> kept;
  std::vector<std::string> dropped;
  tw::FilteringLogObserver observer(
      [&](const tw::LogEvent& e) { kept.push_back(e.text); }, {[](const tw::LogEvent& e) {
        return e.text.starts_with("x") ? tw::PredicateResult::no : tw::PredicateResult::maybe;
      }},
      [&](const tw::LogEvent& e) { dropped.push_back(e.text); });
  for (const char* text : {"a", "xb", "c", "xd"})
    observer(makeEvent("ns", tw::LogLevel::info, text));
  EXPECT_EQ(kept, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(dropped, (std::vector<std::string>{"xb", "xd"}));
  // Without a negative observer, rejected events are simply dropped.
  tw::FilteringLogObserver noNegative(
      [&](const tw::LogEvent& e) { kept.push_back(e.text); },
      {[](const tw::LogEvent&) { return tw::PredicateResult::no; }});
  noNegative(makeEvent("ns", tw::LogLevel::info, "gone"));
  EXPECT_EQ(kept.size(), 2u);
}

// Levels set for a namespace apply to the namespaces under it; unset ones use the default.
// Twisted: logger.test.test_filter.LogLevelFilterPredicateTests.test_defaultLogLevel,
// test_setLogLevel, test_setInvalidLogLevel (not possible here), test_clearLogLevels
TEST(LogObserversTests, logLevelFilterInheritance) {
  tw::LogLevelFilterPredicate predicate;
  EXPECT_EQ(predicate.logLevelForNamespace(""), tw::LogLevel::info);
  EXPECT_EQ(predicate.logLevelForNamespace("tw.reactor"), tw::LogLevel::info);
  predicate.setLogLevelForNamespace("tw", tw::LogLevel::warn);
  predicate.setLogLevelForNamespace("tw.reactor.tcp", tw::LogLevel::debug);
  EXPECT_EQ(predicate.logLevelForNamespace("tw"), tw::LogLevel::warn);
  EXPECT_EQ(predicate.logLevelForNamespace("tw.reactor"), tw::LogLevel::warn);
  EXPECT_EQ(predicate.logLevelForNamespace("tw.reactor.tcp"), tw::LogLevel::debug);
  EXPECT_EQ(predicate.logLevelForNamespace("tw.reactor.tcp.server"), tw::LogLevel::debug);
  EXPECT_EQ(predicate.logLevelForNamespace("twisted"), tw::LogLevel::info);  // not under "tw"
  EXPECT_EQ(predicate.logLevelForNamespace("app"), tw::LogLevel::info);
  predicate.setLogLevelForNamespace("tw", tw::LogLevel::error);  // replaces
  EXPECT_EQ(predicate.logLevelForNamespace("tw.x"), tw::LogLevel::error);
  predicate.setLogLevelForNamespace("", tw::LogLevel::critical);
  EXPECT_EQ(predicate.logLevelForNamespace("app"), tw::LogLevel::critical);
  predicate.clearLogLevels();
  EXPECT_EQ(predicate.logLevelForNamespace("tw.reactor.tcp"), tw::LogLevel::info);
  EXPECT_EQ(predicate.logLevelForNamespace(""), tw::LogLevel::info);
  tw::LogLevelFilterPredicate strict(tw::LogLevel::error);
  strict.setLogLevelForNamespace("x", tw::LogLevel::debug);
  strict.clearLogLevels();
  EXPECT_EQ(strict.logLevelForNamespace("x"), tw::LogLevel::error);
}

// The predicate says no below the namespace's level (and to an empty namespace), else maybe;
// a copy shares the levels, so changes after wiring take effect.
// Twisted: logger.test.test_filter.LogLevelFilterPredicateTests.test_filtering
TEST(LogObserversTests, logLevelFilterPredicateResults) {
  tw::LogLevelFilterPredicate predicate(tw::LogLevel::warn);
  predicate.setLogLevelForNamespace("tw.tcp", tw::LogLevel::debug);
  std::vector<std::string> seen;
  tw::FilteringLogObserver observer([&](const tw::LogEvent& e) { seen.push_back(e.text); },
                                    {predicate});
  using tw::LogLevel;
  EXPECT_EQ(predicate(makeEvent("app", LogLevel::info, "")), tw::PredicateResult::no);
  EXPECT_EQ(predicate(makeEvent("app", LogLevel::warn, "")), tw::PredicateResult::maybe);
  EXPECT_EQ(predicate(makeEvent("", LogLevel::critical, "")), tw::PredicateResult::no);
  observer(makeEvent("app", LogLevel::info, "app info"));
  observer(makeEvent("app", LogLevel::error, "app error"));
  observer(makeEvent("tw.tcp.port", LogLevel::debug, "tcp debug"));
  observer(makeEvent("tw.udp", LogLevel::info, "udp info"));
  predicate.setLogLevelForNamespace("tw.udp", LogLevel::info);
  observer(makeEvent("tw.udp", LogLevel::info, "udp info 2"));
  EXPECT_EQ(seen, (std::vector<std::string>{"app error", "tcp debug", "udp info 2"}));
}

// ---- history --------------------------------------------------------------------------------

// A limited history keeps the last N events, oldest first, and replays them.
// Twisted: logger.test.test_buffer.LimitedHistoryLogObserverTests.test_order
TEST(LogObserversTests, limitedHistoryKeepsLast) {
  tw::LimitedHistoryLogObserver history(3);
  tw::LogObserver stored = history;  // copies share the buffer
  for (int i = 0; i < 5; ++i) stored(makeEvent("ns", tw::LogLevel::info, std::to_string(i)));
  std::vector<std::string> replayed;
  history.replayTo([&](const tw::LogEvent& e) { replayed.push_back(e.text); });
  EXPECT_EQ(replayed, (std::vector<std::string>{"2", "3", "4"}));
  EXPECT_EQ(history.events().size(), 3u);
  tw::LimitedHistoryLogObserver none(0);
  none(makeEvent("ns", tw::LogLevel::info, "x"));
  EXPECT_TRUE(none.events().empty());
}

// ---- JSON -----------------------------------------------------------------------------------

// An event becomes one JSON object with the documented keys.
// Twisted: logger.test.test_json.SaveLoadTests.test_simpleSaveLoad (shape)
TEST(LogObserversTests, eventAsJSONShape) {
  auto event = makeEvent("tw.app", tw::LogLevel::warn, "hi \"you\"\n", 1.5);
  event.logFormat = "hi {who}";
  event.fields = {{"who", "\"you\"\n"}, {"n", "1"}};
  EXPECT_EQ(tw::eventAsJSON(event),
            R"({"log_level":"warn","log_namespace":"tw.app","log_time":1.5,)"
            R"("log_format":"hi {who}","log_text":"hi \"you\"\n",)"
            R"("log_fields":{"who":"\"you\"\n","n":"1"}})");
  event.system = "sys";
  event.fields.clear();
  event.logFormat.clear();
  event.text = "\x1e\x01";
  EXPECT_EQ(tw::eventAsJSON(event),
            R"({"log_level":"warn","log_namespace":"tw.app","log_time":1.5,"log_system":"sys",)"
            R"("log_text":"\u001e\u0001","log_fields":{}})");
}

// The JSON observer writes RS-separated records that read back, failure included.
// Twisted: logger.test.test_json.FileLogObserverTests.test_saveLoad, test_failureLoad
TEST(LogObserversTests, jsonFileRoundTrip) {
  std::ostringstream out;
  auto observer = tw::jsonFileLogObserver(out);
  auto first = makeEvent("a", tw::LogLevel::info, "one", 12.25);
  auto second = makeEvent("b", tw::LogLevel::critical, "two", 13.0);
  second.failure = tw::Failure(std::runtime_error("boom"));
  observer(first);
  observer(second);
  std::string text = out.str();
  EXPECT_TRUE(text.starts_with("\x1e{"));
  std::istringstream in(text);
  auto events = tw::eventsFromJSONLogFile(in);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].text, "one");
  EXPECT_EQ(events[0].ns, "a");
  EXPECT_EQ(events[0].time, 12.25);
  EXPECT_FALSE(events[0].failure.has_value());
  ASSERT_TRUE(events[1].failure.has_value());
  EXPECT_EQ(events[1].failure->getErrorMessage(), "boom");
  const auto* restored = events[1].failure->value<tw::RestoredFailureError>();
  ASSERT_NE(restored, nullptr);
  EXPECT_EQ(restored->typeName(), second.failure->typeName());
  EXPECT_EQ(restored->traceback(), second.failure->getTraceback());
  // Written again, a restored failure keeps the original type and traceback.
  EXPECT_EQ(tw::eventAsJSON(events[1]), tw::eventAsJSON(second));
}

// Newline-delimited files (no RS) are read too; bad and truncated records are skipped and
// reported as errors.
// Twisted: logger.test.test_json.EventsFromJSONLogFileTests.test_readEventsAutoNoRS,
// test_readTruncated, test_readInvalidJSON
TEST(LogObserversTests, eventsFromJSONLogFileBadRecords) {
  tw::LogCapture capture;
  {
    std::istringstream in(
        "{\"log_level\":\"info\",\"log_text\":\"a\"}\n"
        "not json\n"
        "\n"
        "{\"log_level\":\"loud\",\"log_text\":\"b\"}\n"
        "{\"log_level\":\"warn\",\"log_namespace\":\"n\",\"log_text\":\"c\"}\n");
    auto events = tw::eventsFromJSONLogFile(in);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].text, "a");
    EXPECT_EQ(events[1].text, "c");
    EXPECT_EQ(events[1].level, tw::LogLevel::warn);
  }
  {
    std::istringstream in(
        "\x1e{\"log_level\":\"info\",\"log_text\":\"a\"}\n"
        "\x1e{\"log_level\":\"info\",\"log_text\":\"trunc");
    auto events = tw::eventsFromJSONLogFile(in);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].text, "a");
  }
  auto errors = capture.errors();
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].text, "Unable to read JSON record: 'not json'");
  EXPECT_EQ(errors[0].ns, "tw.logger.json");
  EXPECT_TRUE(errors[2].text.starts_with("Unable to read truncated JSON record: "));
}

// Any event (any bytes in its strings, any fields, any time) survives a JSON round trip.
RC_GTEST_PROP(LogObserversPropertyTests, jsonRoundTrip, ()) {
  tw::LogEvent event;
  event.level = *rc::gen::element(tw::LogLevel::debug, tw::LogLevel::info, tw::LogLevel::warn,
                                  tw::LogLevel::error, tw::LogLevel::critical);
  event.ns = *rc::gen::arbitrary<std::string>();
  event.text = *rc::gen::arbitrary<std::string>();
  event.system = *rc::gen::arbitrary<std::string>();
  event.logFormat = *rc::gen::arbitrary<std::string>();
  event.fields = *rc::gen::arbitrary<std::vector<std::pair<std::string, std::string>>>();
  event.time = *rc::gen::map(rc::gen::arbitrary<std::int64_t>(),
                             [](std::int64_t v) { return double(v) / 1024.0; });
  bool withFailure = *rc::gen::arbitrary<bool>();
  if (withFailure)
    event.failure = tw::Failure(std::runtime_error(*rc::gen::arbitrary<std::string>()));
  std::ostringstream out;
  auto observer =
      tw::jsonFileLogObserver(out, *rc::gen::element(std::string("\x1e"), std::string()));
  observer(event);
  observer(event);
  std::istringstream in(out.str());
  auto events = tw::eventsFromJSONLogFile(in);
  RC_ASSERT(events.size() == 2u);
  for (const tw::LogEvent& back : events) {
    RC_ASSERT(back.level == event.level);
    RC_ASSERT(back.ns == event.ns);
    RC_ASSERT(back.text == event.text);
    RC_ASSERT(back.system == event.system);
    RC_ASSERT(back.logFormat == event.logFormat);
    RC_ASSERT(back.fields == event.fields);
    RC_ASSERT(back.time == event.time);
    RC_ASSERT(back.failure.has_value() == withFailure);
    if (withFailure) RC_ASSERT(back.failure->getErrorMessage() == event.failure->getErrorMessage());
    RC_ASSERT(tw::eventAsJSON(back) == tw::eventAsJSON(event));
  }
}
