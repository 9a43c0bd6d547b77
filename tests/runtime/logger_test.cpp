/// @file
/// Tests of the logger: publishers, observers, LogCapture, event formatting, structured events,
/// LogBeginner.
/// Twisted: twisted/logger/test/test_observer.py, test_capture.py, test_logger.py,
/// test_format.py, test_global.py.
#include "tw/logger.hpp"

#include <algorithm>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tw/failure.hpp"
#include "tw/log_beginner.hpp"

namespace {

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

// An added observer receives every published event, with its level, namespace, text and
// failure.
// Twisted: logger.test.test_observer.LogPublisherTests.test_addObserver
TEST(LoggerTests, addObserver) {
  tw::LogPublisher publisher;
  std::vector<tw::LogEvent> events;
  publisher.addObserver([&](const tw::LogEvent& e) { events.push_back(e); });
  tw::Logger log("tw.test", publisher);
  log.info("hello");
  tw::Failure failure(std::runtime_error("bad"));
  log.failure("it failed", failure);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].level, tw::LogLevel::info);
  EXPECT_EQ(events[0].ns, "tw.test");
  EXPECT_EQ(events[0].text, "hello");
  EXPECT_FALSE(events[0].failure.has_value());
  EXPECT_EQ(events[1].level, tw::LogLevel::critical);
  EXPECT_EQ(events[1].text, "it failed");
  ASSERT_TRUE(events[1].failure.has_value());
  EXPECT_EQ(*events[1].failure, failure);
}

// Every observer receives each event, in the order they were added.
// Twisted: logger.test.test_observer.LogPublisherTests.test_fanOut
TEST(LoggerTests, fanOut) {
  tw::LogPublisher publisher;
  std::vector<std::string> calls;
  publisher.addObserver([&](const tw::LogEvent& e) { calls.push_back("1 " + e.text); });
  publisher.addObserver([&](const tw::LogEvent& e) { calls.push_back("2 " + e.text); });
  publisher.addObserver([&](const tw::LogEvent& e) { calls.push_back("3 " + e.text); });
  tw::Logger("tw.test", publisher).warn("x");
  EXPECT_EQ(calls, (std::vector<std::string>{"1 x", "2 x", "3 x"}));
}

// A removed observer receives nothing more; the others still do.
// Twisted: logger.test.test_observer.LogPublisherTests.test_removeObserver
TEST(LoggerTests, removeObserver) {
  tw::LogPublisher publisher;
  std::vector<std::string> calls;
  auto o1 = publisher.addObserver([&](const tw::LogEvent& e) { calls.push_back("1 " + e.text); });
  auto o2 = publisher.addObserver([&](const tw::LogEvent& e) { calls.push_back("2 " + e.text); });
  auto o3 = publisher.addObserver([&](const tw::LogEvent& e) { calls.push_back("3 " + e.text); });
  EXPECT_NE(o1, o2);
  EXPECT_NE(o2, o3);
  EXPECT_NE(o1, o3);
  publisher.removeObserver(o2);
  tw::Logger("tw.test", publisher).info("a");
  EXPECT_EQ(calls, (std::vector<std::string>{"1 a", "3 a"}));
}

// Removing an observer that is not registered (or removing twice) changes nothing.
// Twisted: logger.test.test_observer.LogPublisherTests.test_removeObserverNotRegistered
TEST(LoggerTests, removeObserverNotRegistered) {
  tw::LogPublisher publisher;
  std::vector<std::string> calls;
  auto id = publisher.addObserver([&](const tw::LogEvent& e) { calls.push_back(e.text); });
  publisher.removeObserver(id + 1000);
  tw::Logger("tw.test", publisher).info("a");
  publisher.removeObserver(id);
  publisher.removeObserver(id);
  tw::Logger("tw.test", publisher).info("b");
  EXPECT_EQ(calls, std::vector<std::string>{"a"});
}

