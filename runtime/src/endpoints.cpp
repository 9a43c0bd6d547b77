/// @file
/// The endpoints of <tw/endpoints.hpp>: TCP/UNIX servers and clients, the wrapping factory that
/// turns a connection attempt into a Deferred, connectProtocol and HostnameEndpoint.
/// Twisted: twisted.internet.endpoints.  Tests: tests/runtime/endpoints_test.cpp
#include "tw/endpoints.hpp"

#include <cctype>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <utility>
#include <variant>

#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/protocol.hpp"

namespace tw {

namespace {

/// `given`; else the reactor's own resolver if it has one (IReactorPluggableNameResolver: the
/// real reactors look names up on their pool); else a BlockingHostnameResolver.
std::shared_ptr<IHostnameResolver> resolverFor(IReactorTCP& reactor,
                                               std::shared_ptr<IHostnameResolver> given) {
  if (given) return given;
  if (auto* pluggable = dynamic_cast<IReactorPluggableNameResolver*>(&reactor)) {
    if (auto own = pluggable->nameResolver()) return own;
  }
  return std::make_shared<BlockingHostnameResolver>();
}

}  // namespace

namespace {

using ProtocolPtr = std::shared_ptr<IProtocol>;

/// Connects the protocol it wraps to the real transport and fires the endpoint's Deferred once
/// that protocol's connectionMade ran.  Twisted: endpoints._WrappingProtocol.
class WrappingProtocol : public Protocol {
 public:
  WrappingProtocol(Deferred<ProtocolPtr> connected, ProtocolPtr wrapped)
      : connected_(std::move(connected)), wrapped_(std::move(wrapped)) {}

  void connectionMade() override {
    if (connected_.called()) {
      // The attempt was cancelled, yet the connection completed: nobody wants it.
      transport()->loseConnection();
      return;
    }
    try {
      wrapped_->makeConnection(*transport());
    } catch (...) {
      if (!connected_.called()) connected_.errback(Failure::fromCurrentException());
      throw;
    }
    if (!connected_.called()) connected_.callback(wrapped_);
  }

  void dataReceived(std::string_view data) override { wrapped_->dataReceived(data); }

  void connectionLost(const Failure& reason) override {
    Protocol::connectionLost(reason);
    wrapped_->connectionLost(reason);
  }

  std::string logPrefix() const override {
    if (auto* p = dynamic_cast<Protocol*>(wrapped_.get())) return p->logPrefix();
    return Protocol::logPrefix();
  }

 protected:
  IProtocol& wrapped() const { return *wrapped_; }

 private:
  Deferred<ProtocolPtr> connected_;
  ProtocolPtr wrapped_;
};

/// The WrappingProtocol of a protocol that handles half-closed connections: only then does the
/// transport see an IHalfCloseableProtocol.
class HalfCloseableWrappingProtocol final : public WrappingProtocol, public IHalfCloseableProtocol {
 public:
  using WrappingProtocol::WrappingProtocol;
  void readConnectionLost() override {
    dynamic_cast<IHalfCloseableProtocol&>(wrapped()).readConnectionLost();
  }
  void writeConnectionLost() override {
    dynamic_cast<IHalfCloseableProtocol&>(wrapped()).writeConnectionLost();
  }
};

/// Wraps the user's factory for one connection attempt and holds the attempt's Deferred.
/// Twisted: endpoints._WrappingFactory.
class ConnectingFactory final : public IClientFactory {
 public:
  explicit ConnectingFactory(std::shared_ptr<IProtocolFactory> wrapped)
      : wrapped_(std::move(wrapped)) {}

  /// A factory whose Deferred cancels the attempt of the connector set later by setConnector.
  static std::shared_ptr<ConnectingFactory> make(std::shared_ptr<IProtocolFactory> wrapped) {
    if (!wrapped) throw std::invalid_argument("connect: the factory must not be null");
    auto f = std::make_shared<ConnectingFactory>(std::move(wrapped));
    std::weak_ptr<ConnectingFactory> weak = f;
    f->onConnection_ = Deferred<ProtocolPtr>([weak](Deferred<ProtocolPtr>& d) {
      auto self = weak.lock();
      std::shared_ptr<IConnector> connector = self ? self->connector_.lock() : nullptr;
      if (!connector) return;  // CancelledError
      AddressPtr destination = connector->getDestination();
      d.errback(error::ConnectingCancelledError(destination ? destination->repr() : ""));
      try {
        connector->stopConnecting();
      } catch (const error::NotConnectingError&) {
        // Already over: nothing to stop.
      }
    });
    return f;
  }

