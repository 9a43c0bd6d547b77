/// @file
/// FakeDatagramTransport: a UDP transport that records the datagrams a protocol sends.
/// Twisted: twisted.internet.testing (FakeDatagramTransport in twisted.test).
/// Tests: tests/fakes/fake_datagram_transport_test.cpp
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tw/interfaces/i_address.hpp"
#include "tw/interfaces/i_udp_transport.hpp"

namespace tw::fakes {

/// A datagram sent through a FakeDatagramTransport: its bytes and where it went (host, port).
struct SentDatagram {
  std::string packet;
  std::pair<std::string, int> addr;
  friend bool operator==(const SentDatagram&, const SentDatagram&) = default;
};

/// An IUDPTransport for testing DatagramProtocols: `write` records into `written()`.
///
/// @code
/// tw::fakes::FakeDatagramTransport tr;
/// proto.makeConnection(tr);
/// proto.datagramReceived("ping", tw::IPv4Address("UDP", "10.0.0.2", 53));
/// EXPECT_EQ(tr.written()[0].packet, "pong");
/// @endcode
///
/// Differs from Twisted: a write with no address on a transport that is not connected throws
/// std::invalid_argument, as a real UDP port does (Twisted's fake records a placeholder); a write
/// after stopListening throws std::logic_error.
class FakeDatagramTransport : public IUDPTransport {
 public:
  /// @param host  what getHost() returns; IPv4Address("UDP", "0.0.0.0", 0) if null.
  explicit FakeDatagramTransport(AddressPtr host = nullptr);

  /// Records the datagram, addressed to `addr` or to the connected peer.
  void write(std::string_view packet,
             std::optional<std::pair<std::string, int>> addr = std::nullopt) override;
  /// Records the peer; later writes without an address go there.
  void connect(std::string_view host, int port) override;
  AddressPtr getHost() const override { return host_; }
  /// Marks the transport stopped; returns a fired Deferred.
  Deferred<void> stopListening() override;
  void setBroadcastAllowed(bool enabled) override { broadcast_ = enabled; }
  bool getBroadcastAllowed() const override { return broadcast_; }

  /// Every datagram written, oldest first.
  const std::vector<SentDatagram>& written() const noexcept { return written_; }
  /// Forgets the written datagrams.
  void clear() noexcept { written_.clear(); }
  /// The connected peer, if connect() was called.
  const std::optional<std::pair<std::string, int>>& connectedTo() const noexcept {
    return connected_;
  }
  /// True after stopListening().
  bool stopped() const noexcept { return stopped_; }

 private:
  AddressPtr host_;
  std::vector<SentDatagram> written_;
  std::optional<std::pair<std::string, int>> connected_;
  bool broadcast_ = false;
  bool stopped_ = false;
};

}  // namespace tw::fakes