// An observer may log (the event reaches every observer) and may remove itself while an event
// is being delivered.
TEST(LoggerTests, observerMayLogAndRemoveItself) {
  tw::LogPublisher publisher;
  tw::Logger log("tw.test", publisher);
  std::vector<std::string> seen;
  tw::LogPublisher::ObserverId self = 0;
  self = publisher.addObserver([&](const tw::LogEvent& e) {
    seen.push_back("once " + e.text);
    publisher.removeObserver(self);
    log.info("from observer");
  });
  publisher.addObserver([&](const tw::LogEvent& e) { seen.push_back("all " + e.text); });
  log.info("first");
  log.info("second");
  EXPECT_EQ(seen, (std::vector<std::string>{"once first", "all from observer", "all first",
                                            "all second"}));
}

// LogCapture collects the events published while it exists, oldest first, and nothing after.
// Twisted: logger.test.test_capture.LogCaptureTests.test_capture
TEST(LoggerTests, capture) {
  tw::LogPublisher publisher;
  tw::Logger log("tw.test", publisher);
  std::vector<tw::LogEvent> seen;
  {
    tw::LogCapture captured(publisher);
    log.debug("Capture this, please");
    log.info("Capture this too, please");
    seen = captured.events();
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].text, "Capture this, please");
  EXPECT_EQ(seen[0].level, tw::LogLevel::debug);
  EXPECT_EQ(seen[1].text, "Capture this too, please");
  EXPECT_EQ(seen[1].level, tw::LogLevel::info);

  // Once destroyed, the capture is no longer an observer.
  std::vector<std::string> later;
  publisher.addObserver([&](const tw::LogEvent& e) { later.push_back(e.text); });
  log.info("after");
  EXPECT_EQ(later, std::vector<std::string>{"after"});
}

// LogCapture::errors() keeps only error events; clear() forgets what was captured.
TEST(LoggerTests, captureErrorsAndClear) {
  tw::LogPublisher publisher;
  tw::LogCapture captured(publisher);
  tw::Logger log("tw.test", publisher);
  log.info("fine");
  log.error("broken");
  log.warn("careful");
  log.failure("failed", tw::Failure(std::runtime_error("x")), tw::LogLevel::info);
  log.critical("dire");
  std::vector<tw::LogEvent> errors = captured.errors();
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].text, "broken");
  EXPECT_EQ(errors[1].text, "failed");
  EXPECT_EQ(errors[2].text, "dire");
  EXPECT_EQ(captured.events().size(), 5u);
  captured.clear();
  EXPECT_TRUE(captured.events().empty());
  log.info("again");
  EXPECT_EQ(captured.events().size(), 1u);
}

// Several captures on one publisher each see every event.
TEST(LoggerTests, nestedCaptures) {
  tw::LogPublisher publisher;
  tw::Logger log("tw.test", publisher);
  tw::LogCapture outer(publisher);
  log.info("one");
  {
    tw::LogCapture inner(publisher);
    log.info("two");
    EXPECT_EQ(inner.events().size(), 1u);
  }
  log.info("three");
  EXPECT_EQ(outer.events().size(), 3u);
}

// A Logger built with only a namespace emits to the global publisher, which LogCapture watches
// by default.
TEST(LoggerTests, globalPublisherByDefault) {
  tw::LogCapture captured;
  tw::Logger log("tw.test.global");
  EXPECT_EQ(log.ns(), "tw.test.global");
  log.info("to the world");
  std::vector<tw::LogEvent> events = captured.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].ns, "tw.test.global");
  EXPECT_EQ(events[0].text, "to the world");
  EXPECT_EQ(&tw::globalLogPublisher(), &tw::globalLogPublisher());
}

// Logger::failure is critical unless told otherwise; emit() sets every field.
// Twisted: logger.test.test_logger.LoggerTests.test_defaultFailure
TEST(LoggerTests, failureLevel) {
  tw::LogPublisher publisher;
  tw::LogCapture captured(publisher);
  tw::Logger log("tw.test", publisher);
  tw::Failure failure(std::runtime_error("x"));
  log.failure("default", failure);
  log.failure("warned", failure, tw::LogLevel::warn);
  log.emit(tw::LogLevel::error, "emitted", failure);
  std::vector<tw::LogEvent> events = captured.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].level, tw::LogLevel::critical);
  EXPECT_EQ(events[1].level, tw::LogLevel::warn);
  EXPECT_EQ(events[2].level, tw::LogLevel::error);
  for (const tw::LogEvent& e : events) {
    ASSERT_TRUE(e.failure.has_value());
    EXPECT_EQ(*e.failure, failure);
  }
}

