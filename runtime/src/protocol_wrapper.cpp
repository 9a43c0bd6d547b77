/// @file
/// ProtocolWrapper and WrappingFactory.  Tests: tests/runtime/protocol_wrapper_test.cpp
#include "tw/protocol_wrapper.hpp"

#include <stdexcept>
#include <typeinfo>

namespace tw {

ProtocolWrapper::ProtocolWrapper(WrappingFactory& factory,
                                 std::shared_ptr<IProtocol> wrappedProtocol)
    : wrappingFactory_(&factory), wrapped_(std::move(wrappedProtocol)) {
  if (!wrapped_) throw std::invalid_argument("ProtocolWrapper: the wrapped protocol is null");
  setFactory(&factory);
}

void ProtocolWrapper::makeConnection(ITransport& transport) {
  Protocol::makeConnection(transport);
  wrappingFactory_->registerProtocol(*this);
  std::shared_ptr<IProtocol> keep = wrapped_;
  keep->makeConnection(*this);
}

void ProtocolWrapper::dataReceived(std::string_view data) {
  // The wrapped protocol may close the connection from inside dataReceived, which drops
  // wrapped_: keep it alive until it returns.
  std::shared_ptr<IProtocol> keep = wrapped_;
  if (keep) keep->dataReceived(data);
}

void ProtocolWrapper::connectionLost(const Failure& reason) {
  wrappingFactory_->unregisterProtocol(*this);
  std::shared_ptr<IProtocol> keep = wrapped_;
  if (keep) keep->connectionLost(reason);
  wrapped_.reset();  // as Twisted, which breaks the reference cycle here
  Protocol::connectionLost(reason);
}

void ProtocolWrapper::readConnectionLost() {
  std::shared_ptr<IProtocol> keep = wrapped_;
  if (auto* half = dynamic_cast<IHalfCloseableProtocol*>(keep.get())) {
    half->readConnectionLost();
  } else {
    loseConnection();
  }
}

void ProtocolWrapper::writeConnectionLost() {
  std::shared_ptr<IProtocol> keep = wrapped_;
  if (auto* half = dynamic_cast<IHalfCloseableProtocol*>(keep.get())) half->writeConnectionLost();
}

std::string ProtocolWrapper::logPrefix() const {
  std::string inner;
  if (auto* p = dynamic_cast<Protocol*>(wrapped_.get())) {
    inner = p->logPrefix();
  } else if (wrapped_) {
    inner = shortTypeName(typeid(*wrapped_));
  } else {
    inner = "(disconnected)";
  }
  return inner + " (" + shortTypeName(typeid(*this)) + ")";
}

ITransport& ProtocolWrapper::realTransport() const {
  ITransport* t = transport();
  if (t == nullptr) {
    throw std::logic_error("ProtocolWrapper: not connected (no transport before makeConnection)");
  }
  return *t;
}

ITCPTransport* ProtocolWrapper::tcpTransport() const {
  return dynamic_cast<ITCPTransport*>(transport());
}

void ProtocolWrapper::write(std::string_view data) { realTransport().write(data); }

void ProtocolWrapper::writeSequence(std::span<const std::string_view> data) {
  realTransport().writeSequence(data);
}

void ProtocolWrapper::loseConnection() {
  disconnecting_ = true;
  realTransport().loseConnection();
}

AddressPtr ProtocolWrapper::getPeer() const { return realTransport().getPeer(); }
AddressPtr ProtocolWrapper::getHost() const { return realTransport().getHost(); }

bool ProtocolWrapper::disconnecting() const {
  return disconnecting_ || (transport() != nullptr && transport()->disconnecting());
}

void ProtocolWrapper::registerProducer(IProducer& producer, bool streaming) {
  realTransport().registerProducer(producer, streaming);
}

void ProtocolWrapper::unregisterProducer() { realTransport().unregisterProducer(); }
void ProtocolWrapper::pauseProducing() { realTransport().pauseProducing(); }
void ProtocolWrapper::resumeProducing() { realTransport().resumeProducing(); }
void ProtocolWrapper::stopProducing() { realTransport().stopProducing(); }

void ProtocolWrapper::loseWriteConnection() {
  if (ITCPTransport* t = tcpTransport()) {
    t->loseWriteConnection();
  } else {
    throw std::logic_error("ProtocolWrapper: the transport cannot half-close (not TCP)");
  }
}

void ProtocolWrapper::abortConnection() {
  disconnecting_ = true;
  if (ITCPTransport* t = tcpTransport()) {
    t->abortConnection();
  } else {
    realTransport().loseConnection();
  }
}

bool ProtocolWrapper::getTcpNoDelay() const {
  ITCPTransport* t = tcpTransport();
  return t != nullptr && t->getTcpNoDelay();
}

void ProtocolWrapper::setTcpNoDelay(bool enabled) {
  if (ITCPTransport* t = tcpTransport()) t->setTcpNoDelay(enabled);
}

bool ProtocolWrapper::getTcpKeepAlive() const {
  ITCPTransport* t = tcpTransport();
  return t != nullptr && t->getTcpKeepAlive();
}

void ProtocolWrapper::setTcpKeepAlive(bool enabled) {
  if (ITCPTransport* t = tcpTransport()) t->setTcpKeepAlive(enabled);
}

WrappingFactory::WrappingFactory(std::shared_ptr<IProtocolFactory> wrappedFactory)
    : wrapped_(std::move(wrappedFactory)) {
  if (!wrapped_) throw std::invalid_argument("WrappingFactory: the wrapped factory is null");
  setNoisy(false);
}

std::shared_ptr<IProtocol> WrappingFactory::buildProtocol(const IAddress& addr) {
  std::shared_ptr<IProtocol> inner = wrapped_->buildProtocol(addr);
  if (!inner) return nullptr;
  return wrapProtocol(std::move(inner));
}

std::shared_ptr<ProtocolWrapper> WrappingFactory::wrapProtocol(std::shared_ptr<IProtocol> wrapped) {
  return std::make_shared<ProtocolWrapper>(*this, std::move(wrapped));
}

void WrappingFactory::doStart() {
  wrapped_->doStart();
  ClientFactory::doStart();
}

void WrappingFactory::doStop() {
  wrapped_->doStop();
  ClientFactory::doStop();
}

void WrappingFactory::startedConnecting(IConnector& connector) {
  if (auto* client = dynamic_cast<IClientFactory*>(wrapped_.get())) {
    client->startedConnecting(connector);
  }
}

void WrappingFactory::clientConnectionFailed(IConnector& connector, const Failure& reason) {
  if (auto* client = dynamic_cast<IClientFactory*>(wrapped_.get())) {
    client->clientConnectionFailed(connector, reason);
  }
}

void WrappingFactory::clientConnectionLost(IConnector& connector, const Failure& reason) {
  if (auto* client = dynamic_cast<IClientFactory*>(wrapped_.get())) {
    client->clientConnectionLost(connector, reason);
  }
}

std::string WrappingFactory::logPrefix() const {
  std::string inner;
  if (auto* f = dynamic_cast<Factory*>(wrapped_.get())) {
    inner = f->logPrefix();
  } else {
    inner = shortTypeName(typeid(*wrapped_));
  }
  return inner + " (" + shortTypeName(typeid(*this)) + ")";
}

}  // namespace tw
