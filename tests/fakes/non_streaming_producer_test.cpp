/// @file
/// Tests of NonStreamingProducer.
/// Twisted: twisted/internet/test/test_testing.py (NonStreamingProducerTests).
#include "tw/fakes/non_streaming_producer.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

#include "../runtime/result_helpers.hpp"
#include "tw/fakes/string_transport.hpp"

namespace {

// Twisted: test_producesOnly10Times — ten writes, then it unregisters, fires, and refuses more.
TEST(NonStreamingProducerTests, producesOnlyTenTimes) {
  tw::fakes::StringTransport consumer;
  tw::fakes::NonStreamingProducer producer(consumer);
  consumer.registerProducer(producer, false);
  EXPECT_EQ(consumer.producer(), &producer);
  EXPECT_EQ(producer.consumer(), &consumer);
  for (int i = 0; i < 9; ++i) producer.resumeProducing();
  tw::test::assertNoResult(producer.result());
  producer.resumeProducing();
  EXPECT_EQ(consumer.producer(), nullptr);
  EXPECT_EQ(producer.consumer(), nullptr);
  EXPECT_EQ(consumer.value(), "0123456789");
  tw::test::successResultOf(producer.result());
  EXPECT_THROW(producer.resumeProducing(), std::runtime_error);
}

// Twisted: test_cannotPauseProduction — a pull producer must never be paused.
TEST(NonStreamingProducerTests, cannotPause) {
  tw::fakes::StringTransport consumer;
  tw::fakes::NonStreamingProducer producer(consumer);
  consumer.registerProducer(producer, false);
  producer.resumeProducing();
  EXPECT_THROW(producer.pauseProducing(), std::runtime_error);
  producer.stopProducing();
}

// stopProducing fires the result and ends production.
TEST(NonStreamingProducerTests, stopEndsProduction) {
  tw::fakes::StringTransport consumer;
  tw::fakes::NonStreamingProducer producer(consumer);
  producer.stopProducing();
  EXPECT_TRUE(producer.stopped());
  tw::test::successResultOf(producer.result());
  EXPECT_THROW(producer.resumeProducing(), std::runtime_error);
}

}  // namespace
