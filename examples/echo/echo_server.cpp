/// @file
/// echo_server PORT [SECONDS]: an echo server on the epoll reactor, listening on 127.0.0.1.
/// Port 0 picks a free port; prints "LISTENING <port>" once ready; stops itself after SECONDS
/// (default 600), or on SIGINT/SIGTERM.  Twisted: the anchor's twisted_echo.py.
/// Measured with /work/shared/anchors/echo/run.sh (ECHO_EXTRA_SERVERS="tw|<this binary>").
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "echo.hpp"
#include "tw/address.hpp"
#include "tw/factory.hpp"
#include "tw/posix_reactor.hpp"

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 0;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 600.0;
  tw::EpollReactor reactor;
  auto factory = tw::Factory::forProtocol<echo::Echo>();
  factory->setNoisy(false);
  auto listening = reactor.listenTCP(port, factory, 1024, "127.0.0.1");
  const auto& host = dynamic_cast<const tw::IPv4Address&>(*listening->getHost());
  std::printf("LISTENING %d\n", host.port());
  std::fflush(stdout);
  reactor.callLater(tw::Seconds(seconds), [&reactor] { reactor.stop(); });
  reactor.run();
  return 0;
}
