/// @file
/// TCPServer, TimerService, StreamServerEndpointService, ClientService (internet_services.hpp).
#include "tw/internet_services.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <utility>

#include "tw/deferred_errors.hpp"
#include "tw/logger.hpp"

namespace tw {

namespace {
const Logger& appLog() {
  static const Logger log("tw.application");
  return log;
}
}  // namespace

// TCPServer -------------------------------------------------------------------------------------

TCPServer::TCPServer(IReactorTCP& reactor, int port, std::shared_ptr<IProtocolFactory> factory,
                     int backlog, std::string interface)
    : reactor_(reactor),
      portNumber_(port),
      factory_(std::move(factory)),
      backlog_(backlog),
      interface_(std::move(interface)) {}

void TCPServer::privilegedStartService() {
  Service::privilegedStartService();
  port_ = reactor_.listenTCP(portNumber_, factory_, backlog_, interface_);
}

void TCPServer::startService() {
  Service::startService();
  if (!port_) port_ = reactor_.listenTCP(portNumber_, factory_, backlog_, interface_);
}

Deferred<void> TCPServer::stopService() {
  Service::stopService();
  if (!port_) return succeed();
  std::shared_ptr<IListeningPort> port = std::move(port_);
  port_.reset();
  return port->stopListening();
}

// TimerService ----------------------------------------------------------------------------------

TimerService::~TimerService() {
  *destroying_ = true;
  loop_.reset();  // a running loop fails its Deferred with CancelledError: not worth a log line
}

void TimerService::startService() {
  Service::startService();
  loop_ = std::make_unique<LoopingCall>(clock_, f_);
  loopFinished_ =
      loop_->start(step_, true).addErrback([destroying = destroying_](Failure f) -> LoopingCall* {
        if (!*destroying) appLog().failure("TimerService: the timed call failed", std::move(f));
        return nullptr;
      });
}

Deferred<void> TimerService::stopService() {
  if (!loopFinished_) return Service::stopService();
  if (loop_->running()) loop_->stop();
  Deferred<LoopingCall*> finished = std::move(*loopFinished_);
  loopFinished_.reset();
  return finished.addCallback([this](LoopingCall*) { (void)Service::stopService(); });
}

// StreamServerEndpointService -------------------------------------------------------------------

StreamServerEndpointService::StreamServerEndpointService(
    std::shared_ptr<IStreamServerEndpoint> endpoint, std::shared_ptr<IProtocolFactory> factory)
    : endpoint_(std::move(endpoint)), factory_(std::move(factory)) {}

void StreamServerEndpointService::privilegedStartService() {
  Service::privilegedStartService();
  auto raisedNow = std::make_shared<std::optional<Failure>>();
  bool raise = raiseSynchronously_;
  std::shared_ptr<std::shared_ptr<IListeningPort>> slot = port_;
  waitingForPort_ = endpoint_->listen(factory_).addCallbacks(
      [slot](std::shared_ptr<IListeningPort> port) {
        *slot = port;
        return port;
      },
      [raise, raisedNow](Failure f) -> std::shared_ptr<IListeningPort> {
        if (raise) {
          *raisedNow = std::move(f);
        } else if (f.check<CancelledError>() == nullptr) {
          appLog().failure("StreamServerEndpointService: listening failed", std::move(f));
        }
        return nullptr;
      });
  if (*raisedNow) raisedNow->value().raiseException();
}

void StreamServerEndpointService::startService() {
  Service::startService();
  if (!waitingForPort_) privilegedStartService();
}

Deferred<void> StreamServerEndpointService::stopService() {
  if (!waitingForPort_) return Service::stopService();
  Deferred<std::shared_ptr<IListeningPort>> waiting = std::move(*waitingForPort_);
  waitingForPort_.reset();
  waiting.cancel();
  std::shared_ptr<std::shared_ptr<IListeningPort>> slot = port_;
  return waiting
      .addCallback([slot](std::shared_ptr<IListeningPort> port) -> Deferred<void> {
        slot->reset();
        if (port) return port->stopListening();
        return succeed();
      })
      .addCallbacks([this] { (void)Service::stopService(); },
                    [this](Failure f) {
                      (void)Service::stopService();
                      return f;
                    });
}

// backoffPolicy ---------------------------------------------------------------------------------

RetryPolicy backoffPolicy(double initialDelay, double maxDelay, double factor,
                          std::function<double()> jitter) {
  if (!jitter) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    jitter = [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
  }
  return [=](std::int64_t attempt) {
    double delay =
        initialDelay * std::pow(factor, static_cast<double>(std::min<std::int64_t>(100, attempt)));
    if (!std::isfinite(delay)) delay = maxDelay;  // Twisted: OverflowError -> maxDelay
    delay = std::min(delay, maxDelay);
    return Seconds(delay + jitter());
  };
}

// ClientService ---------------------------------------------------------------------------------

namespace {

/// Relays a protocol and tells the machine when its connection is lost.
/// Twisted: _ReconnectingProtocolProxy.
class ReconnectingProtocolProxy final : public IProtocol {
 public:
  using Lost = std::function<void(ReconnectingProtocolProxy*)>;
  ReconnectingProtocolProxy(std::shared_ptr<IProtocol> protocol, Lost lost)
      : protocol_(std::move(protocol)), lost_(std::move(lost)) {}
  void makeConnection(ITransport& transport) override {
    transport_ = &transport;
    protocol_->makeConnection(transport);
  }
  void connectionMade() override { protocol_->connectionMade(); }
  void dataReceived(std::string_view data) override { protocol_->dataReceived(data); }
  void connectionLost(const Failure& reason) override {
    transport_ = nullptr;
    Lost lost = std::move(lost_);
    lost_ = nullptr;
    try {
      protocol_->connectionLost(reason);
    } catch (...) {
      if (lost) lost(this);
      throw;
    }
    if (lost) lost(this);
  }
  const std::shared_ptr<IProtocol>& protocol() const noexcept { return protocol_; }
  ITransport* transport() const noexcept { return transport_; }

