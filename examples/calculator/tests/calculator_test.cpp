/// @file
/// Tests of the remote calculator, in the order of Twisted's trial tutorial: the arithmetic, the
/// server through a StringTransport, the client fed with dataReceived, its timeout on a Clock,
/// a lost connection, and client and server together in memory (iosim).
/// Twisted: calculus/test/test_base_*.py, test_remote_*.py, test_client_*.py.
#include "calculator.hpp"

#include <climits>
#include <memory>
#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tw/address.hpp>
#include <tw/defer_later.hpp>
#include <tw/error.hpp>
#include <tw/fakes/clock.hpp>
#include <tw/fakes/iosim.hpp>
#include <tw/fakes/memory_reactor.hpp>
#include <tw/fakes/string_transport.hpp>
#include <tw/trial/assertions.hpp>
#include <tw/trial/matchers.hpp>
#include <tw/trial/test_case.hpp>

using namespace std::chrono_literals;
using calculator::Calculation;
using calculator::CalculationError;
using calculator::CalculatorClient;
using calculator::CalculatorFactory;
using ::testing::HasSubstr;
using tw::trial::FailedWith;
using tw::trial::HasNoResult;
using tw::trial::Succeeded;

// --- the arithmetic (test_base) ---------------------------------------------------------------

// The four operations, as the tutorial's first tests check them.
TEST(CalculationTests, operations) {
  EXPECT_EQ(Calculation::add(3, 8), 11);
  EXPECT_EQ(Calculation::subtract(7, 3), 4);
  EXPECT_EQ(Calculation::multiply(6, 9), 54);
  EXPECT_EQ(Calculation::divide(12, 5), 2);
}

// Division rounds down, as Python's // does in the tutorial.
TEST(CalculationTests, divisionRoundsDown) {
  EXPECT_EQ(Calculation::divide(-7, 2), -4);
  EXPECT_EQ(Calculation::divide(7, -2), -4);
  EXPECT_EQ(Calculation::divide(-7, -2), 3);
  EXPECT_EQ(Calculation::divide(-8, 2), -4);
}

// Division by zero and results that do not fit an int are errors, not undefined behaviour.
TEST(CalculationTests, errors) {
  EXPECT_THROW(Calculation::divide(1, 0), std::domain_error);
  EXPECT_THROW(Calculation::divide(INT_MIN, -1), std::overflow_error);
  EXPECT_THROW(Calculation::add(INT_MAX, 1), std::overflow_error);
  EXPECT_THROW(Calculation::subtract(INT_MIN, 1), std::overflow_error);
  EXPECT_THROW(Calculation::multiply(INT_MAX, 2), std::overflow_error);
}

// --- the server through a StringTransport (test_remote) ---------------------------------------

class CalculatorServerTests : public ::testing::Test {
 protected:
  CalculatorServerTests() {
    proto_ = factory_.buildProtocol(tw::IPv4Address("TCP", "127.0.0.1", 0));
    proto_->makeConnection(tr_);
  }

  /// Sends one request line and returns the answer (without its delimiter).
  std::string ask(const std::string& request) {
    tr_.clear();
    proto_->dataReceived(request + "\r\n");
    std::string answer = tr_.value();
    EXPECT_TRUE(answer.ends_with("\r\n")) << answer;
    return answer.substr(0, answer.size() - 2);
  }

  CalculatorFactory factory_;
  std::shared_ptr<tw::IProtocol> proto_;
  tw::fakes::StringTransport tr_;
};

// The tutorial's first server test: "add 4123 9423" is answered with 13546.
TEST_F(CalculatorServerTests, add) {
  proto_->dataReceived("add 4123 9423\r\n");
  EXPECT_EQ(tr_.value(), "13546\r\n");
}

// Each operation answers with its result.
TEST_F(CalculatorServerTests, operations) {
  EXPECT_EQ(ask("subtract 47 13"), "34");
  EXPECT_EQ(ask("multiply 7 -6"), "-42");
  EXPECT_EQ(ask("divide 84 10"), "8");
}

