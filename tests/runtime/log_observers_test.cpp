/// @file
/// Tests of the log observers: timestamps, classic text lines, the file observer.
/// Twisted: twisted/logger/test/test_format.py, test_file.py.
#include "tw/log_observers.hpp"

#include <unistd.h>

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
