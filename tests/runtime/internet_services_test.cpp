/// @file
/// Tests for TCPServer, TimerService, StreamServerEndpointService, ClientService and
/// backoffPolicy, on MemoryReactorClock and fake endpoints.
/// Twisted: twisted.application.test.test_internet, twisted.test.test_application.
#include "tw/internet_services.hpp"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "result_helpers.hpp"
#include "tw/address.hpp"
#include "tw/deferred_errors.hpp"
#include "tw/error.hpp"
#include "tw/factory.hpp"
#include "tw/fakes/accumulating_protocol.hpp"
#include "tw/fakes/memory_reactor.hpp"
#include "tw/fakes/string_transport.hpp"
#include "tw/logger.hpp"

namespace {

using namespace std::chrono_literals;
using tw::ClientService;
using tw::Deferred;
using tw::Failure;
using tw::IListeningPort;
using tw::IProtocol;
using tw::IProtocolFactory;
using tw::StreamServerEndpointService;
using tw::TCPServer;
using tw::TimerService;
using tw::fakes::AccumulatingFactory;
using tw::fakes::AccumulatingProtocol;
using tw::fakes::FakePort;
using tw::fakes::MemoryReactorClock;
using tw::fakes::StringTransportWithDisconnection;
using tw::test::assertNoResult;
using tw::test::ExpectNoLoggedErrors;
using tw::test::failureResultOf;
using tw::test::successResultOf;

// --- TCPServer ---------------------------------------------------------------------------------

// Twisted: test_application.InternetTests.testPrivileged, test_internet (SVC-04)
TEST(TCPServerTests, privilegedStartListensOnce) {
  MemoryReactorClock reactor;
  auto factory = std::make_shared<tw::Factory>();
  TCPServer server(reactor, 1234, factory, 7, "127.0.0.1");
  server.privilegedStartService();
  ASSERT_EQ(reactor.tcpServers().size(), 1u);
  EXPECT_EQ(reactor.tcpServers()[0].port, 1234);
  EXPECT_EQ(reactor.tcpServers()[0].backlog, 7);
  EXPECT_EQ(reactor.tcpServers()[0].interface, "127.0.0.1");
  server.startService();
  EXPECT_EQ(reactor.tcpServers().size(), 1u);
  EXPECT_TRUE(server.running());
  EXPECT_NE(server.port(), nullptr);
}

// startService alone listens; stopService stops listening and forgets the port.
TEST(TCPServerTests, startListensStopStopsListening) {
  MemoryReactorClock reactor;
  TCPServer server(reactor, 0, std::make_shared<tw::Factory>());
  server.startService();
  ASSERT_EQ(reactor.tcpServers().size(), 1u);
  auto port = std::dynamic_pointer_cast<FakePort>(server.port());
  ASSERT_NE(port, nullptr);
  port->startListening();
  successResultOf(server.stopService());
  EXPECT_FALSE(port->listening());
  EXPECT_FALSE(server.running());
  EXPECT_EQ(server.port(), nullptr);
  // Started again, it listens again.
  server.startService();
  EXPECT_EQ(reactor.tcpServers().size(), 2u);
}

// --- TimerService ------------------------------------------------------------------------------

// Twisted: test_application.TimerTests.testTimerRuns (SVC-03): called at once, then every step.
TEST(TimerServiceTests, callsAtOnceThenEveryStep) {
  MemoryReactorClock clock;
  int calls = 0;
  TimerService timer(clock, 2s, [&] { ++calls; });
  timer.startService();
  EXPECT_EQ(calls, 1);
  clock.advance(2s);
  EXPECT_EQ(calls, 2);
  clock.advance(2s);
  EXPECT_EQ(calls, 3);
  successResultOf(timer.stopService());
  EXPECT_FALSE(timer.running());
  clock.advance(10s);
  EXPECT_EQ(calls, 3);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// Twisted: test_internet.TimerServiceTests.test_stopServiceWaits: stop waits for the call
// in progress.
TEST(TimerServiceTests, stopWaitsForTheRunningCall) {
  MemoryReactorClock clock;
  std::optional<Deferred<void>> inProgress;
  TimerService timer(clock, 1s, [&] {
    inProgress = Deferred<void>();
    return *inProgress;
  });
  timer.startService();
  ASSERT_TRUE(inProgress.has_value());
  Deferred<void> stopped = timer.stopService();
  assertNoResult(stopped);
  EXPECT_TRUE(timer.running());
  inProgress->callback();
  successResultOf(stopped);
  EXPECT_FALSE(timer.running());
}

// Twisted: test_application.TimerTests.testTimerRestart: a stopped timer starts again.
TEST(TimerServiceTests, restart) {
  MemoryReactorClock clock;
  int calls = 0;
  TimerService timer(clock, 1s, [&] { ++calls; });
  timer.startService();
  successResultOf(timer.stopService());
  timer.startService();
  EXPECT_EQ(calls, 2);
  clock.advance(1s);
  EXPECT_EQ(calls, 3);
  successResultOf(timer.stopService());
}

// Twisted: test_internet.TimerServiceTests.test_failedCallLogsError: a failing call is logged
// and ends the loop; stopService still fires.
TEST(TimerServiceTests, failingCallIsLoggedAndStopsTheLoop) {
  MemoryReactorClock clock;
  int calls = 0;
  TimerService timer(clock, 1s, [&] {
    ++calls;
    throw std::runtime_error("timer broke");
  });
  tw::LogCapture capture;
  timer.startService();
  auto errors = capture.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].format().find("timer broke"), std::string::npos);
  clock.advance(5s);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(timer.running());
  successResultOf(timer.stopService());
  EXPECT_FALSE(timer.running());
}

