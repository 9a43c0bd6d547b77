/// @file
/// Tests of the real reactors (EpollReactor, PollReactor, SelectReactor), each test run on all
/// three: timers, the iteration contract, run/stop/crash, system event triggers, callFromThread,
/// descriptors, signals.  Twisted: twisted/internet/test/test_core.py, test_time.py,
/// test_threads.py, test_fdset.py (the ReactorBuilder idea: one suite, every reactor).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "reactors.hpp"
#include "tw/deferred.hpp"
#include "tw/error.hpp"
#include "tw/logger.hpp"
#include "tw/posix_reactor.hpp"
#include "tw/trial/logged_errors.hpp"

namespace {

using namespace std::chrono_literals;
using tw::testing::ExpectedErrors;
using tw::testing::ReactorNames;
using tw::testing::Reactors;

template <class R>
class ReactorTests : public tw::testing::RealReactorTest<R> {};

TYPED_TEST_SUITE(ReactorTests, Reactors, ReactorNames);

/// A pipe whose ends close with the object.
struct Pipe {
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    readEnd = fds[0];
    writeEnd = fds[1];
  }
  ~Pipe() {
    if (readEnd >= 0) ::close(readEnd);
    if (writeEnd >= 0) ::close(writeEnd);
  }
  int readEnd = -1;
  int writeEnd = -1;
};

/// Reads a descriptor into `received`; end of file is a clean close.
class PipeReader : public tw::IReadDescriptor {
 public:
  explicit PipeReader(int fd) : fd_(fd) {}
  int fileno() const override { return fd_; }
  std::optional<tw::Failure> doRead() override {
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n == 0) return tw::Failure(tw::error::ConnectionDone());
    if (n > 0) received.append(buf, static_cast<std::size_t>(n));
    if (onRead) onRead();
    return std::nullopt;
  }
  void connectionLost(const tw::Failure& reason) override {
    lost = reason;
    if (onLost) onLost();
  }

  std::string received;
  std::optional<tw::Failure> lost;
  std::function<void()> onRead;
  std::function<void()> onLost;

 private:
  int fd_;
};

/// Writes `pending` to a descriptor when it is writable, then stops watching.
class PipeWriter : public tw::IWriteDescriptor {
 public:
  PipeWriter(tw::IReactorFDSet& reactor, int fd, std::string data)
      : reactor_(reactor), fd_(fd), pending(std::move(data)) {}
  int fileno() const override { return fd_; }
  std::optional<tw::Failure> doWrite() override {
    ++writes;
    const ssize_t n = ::write(fd_, pending.data(), pending.size());
    if (n > 0) pending.erase(0, static_cast<std::size_t>(n));
    if (pending.empty()) reactor_.removeWriter(*this);
    return std::nullopt;
  }
  void connectionLost(const tw::Failure& reason) override { lost = reason; }

  std::optional<tw::Failure> lost;
  int writes = 0;

 private:
  tw::IReactorFDSet& reactor_;
  int fd_;

 public:
  std::string pending;
};

// --- timers ------------------------------------------------------------------------------------

// Calls run in order of their time (getTime()), whatever the order they were scheduled in.
TYPED_TEST(ReactorTests, timersRunInTimeOrder) {
  auto& r = this->reactor;
  std::vector<std::string> order;
  std::vector<std::pair<double, std::string>> expected;
  for (auto [delay, name] : {std::pair{30ms, "c"}, {10ms, "a"}, {20ms, "b"}, {15ms, "ab"}}) {
    auto call = r.callLater(delay, [&order, name = std::string(name)] { order.push_back(name); });
    expected.emplace_back(call->getTime(), name);
  }
  r.callLater(40ms, [&] { r.stop(); });
  this->runBounded();
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> expectedNames;
  for (auto& e : expected) expectedNames.push_back(e.second);
  EXPECT_EQ(order, expectedNames);
}