// Division by zero is answered with an error line; the connection stays usable.
TEST_F(CalculatorServerTests, divisionByZero) {
  EXPECT_EQ(ask("divide 1 0"), "error: division by zero");
  EXPECT_FALSE(tr_.disconnecting());
  EXPECT_EQ(ask("add 1 1"), "2");
}

// Bad input gets an error line saying what is wrong (the tutorial's test_invalidParameters).
TEST_F(CalculatorServerTests, invalidRequests) {
  EXPECT_EQ(ask("add foo bar"), "error: not an integer: 'foo'");
  EXPECT_EQ(ask("add 1 bar"), "error: not an integer: 'bar'");
  EXPECT_EQ(ask("add 1 2x"), "error: not an integer: '2x'");
  EXPECT_EQ(ask("add 99999999999 1"), "error: not an integer: '99999999999'");
  EXPECT_EQ(ask("power 2 10"), "error: unknown operation 'power'");
  EXPECT_EQ(ask("add 1"), "error: expected '<operation> <a> <b>'");
  EXPECT_EQ(ask("add 1 2 3"), "error: expected '<operation> <a> <b>'");
  EXPECT_EQ(ask(""), "error: expected '<operation> <a> <b>'");
  EXPECT_EQ(ask("multiply 2147483647 2"), "error: result out of range");
  EXPECT_FALSE(tr_.disconnecting());
}

// Extra spaces and tabs between the words are accepted.
TEST_F(CalculatorServerTests, whitespace) { EXPECT_EQ(ask("  add\t2   3 "), "5"); }

// Several requests in one chunk, and one request split over chunks, are answered in order.
TEST_F(CalculatorServerTests, requestsInAnyChunks) {
  proto_->dataReceived("add 1 2\r\nmultiply 3 4\r\ndiv");
  EXPECT_EQ(tr_.value(), "3\r\n12\r\n");
  proto_->dataReceived("ide 9 3\r");
  EXPECT_EQ(tr_.value(), "3\r\n12\r\n");
  proto_->dataReceived("\n");
  EXPECT_EQ(tr_.value(), "3\r\n12\r\n3\r\n");
}

// The protocol the factory builds knows its factory.
TEST_F(CalculatorServerTests, builtByItsFactory) {
  auto server = std::dynamic_pointer_cast<calculator::CalculatorServer>(proto_);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->factory(), &factory_);
}

// --- the client, fed with dataReceived (test_client) ------------------------------------------

class CalculatorClientTests : public ::testing::Test {
 protected:
  CalculatorClientTests() {
    tr_.setProtocol(*proto_);
    proto_->makeConnection(tr_);
  }

  tw::fakes::Clock clock_;
  std::shared_ptr<CalculatorClient> proto_ = std::make_shared<CalculatorClient>(clock_);
  tw::fakes::StringTransportWithDisconnection tr_;
};

// An operation sends its request line; the answer fires the Deferred (the tutorial's _test).
TEST_F(CalculatorClientTests, add) {
  tw::Deferred<int> d = proto_->add(7, 6);
  EXPECT_EQ(tr_.value(), "add 7 6\r\n");
  EXPECT_THAT(d, HasNoResult());
  proto_->dataReceived("13\r\n");
  EXPECT_EQ(tw::trial::successResultOf(d), 13);
}

// Each operation sends its own name.
TEST_F(CalculatorClientTests, operations) {
  auto s = proto_->subtract(82, 78);
  auto m = proto_->multiply(2, 8);
  auto q = proto_->divide(14, -3);
  EXPECT_EQ(tr_.value(), "subtract 82 78\r\nmultiply 2 8\r\ndivide 14 -3\r\n");
  proto_->dataReceived("4\r\n16\r\n-5\r\n");
  EXPECT_THAT(s, Succeeded(4));
  EXPECT_THAT(m, Succeeded(16));
  EXPECT_THAT(q, Succeeded(-5));
}

