/// @file
/// Tests of ProcessProtocol's dispatch, without a process: a stub transport and direct calls.
/// Twisted: twisted/test/test_process.py (ProcessProtocol's childDataReceived/childConnectionLost
/// dispatch).  The real processes are tested in tests/integration/process_test.cpp.
#include "tw/process.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/error.hpp"

namespace {

/// A process transport that does nothing (the protocol only keeps a reference to it).
class StubProcessTransport : public tw::IProcessTransport {
 public:
  std::optional<int> pid() const override { return 42; }
  void closeStdin() override {}
  void closeStdout() override {}
  void closeStderr() override {}
  void closeChildFD(int /*childFD*/) override {}
  void writeToChild(int /*childFD*/, std::string_view /*data*/) override {}
  void signalProcess(std::string_view /*signalName*/) override {}
  void signalProcess(int /*signo*/) override {}
  using tw::IProcessTransport::signalProcess;
  void write(std::string_view /*data*/) override {}
  void writeSequence(std::span<const std::string_view> /*data*/) override {}
  void loseConnection() override {}
  tw::AddressPtr getPeer() const override { return std::make_shared<tw::ProcessAddress>(); }
  tw::AddressPtr getHost() const override { return std::make_shared<tw::ProcessAddress>(); }
  bool disconnecting() const override { return false; }
  void registerProducer(tw::IProducer& /*producer*/, bool /*streaming*/) override {}
  void unregisterProducer() override {}
  void pauseProducing() override {}
  void resumeProducing() override {}
  void stopProducing() override {}
};

/// Records which named callback ran.
class Named : public tw::ProcessProtocol {
 public:
  void connectionMade() override { calls.push_back("connectionMade"); }
  void outReceived(std::string_view data) override { calls.push_back("out:" + std::string(data)); }
  void errReceived(std::string_view data) override { calls.push_back("err:" + std::string(data)); }
  void inConnectionLost() override { calls.push_back("inConnectionLost"); }
  void outConnectionLost() override { calls.push_back("outConnectionLost"); }
  void errConnectionLost() override { calls.push_back("errConnectionLost"); }
  std::vector<std::string> calls;
};

// makeConnection records the transport and marks the protocol connected before connectionMade.
TEST(ProcessProtocolTests, makeConnectionSetsTransportThenCallsConnectionMade) {
  Named p;
  StubProcessTransport t;
  EXPECT_EQ(p.transport(), nullptr);
  EXPECT_FALSE(p.connected());
  p.makeConnection(t);
  EXPECT_EQ(p.transport(), &t);
  EXPECT_TRUE(p.connected());
  EXPECT_EQ(p.calls, std::vector<std::string>{"connectionMade"});
}

// childDataReceived: fd 1 → outReceived, fd 2 → errReceived, anything else is ignored.
TEST(ProcessProtocolTests, childDataReceivedDispatchesStdoutAndStderr) {
  Named p;
  p.childDataReceived(1, "a");
  p.childDataReceived(2, "b");
  p.childDataReceived(0, "c");
  p.childDataReceived(3, "d");
  EXPECT_EQ(p.calls, (std::vector<std::string>{"out:a", "err:b"}));
}

// childConnectionLost: fd 0/1/2 → in/out/errConnectionLost, anything else is ignored.
TEST(ProcessProtocolTests, childConnectionLostDispatchesStandardDescriptors) {
  Named p;
  p.childConnectionLost(2);
  p.childConnectionLost(0);
  p.childConnectionLost(1);
  p.childConnectionLost(5);
  EXPECT_EQ(p.calls, (std::vector<std::string>{"errConnectionLost", "inConnectionLost",
                                               "outConnectionLost"}));
}

// The base class's callbacks do nothing (and do not throw).
TEST(ProcessProtocolTests, defaultsDoNothing) {
  tw::ProcessProtocol p;
  p.childDataReceived(1, "x");
  p.childConnectionLost(0);
  p.processExited(tw::Failure(tw::error::ProcessDone()));
  p.processEnded(tw::Failure(tw::error::ProcessTerminated(3, std::nullopt)));
  EXPECT_FALSE(p.connected());
}

// ProcessAddress: Twisted's _ProcessAddress; all of them are equal.
TEST(ProcessProtocolTests, processAddress) {
  tw::ProcessAddress a;
  tw::ProcessAddress b;
  EXPECT_EQ(a.repr(), "_ProcessAddress()");
  EXPECT_TRUE(a == b);
}

}  // namespace