// Calls scheduled for the same time run in the order they were scheduled.
TYPED_TEST(ReactorTests, equalTimeCallsRunInSchedulingOrder) {
  auto& r = this->reactor;
  std::vector<int> order;
  // Block so that all ten are due at one clock reading; the time of each is seconds()+0.
  for (int i = 0; i < 10; ++i) r.callLater(0s, [&order, i] { order.push_back(i); });
  r.iterate();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

// A cancelled call never runs; getDelayedCalls lists only active calls.
TYPED_TEST(ReactorTests, cancelledCallDoesNotRun) {
  auto& r = this->reactor;
  bool ran = false;
  auto call = r.callLater(10ms, [&] { ran = true; });
  auto other = r.callLater(20ms, [&] { r.stop(); });
  EXPECT_EQ(r.getDelayedCalls().size(), 2u);
  call->cancel();
  EXPECT_FALSE(call->active());
  EXPECT_TRUE(call->cancelled());
  EXPECT_EQ(r.getDelayedCalls().size(), 1u);
  this->runBounded();
  EXPECT_FALSE(ran);
  EXPECT_TRUE(other->called());
  EXPECT_THROW(call->cancel(), tw::error::AlreadyCancelled);
  EXPECT_THROW(other->cancel(), tw::error::AlreadyCalled);
}

// A call waits at least its delay on the reactor's clock.
TYPED_TEST(ReactorTests, callWaitsForItsDelay) {
  auto& r = this->reactor;
  const double start = r.seconds();
  double ranAt = 0;
  r.callLater(50ms, [&] {
    ranAt = r.seconds();
    r.stop();
  });
  this->runBounded();
  EXPECT_GE(ranAt - start, 0.05);
  EXPECT_LT(ranAt - start, 2.0);
}

// A negative delay is refused.
TYPED_TEST(ReactorTests, negativeDelayThrows) {
  EXPECT_THROW(this->reactor.callLater(-1s, [] {}), std::invalid_argument);
}

// Contract step 3: callLater(0) from a running call runs in the next iteration, not this one.
TYPED_TEST(ReactorTests, callLaterZeroFromACallRunsNextIteration) {
  auto& r = this->reactor;
  bool first = false;
  bool second = false;
  r.callLater(0s, [&] {
    first = true;
    r.callLater(0s, [&] { second = true; });
  });
  r.iterate();
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  r.iterate();
  EXPECT_TRUE(second);
}

// A call that reschedules itself with 0 delay does not starve the descriptors.
TYPED_TEST(ReactorTests, zeroDelayLoopDoesNotStarveIO) {
  auto& r = this->reactor;
  Pipe pipe;
  PipeReader reader(pipe.readEnd);
  r.addReader(reader);
  int spins = 0;
  std::function<void()> spin = [&] {
    ++spins;
    if (reader.received.empty()) r.callLater(0s, spin);
  };
  r.callLater(0s, spin);
  reader.onRead = [&] { r.stop(); };
  ASSERT_EQ(::write(pipe.writeEnd, "x", 1), 1);
  this->runBounded();
  EXPECT_EQ(reader.received, "x");
  EXPECT_LE(spins, 3);
  r.removeReader(reader);
}

// An exception thrown by a call is logged and the loop goes on.
TYPED_TEST(ReactorTests, exceptionFromCallIsLoggedAndLoopContinues) {
  auto& r = this->reactor;
  ExpectedErrors captured;
  bool after = false;
  r.callLater(0s, [] { throw std::runtime_error("boom"); });
  r.callLater(10ms, [&] {
    after = true;
    r.stop();
  });
  this->runBounded();
  EXPECT_TRUE(after);
  auto errors = captured.errors();
  ASSERT_EQ(errors.size(), 1u);
  ASSERT_TRUE(errors[0].failure.has_value());
  EXPECT_TRUE(errors[0].failure->check<std::runtime_error>());
  EXPECT_EQ(errors[0].ns, "tw.reactor");
}

// --- run, stop, crash ---------------------------------------------------------------------------

// stop() before run() raises ReactorNotRunning.
TYPED_TEST(ReactorTests, stopWhenNotRunningThrows) {
  EXPECT_THROW(this->reactor.stop(), tw::error::ReactorNotRunning);
}

// run() after stop() raises ReactorNotRestartable; stop() twice raises ReactorNotRunning.
TYPED_TEST(ReactorTests, runAfterStopIsNotRestartable) {
  auto& r = this->reactor;
  bool secondStopThrew = false;
  r.callWhenRunning([&] {
    r.stop();
    try {
      r.stop();
    } catch (const tw::error::ReactorNotRunning&) {
      secondStopThrew = true;
    }
  });
  this->runBounded();
  EXPECT_TRUE(secondStopThrew);
  EXPECT_FALSE(r.running());
  EXPECT_THROW(r.run(false), tw::error::ReactorNotRestartable);
}

// run() while running raises ReactorAlreadyRunning.
TYPED_TEST(ReactorTests, runWhileRunningThrows) {
  auto& r = this->reactor;
  bool threw = false;
  r.callWhenRunning([&] {
    try {
      r.run(false);
    } catch (const tw::error::ReactorAlreadyRunning&) {
      threw = true;
    }
    r.stop();
  });
  this->runBounded();
  EXPECT_TRUE(threw);
}

// crash() stops at once without the shutdown event, and the reactor can run again.
TYPED_TEST(ReactorTests, crashSkipsShutdownAndAllowsAnotherRun) {
  auto& r = this->reactor;
  int shutdowns = 0;
  int runs = 0;
  r.addSystemEventTrigger("before", "shutdown", [&] { ++shutdowns; });
  r.callWhenRunning([&] {
    ++runs;
    r.crash();
  });
  this->runBounded();
  EXPECT_FALSE(r.running());
  EXPECT_EQ(shutdowns, 0);
  r.callWhenRunning([&] {
    ++runs;
    EXPECT_TRUE(r.running());
    r.stop();
  });
  this->runBounded();
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(shutdowns, 1);
}

// callWhenRunning: before run(), after startup; while running, at once.
TYPED_TEST(ReactorTests, callWhenRunning) {
  auto& r = this->reactor;
  std::vector<std::string> order;
  r.addSystemEventTrigger("during", "startup", [&] { order.push_back("during startup"); });
  auto id = r.callWhenRunning([&] {
    order.push_back("when running");
    EXPECT_TRUE(r.running());
    auto none = r.callWhenRunning([&] { order.push_back("at once"); });
    EXPECT_FALSE(none.has_value());
    order.push_back("after at once");
    r.stop();
  });
  EXPECT_TRUE(id.has_value());
  EXPECT_FALSE(r.running());
  this->runBounded();
  EXPECT_EQ(order, (std::vector<std::string>{"during startup", "when running", "at once",
                                             "after at once"}));
}

// --- system events -------------------------------------------------------------------------------

// Triggers run before, then during, then after; each once.
TYPED_TEST(ReactorTests, systemEventPhasesRunInOrder) {
  auto& r = this->reactor;
  std::vector<std::string> order;
  r.addSystemEventTrigger("after", "custom", [&] { order.push_back("after"); });
  r.addSystemEventTrigger("during", "custom", [&] { order.push_back("during"); });
  r.addSystemEventTrigger("before", "custom", [&] { order.push_back("before1"); });
  r.addSystemEventTrigger("before", "custom", [&] { order.push_back("before2"); });
  r.fireSystemEvent("custom");
  EXPECT_EQ(order, (std::vector<std::string>{"before1", "before2", "during", "after"}));
  r.fireSystemEvent("custom");  // triggers are consumed
  EXPECT_EQ(order.size(), 4u);
  EXPECT_THROW(r.addSystemEventTrigger("sometime", "custom", [] {}), std::invalid_argument);
}

// A removed trigger does not run; removing an unknown one throws.
TYPED_TEST(ReactorTests, removeSystemEventTrigger) {
  auto& r = this->reactor;
  int runs = 0;
  auto id = r.addSystemEventTrigger("during", "custom", [&] { ++runs; });
  r.removeSystemEventTrigger(id);
  r.fireSystemEvent("custom");
  EXPECT_EQ(runs, 0);
  EXPECT_THROW(r.removeSystemEventTrigger(id), std::invalid_argument);
}

// Shutdown waits for a "before" trigger's Deferred: the loop keeps running (timers fire) until
// it fires, then "during" and "after" run and run() returns.
TYPED_TEST(ReactorTests, shutdownWaitsForBeforeTriggerDeferred) {
  auto& r = this->reactor;
  std::vector<std::string> order;
  r.addSystemEventTrigger("before", "shutdown", [&]() -> tw::Deferred<void> {
    order.push_back("before");
    tw::Deferred<void> d;
    r.callLater(30ms, [&order, d]() mutable {
      order.push_back("fired");
      d.callback();
    });
    return d;
  });
  r.addSystemEventTrigger("during", "shutdown", [&] { order.push_back("during"); });
  r.addSystemEventTrigger("after", "shutdown", [&] { order.push_back("after"); });
  r.callWhenRunning([&] { r.stop(); });
  this->runBounded();
  EXPECT_EQ(order, (std::vector<std::string>{"before", "fired", "during", "after"}));
}

// A "before startup" trigger's Deferred delays running(): the loop runs (timers fire) but
// callWhenRunning hooks wait until it fires.
TYPED_TEST(ReactorTests, startupWaitsForBeforeTriggerDeferred) {
  auto& r = this->reactor;
  std::vector<std::string> order;
  r.addSystemEventTrigger("before", "startup", [&]() -> tw::Deferred<void> {
    tw::Deferred<void> d;
    r.callLater(20ms, [&order, &r, d]() mutable {
      order.push_back(r.running() ? "running" : "not running");
      d.callback();
    });
    return d;
  });
  r.callWhenRunning([&] {
    order.push_back("when running");
    r.stop();
  });
  this->runBounded();
  EXPECT_EQ(order, (std::vector<std::string>{"not running", "when running"}));
}

// A failing "before" trigger is logged and shutdown goes on.
TYPED_TEST(ReactorTests, failingBeforeTriggerIsLogged) {
  auto& r = this->reactor;
  ExpectedErrors captured;
  bool during = false;
  r.addSystemEventTrigger("before", "shutdown", []() -> tw::Deferred<void> {
    return tw::fail<void>(std::runtime_error("nope"));
  });
  r.addSystemEventTrigger("before", "shutdown", []() { throw std::logic_error("thrown"); });
  r.addSystemEventTrigger("during", "shutdown", [&] { during = true; });
  r.callWhenRunning([&] { r.stop(); });
  this->runBounded();
  EXPECT_TRUE(during);
  EXPECT_EQ(captured.errors().size(), 2u);
}

// --- threads -------------------------------------------------------------------------------------

// callFromThread from another thread wakes the loop and runs the calls in order on the
// reactor's thread.
TYPED_TEST(ReactorTests, callFromThreadRunsInOrderOnReactorThread) {
  auto& r = this->reactor;
  const auto reactorThread = std::this_thread::get_id();
  std::vector<int> seen;
  bool onReactorThread = true;
  std::thread worker;
  r.callWhenRunning([&] {
    worker = std::thread([&] {
      for (int i = 0; i < 100; ++i) {
        r.callFromThread([&, i] {
          onReactorThread = onReactorThread && std::this_thread::get_id() == reactorThread;
          seen.push_back(i);
          if (i == 99) r.stop();
        });
      }
    });
  });
  this->runBounded();
  worker.join();
  EXPECT_TRUE(onReactorThread);
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[i], i);
}