 private:
  std::shared_ptr<IProtocol> protocol_;
  Lost lost_;
  ITransport* transport_ = nullptr;
};

/// Wraps every protocol a factory builds in a ReconnectingProtocolProxy.
/// Twisted: _DisconnectFactory.
class DisconnectFactory final : public IProtocolFactory {
 public:
  DisconnectFactory(std::shared_ptr<IProtocolFactory> factory, ReconnectingProtocolProxy::Lost lost)
      : factory_(std::move(factory)), lost_(std::move(lost)) {}
  std::shared_ptr<IProtocol> buildProtocol(const IAddress& addr) override {
    std::shared_ptr<IProtocol> p = factory_->buildProtocol(addr);
    if (!p) return nullptr;
    return std::make_shared<ReconnectingProtocolProxy>(std::move(p), lost_);
  }
  void doStart() override { factory_->doStart(); }
  void doStop() override { factory_->doStop(); }

 private:
  std::shared_ptr<IProtocolFactory> factory_;
  ReconnectingProtocolProxy::Lost lost_;
};

std::shared_ptr<IProtocol> unwrap(const std::shared_ptr<IProtocol>& p) {
  if (auto* proxy = dynamic_cast<ReconnectingProtocolProxy*>(p.get())) return proxy->protocol();
  return p;
}

}  // namespace

struct ClientService::Machine : std::enable_shared_from_this<Machine> {
  enum class State {
    kInit,
    kConnecting,
    kWaiting,
    kConnected,
    kDisconnecting,
    kRestarting,
    kStopped
  };
  using Waiter = std::pair<Deferred<std::shared_ptr<IProtocol>>, std::optional<int>>;

  Machine(std::shared_ptr<IStreamClientEndpoint> endpoint,
          std::shared_ptr<IProtocolFactory> factory, IReactorTime& clock, RetryPolicy policy,
          PrepareConnection prepare)
      : endpoint_(std::move(endpoint)),
        factory_(std::move(factory)),
        clock_(clock),
        policy_(std::move(policy)),
        prepare_(std::move(prepare)) {}