  const Deferred<ProtocolPtr>& onConnection() const noexcept { return onConnection_; }
  void setConnector(const std::shared_ptr<IConnector>& connector) { connector_ = connector; }

  std::shared_ptr<IProtocol> buildProtocol(const IAddress& addr) override {
    ProtocolPtr proto;
    try {
      proto = wrapped_->buildProtocol(addr);
      if (!proto) throw error::NoProtocol();
    } catch (...) {
      if (!onConnection_.called()) onConnection_.errback(Failure::fromCurrentException());
      return nullptr;
    }
    if (dynamic_cast<IHalfCloseableProtocol*>(proto.get()) != nullptr) {
      return std::make_shared<HalfCloseableWrappingProtocol>(onConnection_, std::move(proto));
    }
    return std::make_shared<WrappingProtocol>(onConnection_, std::move(proto));
  }

  void doStart() override { wrapped_->doStart(); }
  void doStop() override { wrapped_->doStop(); }
  void startedConnecting(IConnector& /*connector*/) override {}
  void clientConnectionFailed(IConnector& /*connector*/, const Failure& reason) override {
    if (!onConnection_.called()) onConnection_.errback(reason);
  }
  void clientConnectionLost(IConnector& /*connector*/, const Failure& /*reason*/) override {}

 private:
  std::shared_ptr<IProtocolFactory> wrapped_;
  Deferred<ProtocolPtr> onConnection_;
  std::weak_ptr<IConnector> connector_;
};

/// Runs `connect(wrappingFactory)` and returns the attempt's Deferred (failed if `connect`
/// threw).
template <class Connect>
Deferred<ProtocolPtr> connectWrapped(std::shared_ptr<IProtocolFactory> factory, Connect connect) {
  std::shared_ptr<ConnectingFactory> wrapping;
  try {
    wrapping = ConnectingFactory::make(std::move(factory));
    wrapping->setConnector(connect(wrapping));
  } catch (...) {
    Failure failure = Failure::fromCurrentException();
    if (wrapping && !wrapping->onConnection().called()) {
      Deferred<ProtocolPtr> d = wrapping->onConnection();
      d.errback(failure);
      return d;
    }
    if (wrapping) return wrapping->onConnection();
    return fail<ProtocolPtr>(std::move(failure));
  }
  return wrapping->onConnection();
}

/// A factory that hands out one protocol.  Twisted: connectProtocol's OneShotFactory.
class OneShotFactory final : public IProtocolFactory {
 public:
  explicit OneShotFactory(ProtocolPtr protocol) : protocol_(std::move(protocol)) {}
  std::shared_ptr<IProtocol> buildProtocol(const IAddress& /*addr*/) override { return protocol_; }
  void doStart() override {}
  void doStop() override {}

