/// @file
/// Tests of FakeDatagramTransport: recording datagrams, connecting, stopping.
/// Twisted: twisted/test/test_udp.py (the fake transport its tests use).
#include "tw/fakes/fake_datagram_transport.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/address.hpp"
#include "tw/datagram_protocol.hpp"

namespace {

// Answers "ping" with "pong" to the sender.
class Pong : public tw::DatagramProtocol {
 public:
  void datagramReceived(std::string_view d, const tw::IAddress& addr) override {
    const auto& from = dynamic_cast<const tw::IPv4Address&>(addr);
    if (d == "ping") transport()->write("pong", std::make_pair(from.host(), from.port()));
  }
};

// A protocol's writes are recorded with their destination.
TEST(FakeDatagramTransportTests, recordsWritesWithTheirAddress) {
  Pong proto;
  tw::fakes::FakeDatagramTransport tr;
  proto.makeConnection(tr);
  proto.datagramReceived("ping", tw::IPv4Address("UDP", "10.0.0.2", 53));
  proto.datagramReceived("other", tw::IPv4Address("UDP", "10.0.0.2", 53));
  ASSERT_EQ(tr.written().size(), 1u);
  EXPECT_EQ(tr.written()[0], (tw::fakes::SentDatagram{"pong", {"10.0.0.2", 53}}));
  tr.clear();
  EXPECT_TRUE(tr.written().empty());
}

// After connect, writes without an address go to the connected peer.
TEST(FakeDatagramTransportTests, connectedWritesGoToThePeer) {
  tw::fakes::FakeDatagramTransport tr;
  tr.connect("127.0.0.1", 9);
  tr.write("x");
  EXPECT_EQ(tr.written().at(0).addr, (std::pair<std::string, int>{"127.0.0.1", 9}));
  EXPECT_EQ(tr.connectedTo()->second, 9);
}

// A write with no address on an unconnected transport is an error, and nothing is recorded.
TEST(FakeDatagramTransportTests, unaddressedWriteIsRejected) {
  tw::fakes::FakeDatagramTransport tr;
  EXPECT_THROW(tr.write("x"), std::invalid_argument);
  EXPECT_TRUE(tr.written().empty());
}

// stopListening fires at once; later writes are errors.
TEST(FakeDatagramTransportTests, stopListeningStopsWrites) {
  tw::fakes::FakeDatagramTransport tr;
  auto d = tr.stopListening();
  EXPECT_TRUE(d.called());
  EXPECT_TRUE(tr.stopped());
  EXPECT_THROW(tr.write("x", std::make_pair(std::string("h"), 1)), std::logic_error);
}

// getHost defaults to the UDP wildcard address; broadcast is a recorded flag.
TEST(FakeDatagramTransportTests, hostAndBroadcast) {
  tw::fakes::FakeDatagramTransport tr;
  EXPECT_EQ(tr.getHost()->repr(), "IPv4Address(type='UDP', host='0.0.0.0', port=0)");
  EXPECT_FALSE(tr.getBroadcastAllowed());
  tr.setBroadcastAllowed(true);
  EXPECT_TRUE(tr.getBroadcastAllowed());
}

}  // namespace