  // Inputs ----------------------------------------------------------------------------------
  void start() {
    switch (state_) {
      case State::kInit:
      case State::kStopped:
        state_ = State::kConnecting;
        connect();
        break;
      case State::kDisconnecting:
        state_ = State::kRestarting;
        failedAttempts_ = 0;
        break;
      default:
        break;
    }
  }

  Deferred<void> stop() {
    switch (state_) {
      case State::kInit:
      case State::kStopped:
        state_ = State::kStopped;
        return succeed();
      case State::kConnecting: {
        Deferred<void> w = waitForStop();
        state_ = State::kDisconnecting;
        // Cancelling fails the attempt synchronously: connectionFailed in kDisconnecting.
        if (inProgress_) {
          Deferred<void> attempt = *inProgress_;
          attempt.cancel();
        }
        return w;
      }
      case State::kWaiting: {
        Deferred<void> w = waitForStop();
        state_ = State::kStopped;
        unawaitCancelled();
        if (retryCall_ && retryCall_->active()) retryCall_->cancel();
        retryCall_.reset();
        finishStopping();
        return w;
      }
      case State::kConnected: {
        Deferred<void> w = waitForStop();
        state_ = State::kDisconnecting;
        if (ITransport* t = proxy_ ? proxy_->transport() : nullptr) t->loseConnection();
        return w;
      }
      case State::kDisconnecting:
      case State::kRestarting:
        state_ = State::kDisconnecting;
        return waitForStop();
    }
    return succeed();
  }

  Deferred<std::shared_ptr<IProtocol>> whenConnected(std::optional<int> failAfterFailures) {
    if (state_ == State::kConnected) return succeed(current_);
    if (state_ == State::kStopped) return fail<std::shared_ptr<IProtocol>>(CancelledError());
    Deferred<std::shared_ptr<IProtocol>> d;
    awaiting_.emplace_back(d, failAfterFailures);
    return d;
  }

  void connectionMade(const std::shared_ptr<IProtocol>& protocol) {
    inProgress_.reset();
    if (state_ != State::kConnecting) return;
    state_ = State::kConnected;
    failedAttempts_ = 0;
    proxy_ = std::dynamic_pointer_cast<ReconnectingProtocolProxy>(protocol);
    current_ = unwrap(protocol);
    unawait([&](Deferred<std::shared_ptr<IProtocol>>& w) { w.callback(current_); });
  }

  void connectionFailed(const Failure& f) {
    inProgress_.reset();
    if (state_ == State::kConnecting) {
      state_ = State::kWaiting;
      doWait();
      deliverConnectionFailure(f);
    } else if (state_ == State::kDisconnecting) {
      state_ = State::kStopped;
      unawaitCancelled();
      finishStopping();
    }
  }

  void clientDisconnected(ReconnectingProtocolProxy* which) {
    // Only the current connection counts (e.g. not one whose prepareConnection failed).
    if (which == nullptr || which != proxy_.get()) return;
    switch (state_) {
      case State::kConnected:
        state_ = State::kWaiting;
        forgetConnection();
        doWait();
        break;
      case State::kDisconnecting:
        state_ = State::kStopped;
        unawaitCancelled();
        finishStopping();
        forgetConnection();
        break;
      case State::kRestarting:
        state_ = State::kConnecting;
        finishStopping();
        forgetConnection();
        connect();
        break;
      default:
        break;
    }
  }

  void reconnect() {
    retryCall_.reset();
    if (state_ != State::kWaiting) return;
    state_ = State::kConnecting;
    connect();
  }

  /// The service is being destroyed: nothing may call back into it.
  void abandon() {
    if (retryCall_ && retryCall_->active()) retryCall_->cancel();
    retryCall_.reset();
    state_ = State::kStopped;
    if (inProgress_) {
      Deferred<void> attempt = std::move(*inProgress_);
      inProgress_.reset();
      attempt.cancel();
    }
  }

