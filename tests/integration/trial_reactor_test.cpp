/// @file
/// Tests of TW_REACTOR_TEST and ReactorTestCase: a real round trip on 127.0.0.1 awaited by a
/// coroutine test, real timers, the wall-clock timeout and the janitor on a real reactor.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "tw/address.hpp"
#include "tw/defer_later.hpp"
#include "tw/factory.hpp"
#include "tw/protocol.hpp"
#include "tw/threads.hpp"
#include "tw/trial/reactor_test_case.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class Echo : public tw::Protocol {
 public:
  void dataReceived(std::string_view data) override { transport()->write(data); }
};

// Sends a greeting once connected; `echoed` fires with what comes back.
class Greeter : public tw::Protocol {
 public:
  void connectionMade() override { transport()->write("hello"); }
  void dataReceived(std::string_view data) override {
    received += data;
    if (received.size() == 5) {
      transport()->loseConnection();
      echoed.callback(received);
    }
  }
  std::string received;
  tw::Deferred<std::string> echoed;
};

class GreeterFactory : public tw::ClientFactory {
 public:
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress&) override {
    greeter = std::make_shared<Greeter>();
    built.callback();
    return greeter;
  }
  std::shared_ptr<Greeter> greeter;
  tw::Deferred<void> built;
};

int portOf(const tw::IListeningPort& port) {
  return dynamic_cast<const tw::IPv4Address&>(*port.getHost()).port();
}

// A coroutine test on a real reactor: listen, connect, await the echo, clean up.
TW_REACTOR_TEST(TrialReactorTests, echoRoundTripOnLoopback) {
  setTimeout(10s);
  auto port = reactor().listenTCP(0, tw::Factory::forProtocol<Echo>(), 50, "127.0.0.1");
  addCleanup([port] { return port->stopListening(); });
  auto factory = std::make_shared<GreeterFactory>();
  reactor().connectTCP("127.0.0.1", portOf(*port), factory);
  co_await factory->built;
  std::string echoed = co_await factory->greeter->echoed;
  EXPECT_EQ(echoed, "hello");
  // Let the close reach both ends before the janitor looks.
  co_await tw::deferLater(reactor(), 50ms, [] {});
}

// Real timers: a deferLater of 30 ms takes at least 30 ms of the monotonic clock.
TW_REACTOR_TEST(TrialReactorTests, realTimePasses) {
  const double start = reactor().seconds();
  co_await tw::deferLater(reactor(), 30ms, [] {});
  EXPECT_GE(reactor().seconds() - start, 0.03);
}

// Runs one case through twRun and returns the failures it reported.
class Probe : public tw::trial::ReactorTestCase {
 public:
  void TestBody() override {}
  std::vector<std::string> run(const std::function<tw::Deferred<void>()>& body) {
    ::testing::TestPartResultArray results;
    {
      ::testing::ScopedFakeTestPartResultReporter capture(
          ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
      twRun(body);
    }
    std::vector<std::string> out;
    for (int i = 0; i < results.size(); ++i) {
      if (results.GetTestPartResult(i).failed()) {
        out.push_back(results.GetTestPartResult(i).message());
      }
    }
    return out;
  }
};

// A Deferred that never fires times out in wall-clock time, with the chain it waits on.
TEST(TrialReactorTests, timeoutNamesWhatTheTestWaitsOn) {
  Probe p;
  p.setTimeout(200ms);
  tw::Deferred<void> never;
  const int created = __LINE__ - 1;
  auto failures = p.run([never] { return never; });
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_THAT(failures[0], HasSubstr("timed out after 0.2 s (wall clock) on the epoll reactor"));
  EXPECT_THAT(failures[0], HasSubstr(std::string(__FILE__) + ":" + std::to_string(created)));
}

// The janitor names a listening port and a pending call left on the real reactor, and cleans
// them up (the port's socket is closed: the reactor watches nothing afterwards).
TEST(TrialReactorTests, janitorNamesLeftovers) {
  Probe p;
  int line = 0;
  auto failures = p.run([&p, &line] {
    line = __LINE__ + 1;
    p.reactor().listenTCP(0, tw::Factory::forProtocol<Echo>(), 50, "127.0.0.1");
    p.reactor().callLater(30s, [] {});
    return tw::succeed();
  });
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_THAT(failures[0], HasSubstr("Reactor was unclean after the test:"));
  EXPECT_THAT(failures[0], HasSubstr("pending delayed call: <DelayedCall"));
  EXPECT_THAT(failures[0], HasSubstr(std::string(__FILE__)));
  EXPECT_THAT(failures[0], HasSubstr("still watched: TCPPort"));
  EXPECT_THAT(failures[0],
              HasSubstr("(made at " + std::string(__FILE__) + ":" + std::to_string(line) + ")"));
  EXPECT_TRUE(p.reactor().getReaders().empty());
  EXPECT_TRUE(p.reactor().getDelayedCalls().empty());
}

// The janitor names the reactor's thread-pool work a test left running or queued, with where
// each job was submitted; it waits for the jobs, so nothing runs into the next test.
TEST(TrialReactorTests, janitorNamesThreadPoolJobs) {
  Probe p;
  int runningLine = 0, queuedLine = 0;
  std::atomic<bool> finished{false};
  auto failures = p.run([&] {
    p.reactor().suggestThreadPoolSize(1);
    runningLine = __LINE__ + 1;
    p.reactor().callInThread([&finished] {
      std::this_thread::sleep_for(200ms);
      finished = true;
    });
    queuedLine = __LINE__ + 1;
    tw::deferToThread(p.reactor(), [] { return 1; });
    // Fire after the pool started (the runner starts it while it turns the reactor).
    return tw::deferLater(p.reactor(), 20ms);
  });
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_THAT(failures[0], HasSubstr("Reactor was unclean after the test:"));
  EXPECT_THAT(failures[0], HasSubstr("thread-pool job still running (submitted at " +
                                     std::string(__FILE__) + ":" + std::to_string(runningLine)));
  EXPECT_THAT(failures[0], HasSubstr("thread-pool job still queued (submitted at " +
                                     std::string(__FILE__) + ":" + std::to_string(queuedLine)));
  EXPECT_TRUE(finished);
  EXPECT_TRUE(p.reactor().threadpool()->jobs().empty());
}

// A TW_REACTOR_TEST may await work on the reactor's pool: the runner starts the pool, and a
// test that waited for its jobs leaves nothing behind.
TW_REACTOR_TEST(TrialReactorTests, awaitsDeferToThread) {
  const std::thread::id testThread = std::this_thread::get_id();
  std::thread::id jobThread;
  int got = co_await tw::deferToThread(reactor(), [&jobThread] {
    jobThread = std::this_thread::get_id();
    return 6 * 7;
  });
  EXPECT_EQ(got, 42);
  EXPECT_NE(jobThread, testThread);
  EXPECT_EQ(std::this_thread::get_id(), testThread);
}

}  // namespace