// A thread call queued while the loop waits without a timer wakes it up.
TYPED_TEST(ReactorTests, callFromThreadWakesAnIdleLoop) {
  auto& r = this->reactor;
  std::thread worker;
  r.callWhenRunning([&] {
    worker = std::thread([&] {
      std::this_thread::sleep_for(20ms);
      r.callFromThread([&] { r.stop(); });
    });
  });
  this->runBounded(5s);
  worker.join();
}

// Contract step 1: a thread call queued by a thread call runs in the next iteration.
TYPED_TEST(ReactorTests, threadCallQueuedByThreadCallRunsNextIteration) {
  auto& r = this->reactor;
  int stage = 0;
  r.callFromThread([&] {
    stage = 1;
    r.callFromThread([&] { stage = 2; });
  });
  r.iterate();
  EXPECT_EQ(stage, 1);
  r.iterate();
  EXPECT_EQ(stage, 2);
}

// An exception thrown by a thread call is logged; the calls after it still run.
TYPED_TEST(ReactorTests, throwingThreadCallIsLogged) {
  auto& r = this->reactor;
  ExpectedErrors captured;
  bool after = false;
  r.callFromThread([] { throw std::runtime_error("from a thread call"); });
  r.callFromThread([&] { after = true; });
  r.iterate();
  EXPECT_TRUE(after);
  EXPECT_EQ(captured.errors().size(), 1u);
}