// isError() is true for level error and above, and for any event carrying a Failure.
TEST(LoggerTests, isError) {
  tw::LogEvent event;
  for (tw::LogLevel level : {tw::LogLevel::debug, tw::LogLevel::info, tw::LogLevel::warn}) {
    event.level = level;
    EXPECT_FALSE(event.isError()) << tw::logLevelName(level);
  }
  for (tw::LogLevel level : {tw::LogLevel::error, tw::LogLevel::critical}) {
    event.level = level;
    EXPECT_TRUE(event.isError()) << tw::logLevelName(level);
  }
  event.level = tw::LogLevel::debug;
  event.failure.emplace(std::runtime_error("x"));
  EXPECT_TRUE(event.isError());
}

// Level names are lower case.
TEST(LoggerTests, logLevelName) {
  EXPECT_EQ(tw::logLevelName(tw::LogLevel::debug), "debug");
  EXPECT_EQ(tw::logLevelName(tw::LogLevel::info), "info");
  EXPECT_EQ(tw::logLevelName(tw::LogLevel::warn), "warn");
  EXPECT_EQ(tw::logLevelName(tw::LogLevel::error), "error");
  EXPECT_EQ(tw::logLevelName(tw::LogLevel::critical), "critical");
}

// format() is "[ns#level] text", then the failure's traceback with every line indented by a tab.
// Twisted: the text observer's "[twisted.internet.defer#critical] ..." lines (spec 15)
TEST(LoggerTests, format) {
  tw::LogEvent event;
  event.level = tw::LogLevel::warn;
  event.ns = "tw.test";
  event.text = "careful";
  EXPECT_EQ(event.format(), "[tw.test#warn] careful\n");

  event.level = tw::LogLevel::critical;
  event.text = "Unhandled error";
  const unsigned line = __LINE__ + 1;
  event.failure = tw::Failure(std::runtime_error("boom"));
  const std::string text = event.format();
  std::vector<std::string> lines = linesOf(text);
  std::vector<std::string> traceback = linesOf(event.failure->getTraceback());
  ASSERT_EQ(lines.size(), 1 + traceback.size()) << text;
  EXPECT_EQ(lines[0], "[tw.test#critical] Unhandled error");
  for (std::size_t i = 0; i < traceback.size(); ++i) EXPECT_EQ(lines[i + 1], "\t" + traceback[i]);
  EXPECT_NE(text.find("std::runtime_error"), std::string::npos) << text;
  EXPECT_NE(text.find("boom"), std::string::npos) << text;
  EXPECT_NE(text.find("logger_test.cpp:" + std::to_string(line)), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

// With no observer, events of level warn and above (or with a Failure) go to stderr, formatted;
// quieter ones are dropped.
TEST(LoggerTests, stderrWithoutObservers) {
  tw::LogPublisher publisher;
  tw::Logger log("tw.test", publisher);
  testing::internal::CaptureStderr();
  log.debug("quiet");
  log.info("quiet too");
  log.warn("loud");
  log.failure("with failure", tw::Failure(std::runtime_error("x")), tw::LogLevel::debug);
  const std::string output = testing::internal::GetCapturedStderr();
  EXPECT_EQ(output.find("quiet"), std::string::npos) << output;
  EXPECT_EQ(output.rfind("[tw.test#warn] loud\n[tw.test#debug] with failure\n\t", 0), 0u) << output;

  // An observer takes over from stderr.
  tw::LogCapture captured(publisher);
  testing::internal::CaptureStderr();
  log.critical("captured");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(captured.events().size(), 1u);
}

// Events published from several threads are all delivered.
TEST(LoggerTests, publishFromThreads) {
  tw::LogPublisher publisher;
  tw::LogCapture captured(publisher);
  constexpr int kThreads = 4;
  constexpr int kEvents = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&publisher, t] {
      tw::Logger log("tw.thread" + std::to_string(t), publisher);
      for (int i = 0; i < kEvents; ++i) log.info(std::to_string(i));
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<tw::LogEvent> events = captured.events();
  ASSERT_EQ(events.size(), static_cast<std::size_t>(kThreads * kEvents));
  // Each thread's events arrive in the order it published them.
  std::vector<int> next(kThreads, 0);
  for (const tw::LogEvent& e : events) {
    int t = e.ns.back() - '0';
    EXPECT_EQ(e.text, std::to_string(next[t]++));
  }
}

// An observer that throws does not stop the fan-out or reach the caller; its failure is reported
// once to the other observers, never to itself.
// Twisted: logger.test.test_observer.LogPublisherTests.test_observerRaises
TEST(LoggerTests, observerRaises) {
  tw::LogPublisher publisher;
  std::vector<tw::LogEvent> seenByBad;
  std::vector<tw::LogEvent> collected;
  publisher.addObserver([&](const tw::LogEvent& e) {
    bool shouldRaise = seenByBad.empty();
    seenByBad.push_back(e);
    if (shouldRaise) throw std::runtime_error("ARGH! EVIL DEATH!");
  });
  publisher.addObserver([&](const tw::LogEvent& e) { collected.push_back(e); });
  tw::Logger("tw.test", publisher).info("event");
  ASSERT_EQ(seenByBad.size(), 1u);
  ASSERT_EQ(collected.size(), 2u);
  EXPECT_EQ(collected[0].text, "event");
  ASSERT_TRUE(collected[1].failure.has_value());
  EXPECT_EQ(collected[1].level, tw::LogLevel::critical);
  EXPECT_EQ(collected[1].failure->getErrorMessage(), "ARGH! EVIL DEATH!");
}

// When every observer throws, publishing still returns normally.
// Twisted: logger.test.test_observer.LogPublisherTests.test_observerRaisesAndLoggerHatesMe
TEST(LoggerTests, observerRaisesAndLoggerHatesMe) {
  tw::LogPublisher publisher;
  int calls = 0;
  publisher.addObserver([&](const tw::LogEvent&) {
    ++calls;
    throw std::runtime_error("Sad panda");
  });
  publisher.addObserver([&](const tw::LogEvent&) {
    ++calls;
    throw std::runtime_error("Sad panda too");
  });
  EXPECT_NO_THROW(tw::Logger("tw.test", publisher).info("event"));
  EXPECT_EQ(calls, 4);  // each saw the event and the other's failure
}

namespace {

/// formatLogMessage's result, or "error: <what>" when it throws.
std::string formatOrError(std::string_view format, const tw::LogFields& fields) {
  try {
    return tw::formatLogMessage(format, fields);
  } catch (const tw::LogFormatError& e) {
    return std::string("error: ") + e.what();
  }
}

}  // namespace

// `{name}` takes the field's value; doubled braces are literal braces.
// Twisted: logger.test.test_format.FormattingTests.test_formatEvent
TEST(LoggerTests, formatLogMessageSubstitutes) {
  tw::LogFields fields{{"x", "1"}, {"who", "world"}, {"empty", ""}};
  EXPECT_EQ(formatOrError("a {x} b {{y}} }}", fields), "a 1 b {y} }");
  EXPECT_EQ(formatOrError("hello {who}, {who}!", fields), "hello world, world!");
  EXPECT_EQ(formatOrError("[{empty}]", fields), "[]");
  EXPECT_EQ(formatOrError("no fields at all", {}), "no fields at all");
  EXPECT_EQ(formatOrError("}}{{", {}), "}{");
  EXPECT_EQ(formatOrError("", {}), "");
}

// Conversions and string format specs behave as Python's str.format does for strings.
TEST(LoggerTests, formatLogMessageSpecs) {
  tw::LogFields fields{{"x", "ab"}, {"y", "3"}, {"q", "it's"}};
  EXPECT_EQ(formatOrError("{x!r}", fields), "'ab'");
  EXPECT_EQ(formatOrError("{q!r}", fields), "'it\\'s'");
  EXPECT_EQ(formatOrError("{x!s}", fields), "ab");
  EXPECT_EQ(formatOrError("{x:>5}|", fields), "   ab|");
  EXPECT_EQ(formatOrError("{x:*^7}|", fields), "**ab***|");
  EXPECT_EQ(formatOrError("{x:5}|", fields), "ab   |");
  EXPECT_EQ(formatOrError("{x:05}", fields), "ab000");
  EXPECT_EQ(formatOrError("{x:>05}", fields), "000ab");
  EXPECT_EQ(formatOrError("{x:.1}", fields), "a");
  EXPECT_EQ(formatOrError("{x:5.1s}|", fields), "a    |");
  EXPECT_EQ(formatOrError("{x!r:>6}", fields), "  'ab'");
  EXPECT_EQ(formatOrError("{x:{y}}|", fields), "ab |");
  EXPECT_EQ(formatOrError("{x:}{x:>}", fields), "abab");
  EXPECT_EQ(formatOrError("{x:\xc3\xa9>4}", fields),
            "\xc3\xa9\xc3\xa9"
            "ab");
}

// Errors carry Python's wording, so the fallback text reads as Twisted's does.
// (Messages checked against Python 3 str.format.)
TEST(LoggerTests, formatLogMessageErrors) {
  tw::LogFields fields{{"x", "ab"}, {"y", "3"}};
  EXPECT_EQ(formatOrError("a {nope} b", fields), "error: 'nope'");
  EXPECT_EQ(formatOrError("a {", fields), "error: Single '{' encountered in format string");
  EXPECT_EQ(formatOrError("a }", fields), "error: Single '}' encountered in format string");
  EXPECT_EQ(formatOrError("a {abc", fields), "error: expected '}' before end of string");
  EXPECT_EQ(formatOrError("{}", fields), "error: tuple index out of range");
  EXPECT_EQ(formatOrError("{0}", fields), "error: tuple index out of range");
  EXPECT_EQ(formatOrError("{x!z}", fields), "error: Unknown conversion specifier z");
  EXPECT_EQ(formatOrError("{x:d}", fields),
            "error: Unknown format code 'd' for object of type 'str'");
  EXPECT_EQ(formatOrError("{x:=5}", fields),
            "error: '=' alignment not allowed in string format specifier");
  EXPECT_EQ(formatOrError("{x:+5}", fields), "error: Sign not allowed in string format specifier");
  EXPECT_EQ(formatOrError("{ x }", fields), "error: ' x '");
  EXPECT_EQ(formatOrError("{x:{y:{x}}}", fields), "error: Max string recursion exceeded");
  EXPECT_TRUE(formatOrError("{x.y}", fields).starts_with("error: "));
  EXPECT_TRUE(formatOrError("{x[0]}", fields).starts_with("error: "));
}

// A structured emit keeps the format and fields and sets text to the formatted message.
// Twisted: logger.test.test_logger.LoggerTests.test_basicLogger
TEST(LoggerTests, emitStructured) {
  tw::LogPublisher publisher;
  tw::LogCapture captured(publisher);
  tw::Logger log("tw.test", publisher);
  log.info("user {user} logged in from {addr}", {{"user", "alice"}, {"addr", "10.0.0.1"}});
  log.debug("d {a}", {{"a", "1"}});
  log.warn("w {a}", {{"a", "2"}});
  log.error("e {a}", {{"a", "3"}});
  log.critical("c {a}", {{"a", "4"}});
  tw::Failure failure(std::runtime_error("bad"));
  log.failure("f {a}", {{"a", "5"}}, failure);
  log.emit(tw::LogLevel::warn, "braces {{kept}}", tw::LogFields{});
  auto events = captured.events();
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(events[0].text, "user alice logged in from 10.0.0.1");
  EXPECT_EQ(events[0].logFormat, "user {user} logged in from {addr}");
  EXPECT_EQ(events[0].fields, (tw::LogFields{{"user", "alice"}, {"addr", "10.0.0.1"}}));
  ASSERT_NE(events[0].field("user"), nullptr);
  EXPECT_EQ(*events[0].field("user"), "alice");
  EXPECT_EQ(events[0].field("nope"), nullptr);
  EXPECT_EQ(events[0].level, tw::LogLevel::info);
  EXPECT_EQ(events[0].ns, "tw.test");
  EXPECT_GT(events[0].time, 0.0);
  std::vector<tw::LogLevel> levels;
  std::vector<std::string> texts;
  for (std::size_t i = 1; i < events.size(); ++i) {
    levels.push_back(events[i].level);
    texts.push_back(events[i].text);
  }
  EXPECT_EQ(levels, (std::vector<tw::LogLevel>{tw::LogLevel::debug, tw::LogLevel::warn,
                                               tw::LogLevel::error, tw::LogLevel::critical,
                                               tw::LogLevel::critical, tw::LogLevel::warn}));
  EXPECT_EQ(texts, (std::vector<std::string>{"d 1", "w 2", "e 3", "c 4", "f 5", "braces {kept}"}));
  ASSERT_TRUE(events[5].failure.has_value());
  EXPECT_EQ(*events[5].failure, failure);
}

// The one-argument form is plain text: braces in it are not a format.
TEST(LoggerTests, plainTextKeepsBraces) {
  tw::LogPublisher publisher;
  tw::LogCapture captured(publisher);
  tw::Logger("tw.test", publisher).info("a {literal} }");
  auto events = captured.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].text, "a {literal} }");
  EXPECT_EQ(events[0].logFormat, "");
  EXPECT_EQ(tw::formatEvent(events[0]), "a {literal} }");
}

