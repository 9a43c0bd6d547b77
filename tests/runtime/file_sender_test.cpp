/// @file
/// Tests of FileSender: registration as a pull producer, chunked transfer, transform, abort.
/// Twisted: twisted/protocols/test/test_basic.py (FileSenderTests).
#include "tw/file_sender.hpp"

#include <cctype>
#include <sstream>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "result_helpers.hpp"
#include "tw/fakes/string_transport.hpp"

namespace {

// Twisted: test_producerRegistered — the sender registers as a non-streaming producer.
TEST(FileSenderTests, registersAsAPullProducer) {
  std::istringstream source("Test content");
  tw::fakes::StringTransport consumer;
  tw::FileSender sender;
  auto d = sender.beginFileTransfer(source, consumer);
  EXPECT_EQ(consumer.producer(), &sender);
  EXPECT_FALSE(consumer.streaming());
  sender.stopProducing();
  tw::test::failureResultOf<std::runtime_error>(d);
}

// Twisted: test_transfer — the content is written, and the Deferred fires with the last byte
// once a read hits the end.
TEST(FileSenderTests, transfersTheContent) {
  std::istringstream source("Test content");
  tw::fakes::StringTransport consumer;
  tw::FileSender sender;
  auto d = sender.beginFileTransfer(source, consumer);
  sender.resumeProducing();
  tw::test::assertNoResult(d);
  sender.resumeProducing();
  EXPECT_EQ(consumer.producer(), nullptr);
  EXPECT_EQ(tw::test::successResultOf(d), "t");
  EXPECT_EQ(consumer.value(), "Test content");
}

// Twisted: test_transferMultipleChunks — at most chunkSize bytes per resumeProducing.
TEST(FileSenderTests, sendsOneChunkPerRequest) {
  std::istringstream source("Test content");
  tw::fakes::StringTransport consumer;
  tw::FileSender sender;
  sender.setChunkSize(4);
  auto d = sender.beginFileTransfer(source, consumer);
  sender.resumeProducing();
  EXPECT_EQ(consumer.value(), "Test");
  sender.resumeProducing();
  EXPECT_EQ(consumer.value(), "Test con");
  sender.resumeProducing();
  EXPECT_EQ(consumer.value(), "Test content");
  tw::test::assertNoResult(d);
  sender.resumeProducing();
  EXPECT_EQ(tw::test::successResultOf(d), "t");
}

// Twisted: test_transferWithTransform — each chunk goes through the transform.
TEST(FileSenderTests, transformsChunks) {
  std::istringstream source("Test content");
  tw::fakes::StringTransport consumer;
  tw::FileSender sender;
  auto d = sender.beginFileTransfer(source, consumer, [](std::string chunk) {
    for (char& c : chunk) {
      unsigned char u = static_cast<unsigned char>(c);
      c = static_cast<char>(std::isupper(u) ? std::tolower(u) : std::toupper(u));
    }
    return chunk;
  });
  sender.resumeProducing();
  sender.resumeProducing();
  EXPECT_EQ(tw::test::successResultOf(d), "T");
  EXPECT_EQ(consumer.value(), "tEST CONTENT");
}

// Twisted: test_abortedTransfer — stopProducing fails the Deferred with Twisted's message.
TEST(FileSenderTests, abortedTransferFails) {
  std::istringstream source("Test content");
  tw::fakes::StringTransport consumer;
  tw::FileSender sender;
  auto d = sender.beginFileTransfer(source, consumer);
  sender.stopProducing();
  tw::Failure f = tw::test::failureResultOf<std::runtime_error>(d);
  EXPECT_EQ(f.getErrorMessage(), "Consumer asked us to stop producing");
}

// An empty stream finishes on the first request with an empty last byte.
TEST(FileSenderTests, emptyStreamFinishesAtOnce) {
  std::istringstream source("");
  tw::fakes::StringTransport consumer;
  tw::FileSender sender;
  auto d = sender.beginFileTransfer(source, consumer);
  sender.resumeProducing();
  EXPECT_EQ(tw::test::successResultOf(d), "");
  EXPECT_EQ(consumer.value(), "");
}

// A second transfer while one is in progress is refused; after it ends, a new one may start.
TEST(FileSenderTests, oneTransferAtATime) {
  std::istringstream a("a");
  std::istringstream b("b");
  tw::fakes::StringTransport consumer;
  tw::FileSender sender;
  auto d = sender.beginFileTransfer(a, consumer);
  EXPECT_THROW(sender.beginFileTransfer(b, consumer), std::logic_error);
  sender.resumeProducing();
  sender.resumeProducing();
  EXPECT_EQ(tw::test::successResultOf(d), "a");
  auto d2 = sender.beginFileTransfer(b, consumer);
  sender.resumeProducing();
  sender.resumeProducing();
  EXPECT_EQ(tw::test::successResultOf(d2), "b");
  EXPECT_EQ(consumer.value(), "ab");
}

}  // namespace