// Answers are matched to requests in order, however the bytes are split.
TEST_F(CalculatorClientTests, answersInOrder) {
  auto first = proto_->add(1, 1);
  auto second = proto_->add(2, 2);
  EXPECT_EQ(proto_->pending(), 2u);
  proto_->dataReceived("2\r");
  EXPECT_THAT(first, HasNoResult());
  proto_->dataReceived("\n4");
  EXPECT_THAT(first, Succeeded(2));
  EXPECT_THAT(second, HasNoResult());
  proto_->dataReceived("\r\n");
  EXPECT_THAT(second, Succeeded(4));
  EXPECT_EQ(proto_->pending(), 0u);
}

// An error line fails that request's Deferred with CalculationError; the next one still works.
TEST_F(CalculatorClientTests, divisionByZero) {
  auto d = proto_->divide(1, 0);
  auto next = proto_->add(1, 2);
  proto_->dataReceived("error: division by zero\r\n3\r\n");
  EXPECT_THAT(d, FailedWith<CalculationError>(HasSubstr("division by zero")));
  EXPECT_THAT(next, Succeeded(3));
}

// A callback may send the next request: it is queued behind the ones still pending.
TEST_F(CalculatorClientTests, requestFromACallback) {
  tw::Deferred<int> chained;
  auto d = proto_->add(2, 3).addCallback([&](int sum) {
    chained = proto_->multiply(sum, 10);
    return sum;
  });
  proto_->dataReceived("5\r\n");
  EXPECT_THAT(d, Succeeded(5));
  EXPECT_EQ(tr_.value(), "add 2 3\r\nmultiply 5 10\r\n");
  proto_->dataReceived("50\r\n");
  EXPECT_THAT(chained, Succeeded(50));
}

// The tutorial's test_timeout: with no answer, the Deferred fails once the timeout passes, and
// the client closes the connection.
TEST_F(CalculatorClientTests, timeout) {
  auto d = proto_->add(9, 4);
  EXPECT_EQ(tr_.value(), "add 9 4\r\n");
  clock_.advance(proto_->answerTimeout() - 1s);
  EXPECT_THAT(d, HasNoResult());
  clock_.advance(1s);
  EXPECT_THAT(d, FailedWith<tw::error::TimeoutError>());
  EXPECT_FALSE(tr_.connected());
  EXPECT_EQ(clock_.pendingCount(), 0u);
}

// An answer restarts the countdown for the requests still waiting; the last one stops it.
TEST_F(CalculatorClientTests, answerRestartsTheTimeout) {
  auto first = proto_->add(1, 1);
  auto second = proto_->add(2, 2);
  clock_.advance(50s);
  proto_->dataReceived("2\r\n");
  clock_.advance(50s);  // 100 s after the requests, 50 s after the last answer
  EXPECT_THAT(second, HasNoResult());
  proto_->dataReceived("4\r\n");
  EXPECT_THAT(first, Succeeded(2));
  EXPECT_THAT(second, Succeeded(4));
  EXPECT_EQ(clock_.pendingCount(), 0u);
  EXPECT_FALSE(proto_->timeoutPending());
}

// The timeout is configurable.
TEST(CalculatorClientTimeoutTests, configurable) {
  tw::fakes::Clock clock;
  auto proto = std::make_shared<CalculatorClient>(clock, 5s);
  tw::fakes::StringTransportWithDisconnection tr;
  tr.setProtocol(*proto);
  proto->makeConnection(tr);
  auto d = proto->add(1, 2);
  clock.advance(5s);
  EXPECT_THAT(d, FailedWith<tw::error::TimeoutError>());
}

// A connection closed before the answers fails every pending Deferred with the reason.
TEST_F(CalculatorClientTests, connectionLost) {
  auto first = proto_->add(1, 1);
  auto second = proto_->multiply(2, 2);
  tr_.loseConnection();
  EXPECT_THAT(first, FailedWith<tw::error::ConnectionDone>());
  EXPECT_THAT(second, FailedWith<tw::error::ConnectionDone>());
  EXPECT_EQ(clock_.pendingCount(), 0u);
}