// A format that fails gives Twisted's "Unable to format event" text rather than throwing.
// Twisted: logger.test.test_format.FormattingTests.test_formatUnformattableEvent
TEST(LoggerTests, emitUnformattable) {
  tw::LogPublisher publisher;
  tw::LogCapture captured(publisher);
  tw::Logger log("ns", publisher);
  EXPECT_NO_THROW(log.info("a {nope} b", {{"x", "1"}}));
  EXPECT_NO_THROW(log.info("a {", tw::LogFields{}));
  auto events = captured.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].text,
            "Unable to format event {'log_format': 'a {nope} b', 'log_namespace': 'ns', "
            "'log_level': <LogLevel=info>, 'x': '1'}: 'nope'");
  EXPECT_EQ(events[1].text,
            "Unable to format event {'log_format': 'a {', 'log_namespace': 'ns', "
            "'log_level': <LogLevel=info>}: Single '{' encountered in format string");
  EXPECT_EQ(tw::formatEvent(events[0]), events[0].text);
}

// ---- LogBeginner ----------------------------------------------------------------------------

// Before logging begins, unobserved events are buffered; beginLoggingTo replays them, oldest
// first, to the new observers, then those observers get new events directly.
// Twisted: logger.test.test_global.LogBeginnerTests.test_beginLoggingToBufferedEvents
TEST(LoggerTests, beginnerBuffersAndReplays) {
  tw::LogPublisher publisher;
  tw::LogBeginner beginner(publisher);
  tw::Logger log("tw.test", publisher);
  testing::internal::CaptureStderr();
  log.info("early info");
  log.warn("early warn");
  std::string err = testing::internal::GetCapturedStderr();
  // The stderr rule still applies before beginning.
  EXPECT_EQ(err, "[tw.test#warn] early warn\n");
  EXPECT_FALSE(beginner.began());
  ASSERT_EQ(beginner.bufferedEvents().size(), 2u);
  std::vector<std::string> seen;
  beginner.beginLoggingTo({[&](const tw::LogEvent& e) { seen.push_back(e.text); }});
  EXPECT_TRUE(beginner.began());
  EXPECT_TRUE(beginner.bufferedEvents().empty());
  log.info("late");
  EXPECT_EQ(seen, (std::vector<std::string>{"early info", "early warn", "late"}));
}

