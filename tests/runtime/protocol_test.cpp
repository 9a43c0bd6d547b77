/// @file
/// Tests of Protocol and DatagramProtocol: the connection lifecycle and the log prefix.
/// Twisted: twisted/internet/test/test_protocol.py (ProtocolTests), test_udp.py.
#include "tw/protocol.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/address.hpp"
#include "tw/datagram_protocol.hpp"
#include "tw/error.hpp"
#include "tw/fakes/string_transport.hpp"

namespace {

class SomeThing : public tw::Protocol {};

// Records the transport it sees in connectionMade.
class SomeProtocol : public tw::Protocol {
 public:
  void connectionMade() override { seen.push_back(transport()); }
  std::vector<tw::ITransport*> seen;
};

// Twisted: test_logPrefix — the prefix is the protocol class's name.
TEST(ProtocolTests, logPrefixIsTheClassName) { EXPECT_EQ(SomeThing().logPrefix(), "SomeThing"); }

// Twisted: test_makeConnection — makeConnection sets the transport, then calls connectionMade.
TEST(ProtocolTests, makeConnectionSetsTheTransportFirst) {
  SomeProtocol p;
  tw::fakes::StringTransport tr;
  EXPECT_EQ(p.transport(), nullptr);
  EXPECT_FALSE(p.connected());
  p.makeConnection(tr);
  EXPECT_EQ(p.seen, std::vector<tw::ITransport*>{&tr});
  EXPECT_TRUE(p.connected());
}

// connectionLost clears connected(); the default dataReceived drops the bytes.
TEST(ProtocolTests, connectionLostClearsConnected) {
  SomeThing p;
  tw::fakes::StringTransportWithDisconnection tr;
  tr.setProtocol(p);
  p.makeConnection(tr);
  p.dataReceived("ignored");
  EXPECT_EQ(tr.value(), "");
  tr.loseConnection();
  EXPECT_FALSE(p.connected());
}

// Records what reaches it.
class Datagrams : public tw::DatagramProtocol {
 public:
  void startProtocol() override { events.push_back("start"); }
  void stopProtocol() override { events.push_back("stop"); }
  void datagramReceived(std::string_view d, const tw::IAddress& addr) override {
    events.push_back(std::string(d) + "@" + addr.repr());
  }
  std::vector<std::string> events;
};

// A UDP transport that does nothing.
class NullUDPTransport : public tw::IUDPTransport {
 public:
  void write(std::string_view, std::optional<std::pair<std::string, int>>) override {}
  void connect(std::string_view, int) override {}
  tw::AddressPtr getHost() const override { return nullptr; }
  tw::Deferred<void> stopListening() override { return tw::succeed(); }
  void setBroadcastAllowed(bool) override {}
  bool getBroadcastAllowed() const override { return false; }
};

// startProtocol runs on the first start only and stopProtocol on the last stop only, which
// also forgets the transport.
TEST(DatagramProtocolTests, startAndStopAreCounted) {
  Datagrams p;
  NullUDPTransport t;
  p.makeConnection(t);
  EXPECT_EQ(p.transport(), &t);
  p.doStart();
  EXPECT_EQ(p.numPorts(), 2);
  p.doStop();
  EXPECT_EQ(p.events, std::vector<std::string>{"start"});
  p.doStop();
  EXPECT_EQ(p.events, (std::vector<std::string>{"start", "stop"}));
  EXPECT_EQ(p.transport(), nullptr);
  p.doStop();
  EXPECT_EQ(p.numPorts(), 0);
}

// datagramReceived gets the bytes and the sender's address.
TEST(DatagramProtocolTests, datagramsArriveWithTheirAddress) {
  Datagrams p;
  p.datagramReceived("ping", tw::IPv4Address("UDP", "10.0.0.2", 53));
  EXPECT_EQ(p.events.back(), "ping@IPv4Address(type='UDP', host='10.0.0.2', port=53)");
  EXPECT_EQ(p.logPrefix(), "Datagrams");
}

}  // namespace
