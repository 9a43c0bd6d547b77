/// @file
/// Services that put the network in an application: a TCP server, a timer, a server on an
/// endpoint, and a client that keeps one connection up (reconnecting with backoff).
/// Twisted: twisted.application.internet (TCPServer, TimerService, StreamServerEndpointService,
/// ClientService, backoffPolicy).  Tests: tests/runtime/internet_services_test.cpp
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_listening_port.hpp"
#include "tw/interfaces/i_protocol.hpp"
#include "tw/interfaces/i_protocol_factory.hpp"
#include "tw/interfaces/i_reactor_tcp.hpp"
#include "tw/interfaces/i_reactor_time.hpp"
#include "tw/interfaces/i_stream_endpoint.hpp"
#include "tw/looping_call.hpp"
#include "tw/service.hpp"

namespace tw {

/// A service that listens on a TCP port while it runs.
///
/// `privilegedStartService` (or `startService`, whichever comes first) calls
/// `reactor.listenTCP(port, factory, backlog, interface)` once; `stopService` stops listening
/// and returns stopListening's Deferred. A listen error (tw::error::CannotListenError) is
/// thrown by the start that listened.
///
/// Differs from Twisted: the reactor is a required constructor argument (Twisted: the `reactor`
/// keyword, the global reactor by default); only TCPServer is provided (no UNIX/SSL/UDP server
/// or *Client services).
class TCPServer : public Service {
 public:
  /// A server for `factory` on `port` (0: any free port) of `interface` ("" for all).
  TCPServer(IReactorTCP& reactor, int port, std::shared_ptr<IProtocolFactory> factory,
            int backlog = 50, std::string interface = "");

  void privilegedStartService() override;
  void startService() override;
  Deferred<void> stopService() override;

  /// The listening port while it listens, else nullptr (to read the bound port number).
  [[nodiscard]] const std::shared_ptr<IListeningPort>& port() const noexcept { return port_; }

 private:
  IReactorTCP& reactor_;
  int portNumber_;
  std::shared_ptr<IProtocolFactory> factory_;
  int backlog_;
  std::string interface_;
  std::shared_ptr<IListeningPort> port_;
};

/// A service that calls a function every `step` while it runs (a LoopingCall started with
/// `now = true`).
///
/// If the function throws or its Deferred fails, the failure is logged (namespace
/// "tw.application") and the loop stops; the service stays marked running until stopService.
/// `stopService` stops the loop and fires once the call in progress (if it returned a pending
/// Deferred) has finished.
///
/// Differs from Twisted: the clock is a constructor argument (Twisted: the `clock` attribute,
/// the global reactor by default); the function takes no arguments (bind them in a lambda).
class TimerService : public Service {
 public:
  /// Calls `f` (`void()` or `Deferred<void>()`) every `step` on `clock`, which must outlive the
  /// service.
  template <class F>
  requires std::is_invocable_v<F&> TimerService(IReactorTime& clock, Seconds step, F f)
      : clock_(clock), step_(step), f_(wrap(std::move(f))) {}

  /// Stops the loop without logging its cancellation.
  ~TimerService() override;

  void startService() override;
  /// Stops the loop; fires once the call in progress has finished. The service must outlive
  /// this Deferred.
  Deferred<void> stopService() override;

  /// The interval.
  [[nodiscard]] Seconds step() const noexcept { return step_; }

 private:
  template <class F>
  static LoopingCall::Function wrap(F f) {
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
      return [f = std::move(f)]() mutable {
        f();
        return succeed();
      };
    } else {
      return LoopingCall::Function(std::move(f));
    }
  }

  IReactorTime& clock_;
  Seconds step_;
  LoopingCall::Function f_;
  std::unique_ptr<LoopingCall> loop_;
  std::optional<Deferred<LoopingCall*>> loopFinished_;
  std::shared_ptr<bool> destroying_ = std::make_shared<bool>(false);
};

/// A service that listens on a server endpoint while it runs.
///
/// `privilegedStartService` (or `startService` if that came first) calls `endpoint.listen`. If
/// listening fails, the failure is logged (namespace "tw.application") unless
/// `setRaiseSynchronously(true)` was called, in which case a failure reported synchronously by
/// the endpoint is thrown from the start call. `stopService` cancels a listen still in progress,
/// stops listening once the port exists, and fires when the port is closed.
///
/// Differs from Twisted: `_raiseSynchronously` is the setter setRaiseSynchronously.
class StreamServerEndpointService : public Service {
 public:
  StreamServerEndpointService(std::shared_ptr<IStreamServerEndpoint> endpoint,
                              std::shared_ptr<IProtocolFactory> factory);