 private:
  ProtocolPtr protocol_;
};

bool isUsableHostname(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

}  // namespace

// --- servers ------------------------------------------------------------------------------------

Deferred<std::shared_ptr<IListeningPort>> TCP4ServerEndpoint::listen(
    std::shared_ptr<IProtocolFactory> factory) {
  return maybeDeferred(
      [&] { return reactor_->listenTCP(port_, std::move(factory), backlog_, interface_); });
}

Deferred<std::shared_ptr<IListeningPort>> UNIXServerEndpoint::listen(
    std::shared_ptr<IProtocolFactory> factory) {
  return maybeDeferred([&] {
    return reactor_->listenUNIX(address_, std::move(factory), backlog_, mode_, wantPID_);
  });
}

// --- clients ------------------------------------------------------------------------------------

Deferred<std::shared_ptr<IProtocol>> TCP4ClientEndpoint::connect(
    std::shared_ptr<IProtocolFactory> factory) {
  return connectWrapped(std::move(factory), [&](std::shared_ptr<ConnectingFactory> wrapping) {
    return reactor_->connectTCP(host_, port_, std::move(wrapping), timeout_, bindAddress_);
  });
}

Deferred<std::shared_ptr<IProtocol>> TCP6ClientEndpoint::connect(
    std::shared_ptr<IProtocolFactory> factory) {
  if (isIPv6Address(host())) return TCP4ClientEndpoint::connect(std::move(factory));
  std::shared_ptr<IHostnameResolver> resolver = resolverFor(reactor(), resolver_);
  Deferred<std::vector<AddressPtr>> lookup;
  try {
    lookup = resolver->resolveHostName(host(), port());
  } catch (...) {
    return fail<ProtocolPtr>(Failure::fromCurrentException());
  }
  return lookup.addCallback(
      [reactor = &reactor(), host = host(), port = port(), timeout = timeout(),
       bindAddress = bindAddress(),
       factory = std::move(factory)](std::vector<AddressPtr> addresses) -> Deferred<ProtocolPtr> {
        for (const AddressPtr& a : addresses) {
          if (auto* v6 = dynamic_cast<const IPv6Address*>(a.get())) {
            return TCP4ClientEndpoint(*reactor, v6->host(), port, timeout, bindAddress)
                .connect(factory);
          }
        }
        throw error::DNSLookupError("no IPv6 address for '" + host + "'");
      });
}

Deferred<std::shared_ptr<IProtocol>> UNIXClientEndpoint::connect(
    std::shared_ptr<IProtocolFactory> factory) {
  return connectWrapped(std::move(factory), [&](std::shared_ptr<ConnectingFactory> wrapping) {
    return reactor_->connectUNIX(path_, std::move(wrapping), timeout_, checkPID_);
  });
}

Deferred<std::shared_ptr<IProtocol>> connectProtocol(IStreamClientEndpoint& endpoint,
                                                     std::shared_ptr<IProtocol> protocol) {
  return endpoint.connect(std::make_shared<OneShotFactory>(std::move(protocol)));
}

// --- HostnameEndpoint ---------------------------------------------------------------------------

namespace {

/// One HostnameEndpoint::connect in progress: the lookup, then the staggered attempts.
class HostnameAttempt final : public std::enable_shared_from_this<HostnameAttempt> {
 public:
  struct Settings {
    IReactorTCP* tcp;
    IReactorTime* clock;
    std::string host;
    int port;
    Seconds timeout;
    std::optional<BindAddress> bindAddress;
    Seconds attemptDelay;
  };

  HostnameAttempt(Settings settings, std::shared_ptr<IProtocolFactory> factory)
      : settings_(std::move(settings)), factory_(std::move(factory)) {}

  /// Starts the lookup and returns the Deferred of the whole attempt.
  Deferred<ProtocolPtr> start(IHostnameResolver& resolver) {
    std::weak_ptr<HostnameAttempt> weak = weak_from_this();
    winner_ = Deferred<ProtocolPtr>([weak](Deferred<ProtocolPtr>& d) {
      if (auto self = weak.lock()) self->cancelled(d);
    });
    Deferred<ProtocolPtr> result = winner_;
    try {
      lookup_ = resolver.resolveHostName(settings_.host, settings_.port);
    } catch (...) {
      lookupFailed(Failure::fromCurrentException());
      return result;
    }
    lookup_.addCallbacks(
        [self = shared_from_this()](std::vector<AddressPtr> addresses) {
          self->resolved(std::move(addresses));
        },
        [self = shared_from_this()](const Failure& f) { self->lookupFailed(f); });
    return result;
  }

 private:
  struct Pending {
    Deferred<ProtocolPtr> deferred;
    bool over = false;
  };

  void resolved(std::vector<AddressPtr> addresses) {
    if (done_) return;
    if (addresses.empty()) {
      finish(Failure(error::DNSLookupError("no results for hostname lookup: " + settings_.host)));
      return;
    }
    addresses_ = std::move(addresses);
    tick();
  }

  void lookupFailed(const Failure& /*reason*/) {
    if (done_) return;
    finish(Failure(error::DNSLookupError("Couldn't find the hostname '" + settings_.host + "'")));
  }

  /// One step of the stagger: the next attempt, or the end of the addresses.
  void tick() {
    timer_.reset();
    if (done_) return;
    if (next_ >= addresses_.size()) {
      endpointsLeft_ = false;
      checkDone();
      return;
    }
    const AddressPtr address = addresses_[next_++];
    timer_ = settings_.clock->callLater(settings_.attemptDelay,
                                        [self = shared_from_this()] { self->tick(); });
    startAttempt(*address);
  }