// iterate(delay) with nothing to do returns by the next timer, not after the whole delay.
TYPED_TEST(ReactorTests, iterateReturnsByTheNextTimer) {
  auto& r = this->reactor;
  bool ran = false;
  r.callLater(20ms, [&] { ran = true; });
  const double start = r.seconds();
  r.iterate(5s);
  EXPECT_LT(r.seconds() - start, 2.0);
  r.iterate();
  EXPECT_TRUE(ran);
}

// --- descriptors ---------------------------------------------------------------------------------

// addWriter/addReader on a pipe: bytes written when writable arrive at the reader; end of file
// removes the reader and calls connectionLost with ConnectionDone.
TYPED_TEST(ReactorTests, readerAndWriterOnAPipe) {
  auto& r = this->reactor;
  Pipe pipe;
  PipeReader reader(pipe.readEnd);
  PipeWriter writer(r, pipe.writeEnd, "hello, pipe");
  r.addReader(reader);
  r.addWriter(writer);
  EXPECT_EQ(r.getReaders().size(), 1u);
  EXPECT_EQ(r.getWriters().size(), 1u);
  reader.onRead = [&] {
    if (reader.received == "hello, pipe") {
      ::close(pipe.writeEnd);
      pipe.writeEnd = -1;
    }
  };
  reader.onLost = [&] { r.stop(); };
  this->runBounded();
  EXPECT_EQ(reader.received, "hello, pipe");
  EXPECT_GE(writer.writes, 1);
  ASSERT_TRUE(reader.lost.has_value());
  EXPECT_TRUE(reader.lost->check<tw::error::ConnectionDone>());
  EXPECT_TRUE(r.getReaders().empty());
  EXPECT_TRUE(r.getWriters().empty());
}

