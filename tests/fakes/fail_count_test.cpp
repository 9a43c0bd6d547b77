/// @file
/// Tests of FailCount and fault injection through FakeTransport and ConnectionCompleter: every
/// failure point of an exchange is visited, and each is reported once, cleanly.
/// Twisted: none (Beast's test::fail_count is the model).
#include "tw/fakes/fail_count.hpp"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/error.hpp"
#include "tw/factory.hpp"
#include "tw/fakes/iosim.hpp"
#include "tw/fakes/memory_reactor.hpp"
#include "tw/line_receiver.hpp"

namespace {

// FailCount(n) lets n operations through, then fails every one.
TEST(FailCountTests, failsFromTheNthOperationOn) {
  tw::fakes::FailCount fc(2);
  EXPECT_FALSE(fc.fail());
  EXPECT_FALSE(fc.fail());
  EXPECT_FALSE(fc.failed());
  EXPECT_TRUE(fc.fail());
  EXPECT_TRUE(fc.fail());
  EXPECT_TRUE(fc.failed());
  EXPECT_EQ(fc.count(), 4u);
}

// check() throws the error (ConnectionLost by default, or the given one).
TEST(FailCountTests, checkThrowsTheError) {
  tw::fakes::FailCount byDefault(0);
  EXPECT_THROW(byDefault.check(), tw::error::ConnectionLost);
  tw::fakes::FailCount custom(0, std::make_exception_ptr(std::runtime_error("disk")));
  EXPECT_THROW(custom.check(), std::runtime_error);
}

// A line-based request/response exchange: the client sends three requests after the greeting,
// the server answers each; both record how the connection ended.
class Server : public tw::LineReceiver {
 public:
  void connectionMade() override { sendLine("ready"); }
  void lineReceived(std::string_view line) override { sendLine("ok " + std::string(line)); }
  void connectionLost(const tw::Failure& r) override {
    lost.push_back(r);
    LineReceiver::connectionLost(r);
  }
  std::vector<tw::Failure> lost;
};

class Client : public tw::LineReceiver {
 public:
  void lineReceived(std::string_view line) override {
    if (line == "ready") {
      sendLine("a");
      sendLine("b");
      sendLine("c");
    } else if (++answers == 3) {
      transport()->loseConnection();
    }
  }
  void connectionLost(const tw::Failure& r) override {
    lost.push_back(r);
    LineReceiver::connectionLost(r);
  }
  int answers = 0;
  std::vector<tw::Failure> lost;
};

// Runs the exchange with writes failing from the nth on; returns the FailCount.
struct ExchangeResult {
  std::shared_ptr<Client> client;
  std::shared_ptr<Server> server;
  bool failed;
  std::size_t writes;
};
ExchangeResult exchange(std::size_t n) {
  tw::fakes::FailCount fc(n);
  auto c = tw::fakes::connectedServerAndClient<Server, Client>(false);
  c.clientTransport().setFailCount(&fc);
  c.serverTransport().setFailCount(&fc);
  c.pump.flush();
  return {c.client, c.server, fc.failed(), fc.count()};
}

// Looping N over every write of the exchange: at each N the failure is reported exactly once
// to each side (both with ConnectionLost), nothing crashes or leaks (ASan), and once N passes
// the number of writes the exchange completes cleanly.
TEST(FailCountTests, everyWriteFailurePointIsReportedOnce) {
  const std::size_t writes = exchange(SIZE_MAX).writes;
  ASSERT_GT(writes, 3u);
  for (std::size_t n = 0; n <= writes; ++n) {
    ExchangeResult r = exchange(n);
    ASSERT_EQ(r.client->lost.size(), 1u) << "n=" << n;
    ASSERT_EQ(r.server->lost.size(), 1u) << "n=" << n;
    if (n == writes) {
      EXPECT_FALSE(r.failed);
      EXPECT_EQ(r.client->answers, 3);
      EXPECT_TRUE(r.client->lost[0].check<tw::error::ConnectionDone>());
      EXPECT_TRUE(r.server->lost[0].check<tw::error::ConnectionDone>());
    } else {
      EXPECT_TRUE(r.failed) << "n=" << n;
      EXPECT_LT(r.client->answers, 3) << "n=" << n;
      EXPECT_TRUE(r.client->lost[0].check<tw::error::ConnectionLost>()) << "n=" << n;
      EXPECT_TRUE(r.server->lost[0].check<tw::error::ConnectionLost>()) << "n=" << n;
    }
  }
}

// A ConnectionCompleter with a FailCount fails the attempts from the Nth on.
TEST(FailCountTests, connectionAttemptsFailFromTheNth) {
  class Factory : public tw::ClientFactory {
   public:
    Factory() {
      setProtocol([] { return std::make_shared<tw::Protocol>(); });
      setNoisy(false);
    }
    void clientConnectionFailed(tw::IConnector&, const tw::Failure& r) override {
      failures.push_back(r);
    }
    std::vector<tw::Failure> failures;
  };
  tw::fakes::MemoryReactorClock reactor;
  auto server = tw::Factory::forProtocol<tw::Protocol>();
  server->setNoisy(false);
  reactor.listenTCP(80, server);
  auto client = std::make_shared<Factory>();
  tw::fakes::FailCount fc(1);
  tw::fakes::ConnectionCompleter completer(reactor, &fc);
  reactor.connectTCP("10.0.0.1", 80, client);
  reactor.connectTCP("10.0.0.1", 80, client);
  auto first = completer.succeedOnce();
  EXPECT_TRUE(first);
  EXPECT_FALSE(completer.succeedOnce());
  ASSERT_EQ(client->failures.size(), 1u);
  EXPECT_TRUE(client->failures[0].check<tw::error::ConnectionLost>());
}

}  // namespace