// An aborted connection fails them with ConnectionLost (ConnectionAborted is one).
TEST_F(CalculatorClientTests, connectionAborted) {
  auto d = proto_->add(1, 1);
  tr_.abortConnection();
  EXPECT_THAT(d, FailedWith<tw::error::ConnectionLost>());
}

// After the connection is gone, an operation fails at once and sends nothing.
TEST_F(CalculatorClientTests, operationAfterDisconnect) {
  tr_.loseConnection();
  tr_.clear();
  auto d = proto_->add(1, 1);
  EXPECT_THAT(d, FailedWith<tw::error::ConnectionDone>());
  EXPECT_EQ(tr_.value(), "");
}

// An answer nobody asked for closes the connection.
TEST_F(CalculatorClientTests, unexpectedAnswer) {
  proto_->dataReceived("42\r\n");
  EXPECT_FALSE(tr_.connected());
}

// An answer that is no number fails the request with CalculationError.
TEST_F(CalculatorClientTests, garbledAnswer) {
  auto d = proto_->add(1, 1);
  proto_->dataReceived("two\r\n");
  EXPECT_THAT(d, FailedWith<CalculationError>(HasSubstr("two")));
}

// The tutorial's style: a trial test returns the Deferred, with the check as its callback.  The
// runner waits for it in virtual time, on the test's own clock.
TW_TEST(CalculatorTrialTests, addReturnsDeferred) {
  auto proto = std::make_shared<CalculatorClient>(clock());
  auto tr = std::make_shared<tw::fakes::StringTransport>();
  proto->makeConnection(*tr);
  tw::Deferred<void> d = proto->add(3, 8).addCallback([proto, tr](int sum) { EXPECT_EQ(sum, 11); });
  proto->dataReceived("11\r\n");
  return d;
}

// The timeout in a trial test: the runner moves the virtual clock to the timeout, and the test
// checks the failure with assertFailure (the tutorial's `return self.assertFailure(d, ...)`).
TW_TEST(CalculatorTrialTests, timeoutInVirtualTime) {
  auto proto = std::make_shared<CalculatorClient>(clock());
  auto tr = std::make_shared<tw::fakes::StringTransportWithDisconnection>();
  tr->setProtocol(*proto);
  proto->makeConnection(*tr);
  double start = clock().seconds();
  return tw::trial::assertFailure<tw::error::TimeoutError>(proto->add(9, 4))
      .addCallback([this, start, proto, tr](std::exception_ptr) {
        EXPECT_EQ(clock().seconds() - start, 60.0);
        EXPECT_FALSE(tr->connected());
      });
}

// The client in a coroutine: the code reads in sequence, each co_await waiting in virtual
// time.  The "network" here moves the bytes both ways 5 ms after it is asked to
// (tw::deferLater on the test's clock), so the runner moves the clock 5 ms per round trip.
TW_TEST(CalculatorTrialTests, coroutineClient) {
  auto pair = tw::fakes::connectedServerAndClient(
      [] { return std::make_shared<calculator::CalculatorServer>(); },
      [this] { return std::make_shared<CalculatorClient>(clock()); });
  auto network = [this, pump = pair.pump] {
    return tw::deferLater(clock(), 5ms, [pump]() mutable { pump.flush(); });
  };
  double start = clock().seconds();

  auto sum = pair.client->add(2, 3);
  co_await network();
  int total = co_await sum;
  auto product = pair.client->multiply(total, 4);
  co_await network();
  total = co_await product;
  EXPECT_EQ(total, 20);
  EXPECT_NEAR(clock().seconds() - start, 0.010, 1e-9);

  auto quotient = pair.client->divide(total, 0);
  co_await network();
  try {
    co_await quotient;
    ADD_FAILURE() << "division by zero succeeded";
  } catch (const CalculationError& e) {
    EXPECT_STREQ(e.what(), "error: division by zero");
  }
}

