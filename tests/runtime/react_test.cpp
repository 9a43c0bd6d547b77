/// @file
/// Tests for react, on a fake reactor driven by a fake clock.
/// Twisted: twisted.test.test_task.ReactTests (with its _FakeReactor).
#include "tw/react.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "result_helpers.hpp"
#include "tw/error.hpp"
#include "tw/fakes/memory_reactor.hpp"
#include "tw/logger.hpp"

namespace {

using namespace std::chrono_literals;
using tw::Deferred;

/// Twisted's _FakeReactor: run() runs the startup hooks, then advances the clock to each next
/// delayed call until stop(); the "shutdown" event fires when the loop ends.
class FakeReactor : public tw::fakes::MemoryReactorClock {
 public:
  bool running() const override { return running_; }
  void run() override {
    running_ = true;
    ++runs;
    fireSystemEvent("startup");
    std::vector<std::function<void()>> hooks = std::move(hooks_);
    hooks_.clear();
    for (auto& h : hooks) h();
    while (running_) {
      auto calls = getDelayedCalls();
      if (calls.empty()) throw std::logic_error("FakeReactor: ran out of scheduled calls");
      double next = calls[0]->getTime();
      for (auto& c : calls) next = std::min(next, c->getTime());
      advance(tw::Seconds(next - seconds()));
    }
    fireSystemEvent("shutdown");
  }
  void stop() override {
    if (!running_) throw tw::error::ReactorNotRunning();
    running_ = false;
    ++stops;
  }
  std::optional<tw::TriggerId> callWhenRunning(std::function<void()> f) override {
    if (running_) {
      f();
      return std::nullopt;
    }
    hooks_.push_back(std::move(f));
    return tw::TriggerId{999};
  }
  int runs = 0;
  int stops = 0;

 private:
  bool running_ = false;
  std::vector<std::function<void()>> hooks_;
};

class ExpectedException : public std::runtime_error {
 public:
  ExpectedException() : std::runtime_error("expected") {}
};

// Twisted: ReactTests.test_runsUntilAsyncCallback
TEST(ReactTests, runsUntilAsyncCallback) {
  FakeReactor r;
  std::vector<bool> timePassed;
  int code = tw::react(
      [&](FakeReactor& reactor) {
        Deferred<void> finished;
        reactor.callLater(1s, [&] { timePassed.push_back(true); });
        reactor.callLater(2s, [finished]() mutable { finished.callback(); });
        return finished;
      },
      r);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(timePassed, std::vector<bool>{true});
  EXPECT_EQ(r.seconds(), 2);
  EXPECT_EQ(r.stops, 1);
}

// Twisted: ReactTests.test_runsUntilSyncCallback; the reactor still runs (and stops) once.
TEST(ReactTests, runsUntilSyncCallback) {
  FakeReactor r;
  int code = tw::react([](FakeReactor&) { return tw::succeed(42); }, r);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(r.seconds(), 0);
  EXPECT_EQ(r.runs, 1);
  EXPECT_EQ(r.stops, 1);
}

// Twisted: ReactTests.test_runsUntilAsyncErrback: code 1, the failure is logged.
TEST(ReactTests, runsUntilAsyncErrback) {
  FakeReactor r;
  tw::LogCapture capture;
  int code = tw::react(
      [](FakeReactor& reactor) {
        Deferred<void> finished;
        reactor.callLater(1s, [finished]() mutable { finished.errback(ExpectedException()); });
        return finished;
      },
      r);
  EXPECT_EQ(code, 1);
  auto errors = capture.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].text, "main function encountered error");
  ASSERT_TRUE(errors[0].failure.has_value());
  EXPECT_NE(errors[0].failure->check<ExpectedException>(), nullptr);
}

// Twisted: ReactTests.test_runsUntilSyncErrback
TEST(ReactTests, runsUntilSyncErrback) {
  FakeReactor r;
  tw::LogCapture capture;
  int code = tw::react([](FakeReactor&) { return tw::fail<void>(ExpectedException()); }, r);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(r.seconds(), 0);
  EXPECT_EQ(capture.errors().size(), 1u);
}

// Differs from Twisted: main throwing is a failure like a failed Deferred.
TEST(ReactTests, mainThrowingIsAFailure) {
  FakeReactor r;
  tw::LogCapture capture;
  int code = tw::react([](FakeReactor&) -> Deferred<void> { throw ExpectedException(); }, r);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(capture.errors().size(), 1u);
}

// Twisted: ReactTests.test_singleStopCallback: fired during shutdown, no second stop.
TEST(ReactTests, singleStopCallback) {
  FakeReactor r;
  int code = tw::react(
      [](FakeReactor& reactor) {
        reactor.callLater(1s, [&reactor] { reactor.stop(); });
        Deferred<void> finished;
        reactor.addSystemEventTrigger("during", "shutdown",
                                      [finished]() mutable { finished.callback(); });
        return finished;
      },
      r);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(r.seconds(), 1);
  EXPECT_EQ(r.stops, 1);
}

// Twisted: ReactTests.test_singleStopErrback
TEST(ReactTests, singleStopErrback) {
  FakeReactor r;
  tw::LogCapture capture;
  int code = tw::react(
      [](FakeReactor& reactor) {
        reactor.callLater(1s, [&reactor] { reactor.stop(); });
        Deferred<void> finished;
        reactor.addSystemEventTrigger(
            "during", "shutdown", [finished]() mutable { finished.errback(ExpectedException()); });
        return finished;
      },
      r);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(r.seconds(), 1);
  EXPECT_EQ(r.stops, 1);
  EXPECT_EQ(capture.errors().size(), 1u);
}

// Twisted: ReactTests.test_exitWithDefinedCode
TEST(ReactTests, exitWithDefinedCode) {
  FakeReactor r;
  tw::LogCapture capture;
  int code = tw::react([](FakeReactor&) { return tw::fail<void>(tw::SystemExit(23)); }, r);
  EXPECT_EQ(code, 23);
  EXPECT_TRUE(capture.errors().empty());
}

// Twisted: ReactTests.test_synchronousStop
TEST(ReactTests, synchronousStop) {
  FakeReactor r;
  int code = tw::react(
      [](FakeReactor& reactor) {
        Deferred<void> d;
        reactor.callWhenRunning([&reactor, d]() mutable {
          reactor.stop();
          d.callback();
        });
        return d;
      },
      r);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(r.stops, 1);
}

// Twisted: ReactTests.test_asynchronousStop: stopped first, the Deferred never fires: code 0.
TEST(ReactTests, asynchronousStop) {
  FakeReactor r;
  std::optional<Deferred<void>> never;
  int code = tw::react(
      [&](FakeReactor& reactor) {
        reactor.callLater(1s, [&reactor] { reactor.stop(); });
        never = Deferred<void>();
        return *never;
      },
      r);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(r.seconds(), 1);
}

}  // namespace