// Destroying a running TimerService cancels its timer quietly.
TEST(TimerServiceTests, destroyedWhileRunningIsQuiet) {
  MemoryReactorClock clock;
  int calls = 0;
  ExpectNoLoggedErrors noErrors;
  {
    TimerService timer(clock, 1s, [&] { ++calls; });
    timer.startService();
    EXPECT_EQ(clock.getDelayedCalls().size(), 1u);
  }
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  clock.advance(5s);
  EXPECT_EQ(calls, 1);
}

// --- StreamServerEndpointService ---------------------------------------------------------------

/// A server endpoint whose listen Deferreds the test fires.
class FakeServerEndpoint : public tw::IStreamServerEndpoint {
 public:
  Deferred<std::shared_ptr<IListeningPort>> listen(
      std::shared_ptr<IProtocolFactory> factory) override {
    factories.push_back(std::move(factory));
    if (failWith) return tw::fail<std::shared_ptr<IListeningPort>>(*failWith);
    Deferred<std::shared_ptr<IListeningPort>> d(
        [this](Deferred<std::shared_ptr<IListeningPort>>&) { ++cancelled; });
    pending.push_back(d);
    return d;
  }
  std::vector<std::shared_ptr<IProtocolFactory>> factories;
  std::vector<Deferred<std::shared_ptr<IListeningPort>>> pending;
  std::optional<Failure> failWith;
  int cancelled = 0;
};

/// A port whose stopListening Deferred the test fires.
class SlowPort : public IListeningPort {
 public:
  void startListening() override {}
  Deferred<void> stopListening() override {
    ++stops;
    return stopped;
  }
  tw::AddressPtr getHost() const override {
    return std::make_shared<tw::IPv4Address>("TCP", "127.0.0.1", 4321);
  }
  Deferred<void> stopped;
  int stops = 0;
};

