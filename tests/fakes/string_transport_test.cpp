/// @file
/// Tests of StringTransport and StringTransportWithDisconnection: recording, flags, addresses,
/// producers, and the fixes to Twisted's fake (twisted#8161, twisted#5463).
/// Twisted: twisted/internet/test/test_testing.py (StringTransportTests).
#include "tw/fakes/string_transport.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/protocol.hpp"

namespace {

using tw::fakes::ProducerState;
using tw::fakes::StringTransport;
using tw::fakes::StringTransportWithDisconnection;

class PushProducer : public tw::IPushProducer {
 public:
  void pauseProducing() override {}
  void resumeProducing() override {}
  void stopProducing() override {}
};

class PullProducer : public tw::IPullProducer {
 public:
  void resumeProducing() override {}
  void stopProducing() override {}
};

// Records connectionLost calls.
class LostRecorder : public tw::Protocol {
 public:
  void connectionLost(const tw::Failure& reason) override {
    reasons.push_back(reason);
    Protocol::connectionLost(reason);
  }
  std::vector<tw::Failure> reasons;
};

// write and writeSequence append to value(); clear() forgets.
TEST(StringTransportTests, writesAreRecordedInOrder) {
  StringTransport t;
  t.write("ab");
  t.writeSequence({"c", "", "de"});
  t.write("");
  EXPECT_EQ(t.value(), "abcde");
  EXPECT_EQ(t.view(), "abcde");
  t.clear();
  EXPECT_EQ(t.value(), "");
  t.write("f");
  EXPECT_EQ(t.value(), "f");
}

// Twisted: test_registerProducer — the producer and its streaming flag are recorded.
TEST(StringTransportTests, registerProducerRecordsIt) {
  StringTransport t;
  PushProducer producer;
  t.registerProducer(producer, true);
  EXPECT_EQ(t.producer(), &producer);
  EXPECT_TRUE(t.streaming());
}

// Twisted: test_disallowedRegisterProducer — a second producer is refused and the first kept.
TEST(StringTransportTests, secondProducerIsRefused) {
  StringTransport t;
  PushProducer first;
  PushProducer second;
  t.registerProducer(first, true);
  EXPECT_THROW(t.registerProducer(second, false), std::runtime_error);
  EXPECT_EQ(t.producer(), &first);
  EXPECT_TRUE(t.streaming());
}

// Twisted: test_unregisterProducer — unregistering forgets the producer; another may register.
TEST(StringTransportTests, unregisterProducerForgetsIt) {
  StringTransport t;
  PushProducer first;
  PullProducer second;
  t.registerProducer(first, true);
  t.unregisterProducer();
  EXPECT_EQ(t.producer(), nullptr);
  EXPECT_FALSE(t.streaming());
  t.registerProducer(second, false);
  EXPECT_EQ(t.producer(), &second);
  EXPECT_FALSE(t.streaming());
}

// Twisted: test_invalidUnregisterProducer — unregistering with none registered is an error.
TEST(StringTransportTests, unregisterWithoutProducerThrows) {
  StringTransport t;
  EXPECT_THROW(t.unregisterProducer(), std::runtime_error);
}

// A streaming producer must be a push producer and a pull producer must be a pull producer.
TEST(StringTransportTests, producerKindMustMatchStreaming) {
  StringTransport t;
  PushProducer push;
  PullProducer pull;
  EXPECT_THROW(t.registerProducer(pull, true), std::invalid_argument);
  EXPECT_THROW(t.registerProducer(push, false), std::invalid_argument);
  EXPECT_EQ(t.producer(), nullptr);
}

// Twisted: test_initialProducerState, test_pauseProducing, test_resumeProducing,
// test_stopProducing — the transport's own state as a push producer.
TEST(StringTransportTests, producerStateFollowsCalls) {
  StringTransport t;
  EXPECT_EQ(t.producerState(), ProducerState::producing);
  t.pauseProducing();
  EXPECT_EQ(t.producerState(), ProducerState::paused);
  t.resumeProducing();
  EXPECT_EQ(t.producerState(), ProducerState::producing);
  t.stopProducing();
  EXPECT_EQ(t.producerState(), ProducerState::stopped);
  EXPECT_EQ(tw::fakes::toString(t.producerState()), "stopped");
}

// Twisted: test_stoppedTransportCannotPause, test_stoppedTransportCannotResume.
TEST(StringTransportTests, stoppedTransportCannotPauseOrResume) {
  StringTransport t;
  t.stopProducing();
  EXPECT_THROW(t.pauseProducing(), std::runtime_error);
  EXPECT_THROW(t.resumeProducing(), std::runtime_error);
}

// Twisted: test_disconnectingTransportCannotPause, test_disconnectingTransportCannotResume.
TEST(StringTransportTests, disconnectingTransportCannotPauseOrResume) {
  StringTransport t;
  t.loseConnection();
  EXPECT_THROW(t.pauseProducing(), std::runtime_error);
  EXPECT_THROW(t.resumeProducing(), std::runtime_error);
}

// A lenient transport may be paused and resumed after loseConnection.
TEST(StringTransportTests, lenientTransportMayResumeAfterClose) {
  StringTransport t(nullptr, nullptr, true);
  t.loseConnection();
  EXPECT_NO_THROW(t.pauseProducing());
  EXPECT_NO_THROW(t.resumeProducing());
  EXPECT_EQ(t.producerState(), ProducerState::producing);
}

// Twisted: test_loseConnectionSetsDisconnecting — and nothing else happens.
TEST(StringTransportTests, loseConnectionOnlySetsDisconnecting) {
  StringTransport t;
  EXPECT_FALSE(t.disconnecting());
  t.loseConnection();
  EXPECT_TRUE(t.disconnecting());
  EXPECT_TRUE(t.connected());
  EXPECT_FALSE(t.disconnected());
  t.loseConnection();
  EXPECT_TRUE(t.disconnecting());
}

// abortConnection sets disconnected and disconnecting.
TEST(StringTransportTests, abortConnectionSetsDisconnected) {
  StringTransport t;
  t.abortConnection();
  EXPECT_TRUE(t.disconnected());
  EXPECT_TRUE(t.disconnecting());
}

// Writes after loseConnection are still recorded (as Twisted's), so a test sees them.
TEST(StringTransportTests, writesAfterCloseAreRecorded) {
  StringTransport t;
  t.loseConnection();
  t.write("late");
  EXPECT_EQ(t.value(), "late");
}

// Half-close and the socket options are recorded.
TEST(StringTransportTests, tcpOptionsAreRecorded) {
  StringTransport t;
  EXPECT_FALSE(t.getTcpNoDelay());
  EXPECT_FALSE(t.getTcpKeepAlive());
  t.setTcpNoDelay(true);
  t.setTcpKeepAlive(true);
  EXPECT_TRUE(t.getTcpNoDelay());
  EXPECT_TRUE(t.getTcpKeepAlive());
  t.loseWriteConnection();
  EXPECT_TRUE(t.writeDisconnected());
  EXPECT_FALSE(t.disconnecting());
}

// Twisted: test_specifiedHostAddress, test_specifiedPeerAddress — given addresses are returned.
TEST(StringTransportTests, specifiedAddresses) {
  auto host = std::make_shared<tw::IPv4Address>("TCP", "127.0.0.1", 80);
  auto peer = std::make_shared<tw::UNIXAddress>("/tmp/peer");
  StringTransport t(host, peer);
  EXPECT_EQ(t.getHost(), host);
  EXPECT_EQ(t.getPeer(), peer);
}

// Twisted: test_defaultHostAddress, test_defaultPeerAddress — Twisted's default addresses.
TEST(StringTransportTests, defaultAddresses) {
  StringTransport t;
  EXPECT_EQ(t.getHost()->repr(), "IPv4Address(type='TCP', host='10.0.0.1', port=12345)");
  EXPECT_EQ(t.getPeer()->repr(), "IPv4Address(type='TCP', host='192.168.1.1', port=54321)");
}

// twisted#5463: addresses are the same objects on every call, before and after disconnection.
TEST(StringTransportTests, addressesStayConsistentAfterDisconnection) {
  StringTransportWithDisconnection t;
  LostRecorder proto;
  t.setProtocol(proto);
  proto.makeConnection(t);
  tw::AddressPtr host = t.getHost();
  tw::AddressPtr peer = t.getPeer();
  EXPECT_EQ(t.getHost(), host);
  t.loseConnection();
  EXPECT_EQ(t.getHost(), host);
  EXPECT_EQ(t.getPeer(), peer);
}

// StringTransportWithDisconnection calls connectionLost(ConnectionDone) at once, once.
TEST(StringTransportWithDisconnectionTests, loseConnectionCallsConnectionLostOnce) {
  StringTransportWithDisconnection t;
  LostRecorder proto;
  t.setProtocol(proto);
  proto.makeConnection(t);
  t.loseConnection();
  ASSERT_EQ(proto.reasons.size(), 1u);
  EXPECT_TRUE(proto.reasons[0].check<tw::error::ConnectionDone>());
  EXPECT_EQ(proto.reasons[0].getErrorMessage(), "Connection was closed cleanly: Bye.");
  EXPECT_FALSE(t.connected());
  EXPECT_TRUE(t.disconnecting());
  t.loseConnection();
  t.abortConnection();
  EXPECT_EQ(proto.reasons.size(), 1u);
  EXPECT_FALSE(proto.connected());
}

// twisted#8161: abortConnection reports ConnectionAborted, not ConnectionDone.
TEST(StringTransportWithDisconnectionTests, abortConnectionReportsConnectionAborted) {
  StringTransportWithDisconnection t;
  LostRecorder proto;
  t.setProtocol(proto);
  proto.makeConnection(t);
  t.abortConnection();
  ASSERT_EQ(proto.reasons.size(), 1u);
  EXPECT_TRUE(proto.reasons[0].check<tw::error::ConnectionAborted>());
  EXPECT_TRUE(t.disconnected());
  EXPECT_FALSE(t.connected());
}

// Without a protocol, losing the connection only updates the flags.
TEST(StringTransportWithDisconnectionTests, noProtocolIsFine) {
  StringTransportWithDisconnection t;
  EXPECT_EQ(t.protocol(), nullptr);
  t.loseConnection();
  EXPECT_FALSE(t.connected());
}

// A protocol that closes from dataReceived gets connectionLost inside that call, safely.
TEST(StringTransportWithDisconnectionTests, closingFromDataReceived) {
  class Closer : public LostRecorder {
   public:
    void dataReceived(std::string_view data) override {
      transport()->write(data);
      transport()->loseConnection();
      afterClose = reasons.size();
    }
    std::size_t afterClose = 0;
  };
  StringTransportWithDisconnection t;
  auto proto = std::make_shared<Closer>();
  t.setProtocol(*proto);
  proto->makeConnection(t);
  proto->dataReceived("bye");
  EXPECT_EQ(proto->afterClose, 1u);
  EXPECT_EQ(t.value(), "bye");
}

}  // namespace
