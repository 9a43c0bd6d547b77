/// @file
/// Protocol.  Tests: tests/runtime/protocol_test.cpp
#include "tw/protocol.hpp"

#include <typeinfo>

namespace tw {

void Protocol::makeConnection(ITransport& transport) {
  connected_ = true;
  transport_ = &transport;
  connectionMade();
}

void Protocol::dataReceived(std::string_view /*data*/) {}

void Protocol::connectionLost(const Failure& /*reason*/) { connected_ = false; }

std::string Protocol::logPrefix() const { return shortTypeName(typeid(*this)); }

}  // namespace tw
