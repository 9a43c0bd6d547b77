/// @file
/// The echo protocol shared by examples/echo's server and client: every byte received is
/// written back.  Twisted: twisted.protocols.wire.Echo (with TCP_NODELAY, as the benchmark's
/// other servers).  Tests: examples/echo/echo_client.cpp --self-test (run as example.echo)
#pragma once

#include <string_view>

#include "tw/interfaces/i_transport.hpp"
#include "tw/protocol.hpp"

namespace echo {

/// Writes back what it receives.
class Echo : public tw::Protocol {
 public:
  void connectionMade() override {
    if (auto* tcp = dynamic_cast<tw::ITCPTransport*>(transport())) tcp->setTcpNoDelay(true);
  }
  void dataReceived(std::string_view data) override { transport()->write(data); }
};

}  // namespace echo
