/// @file
/// Tests of Factory, ServerFactory and ClientFactory: building protocols, refusing, start/stop
/// counting and its log lines.  Twisted: twisted/internet/test/test_protocol.py (FactoryTests).
#include "tw/factory.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/logger.hpp"

namespace {

class SomeProtocol : public tw::Protocol {};

// Counts startFactory/stopFactory.
class CountingFactory : public tw::Factory {
 public:
  void startFactory() override { ++starts; }
  void stopFactory() override { ++stops; }
  int starts = 0;
  int stops = 0;
};

// A factory with constructor arguments, as Twisted's ArgTakingFactory.
class ArgTakingFactory : public tw::Factory {
 public:
  ArgTakingFactory(int first, std::string second) : a(first), b(std::move(second)) {}
  int a;
  std::string b;
};

class SomeKindOfFactory : public tw::Factory {};

// Builds protocols with makeProtocol, passing its own state.
class GreetingProtocol : public tw::Protocol {
 public:
  explicit GreetingProtocol(std::string text) : greeting(std::move(text)) {}
  std::string greeting;
};
class GreetingFactory : public tw::ServerFactory {
 public:
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress&) override {
    return makeProtocol<GreetingProtocol>("hello");
  }
};

const tw::IPv4Address kAddr("TCP", "127.0.0.1", 0);

// Twisted: test_logPrefix — the prefix is the factory class's name.
TEST(FactoryTests, logPrefixIsTheClassName) {
  EXPECT_EQ(SomeKindOfFactory().logPrefix(), "SomeKindOfFactory");
}

// Twisted: test_defaultBuildProtocol — buildProtocol calls the protocol maker and attaches the
// factory to the result.
TEST(FactoryTests, defaultBuildProtocolAttachesTheFactory) {
  tw::Factory f;
  f.setProtocol([] { return std::make_shared<SomeProtocol>(); });
  auto p = f.buildProtocol(kAddr);
  auto* some = dynamic_cast<SomeProtocol*>(p.get());
  ASSERT_NE(some, nullptr);
  EXPECT_EQ(some->factory(), &f);
}

// Twisted: test_forProtocol — forProtocol builds the factory with the extra arguments and sets
// its protocol.
TEST(FactoryTests, forProtocolPassesArgumentsToTheFactory) {
  auto f = tw::Factory::forProtocol<SomeProtocol, ArgTakingFactory>(1, std::string("two"));
  EXPECT_EQ(f->a, 1);
  EXPECT_EQ(f->b, "two");
  auto p = f->buildProtocol(kAddr);
  EXPECT_NE(dynamic_cast<SomeProtocol*>(p.get()), nullptr);
}

// A client factory made by ClientFactory::forProtocol builds the protocol too.
TEST(FactoryTests, clientFactoryForProtocol) {
  auto f = tw::ClientFactory::forProtocol<SomeProtocol>();
  EXPECT_NE(dynamic_cast<SomeProtocol*>(f->buildProtocol(kAddr).get()), nullptr);
  std::shared_ptr<tw::IClientFactory> asClient = f;
  EXPECT_TRUE(asClient);
}

// makeProtocol constructs the protocol with arguments and attaches the factory.
TEST(FactoryTests, makeProtocolAttachesTheFactory) {
  GreetingFactory f;
  auto p = std::dynamic_pointer_cast<GreetingProtocol>(f.buildProtocol(kAddr));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->greeting, "hello");
  EXPECT_EQ(p->factory(), &f);
}

// A maker that returns null refuses the connection.
TEST(FactoryTests, buildProtocolMayRefuse) {
  tw::Factory f;
  f.setProtocol([] { return std::shared_ptr<tw::Protocol>(); });
  EXPECT_EQ(f.buildProtocol(kAddr), nullptr);
}

// buildProtocol with no maker is a clear error naming the factory.
TEST(FactoryTests, buildProtocolWithoutMakerThrows) {
  SomeKindOfFactory f;
  try {
    f.buildProtocol(kAddr);
    FAIL() << "expected std::logic_error";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("SomeKindOfFactory"), std::string::npos);
  }
}

// startFactory runs on the first doStart only, stopFactory on the last doStop only.
TEST(FactoryTests, startAndStopAreCounted) {
  CountingFactory f;
  f.setNoisy(false);
  f.doStart();
  f.doStart();
  EXPECT_EQ(f.starts, 1);
  EXPECT_EQ(f.numPorts(), 2);
  f.doStop();
  EXPECT_EQ(f.stops, 0);
  f.doStop();
  EXPECT_EQ(f.stops, 1);
  EXPECT_EQ(f.numPorts(), 0);
  f.doStart();
  EXPECT_EQ(f.starts, 2);
  f.doStop();
}

// An unbalanced doStop is ignored, as in Twisted.
TEST(FactoryTests, unbalancedDoStopIsIgnored) {
  CountingFactory f;
  f.doStop();
  EXPECT_EQ(f.stops, 0);
  EXPECT_EQ(f.numPorts(), 0);
}

// Twisted: test_doStartLoggingStatement, test_doStopLoggingStatement — a noisy factory logs
// "Starting factory" and "Stopping factory" at info level.
TEST(FactoryTests, noisyFactoryLogsStartAndStop) {
  tw::LogCapture capture;
  SomeKindOfFactory f;
  f.doStart();
  f.doStop();
  auto events = capture.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].level, tw::LogLevel::info);
  EXPECT_EQ(events[0].text, "Starting factory SomeKindOfFactory");
  EXPECT_EQ(events[1].text, "Stopping factory SomeKindOfFactory");
}

// A quiet factory logs nothing.
TEST(FactoryTests, quietFactoryLogsNothing) {
  tw::LogCapture capture;
  SomeKindOfFactory f;
  f.setNoisy(false);
  f.doStart();
  f.doStop();
  EXPECT_TRUE(capture.events().empty());
}

// ClientFactory's hooks do nothing by default.
TEST(FactoryTests, clientFactoryHooksDoNothing) {
  class Connector : public tw::IConnector {
    void stopConnecting() override {}
    void disconnect() override {}
    void connect() override {}
    tw::AddressPtr getDestination() const override { return nullptr; }
  } connector;
  tw::ClientFactory f;
  tw::Failure reason(tw::error::ConnectionRefusedError{});
  EXPECT_NO_THROW(f.startedConnecting(connector));
  EXPECT_NO_THROW(f.clientConnectionFailed(connector, reason));
  EXPECT_NO_THROW(f.clientConnectionLost(connector, reason));
}

}  // namespace