  void privilegedStartService() override;
  void startService() override;
  Deferred<void> stopService() override;

  /// Throw listen errors from the start call instead of logging them (Twisted's
  /// `_raiseSynchronously`, used by twistd so that a failed listen aborts the start).
  void setRaiseSynchronously(bool raise) noexcept { raiseSynchronously_ = raise; }
  /// The listening port once listen succeeded, else nullptr.
  [[nodiscard]] const std::shared_ptr<IListeningPort>& port() const noexcept { return *port_; }

 private:
  std::shared_ptr<IStreamServerEndpoint> endpoint_;
  std::shared_ptr<IProtocolFactory> factory_;
  bool raiseSynchronously_ = false;
  std::optional<Deferred<std::shared_ptr<IListeningPort>>> waitingForPort_;
  std::shared_ptr<std::shared_ptr<IListeningPort>> port_ =
      std::make_shared<std::shared_ptr<IListeningPort>>();
};

/// How long ClientService waits before retry number `attempt` (1 for the first retry).
using RetryPolicy = std::function<Seconds(std::int64_t attempt)>;

/// An exponential backoff: `min(initialDelay * factor^min(100, attempt), maxDelay) + jitter()`
/// seconds. The default jitter is a uniform random number in [0, 1).
/// Twisted: twisted.application.internet.backoffPolicy.
RetryPolicy backoffPolicy(double initialDelay = 1.0, double maxDelay = 60.0, double factor = 1.5,
                          std::function<double()> jitter = {});

/// A service that keeps one outgoing connection to a client endpoint: it connects on start,
/// reconnects after a failed attempt or a lost connection (waiting `retryPolicy(attempt)`), and
/// on stop cancels a pending attempt or retry and closes the connection.
///
/// @code
/// tw::ClientService svc(endpoint, factory, clock);
/// svc.startService();
/// svc.whenConnected().addCallback([](std::shared_ptr<tw::IProtocol> p) { ... });
/// @endcode
///
/// States, as Twisted's `_ClientMachine`:
/// ```
///   init --start--> connecting --made--> connected --lost--> waiting --timer--> connecting
///                      |  failed: waiting (retry after retryPolicy(++failedAttempts))
///   stop: init/stopped -> stopped (fires at once); connecting -> cancel the attempt -> stopped;
///         waiting -> cancel the retry -> stopped; connected -> loseConnection -> disconnecting
///         -> (lost) -> stopped.  start while disconnecting -> restarting -> (lost) -> connecting
/// ```
/// `whenConnected(failAfterFailures)` fires with the current protocol when connected, otherwise
/// with the next one; it fails with the connect failure after `failAfterFailures` consecutive
/// failed attempts (nullopt: never), and with tw::CancelledError when the service stops first (or
/// at once when it is stopped).
///
/// The protocols the factory builds are wrapped in a proxy that reports connectionLost to the
/// service; whenConnected gives the factory's own protocol. `prepareConnection(protocol)`, when
/// given, runs after connecting and before whenConnected's Deferreds fire; if it throws or its
/// Deferred fails, the attempt counts as failed (the connection is left open, as in Twisted).
///
/// Differs from Twisted: the clock is required (Twisted: the global reactor by default); only
/// the loss of the current connection counts (Twisted also reacts to the loss of a connection
/// whose prepareConnection failed, which it left open); the retry log line is "Scheduling retry N
/// to connect in D seconds." without the endpoint's repr.
class ClientService : public Service {
 public:
  /// Runs on the connected protocol before whenConnected fires.
  using PrepareConnection = std::function<Deferred<void>(std::shared_ptr<IProtocol>)>;

  ClientService(std::shared_ptr<IStreamClientEndpoint> endpoint,
                std::shared_ptr<IProtocolFactory> factory, IReactorTime& clock,
                RetryPolicy retryPolicy = backoffPolicy(),
                PrepareConnection prepareConnection = {});
  ~ClientService() override;

  void startService() override;
  /// Stops connecting and disconnects; fires when the connection is closed and no attempt runs.
  Deferred<void> stopService() override;

  /// The connected protocol, now or when it connects (see the class comment).
  /// @param failAfterFailures  fail after this many consecutive failed attempts (1: the next
  ///        failure); nullopt: only when the service stops.
  Deferred<std::shared_ptr<IProtocol>> whenConnected(
      std::optional<int> failAfterFailures = std::nullopt);

  struct Machine;  ///< the state machine (internet_services.cpp)

 private:
  std::shared_ptr<Machine> machine_;
};

}  // namespace tw