// iterate() dispatches I/O that is ready.
TYPED_TEST(ReactorTests, iterateDispatchesReadyIO) {
  auto& r = this->reactor;
  Pipe pipe;
  PipeReader reader(pipe.readEnd);
  r.addReader(reader);
  r.iterate();
  EXPECT_EQ(reader.received, "");
  ASSERT_EQ(::write(pipe.writeEnd, "ab", 2), 2);
  r.iterate(1s);
  EXPECT_EQ(reader.received, "ab");
  r.removeReader(reader);
  ASSERT_EQ(::write(pipe.writeEnd, "cd", 2), 2);
  r.iterate();
  EXPECT_EQ(reader.received, "ab");
}

// Adding twice is a no-op; removeAll returns each descriptor once and unwatches it.
TYPED_TEST(ReactorTests, removeAllReturnsEachDescriptorOnce) {
  auto& r = this->reactor;
  Pipe pipe;
  PipeReader reader(pipe.readEnd);
  PipeWriter writer(r, pipe.writeEnd, "x");
  r.addReader(reader);
  r.addReader(reader);
  r.addWriter(writer);
  EXPECT_EQ(r.getReaders().size(), 1u);
  auto all = r.removeAll();
  EXPECT_EQ(all.size(), 2u);
  EXPECT_TRUE(r.getReaders().empty());
  EXPECT_TRUE(r.getWriters().empty());
  r.removeReader(reader);  // no-op
}