  void startAttempt(const IAddress& address) {
    Deferred<ProtocolPtr> attempt;
    if (auto* v4 = dynamic_cast<const IPv4Address*>(&address)) {
      attempt = TCP4ClientEndpoint(*settings_.tcp, v4->host(), v4->port(), settings_.timeout,
                                   settings_.bindAddress)
                    .connect(factory_);
    } else if (auto* v6 = dynamic_cast<const IPv6Address*>(&address)) {
      attempt = TCP6ClientEndpoint(*settings_.tcp, v6->host(), v6->port(), settings_.timeout,
                                   settings_.bindAddress)
                    .connect(factory_);
    } else {
      attempt = fail<ProtocolPtr>(
          error::UnsupportedAddressFamily("HostnameEndpoint cannot connect to " + address.repr()));
    }
    const std::size_t index = pending_.size();
    pending_.push_back(Pending{attempt, false});
    attempt.addCallbacks(
        [self = shared_from_this(), index](ProtocolPtr protocol) {
          self->pending_[index].over = true;
          if (!self->done_) self->finish(std::move(protocol));
        },
        [self = shared_from_this(), index](const Failure& reason) {
          self->pending_[index].over = true;
          if (self->done_) return;  // cancelled by us, or lost the race
          self->lastFailure_ = reason;
          self->checkDone();
        });
  }

  void checkDone() {
    if (done_ || endpointsLeft_) return;
    for (const Pending& p : pending_) {
      if (!p.over) return;
    }
    finish(lastFailure_.value_or(Failure(error::ConnectError("no connection attempt was made"))));
  }

  /// Ends the attempt: stops the stagger, cancels what is pending, fires the Deferred.
  void finish(std::variant<ProtocolPtr, Failure> result) {
    stopEverything();
    Deferred<ProtocolPtr> winner = winner_;
    if (winner.called()) return;
    if (auto* p = std::get_if<ProtocolPtr>(&result)) {
      winner.callback(std::move(*p));
    } else {
      winner.errback(std::get<Failure>(std::move(result)));
    }
  }

  void stopEverything() {
    done_ = true;
    if (timer_ && timer_->active()) timer_->cancel();
    timer_.reset();
    if (!lookup_.called()) lookup_.cancel();
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      if (!pending_[i].over) {
        Deferred<ProtocolPtr> d = pending_[i].deferred;
        d.cancel();
      }
    }
  }

  void cancelled(Deferred<ProtocolPtr>& d) {
    stopEverything();
    if (!d.called()) {
      d.errback(error::ConnectingCancelledError("HostnameAddress(hostname='" + settings_.host +
                                                "', port=" + std::to_string(settings_.port) + ")"));
    }
  }

  Settings settings_;
  std::shared_ptr<IProtocolFactory> factory_;
  Deferred<ProtocolPtr> winner_;
  Deferred<std::vector<AddressPtr>> lookup_;
  std::vector<AddressPtr> addresses_;
  std::size_t next_ = 0;
  std::vector<Pending> pending_;
  std::optional<Failure> lastFailure_;
  DelayedCallPtr timer_;
  bool endpointsLeft_ = true;
  bool done_ = false;
};

}  // namespace

HostnameEndpoint::HostnameEndpoint(IReactorTCP& tcp, IReactorTime& clock,
                                   std::shared_ptr<IHostnameResolver> resolver, std::string host,
                                   int port, Seconds timeout,
                                   std::optional<BindAddress> bindAddress, Seconds attemptDelay)
    : tcp_(&tcp),
      clock_(&clock),
      resolver_(resolverFor(tcp, std::move(resolver))),
      host_(std::move(host)),
      port_(port),
      timeout_(timeout),
      bindAddress_(std::move(bindAddress)),
      attemptDelay_(attemptDelay) {}

Deferred<std::shared_ptr<IProtocol>> HostnameEndpoint::connect(
    std::shared_ptr<IProtocolFactory> factory) {
  if (!isUsableHostname(host_)) {
    return fail<ProtocolPtr>(std::invalid_argument("invalid hostname: " + host_));
  }
  if (!factory) {
    return fail<ProtocolPtr>(std::invalid_argument("connect: the factory must not be null"));
  }
  auto attempt = std::make_shared<HostnameAttempt>(
      HostnameAttempt::Settings{tcp_, clock_, host_, port_, timeout_, bindAddress_, attemptDelay_},
      std::move(factory));
  return attempt->start(*resolver_);
}

std::string HostnameEndpoint::repr() const {
  const std::string host = isIPv6Address(host_) ? "[" + host_ + "]" : host_;
  return "<HostnameEndpoint " + host + ":" + std::to_string(port_) + ">";
}

}  // namespace tw