// --- client and server together, in memory (iosim) --------------------------------------------

// A real client talks to a real server through an in-memory connection.
TEST(CalculatorLoopbackTests, clientAndServer) {
  tw::fakes::Clock clock;
  CalculatorFactory factory;
  auto pair = tw::fakes::connectedServerAndClient(
      [&] {
        return std::dynamic_pointer_cast<calculator::CalculatorServer>(
            factory.buildProtocol(tw::IPv4Address("TCP", "127.0.0.1", 0)));
      },
      [&] { return std::make_shared<CalculatorClient>(clock); });
  auto sum = pair.client->add(4123, 9423);
  auto quotient = pair.client->divide(-7, 2);
  auto byZero = pair.client->divide(1, 0);
  EXPECT_THAT(sum, HasNoResult());
  pair.pump.flush();
  EXPECT_THAT(sum, Succeeded(13546));
  EXPECT_THAT(quotient, Succeeded(-4));
  EXPECT_THAT(byZero, FailedWith<CalculationError>(HasSubstr("division by zero")));

  // The client closes; both ends see a clean close, and nothing is left on the clock.
  auto late = pair.client->add(1, 1);
  pair.clientTransport().loseConnection();
  pair.pump.flush();
  EXPECT_THAT(late, FailedWith<tw::error::ConnectionDone>());
  EXPECT_FALSE(pair.server->connected());
  EXPECT_EQ(clock.pendingCount(), 0u);
}

// A server that closes the connection fails the client's pending requests.
TEST(CalculatorLoopbackTests, serverCloses) {
  tw::fakes::Clock clock;
  auto pair = tw::fakes::connectedServerAndClient(
      [] { return std::make_shared<calculator::CalculatorServer>(); },
      [&] { return std::make_shared<CalculatorClient>(clock); });
  pair.serverTransport().loseConnection();
  auto d = pair.client->add(1, 1);
  pair.pump.flush();
  EXPECT_THAT(d, FailedWith<tw::error::ConnectionDone>());
  EXPECT_FALSE(pair.client->connected());
}

// The client factory builds clients that time out as configured, and know their factory.
TEST(CalculatorClientFactoryTests, buildsClients) {
  tw::fakes::Clock clock;
  calculator::CalculatorClientFactory factory(clock, 5s);
  auto client = std::dynamic_pointer_cast<CalculatorClient>(
      factory.buildProtocol(tw::IPv4Address("TCP", "127.0.0.1", 0)));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->answerTimeout(), 5s);
  EXPECT_EQ(&client->clock(), &clock);
  EXPECT_EQ(client->factory(), &factory);
}

// The way a program is written — listenTCP and connectTCP with the two factories — on the
// test's own MemoryReactorClock, whose connection attempt a ConnectionCompleter joins to the
// listener in memory.  The test closes the connection and stops listening: the janitor would
// fail it for a port left listening.
TW_TEST(CalculatorTrialTests, throughTheTestReactor) {
  auto port = reactor().listenTCP(8123, std::make_shared<CalculatorFactory>());
  reactor().connectTCP("127.0.0.1", 8123,
                       std::make_shared<calculator::CalculatorClientFactory>(clock()));
  tw::fakes::ConnectionCompleter completer(reactor());
  std::optional<tw::fakes::IOPump> pump = completer.succeedOnce(&clock());
  EXPECT_TRUE(pump.has_value());
  if (!pump) return tw::succeed();
  auto client = std::dynamic_pointer_cast<CalculatorClient>(pump->client());
  auto product = client->multiply(6, 7);
  pump->flush();
  return product.addCallback([pump, port](int value) mutable {
    EXPECT_EQ(value, 42);
    pump->clientIO().loseConnection();
    pump->flush();
    return port->stopListening();
  });
}
