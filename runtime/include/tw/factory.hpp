/// @file
/// Factory, ServerFactory and ClientFactory: what builds a protocol for each connection.
/// Twisted: twisted.internet.protocol.Factory, ServerFactory, ClientFactory.
/// Tests: tests/runtime/factory_test.cpp
///
/// Ownership: factories are held by `std::shared_ptr` (ports, connectors and their connections
/// share them); the protocols a factory builds point back at it with a plain pointer
/// (Protocol::factory()).
#pragma once

#include <concepts>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "tw/interfaces/i_connector.hpp"
#include "tw/interfaces/i_protocol_factory.hpp"
#include "tw/protocol.hpp"

namespace tw {

/// Builds protocols and counts the ports that use it.
///
/// `doStart()`/`doStop()` are called by every port or connector that starts or stops using the
/// factory; `startFactory()` runs on the first start and `stopFactory()` on the last stop, so
/// a factory shared by several ports starts and stops once.  An unbalanced `doStop()` is
/// ignored, as in Twisted.
///
/// Two ways to make protocols:
/// @code
/// auto f = tw::Factory::forProtocol<Echo>();          // Twisted: Factory.forProtocol(Echo)
///
/// class ChatFactory : public tw::Factory {              // or override buildProtocol
///   std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress&) override {
///     return makeProtocol<Chat>(users_);                // sets the protocol's factory()
///   }
/// };
/// @endcode
class Factory : public virtual IProtocolFactory {
 public:
  /// How the default buildProtocol makes a protocol.  Twisted: Factory.protocol.
  using ProtocolMaker = std::function<std::shared_ptr<Protocol>()>;

  Factory() = default;
  explicit Factory(ProtocolMaker protocol) : protocol_(std::move(protocol)) {}
  Factory(const Factory&) = delete;
  Factory& operator=(const Factory&) = delete;
  ~Factory() override = default;

  /// A new `FactoryType(factoryArgs...)` whose buildProtocol makes a default-constructed `P`.
  /// Twisted: Factory.forProtocol (which also passes its extra arguments to the factory).
  template <class P, class FactoryType = Factory, class... Args>
  requires std::derived_from<P, Protocol> && std::derived_from<FactoryType, Factory>
  static std::shared_ptr<FactoryType> forProtocol(Args&&... factoryArgs) {
    auto factory = std::make_shared<FactoryType>(std::forward<Args>(factoryArgs)...);
    factory->setProtocol([] { return std::make_shared<P>(); });
    return factory;
  }

  /// Sets how the default buildProtocol makes a protocol.
  void setProtocol(ProtocolMaker protocol) { protocol_ = std::move(protocol); }

  /// Makes a protocol with the maker set by forProtocol/setProtocol and sets its factory() to
  /// this.  Override to build protocols another way, or to refuse (return nullptr).
  /// @throws std::logic_error if no maker was set.
  std::shared_ptr<IProtocol> buildProtocol(const IAddress& addr) override;

  /// Counts a port or connector starting to use this factory; the first runs startFactory().
  void doStart() override;

  /// Counts one stopping; the last runs stopFactory().  Extra calls are ignored.
  void doStop() override;

  /// Runs before the first port or connector starts using this factory.
  virtual void startFactory() {}

  /// Runs after the last port or connector stopped using this factory.
  virtual void stopFactory() {}

  /// How many ports and connectors use the factory now.
  int numPorts() const noexcept { return numPorts_; }

  /// Whether doStart/doStop log "Starting factory ..."/"Stopping factory ..." at info level
  /// (true by default, as in Twisted).
  bool noisy() const noexcept { return noisy_; }
  void setNoisy(bool noisy) noexcept { noisy_ = noisy; }

  /// Describes this factory in log messages: the class name.
  virtual std::string logPrefix() const;

 protected:
  /// `std::make_shared<P>(args...)` with its factory() set to this.
  template <class P, class... Args>
  requires std::derived_from<P, Protocol> std::shared_ptr<P> makeProtocol(Args&&... args) {
    auto p = std::make_shared<P>(std::forward<Args>(args)...);
    p->setFactory(this);
    return p;
  }

 private:
  ProtocolMaker protocol_;
  int numPorts_ = 0;
  bool noisy_ = true;
};

/// A factory for servers.  Twisted: protocol.ServerFactory (an empty subclass, for intent).
class ServerFactory : public Factory {
 public:
  using Factory::Factory;
};

/// A factory for clients: told when an attempt starts, fails, or its connection is lost.
/// Every hook does nothing by default.  Twisted: protocol.ClientFactory.
class ClientFactory : public Factory, public IClientFactory {
 public:
  using Factory::Factory;

  void startedConnecting(IConnector& /*connector*/) override {}
  void clientConnectionFailed(IConnector& /*connector*/, const Failure& /*reason*/) override {}
  void clientConnectionLost(IConnector& /*connector*/, const Failure& /*reason*/) override {}

  /// A new `FactoryType(factoryArgs...)` whose buildProtocol makes a default-constructed `P`.
  template <class P, class FactoryType = ClientFactory, class... Args>
  requires std::derived_from<P, Protocol> && std::derived_from<FactoryType, ClientFactory>
  static std::shared_ptr<FactoryType> forProtocol(Args&&... factoryArgs) {
    return Factory::forProtocol<P, FactoryType>(std::forward<Args>(factoryArgs)...);
  }
};

}  // namespace tw
