/// @file
/// Factory.  Tests: tests/runtime/factory_test.cpp
#include "tw/factory.hpp"

#include <stdexcept>
#include <typeinfo>

#include "tw/logger.hpp"

namespace tw {

namespace {
const Logger& factoryLog() {
  static const Logger log("tw.factory");
  return log;
}
}  // namespace

std::shared_ptr<IProtocol> Factory::buildProtocol(const IAddress& /*addr*/) {
  if (!protocol_) {
    throw std::logic_error(logPrefix() +
                           ": no protocol to build; use forProtocol/setProtocol or override "
                           "buildProtocol");
  }
  std::shared_ptr<Protocol> p = protocol_();
  if (p) p->setFactory(this);
  return p;
}

void Factory::doStart() {
  if (numPorts_ == 0) {
    if (noisy_) factoryLog().info("Starting factory " + logPrefix());
    startFactory();
  }
  ++numPorts_;
}

void Factory::doStop() {
  if (numPorts_ == 0) return;
  --numPorts_;
  if (numPorts_ == 0) {
    if (noisy_) factoryLog().info("Stopping factory " + logPrefix());
    stopFactory();
  }
}

std::string Factory::logPrefix() const { return shortTypeName(typeid(*this)); }

}  // namespace tw