// Twisted: test_internet.EndpointServiceTests.test_privilegedStartService
TEST(StreamServerEndpointServiceTests, privilegedStartListens) {
  auto endpoint = std::make_shared<FakeServerEndpoint>();
  auto factory = std::make_shared<tw::Factory>();
  StreamServerEndpointService svc(endpoint, factory);
  svc.privilegedStartService();
  ASSERT_EQ(endpoint->factories.size(), 1u);
  EXPECT_EQ(endpoint->factories[0], factory);
  // Twisted: test_synchronousRaiseRaisesSynchronously's sibling test_startServiceUnstarted
  svc.startService();
  EXPECT_EQ(endpoint->factories.size(), 1u);
  auto port = std::make_shared<SlowPort>();
  endpoint->pending[0].callback(port);
  EXPECT_EQ(svc.port(), port);
}

// Twisted: test_internet.EndpointServiceTests.test_startServiceUnstarted
TEST(StreamServerEndpointServiceTests, startServiceListens) {
  auto endpoint = std::make_shared<FakeServerEndpoint>();
  StreamServerEndpointService svc(endpoint, std::make_shared<tw::Factory>());
  svc.startService();
  EXPECT_EQ(endpoint->factories.size(), 1u);
  EXPECT_TRUE(svc.running());
  Deferred<void> d = svc.stopService();  // cancels the listen
  successResultOf(d);
  EXPECT_EQ(endpoint->cancelled, 1);
  EXPECT_FALSE(svc.running());
}

// Twisted: test_internet.EndpointServiceTests.test_asynchronousFailReportsError
TEST(StreamServerEndpointServiceTests, asynchronousFailureIsLogged) {
  auto endpoint = std::make_shared<FakeServerEndpoint>();
  StreamServerEndpointService svc(endpoint, std::make_shared<tw::Factory>());
  svc.privilegedStartService();
  tw::LogCapture capture;
  endpoint->pending[0].errback(
      tw::error::CannotListenError("", "80", std::make_error_code(std::errc::permission_denied)));
  auto errors = capture.errors();
  ASSERT_EQ(errors.size(), 1u);
  ASSERT_TRUE(errors[0].failure.has_value());
  EXPECT_NE(errors[0].failure->check<tw::error::CannotListenError>(), nullptr);
}

// Twisted: test_internet.EndpointServiceTests.test_synchronousRaiseRaisesSynchronously
TEST(StreamServerEndpointServiceTests, synchronousRaise) {
  auto endpoint = std::make_shared<FakeServerEndpoint>();
  endpoint->failWith = Failure(
      tw::error::CannotListenError("", "80", std::make_error_code(std::errc::permission_denied)));
  StreamServerEndpointService svc(endpoint, std::make_shared<tw::Factory>());
  svc.setRaiseSynchronously(true);
  ExpectNoLoggedErrors noErrors;
  EXPECT_THROW(svc.privilegedStartService(), tw::error::CannotListenError);
}

// Twisted: test_internet.EndpointServiceTests.test_synchronousFailReportsError
TEST(StreamServerEndpointServiceTests, synchronousFailureIsLoggedByDefault) {
  auto endpoint = std::make_shared<FakeServerEndpoint>();
  endpoint->failWith = Failure(
      tw::error::CannotListenError("", "80", std::make_error_code(std::errc::permission_denied)));
  StreamServerEndpointService svc(endpoint, std::make_shared<tw::Factory>());
  tw::LogCapture capture;
  svc.privilegedStartService();
  EXPECT_EQ(capture.errors().size(), 1u);
}

// Twisted: test_internet.EndpointServiceTests.test_stopServiceWaits (stopListening's Deferred)
TEST(StreamServerEndpointServiceTests, stopWaitsForStopListening) {
  auto endpoint = std::make_shared<FakeServerEndpoint>();
  StreamServerEndpointService svc(endpoint, std::make_shared<tw::Factory>());
  svc.startService();
  auto port = std::make_shared<SlowPort>();
  endpoint->pending[0].callback(port);
  Deferred<void> d = svc.stopService();
  EXPECT_EQ(port->stops, 1);
  EXPECT_EQ(endpoint->cancelled, 0);
  assertNoResult(d);
  EXPECT_TRUE(svc.running());
  port->stopped.callback();
  successResultOf(d);
  EXPECT_FALSE(svc.running());
  EXPECT_EQ(svc.port(), nullptr);
}

