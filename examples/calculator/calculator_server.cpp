/// @file
/// calculator_server PORT [SECONDS]: the remote calculator's server on the epoll reactor,
/// listening on 127.0.0.1.  Port 0 picks a free port; prints "LISTENING <port>" once ready;
/// stops after SECONDS (default: never), or on SIGINT/SIGTERM, and then prints "STOPPED".
/// Twisted: the trial tutorial's calculus/remote_1.py, run by `twistd` (here: by hand).
/// Tests: examples/calculator/integration/calculator_integration_test.cpp (the same factory on
/// loopback), and scripts/demo.sh (this program, with calculator_client and nc).
#include <charconv>
#include <cstdio>
#include <memory>
#include <string_view>

#include "calculator.hpp"
#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/posix_reactor.hpp"

namespace {

/// Parses a whole non-negative decimal number of type T, or returns false.
template <class T>
bool parse(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  double seconds = 0;
  if (argc < 2 || argc > 3 || !parse(argv[1], port) || port > 65535 ||
      (argc == 3 && !parse(argv[2], seconds))) {
    std::fprintf(stderr,
                 "usage: calculator_server PORT [SECONDS]\n"
                 "  listens on 127.0.0.1:PORT (0: any free port) and prints LISTENING <port>;\n"
                 "  stops after SECONDS if given, or on SIGINT/SIGTERM\n");
    return 2;
  }
  tw::EpollReactor reactor;
  auto factory = std::make_shared<calculator::CalculatorFactory>();
  factory->setNoisy(false);
  std::shared_ptr<tw::IListeningPort> listening;
  try {
    listening = reactor.listenTCP(port, factory, 50, "127.0.0.1");
  } catch (const tw::error::CannotListenError& e) {
    std::fprintf(stderr, "calculator_server: %s\n", e.what());
    return 1;
  }
  const auto& host = dynamic_cast<const tw::IPv4Address&>(*listening->getHost());
  std::printf("LISTENING %d\n", host.port());
  std::fflush(stdout);
  if (seconds > 0) reactor.callLater(tw::Seconds(seconds), [&reactor] { reactor.stop(); });
  reactor.run();  // SIGINT and SIGTERM stop it
  std::printf("STOPPED\n");
  return 0;
}