// Events some observer already saw are not buffered; the buffer is bounded (oldest dropped).
TEST(LoggerTests, beginnerBufferBoundedAndUnobservedOnly) {
  tw::LogPublisher publisher;
  tw::LogBeginner beginner(publisher, 3);
  tw::Logger log("tw.test", publisher);
  {
    tw::LogCapture capture(publisher);
    log.info("observed");
  }
  for (int i = 0; i < 5; ++i) log.info(std::to_string(i));
  std::vector<std::string> texts;
  for (const auto& e : beginner.bufferedEvents()) texts.push_back(e.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"2", "3", "4"}));
}

// discardBuffer drops the buffered events; a second beginLoggingTo only adds its observers and
// warns.
// Twisted: logger.test.test_global.LogBeginnerTests.test_beginLoggingToTwice
TEST(LoggerTests, beginnerDiscardAndTwice) {
  tw::LogPublisher publisher;
  tw::LogBeginner beginner(publisher);
  tw::Logger log("tw.test", publisher);
  log.info("lost");
  std::vector<std::string> first;
  beginner.beginLoggingTo({[&](const tw::LogEvent& e) { first.push_back(e.text); }}, true);
  EXPECT_TRUE(first.empty());
  std::vector<tw::LogEvent> second;
  beginner.beginLoggingTo({[&](const tw::LogEvent& e) { second.push_back(e); }});
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].level, tw::LogLevel::warn);
  EXPECT_EQ(second[0].ns, "tw.logger");
  EXPECT_NE(second[0].text.find("twice"), std::string::npos);
  log.info("both");
  EXPECT_EQ(first.back(), "both");
  EXPECT_EQ(second.back().text, "both");
}