// --- backoffPolicy -----------------------------------------------------------------------------

// Twisted: test_internet.BackoffPolicyTests: exponential growth, capped, plus jitter.
TEST(BackoffPolicyTests, growsByFactorUpToMax) {
  auto policy = tw::backoffPolicy(1.0, 60.0, 1.5, [] { return 0.0; });
  EXPECT_DOUBLE_EQ(policy(0).count(), 1.0);
  EXPECT_DOUBLE_EQ(policy(1).count(), 1.5);
  EXPECT_DOUBLE_EQ(policy(2).count(), 2.25);
  EXPECT_DOUBLE_EQ(policy(100).count(), 60.0);
  EXPECT_DOUBLE_EQ(policy(1000000).count(), 60.0);
  auto jittered = tw::backoffPolicy(2.0, 10.0, 2.0, [] { return 0.25; });
  EXPECT_DOUBLE_EQ(jittered(1).count(), 4.25);
  EXPECT_DOUBLE_EQ(jittered(5).count(), 10.25);
}

// The default jitter lies in [0, 1).
TEST(BackoffPolicyTests, defaultJitterIsBelowOneSecond) {
  auto policy = tw::backoffPolicy();
  for (int i = 0; i < 50; ++i) {
    double d = policy(1).count();
    EXPECT_GE(d, 1.5);
    EXPECT_LT(d, 2.5);
  }
}

// --- ClientService -----------------------------------------------------------------------------

/// A client endpoint that records attempts; the test completes or fails them.
class FakeClientEndpoint : public tw::IStreamClientEndpoint {
 public:
  struct Attempt {
    std::shared_ptr<IProtocolFactory> factory;
    Deferred<std::shared_ptr<IProtocol>> deferred;
  };
  Deferred<std::shared_ptr<IProtocol>> connect(std::shared_ptr<IProtocolFactory> factory) override {
    Deferred<std::shared_ptr<IProtocol>> d([this](Deferred<std::shared_ptr<IProtocol>>& self) {
      ++cancelled;
      self.errback(tw::error::ConnectingCancelledError("127.0.0.1:1"));
    });
    attempts.push_back({std::move(factory), d});
    return d;
  }
  /// Completes the latest attempt: builds the protocol, connects it to a transport that calls
  /// connectionLost on loseConnection, and fires the attempt.
  std::shared_ptr<IProtocol> succeedOnce() {
    Attempt& a = attempts.back();
    auto transport = std::make_shared<StringTransportWithDisconnection>();
    transports.push_back(transport);
    std::shared_ptr<IProtocol> p =
        a.factory->buildProtocol(tw::IPv4Address("TCP", "127.0.0.1", 1234));
    transport->setProtocol(*p);
    protocols.push_back(p);
    p->makeConnection(*transport);
    a.deferred.callback(p);
    return p;
  }
  void failOnce() { attempts.back().deferred.errback(tw::error::ConnectionRefusedError()); }
  std::vector<Attempt> attempts;
  std::vector<std::shared_ptr<StringTransportWithDisconnection>> transports;
  std::vector<std::shared_ptr<IProtocol>> protocols;
  int cancelled = 0;
};

struct ClientServiceFixture {
  MemoryReactorClock clock;
  std::shared_ptr<FakeClientEndpoint> endpoint = std::make_shared<FakeClientEndpoint>();
  std::shared_ptr<AccumulatingFactory> factory = std::make_shared<AccumulatingFactory>();
  std::unique_ptr<ClientService> service;
  explicit ClientServiceFixture(ClientService::PrepareConnection prepare = {}) {
    service = std::make_unique<ClientService>(endpoint, factory, clock,
                                              tw::backoffPolicy(1.0, 60.0, 1.5, [] { return 0.0; }),
                                              std::move(prepare));
  }
};

