/// @file
/// AccumulatingProtocol and AccumulatingFactory: a protocol that keeps everything it receives and
/// records its connection's life, for tests.
/// Twisted: twisted.internet.testing.AccumulatingProtocol.
/// Tests: tests/fakes/accumulating_protocol_test.cpp
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tw/deferred.hpp"
#include "tw/factory.hpp"
#include "tw/failure.hpp"
#include "tw/protocol.hpp"

namespace tw::fakes {

class AccumulatingProtocol;

/// A factory of AccumulatingProtocols (client or server).  A test may set
/// `protocolConnectionMade`: the next protocol to be connected fires it with itself, once.
class AccumulatingFactory : public ClientFactory {
 public:
  AccumulatingFactory();
  /// Fired (and cleared) by the next AccumulatingProtocol whose connection is made.
  /// Twisted: the factory's protocolConnectionMade attribute.
  std::optional<Deferred<AccumulatingProtocol*>> protocolConnectionMade;
};

/// Accumulates received bytes in `data()` and records `made()`, `closed()`, `closedReason()`;
/// fires `closedDeferred` (if set) when the connection is lost.
///
/// @code
/// tw::fakes::AccumulatingProtocol p;
/// tw::fakes::StringTransportWithDisconnection tr;
/// tr.setProtocol(p);
/// p.makeConnection(tr);
/// p.dataReceived("abc");
/// EXPECT_EQ(p.data(), "abc");
/// @endcode
class AccumulatingProtocol : public Protocol {
 public:
  /// Sets made() and fires the factory's protocolConnectionMade, if any.
  void connectionMade() override;
  /// Appends to data().
  void dataReceived(std::string_view data) override;
  /// Sets closed() and closedReason(), then fires closedDeferred, if any.
  void connectionLost(const Failure& reason) override;

  /// True once connectionMade ran.
  bool made() const noexcept { return made_; }
  /// True once connectionLost ran.
  bool closed() const noexcept { return closed_; }
  /// The reason connectionLost received.
  const std::optional<Failure>& closedReason() const noexcept { return closedReason_; }
  /// Everything received, in order.
  const std::string& data() const noexcept { return data_; }
  /// Forgets the received bytes.
  void clearData() noexcept { data_.clear(); }

  /// Fired (and cleared) when the connection is lost.  Twisted: closedDeferred.
  std::optional<Deferred<void>> closedDeferred;

 private:
  std::string data_;
  std::optional<Failure> closedReason_;
  bool made_ = false;
  bool closed_ = false;
};

}  // namespace tw::fakes
