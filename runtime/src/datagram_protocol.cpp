/// @file
/// DatagramProtocol.  Tests: tests/runtime/protocol_test.cpp
#include "tw/datagram_protocol.hpp"

#include <typeinfo>

#include "tw/failure.hpp"

namespace tw {

void DatagramProtocol::datagramReceived(std::string_view /*datagram*/, const IAddress& /*addr*/) {}

void DatagramProtocol::makeConnection(IUDPTransport& transport) {
  transport_ = &transport;
  doStart();
}

void DatagramProtocol::doStart() {
  if (numPorts_++ == 0) startProtocol();
}

void DatagramProtocol::doStop() {
  if (numPorts_ <= 0) return;
  if (--numPorts_ == 0) {
    stopProtocol();
    transport_ = nullptr;
  }
}

std::string DatagramProtocol::logPrefix() const { return shortTypeName(typeid(*this)); }

}  // namespace tw
