/// @file
/// The transport contract: what every ITransport / ITCPTransport must do, as a typed GoogleTest
/// suite that each transport instantiates (transport_contract_test.cpp: StringTransport,
/// StringTransportWithDisconnection, FakeTransport, ProtocolWrapper).  Twisted: the role of
/// twisted/internet/test/reactormixins.py (one suite, every implementation).
///
/// To hold a new transport to the contract (the real TCP transport, in the integration tests),
/// write a harness type and add it to a `::testing::Types<...>` list:
/// @code
/// struct TCPHarness {
///   TCPHarness();                        // a connected transport with a RecordingProtocol
///   tw::ITCPTransport& transport();      // the transport under test
///   tw::fakes::RecordingProtocol& protocol();
///   std::string written();               // every byte that left through the transport so far
/// };
/// namespace tw::contract {  // the instantiation must be in the suite's namespace
/// INSTANTIATE_TYPED_TEST_SUITE_P(TCP, TransportContract, ::testing::Types<TCPHarness>);
/// }
/// @endcode
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/interfaces/i_producer.hpp"
#include "tw/interfaces/i_transport.hpp"
#include "tw/protocol.hpp"

namespace tw::contract {

/// The protocol a harness connects: records what it receives and how the connection ended.
class RecordingProtocol : public Protocol {
 public:
  void dataReceived(std::string_view data) override { received.append(data); }
  void connectionLost(const Failure& reason) override {
    lost.push_back(reason);
    Protocol::connectionLost(reason);
  }
  std::string received;
  std::vector<Failure> lost;
};

class NullPushProducer : public IPushProducer {
 public:
  void pauseProducing() override {}
  void resumeProducing() override {}
  void stopProducing() override {}
};

class NullPullProducer : public IPullProducer {
 public:
  void resumeProducing() override {}
  void stopProducing() override {}
};

template <class Harness>
class TransportContract : public ::testing::Test {
 protected:
  Harness h;
};

TYPED_TEST_SUITE_P(TransportContract);

// The protocol's transport is the transport under test, and the protocol is connected.
TYPED_TEST_P(TransportContract, protocolIsConnectedToTheTransport) {
  EXPECT_EQ(this->h.protocol().transport(), static_cast<ITransport*>(&this->h.transport()));
  EXPECT_TRUE(this->h.protocol().connected());
  EXPECT_FALSE(this->h.transport().disconnecting());
}

// Bytes leave in the order they were written; empty writes write nothing.
TYPED_TEST_P(TransportContract, writesKeepTheirOrder) {
  ITransport& t = this->h.transport();
  t.write("ab");
  t.write("");
  t.write("c");
  t.write(std::string_view("\0d", 2));
  EXPECT_EQ(this->h.written(), std::string("abc\0d", 5));
}

// writeSequence writes the concatenation of its pieces, empty ones included.
TYPED_TEST_P(TransportContract, writeSequenceIsTheConcatenation) {
  ITransport& t = this->h.transport();
  t.write("<");
  t.writeSequence({"a", "", "bc", "d"});
  std::vector<std::string_view> none;
  t.writeSequence(std::span<const std::string_view>(none));
  t.write(">");
  EXPECT_EQ(this->h.written(), "<abcd>");
}

// loseConnection sets disconnecting and may be called again.
TYPED_TEST_P(TransportContract, loseConnectionIsIdempotent) {
  ITransport& t = this->h.transport();
  t.write("last");
  t.loseConnection();
  EXPECT_TRUE(t.disconnecting());
  EXPECT_NO_THROW(t.loseConnection());
  EXPECT_TRUE(t.disconnecting());
  EXPECT_LE(this->h.protocol().lost.size(), 1u);
  EXPECT_EQ(this->h.written(), "last");
}

// A write after loseConnection does not throw and does not corrupt what was written before.
TYPED_TEST_P(TransportContract, writeAfterCloseIsHarmless) {
  ITransport& t = this->h.transport();
  t.write("before");
  t.loseConnection();
  EXPECT_NO_THROW(t.write("after"));
  EXPECT_EQ(this->h.written().substr(0, 6), "before");
}

// getHost and getPeer are never null and do not change, even after the close.
TYPED_TEST_P(TransportContract, addressesAreStable) {
  ITransport& t = this->h.transport();
  AddressPtr host = t.getHost();
  AddressPtr peer = t.getPeer();
  ASSERT_TRUE(host);
  ASSERT_TRUE(peer);
  EXPECT_TRUE(*t.getHost() == *host);
  EXPECT_TRUE(*t.getPeer() == *peer);
  t.loseConnection();
  EXPECT_TRUE(*t.getHost() == *host);
  EXPECT_TRUE(*t.getPeer() == *peer);
}

// One producer at a time: a second registration throws std::runtime_error; after
// unregisterProducer another may register.
TYPED_TEST_P(TransportContract, oneProducerAtATime) {
  ITransport& t = this->h.transport();
  NullPushProducer push;
  NullPullProducer pull;
  t.registerProducer(push, true);
  EXPECT_THROW(t.registerProducer(pull, false), std::runtime_error);
  t.unregisterProducer();
  EXPECT_NO_THROW(t.registerProducer(pull, false));
  t.unregisterProducer();
}

// The producer's kind must match `streaming`.
TYPED_TEST_P(TransportContract, producerKindMustMatch) {
  ITransport& t = this->h.transport();
  NullPushProducer push;
  NullPullProducer pull;
  EXPECT_THROW(t.registerProducer(pull, true), std::invalid_argument);
  EXPECT_THROW(t.registerProducer(push, false), std::invalid_argument);
  EXPECT_NO_THROW(t.registerProducer(push, true));
  t.unregisterProducer();
}

// abortConnection sets disconnecting and may be called again.
TYPED_TEST_P(TransportContract, abortConnectionIsIdempotent) {
  ITCPTransport& t = this->h.transport();
  t.abortConnection();
  EXPECT_TRUE(t.disconnecting());
  EXPECT_NO_THROW(t.abortConnection());
  EXPECT_NO_THROW(t.loseConnection());
  EXPECT_LE(this->h.protocol().lost.size(), 1u);
}

// The socket options read back what was set.
TYPED_TEST_P(TransportContract, socketOptionsReadBack) {
  ITCPTransport& t = this->h.transport();
  t.setTcpNoDelay(true);
  EXPECT_TRUE(t.getTcpNoDelay());
  t.setTcpNoDelay(false);
  EXPECT_FALSE(t.getTcpNoDelay());
  t.setTcpKeepAlive(true);
  EXPECT_TRUE(t.getTcpKeepAlive());
}

REGISTER_TYPED_TEST_SUITE_P(TransportContract, protocolIsConnectedToTheTransport,
                            writesKeepTheirOrder, writeSequenceIsTheConcatenation,
                            loseConnectionIsIdempotent, writeAfterCloseIsHarmless,
                            addressesAreStable, oneProducerAtATime, producerKindMustMatch,
                            abortConnectionIsIdempotent, socketOptionsReadBack);

}  // namespace tw::contract
