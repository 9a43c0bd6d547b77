/// @file
/// echo_client: ping-pongs messages with an echo server and reports round trips per second.
///
///   echo_client HOST PORT [CONNECTIONS=1] [MESSAGES=1000] [SIZE=64]
///   echo_client --self-test     (an in-process echo server on port 0; exit status 0 if every
///                                byte came back; what `ctest -R example.echo` runs)
///
/// Each connection sends one SIZE-byte message, waits for all of it to come back, checks it and
/// sends the next, MESSAGES times.  Twisted: the ping-pong half of the anchor's echo_client.c.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "echo.hpp"
#include "tw/address.hpp"
#include "tw/factory.hpp"
#include "tw/posix_reactor.hpp"

namespace {

using namespace std::chrono_literals;

struct Totals {
  int connectionsLeft = 0;
  long roundTrips = 0;
  bool ok = true;
};

/// Sends `messages` messages one at a time; each must come back unchanged.
class PingPong : public tw::Protocol {
 public:
  PingPong(Totals& totals, tw::IReactorCore& reactor, int messages, std::size_t size)
      : totals_(totals), reactor_(reactor), left_(messages), message_(size, 'x') {}

  void connectionMade() override {
    dynamic_cast<tw::ITCPTransport&>(*transport()).setTcpNoDelay(true);
    sendNext();
  }
  void dataReceived(std::string_view data) override {
    got_.append(data);
    if (got_.size() < message_.size()) return;
    if (got_ != message_) totals_.ok = false;
    got_.clear();
    ++totals_.roundTrips;
    if (--left_ > 0) {
      sendNext();
    } else {
      transport()->loseConnection();
    }
  }
  void connectionLost(const tw::Failure& reason) override {
    if (left_ > 0) {
      std::fprintf(stderr, "connection lost early: %s\n", reason.getErrorMessage().c_str());
      totals_.ok = false;
    }
    if (--totals_.connectionsLeft == 0 && reactor_.running()) reactor_.stop();
    tw::Protocol::connectionLost(reason);
  }

 private:
  void sendNext() {
    message_[0] = static_cast<char>('a' + left_ % 26);
    transport()->write(message_);
  }
  Totals& totals_;
  tw::IReactorCore& reactor_;
  int left_;
  std::string message_;
  std::string got_;
};

class PingPongFactory : public tw::ClientFactory {
 public:
  PingPongFactory(Totals& totals, tw::IReactorCore& reactor, int messages, std::size_t size)
      : totals_(totals), reactor_(reactor), messages_(messages), size_(size) {}
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress&) override {
    return std::make_shared<PingPong>(totals_, reactor_, messages_, size_);
  }
  void clientConnectionFailed(tw::IConnector&, const tw::Failure& reason) override {
    std::fprintf(stderr, "connection failed: %s\n", reason.getErrorMessage().c_str());
    totals_.ok = false;
    if (--totals_.connectionsLeft == 0 && reactor_.running()) reactor_.stop();
  }

 private:
  Totals& totals_;
  tw::IReactorCore& reactor_;
  int messages_;
  std::size_t size_;
};

int runClient(tw::EpollReactor& reactor, const std::string& host, int port, int connections,
              int messages, std::size_t size) {
  Totals totals;
  totals.connectionsLeft = connections;
  auto factory = std::make_shared<PingPongFactory>(totals, reactor, messages, size);
  factory->setNoisy(false);
  for (int i = 0; i < connections; ++i) reactor.connectTCP(host, port, factory);
  // A bound on the whole run, so that a lost byte cannot hang it.
  bool timedOut = false;
  auto limit = reactor.callLater(120s, [&] {
    timedOut = true;
    reactor.stop();
  });
  const auto start = std::chrono::steady_clock::now();
  reactor.run();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (timedOut) {
    std::fprintf(stderr, "timed out\n");
    return 1;
  }
  std::printf("%ld round trips in %.3f s: %.0f/s%s\n", totals.roundTrips, elapsed,
              static_cast<double>(totals.roundTrips) / elapsed, totals.ok ? "" : " (ERRORS)");
  const bool complete = totals.roundTrips == static_cast<long>(connections) * messages;
  return totals.ok && complete ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  tw::EpollReactor reactor;
  if (argc == 2 && std::strcmp(argv[1], "--self-test") == 0) {
    auto listening = reactor.listenTCP(0, tw::Factory::forProtocol<echo::Echo>(), 50, "127.0.0.1");
    const int port = dynamic_cast<const tw::IPv4Address&>(*listening->getHost()).port();
    return runClient(reactor, "127.0.0.1", port, 10, 200, 64);
  }
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: echo_client HOST PORT [CONNECTIONS] [MESSAGES] [SIZE]\n"
                 "       echo_client --self-test\n");
    return 2;
  }
  const int connections = argc > 3 ? std::atoi(argv[3]) : 1;
  const int messages = argc > 4 ? std::atoi(argv[4]) : 1000;
  const std::size_t size = argc > 5 ? static_cast<std::size_t>(std::atoi(argv[5])) : 64;
  return runClient(reactor, argv[1], std::atoi(argv[2]), connections, messages, size);
}
