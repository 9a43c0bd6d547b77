/// @file
/// tw-run's plugins (plugins.hpp).
#include "plugins.hpp"

#include <memory>
#include <stdexcept>
#include <string>

#include "echo.hpp"
#include "qotd.hpp"
#include "tw/address.hpp"
#include "tw/internet_services.hpp"
#include "tw/logger.hpp"

namespace tw_run {

namespace {

/// A TCPServer that logs its port once listening, and when it stops.
class LoggedTCPServer : public tw::TCPServer {
 public:
  using tw::TCPServer::TCPServer;
  void privilegedStartService() override {
    tw::TCPServer::privilegedStartService();
    logListening();
  }
  void startService() override {
    bool had = port() != nullptr;
    tw::TCPServer::startService();
    if (!had) logListening();
  }
  tw::Deferred<void> stopService() override {
    int p = portNumber();
    tw::Deferred<void> d = tw::TCPServer::stopService();
    std::string label = name();
    return d.addCallback([label, p] {
      tw::Logger("tw_run").info(label + " stopped listening on " + std::to_string(p));
    });
  }

 private:
  int portNumber() const {
    if (!port()) return -1;
    return dynamic_cast<const tw::IPv4Address&>(*port()->getHost()).port();
  }
  void logListening() {
    tw::Logger("tw_run").info(name() + " LISTENING " + std::to_string(portNumber()));
  }
};

int portOption(const tw::ServiceOptions& options) {
  const std::string& text = options.at("port");
  try {
    std::size_t used = 0;
    int port = std::stoi(text, &used);
    if (used == text.size() && port >= 0 && port <= 65535) return port;
  } catch (const std::exception&) {
  }
  throw tw::UsageError("--port must be a number from 0 to 65535, not '" + text + "'");
}

}  // namespace

void registerPlugins(tw::PluginRegistry& registry) {
  registry.add(std::make_shared<tw::SimpleServiceMaker>(
      "echo", "An echo server: sends back every byte it receives.",
      std::vector<tw::OptionSpec>{{"port", "8007", "The TCP port to listen on (0: any free one)."},
                                  {"interface", "", "The interface to bind (default: all)."}},
      [](const tw::ServiceOptions& options, tw::PosixReactorBase& reactor) {
        auto service = std::make_shared<LoggedTCPServer>(reactor, portOption(options),
                                                         std::make_shared<echo::EchoFactory>(), 50,
                                                         options.at("interface"));
        service->setName("echo");
        return service;
      }));
  registry.add(std::make_shared<tw::SimpleServiceMaker>(
      "qotd", "A quote of the day server: sends a quote to each client, then hangs up.",
      std::vector<tw::OptionSpec>{
          {"port", "8017", "The TCP port to listen on (0: any free one)."},
          {"interface", "", "The interface to bind (default: all)."},
          {"quote", std::string(qotd::kDefaultQuote), "The quote to serve."}},
      [](const tw::ServiceOptions& options, tw::PosixReactorBase& reactor) {
        auto service = std::make_shared<LoggedTCPServer>(
            reactor, portOption(options), std::make_shared<qotd::QOTDFactory>(options.at("quote")),
            50, options.at("interface"));
        service->setName("qotd");
        return service;
      }));
}

}  // namespace tw_run
