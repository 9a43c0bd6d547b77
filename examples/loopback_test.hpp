/// @file
/// What the examples' integration tests share: a GoogleTest fixture owning a real
/// tw::EpollReactor, which listens on 127.0.0.1 port 0 and runs a coroutine test body until it
/// finishes or a time limit passes; and a client factory wrapper that hands the protocol it
/// connected to the test through a Deferred, as Twisted's ClientCreator does.
/// Twisted: twisted.internet.protocol.ClientCreator; the reactor-running part of
/// twisted.internet.test.reactormixins.ReactorBuilder.runReactor.
/// Tests: examples/*/integration/*_integration_test.cpp (the binary tw_examples_integration_tests)
///
/// A test reads in sequence:
/// @code
/// TEST_F(EchoIntegrationTests, echoes) { run(echoes()); }
/// tw::Deferred<void> EchoIntegrationTests::echoes() {
///   int port = listen(std::make_shared<echo::EchoFactory>());
///   auto client = std::make_shared<Connecting<echo::EchoClientFactory>>(reactor, "hi");
///   reactor.connectTCP("127.0.0.1", port, client);
///   auto protocol = co_await client->connected();
///   ...
/// }
/// @endcode
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tw/address.hpp"
#include "tw/deferred.hpp"
#include "tw/factory.hpp"
#include "tw/failure.hpp"
#include "tw/interfaces/i_listening_port.hpp"
#include "tw/posix_reactor.hpp"

namespace examples_testing {

/// An example's client factory F, which also reports, through Deferreds, the protocol it
/// connected (once its connectionMade has run) and the end of that connection.
///
/// connected() fires with the protocol built by F::buildProtocol, cast to P, in the reactor step
/// after the connection was made (Twisted's ClientCreator waits the same callLater(0)), or fails
/// with the reason of clientConnectionFailed.  lost() fires with nothing when the connection is
/// lost, whatever the reason (the reason is kept in lostReason()).
///
/// Differs from Twisted: ClientCreator builds the protocol itself; this wraps a factory, so that
/// the test connects with the example's own one.
template <class F, class P = tw::IProtocol>
class Connecting : public F {
 public:
  /// @param reactor  where connected() is fired; must outlive the factory.
  /// @param args     F's constructor arguments.
  template <class... Args>
  explicit Connecting(tw::IReactorTime& reactor, Args&&... args)
      : F(std::forward<Args>(args)...), reactor_(reactor) {}

  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& addr) override {
    auto protocol = F::buildProtocol(addr);
    auto typed = std::dynamic_pointer_cast<P>(protocol);
    if (!typed) throw std::logic_error("Connecting: the factory built another protocol type");
    // makeConnection runs after buildProtocol returns: hand the protocol over one step later.
    reactor_.callLater(tw::Seconds(0), [d = connected_, typed]() mutable { d.callback(typed); });
    return protocol;
  }
  void clientConnectionFailed(tw::IConnector& connector, const tw::Failure& reason) override {
    F::clientConnectionFailed(connector, reason);
    connected_.errback(reason);
  }
  void clientConnectionLost(tw::IConnector& connector, const tw::Failure& reason) override {
    F::clientConnectionLost(connector, reason);
    lostReason_ = reason;
    lost_.callback();
  }

  /// Fires with the connected protocol.  One consumer only (a handle to the same Deferred).
  tw::Deferred<std::shared_ptr<P>> connected() const { return connected_; }
  /// Fires when the connection is lost.  One consumer only.
  tw::Deferred<void> lost() const { return lost_; }
  /// Why the connection was lost, once it was.
  const std::optional<tw::Failure>& lostReason() const noexcept { return lostReason_; }

 private:
  tw::IReactorTime& reactor_;
  tw::Deferred<std::shared_ptr<P>> connected_;
  tw::Deferred<void> lost_;
  std::optional<tw::Failure> lostReason_;
};

/// A fixture owning a real epoll reactor, for tests on loopback sockets.
class LoopbackTest : public ::testing::Test {
 protected:
  /// How long a test may run before it is stopped and failed.
  static constexpr tw::Seconds kTimeLimit{10};

  /// Listens with `factory` on 127.0.0.1, a free port; returns the port.  The port is closed at
  /// the end of run().
  int listen(std::shared_ptr<tw::IProtocolFactory> factory) {
    auto port = reactor.listenTCP(0, std::move(factory), 50, "127.0.0.1");
    ports_.push_back(port);
    return dynamic_cast<const tw::IPv4Address&>(*port->getHost()).port();
  }

  /// Runs the reactor until `test` fires, then until the ports listen() opened are closed.  Fails
  /// the test if `test` fails (naming the failure), or if it has not fired within `limit`: a
  /// timer then stops the reactor, so that a lost byte cannot hang the test, and `test` is
  /// cancelled.
  void run(tw::Deferred<void> test, tw::Seconds limit = kTimeLimit) {
    bool timedOut = false;
    auto safety = reactor.callLater(limit, [&] {
      timedOut = true;
      reactor.crash();
    });
    runUntil(test, timedOut, "the test");
    // A test stopped by the timer is cancelled (as trial does), which ends a coroutine waiting
    // on a Deferred that would never fire.
    if (timedOut) test.cancel();
    // Close the ports, and let the reactor run their factories' doStop.
    for (auto& port : ports_) runUntil(port->stopListening(), timedOut, "stopListening");
    ports_.clear();
    if (safety->active()) safety->cancel();
    EXPECT_FALSE(timedOut) << "the test had not finished after " << limit.count() << " s";
  }

  tw::EpollReactor reactor;

 private:
  /// Runs the reactor (without signal handlers) until `d` fires or `timedOut` is set; a failure
  /// of `d` fails the test, naming `what`.  If `d` fires later (after a time-out), nothing runs.
  void runUntil(tw::Deferred<void> d, const bool& timedOut, const char* what) {
    if (timedOut) return;
    struct State {
      bool done = false;
      bool watching = true;
    };
    auto state = std::make_shared<State>();
    tw::EpollReactor* r = &reactor;
    auto end = [state, r] {
      if (!state->watching) return;
      state->done = true;
      if (r->running()) r->crash();
    };
    d.addCallbacks(end, [state, end, what](const tw::Failure& failure) {
      if (state->watching) ADD_FAILURE() << what << " failed: " << failure.getErrorMessage();
      end();
    });
    if (!state->done) reactor.run(false);
    state->watching = false;
  }

  std::vector<std::shared_ptr<tw::IListeningPort>> ports_;
};

}  // namespace examples_testing