// An observer that throws on a replayed event does not stop the replay to the others.
TEST(LoggerTests, beginnerReplayObserverThrows) {
  tw::LogPublisher publisher;
  tw::LogBeginner beginner(publisher);
  tw::Logger log("tw.test", publisher);
  log.info("a");
  log.info("b");
  std::vector<std::string> good;
  beginner.beginLoggingTo({[](const tw::LogEvent&) { throw std::runtime_error("bad"); },
                           [&](const tw::LogEvent& e) { good.push_back(e.text); }});
  EXPECT_EQ(good, (std::vector<std::string>{"a", "b"}));
}

// Events published from other threads while logging begins are delivered exactly once.
TEST(LoggerTests, beginnerConcurrentPublish) {
  tw::LogPublisher publisher;
  tw::LogBeginner beginner(publisher);
  constexpr int kEvents = 2000;
  std::mutex mutex;
  std::vector<int> seen;
  std::thread producer([&] {
    tw::Logger log("tw.test", publisher);
    for (int i = 0; i < kEvents; ++i) log.info(std::to_string(i));
  });
  beginner.beginLoggingTo({[&](const tw::LogEvent& e) {
    std::lock_guard lock(mutex);
    seen.push_back(std::stoi(e.text));
  }});
  producer.join();
  std::sort(seen.begin(), seen.end());
  std::vector<int> expected(kEvents);
  for (int i = 0; i < kEvents; ++i) expected[i] = i;
  EXPECT_EQ(seen, expected);
}

// The global publisher has a global beginner attached from the start: before it begins, an
// event published there with no observer is buffered.
TEST(LoggerTests, globalLogBeginnerAttached) {
  EXPECT_EQ(&tw::globalLogBeginner(), &tw::globalLogBeginner());
  if (tw::globalLogBeginner().began()) GTEST_SKIP() << "logging already began in this process";
  tw::Logger("tw.test.global").debug("buffered by the global beginner");
  auto buffered = tw::globalLogBeginner().bufferedEvents();
  ASSERT_FALSE(buffered.empty());
  EXPECT_EQ(buffered.back().text, "buffered by the global beginner");
}