// Twisted: test_internet.ClientServiceTests.test_startService / test_whenConnectedLaterWaits
TEST(ClientServiceTests, connectsOnStartAndWhenConnectedFires) {
  ClientServiceFixture f;
  Deferred<std::shared_ptr<IProtocol>> early = f.service->whenConnected();
  EXPECT_TRUE(f.endpoint->attempts.empty());
  f.service->startService();
  ASSERT_EQ(f.endpoint->attempts.size(), 1u);
  assertNoResult(early);
  f.endpoint->succeedOnce();
  std::shared_ptr<IProtocol> p = successResultOf(early);
  auto* acc = dynamic_cast<AccumulatingProtocol*>(p.get());
  ASSERT_NE(acc, nullptr);  // the factory's protocol, not the proxy
  EXPECT_TRUE(acc->made());
  // Connected: whenConnected fires at once with the same protocol.
  EXPECT_EQ(successResultOf(f.service->whenConnected()), p);
  // Data reaches the real protocol through the proxy.
  f.endpoint->protocols.back()->dataReceived("hi");
  EXPECT_EQ(acc->data(), "hi");
  successResultOf(f.service->stopService());
}

// Twisted: test_internet.ClientServiceTests.test_retryAfterConnectionFailure
TEST(ClientServiceTests, retriesAfterFailureWithBackoff) {
  ClientServiceFixture f;
  f.service->startService();
  f.endpoint->failOnce();
  EXPECT_EQ(f.endpoint->attempts.size(), 1u);
  f.clock.advance(1.49s);  // policy(1) = 1 * 1.5^1 = 1.5 s
  EXPECT_EQ(f.endpoint->attempts.size(), 1u);
  f.clock.advance(0.01s);
  ASSERT_EQ(f.endpoint->attempts.size(), 2u);
  f.endpoint->failOnce();
  f.clock.advance(2.24s);  // policy(2) = 2.25
  EXPECT_EQ(f.endpoint->attempts.size(), 2u);
  f.clock.advance(0.01s);
  ASSERT_EQ(f.endpoint->attempts.size(), 3u);
  f.endpoint->succeedOnce();
  successResultOf(f.service->whenConnected());
  successResultOf(f.service->stopService());
}

// Twisted: test_internet.ClientServiceTests.test_clientConnectionLost: lost -> wait -> reconnect,
// and the failure count was reset by the successful connection.
TEST(ClientServiceTests, reconnectsAfterConnectionLost) {
  ClientServiceFixture f;
  f.service->startService();
  f.endpoint->failOnce();
  f.clock.advance(1.5s);
  f.endpoint->succeedOnce();
  Deferred<std::shared_ptr<IProtocol>> first2 = f.service->whenConnected();
  f.endpoint->transports.back()->loseConnection();
  Deferred<std::shared_ptr<IProtocol>> next = f.service->whenConnected();
  assertNoResult(next);
  f.clock.advance(1.49s);
  EXPECT_EQ(f.endpoint->attempts.size(), 2u);
  f.clock.advance(0.01s);  // policy(1) again: 1.5 s
  ASSERT_EQ(f.endpoint->attempts.size(), 3u);
  f.endpoint->succeedOnce();
  std::shared_ptr<IProtocol> current = successResultOf(f.service->whenConnected());
  EXPECT_EQ(successResultOf(next), current);
  EXPECT_NE(successResultOf(first2), current);
  successResultOf(f.service->stopService());
}

// Twisted: test_internet.ClientServiceTests.test_stopServiceWhileConnected /
// test_stopServiceWaitsForDisconnect
TEST(ClientServiceTests, stopDisconnectsAndWaitsForConnectionLost) {
  ClientServiceFixture f;
  f.service->startService();
  f.endpoint->succeedOnce();
  auto& transport = *f.endpoint->transports.back();
  auto* acc =
      dynamic_cast<AccumulatingProtocol*>(successResultOf(f.service->whenConnected()).get());
  ASSERT_NE(acc, nullptr);
  Deferred<void> stopped = f.service->stopService();
  EXPECT_TRUE(transport.disconnecting());
  successResultOf(stopped);  // StringTransportWithDisconnection loses the connection at once
  EXPECT_TRUE(acc->closed());
  // After stopping, whenConnected fails with CancelledError, and nothing reconnects.
  failureResultOf<tw::CancelledError>(f.service->whenConnected());
  f.clock.advance(100s);
  EXPECT_EQ(f.endpoint->attempts.size(), 1u);
}