  // Outputs ---------------------------------------------------------------------------------
  void connect() {
    std::weak_ptr<Machine> weak = weak_from_this();
    auto factoryProxy =
        std::make_shared<DisconnectFactory>(factory_, [weak](ReconnectingProtocolProxy* which) {
          if (auto m = weak.lock()) m->clientDisconnected(which);
        });
    PrepareConnection prepare = prepare_;
    Deferred<std::shared_ptr<IProtocol>> attempt = endpoint_->connect(factoryProxy);
    Deferred<void> chain =
        attempt
            .addCallback([prepare](
                             std::shared_ptr<IProtocol> p) -> Deferred<std::shared_ptr<IProtocol>> {
              if (!prepare) return succeed(p);
              std::shared_ptr<IProtocol> inner = unwrap(p);
              return maybeDeferred([&] { return prepare(inner); }).addCallback([p] { return p; });
            })
            .addCallback([weak](std::shared_ptr<IProtocol> p) {
              if (auto m = weak.lock()) m->connectionMade(p);
            })
            .addErrback([weak](Failure f) {
              if (auto m = weak.lock()) m->connectionFailed(f);
            });
    if (!chain.called()) inProgress_ = chain;
  }

  void doWait() {
    ++failedAttempts_;
    Seconds delay = policy_(failedAttempts_);
    std::ostringstream text;
    text << "Scheduling retry " << failedAttempts_ << " to connect in " << delay.count()
         << " seconds.";
    appLog().info(text.str());
    std::weak_ptr<Machine> weak = weak_from_this();
    retryCall_ = clock_.callLater(delay, [weak] {
      if (auto m = weak.lock()) m->reconnect();
    });
  }

  Deferred<void> waitForStop() {
    stopWaiters_.emplace_back();
    return stopWaiters_.back();
  }

  void finishStopping() {
    std::vector<Deferred<void>> waiting = std::move(stopWaiters_);
    stopWaiters_.clear();
    for (Deferred<void>& w : waiting) w.callback();
  }

  void forgetConnection() {
    current_.reset();
    proxy_.reset();
  }

  template <class F>
  void unawait(F fire) {
    std::vector<Waiter> waiting = std::move(awaiting_);
    awaiting_.clear();
    for (Waiter& w : waiting) fire(w.first);
  }

  void unawaitCancelled() {
    unawait([](Deferred<std::shared_ptr<IProtocol>>& w) { w.errback(CancelledError()); });
  }

  void deliverConnectionFailure(const Failure& f) {
    std::vector<Deferred<std::shared_ptr<IProtocol>>> ready;
    std::vector<Waiter> notReady;
    for (Waiter& w : awaiting_) {
      if (!w.second) {
        notReady.push_back(std::move(w));
      } else if (*w.second <= 1) {
        ready.push_back(std::move(w.first));
      } else {
        notReady.emplace_back(std::move(w.first), *w.second - 1);
      }
    }
    awaiting_ = std::move(notReady);
    for (Deferred<std::shared_ptr<IProtocol>>& w : ready) w.errback(f);
  }

  std::shared_ptr<IStreamClientEndpoint> endpoint_;
  std::shared_ptr<IProtocolFactory> factory_;
  IReactorTime& clock_;
  RetryPolicy policy_;
  PrepareConnection prepare_;
  State state_ = State::kInit;
  std::int64_t failedAttempts_ = 0;
  std::optional<Deferred<void>> inProgress_;
  DelayedCallPtr retryCall_;
  std::shared_ptr<IProtocol> current_;
  std::shared_ptr<ReconnectingProtocolProxy> proxy_;
  std::vector<Waiter> awaiting_;
  std::vector<Deferred<void>> stopWaiters_;
};

ClientService::ClientService(std::shared_ptr<IStreamClientEndpoint> endpoint,
                             std::shared_ptr<IProtocolFactory> factory, IReactorTime& clock,
                             RetryPolicy retryPolicy, PrepareConnection prepareConnection)
    : machine_(std::make_shared<Machine>(std::move(endpoint), std::move(factory), clock,
                                         std::move(retryPolicy), std::move(prepareConnection))) {}

ClientService::~ClientService() { machine_->abandon(); }

void ClientService::startService() {
  Service::startService();
  machine_->start();
}

Deferred<void> ClientService::stopService() {
  Service::stopService();
  return machine_->stop();
}

Deferred<std::shared_ptr<IProtocol>> ClientService::whenConnected(
    std::optional<int> failAfterFailures) {
  return machine_->whenConnected(failAfterFailures);
}

}  // namespace tw
