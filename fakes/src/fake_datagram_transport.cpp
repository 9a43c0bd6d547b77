/// @file
/// FakeDatagramTransport.  Tests: tests/fakes/fake_datagram_transport_test.cpp
#include "tw/fakes/fake_datagram_transport.hpp"

#include <memory>
#include <stdexcept>

#include "tw/address.hpp"

namespace tw::fakes {

FakeDatagramTransport::FakeDatagramTransport(AddressPtr host)
    : host_(host ? std::move(host) : std::make_shared<IPv4Address>("UDP", "0.0.0.0", 0)) {}

void FakeDatagramTransport::write(std::string_view packet,
                                  std::optional<std::pair<std::string, int>> addr) {
  if (stopped_) throw std::logic_error("write on a UDP transport that stopped listening");
  if (!addr) {
    if (!connected_) {
      throw std::invalid_argument(
          "write without an address on a UDP transport that is not connected");
    }
    addr = connected_;
  }
  written_.push_back(SentDatagram{std::string(packet), std::move(*addr)});
}

void FakeDatagramTransport::connect(std::string_view host, int port) {
  connected_ = std::make_pair(std::string(host), port);
}

Deferred<void> FakeDatagramTransport::stopListening() {
  stopped_ = true;
  return succeed();
}

}  // namespace tw::fakes