// With a transport whose loseConnection only records it, stop waits for connectionLost.
TEST(ClientServiceTests, stopFiresOnlyAfterConnectionLost) {
  ClientServiceFixture f;
  f.service->startService();
  // Complete the attempt by hand with a transport that does not call back.
  auto& attempt = f.endpoint->attempts.back();
  std::shared_ptr<IProtocol> p =
      attempt.factory->buildProtocol(tw::IPv4Address("TCP", "127.0.0.1", 1));
  tw::fakes::StringTransport transport;
  p->makeConnection(transport);
  attempt.deferred.callback(p);
  Deferred<std::shared_ptr<IProtocol>> pending = f.service->whenConnected();
  successResultOf(pending);
  Deferred<void> stopped = f.service->stopService();
  EXPECT_TRUE(transport.disconnecting());
  assertNoResult(stopped);
  // whenConnected while disconnecting waits, and is cancelled when the stop completes.
  Deferred<std::shared_ptr<IProtocol>> waiter = f.service->whenConnected();
  assertNoResult(waiter);
  p->connectionLost(Failure(tw::error::ConnectionDone()));
  successResultOf(stopped);
  failureResultOf<tw::CancelledError>(waiter);
}

// Twisted: test_internet.ClientServiceTests.test_stopServiceWhileConnecting
TEST(ClientServiceTests, stopWhileConnectingCancelsTheAttempt) {
  ClientServiceFixture f;
  f.service->startService();
  Deferred<std::shared_ptr<IProtocol>> waiter = f.service->whenConnected();
  successResultOf(f.service->stopService());
  EXPECT_EQ(f.endpoint->cancelled, 1);
  failureResultOf<tw::CancelledError>(waiter);
  f.clock.advance(100s);
  EXPECT_EQ(f.endpoint->attempts.size(), 1u);
}

// Twisted: test_internet.ClientServiceTests.test_stopServiceWhileRetrying
TEST(ClientServiceTests, stopWhileWaitingCancelsTheRetry) {
  ClientServiceFixture f;
  f.service->startService();
  f.endpoint->failOnce();
  EXPECT_EQ(f.clock.getDelayedCalls().size(), 1u);
  successResultOf(f.service->stopService());
  EXPECT_TRUE(f.clock.getDelayedCalls().empty());
  f.clock.advance(100s);
  EXPECT_EQ(f.endpoint->attempts.size(), 1u);
}

// Twisted: test_internet.ClientServiceTests.test_whenConnectedFailsAfterFailures
// (failAfterFailures)
TEST(ClientServiceTests, whenConnectedFailAfterFailures) {
  ClientServiceFixture f;
  f.service->startService();
  Deferred<std::shared_ptr<IProtocol>> one = f.service->whenConnected(1);
  Deferred<std::shared_ptr<IProtocol>> two = f.service->whenConnected(2);
  Deferred<std::shared_ptr<IProtocol>> never = f.service->whenConnected();
  f.endpoint->failOnce();
  failureResultOf<tw::error::ConnectionRefusedError>(one);
  assertNoResult(two);
  f.clock.advance(1.5s);
  f.endpoint->failOnce();
  failureResultOf<tw::error::ConnectionRefusedError>(two);
  assertNoResult(never);
  successResultOf(f.service->stopService());
  failureResultOf<tw::CancelledError>(never);
}