// A descriptor whose doRead throws is logged, removed and told connectionLost; others go on.
TYPED_TEST(ReactorTests, throwingDescriptorIsDroppedAndLogged) {
  auto& r = this->reactor;
  ExpectedErrors captured;
  Pipe bad;
  Pipe good;
  PipeReader badReader(bad.readEnd);
  PipeReader goodReader(good.readEnd);
  badReader.onRead = [] { throw std::runtime_error("bad reader"); };
  goodReader.onRead = [&] { r.stop(); };
  r.addReader(badReader);
  r.addReader(goodReader);
  ASSERT_EQ(::write(bad.writeEnd, "1", 1), 1);
  r.callLater(20ms, [&] { ASSERT_EQ(::write(good.writeEnd, "2", 1), 1); });
  this->runBounded();
  ASSERT_TRUE(badReader.lost.has_value());
  EXPECT_TRUE(badReader.lost->check<std::runtime_error>());
  EXPECT_EQ(goodReader.received, "2");
  EXPECT_FALSE(captured.errors().empty());
  EXPECT_EQ(r.getReaders().size(), 0u);  // the good one was removed by shutdown
}

// Shutdown disconnects the descriptors still watched, with ConnectionLost.
TYPED_TEST(ReactorTests, shutdownDisconnectsDescriptors) {
  auto& r = this->reactor;
  Pipe pipe;
  PipeReader reader(pipe.readEnd);
  r.addReader(reader);
  r.callWhenRunning([&] { r.stop(); });
  this->runBounded();
  ASSERT_TRUE(reader.lost.has_value());
  EXPECT_TRUE(reader.lost->check<tw::error::ConnectionLost>());
  EXPECT_TRUE(r.getReaders().empty());
}

// --- signals -------------------------------------------------------------------------------------

// SIGINT while run() has its handlers installed stops the reactor in order (shutdown runs).
TYPED_TEST(ReactorTests, sigintStopsTheReactor) {
  auto& r = this->reactor;
  bool shutdown = false;
  r.addSystemEventTrigger("during", "shutdown", [&] { shutdown = true; });
  r.callLater(10ms, [] { std::raise(SIGINT); });
  this->runBounded(5s, true);
  EXPECT_TRUE(shutdown);
  // The previous (default) handler is back.
  struct sigaction now {};
  ::sigaction(SIGINT, nullptr, &now);
  EXPECT_EQ(now.sa_handler, SIG_DFL);
}

// --- resolve -------------------------------------------------------------------------------------

// resolve() answers a literal at once, and a name later, from the reactor's thread pool (the
// loop never waits for getaddrinfo).
TYPED_TEST(ReactorTests, resolveLiteralAndLocalhost) {
  auto& r = this->reactor;
  std::string got;
  r.resolve("127.0.0.1", 1s).addCallback([&](std::string a) { got = a; });
  EXPECT_EQ(got, "127.0.0.1");
  got.clear();
  r.resolve("localhost", 5s).addCallback([&](std::string a) {
    got = a;
    r.stop();
  });
  EXPECT_EQ(got, "");
  this->runBounded();
  EXPECT_EQ(got, "127.0.0.1");
}

}  // namespace
