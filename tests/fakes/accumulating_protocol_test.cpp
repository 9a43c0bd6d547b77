/// @file
/// Tests of AccumulatingProtocol and AccumulatingFactory.
/// Twisted: twisted/internet/testing.py (AccumulatingProtocol, as used by test_tcp.py).
#include "tw/fakes/accumulating_protocol.hpp"

#include <memory>

#include <gtest/gtest.h>

#include "../runtime/result_helpers.hpp"
#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/fakes/string_transport.hpp"

namespace {

const tw::IPv4Address kAddr("TCP", "127.0.0.1", 0);

// The protocol records made, data, closed and the reason, and fires closedDeferred once.
TEST(AccumulatingProtocolTests, recordsTheConnectionsLife) {
  tw::fakes::AccumulatingProtocol p;
  tw::fakes::StringTransportWithDisconnection tr;
  tr.setProtocol(p);
  tw::Deferred<void> closed;
  p.closedDeferred = closed;
  EXPECT_FALSE(p.made());
  p.makeConnection(tr);
  EXPECT_TRUE(p.made());
  p.dataReceived("ab");
  p.dataReceived("c");
  EXPECT_EQ(p.data(), "abc");
  tw::test::assertNoResult(closed);
  tr.loseConnection();
  EXPECT_TRUE(p.closed());
  ASSERT_TRUE(p.closedReason());
  EXPECT_TRUE(p.closedReason()->check<tw::error::ConnectionDone>());
  tw::test::successResultOf(closed);
  EXPECT_FALSE(p.closedDeferred);
}

// The factory's protocolConnectionMade fires with the first protocol connected, then clears.
TEST(AccumulatingProtocolTests, factoryHearsOfTheFirstConnection) {
  auto factory = std::make_shared<tw::fakes::AccumulatingFactory>();
  tw::Deferred<tw::fakes::AccumulatingProtocol*> made;
  factory->protocolConnectionMade = made;
  auto p1 = factory->buildProtocol(kAddr);
  auto p2 = factory->buildProtocol(kAddr);
  tw::fakes::StringTransport t1;
  tw::fakes::StringTransport t2;
  p1->makeConnection(t1);
  EXPECT_EQ(tw::test::successResultOf(made), p1.get());
  EXPECT_FALSE(factory->protocolConnectionMade);
  p2->makeConnection(t2);
  auto* acc = dynamic_cast<tw::fakes::AccumulatingProtocol*>(p2.get());
  ASSERT_NE(acc, nullptr);
  EXPECT_TRUE(acc->made());
  EXPECT_EQ(acc->factory(), factory.get());
}

}  // namespace