// Twisted: test_internet.ClientServiceTests.test_whenConnectedStopService / stopped service
TEST(ClientServiceTests, whenConnectedOnStoppedServiceFails) {
  ClientServiceFixture f;
  successResultOf(f.service->stopService());  // init -> stopped, fires at once
  failureResultOf<tw::CancelledError>(f.service->whenConnected());
  f.service->startService();  // stopped -> connecting
  EXPECT_EQ(f.endpoint->attempts.size(), 1u);
  successResultOf(f.service->stopService());
}

// Twisted: test_internet.ClientServiceTests.test_restartServiceWhileStopping
TEST(ClientServiceTests, startWhileStoppingRestarts) {
  ClientServiceFixture f;
  f.service->startService();
  auto& attempt = f.endpoint->attempts.back();
  std::shared_ptr<IProtocol> p =
      attempt.factory->buildProtocol(tw::IPv4Address("TCP", "127.0.0.1", 1));
  tw::fakes::StringTransport transport;
  p->makeConnection(transport);
  attempt.deferred.callback(p);
  Deferred<void> stopped = f.service->stopService();
  f.service->startService();  // disconnecting -> restarting
  EXPECT_EQ(f.endpoint->attempts.size(), 1u);
  p->connectionLost(Failure(tw::error::ConnectionDone()));
  successResultOf(stopped);
  EXPECT_EQ(f.endpoint->attempts.size(), 2u);  // connecting again at once
  f.endpoint->succeedOnce();
  successResultOf(f.service->whenConnected());
  successResultOf(f.service->stopService());
}

// Twisted: test_internet.ClientServiceTests.test_prepareConnectionCalledWithProtocol /
// test_prepareConnectionReturningADeferred
TEST(ClientServiceTests, prepareConnectionRunsBeforeWhenConnected) {
  std::vector<std::shared_ptr<IProtocol>> prepared;
  std::optional<Deferred<void>> gate;
  ClientServiceFixture f([&](std::shared_ptr<IProtocol> p) {
    prepared.push_back(p);
    gate = Deferred<void>();
    return *gate;
  });
  f.service->startService();
  Deferred<std::shared_ptr<IProtocol>> waiter = f.service->whenConnected();
  f.endpoint->succeedOnce();
  ASSERT_EQ(prepared.size(), 1u);
  EXPECT_NE(dynamic_cast<AccumulatingProtocol*>(prepared[0].get()), nullptr);
  assertNoResult(waiter);
  gate->callback();
  EXPECT_EQ(successResultOf(waiter), prepared[0]);
  successResultOf(f.service->stopService());
}

// Twisted: test_internet.ClientServiceTests.test_prepareConnectionThrows: the attempt counts
// as failed and is retried.
TEST(ClientServiceTests, prepareConnectionFailureRetries) {
  int calls = 0;
  ClientServiceFixture f([&](std::shared_ptr<IProtocol>) -> Deferred<void> {
    if (++calls == 1) throw std::runtime_error("not ready");
    return tw::succeed();
  });
  f.service->startService();
  Deferred<std::shared_ptr<IProtocol>> failing = f.service->whenConnected(1);
  f.endpoint->succeedOnce();
  failureResultOf<std::runtime_error>(failing);
  f.clock.advance(1.5s);
  ASSERT_EQ(f.endpoint->attempts.size(), 2u);
  f.endpoint->succeedOnce();
  EXPECT_EQ(calls, 2);
  successResultOf(f.service->whenConnected());
  // The abandoned first connection going away does not make the service reconnect.
  f.endpoint->transports[0]->loseConnection();
  EXPECT_TRUE(f.clock.getDelayedCalls().empty());
  EXPECT_EQ(f.endpoint->attempts.size(), 2u);
  successResultOf(f.service->stopService());
}

// A destroyed ClientService leaves no retry behind.
TEST(ClientServiceTests, destructionCancelsTheRetry) {
  ClientServiceFixture f;
  f.service->startService();
  f.endpoint->failOnce();
  EXPECT_EQ(f.clock.getDelayedCalls().size(), 1u);
  f.service.reset();
  EXPECT_TRUE(f.clock.getDelayedCalls().empty());
}

}  // namespace
