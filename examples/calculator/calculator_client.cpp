/// @file
/// calculator_client PORT EXPR...: sends each EXPR (`add 4123 9423`, `divide 1 0`: an operation
/// among add, subtract, multiply, divide and two integers) to the calculator server on
/// 127.0.0.1:PORT, all at once, and prints each answer in order:
/// @code
///   $ calculator_client 4242 "add 4123 9423" "divide 1 0"
///   add 4123 9423 = 13546
///   divide 1 0: error: division by zero
/// @endcode
/// Exits 0 if every expression was answered (a result or an error line), 1 if the connection
/// failed or was lost or an answer took more than 10 s, 2 for bad arguments.
/// Twisted: the trial tutorial's calculus/client_3.py, driven from the command line.
/// Tests: scripts/demo.sh (against calculator_server).
#include <charconv>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "calculator.hpp"
#include "tw/deferred.hpp"
#include "tw/posix_reactor.hpp"

namespace {

using namespace std::chrono_literals;

/// One expression from the command line.
struct Expression {
  std::string text;
  std::string operation;
  int a = 0;
  int b = 0;
};

bool parseInt(const std::string& word, int& out) {
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), out);
  return ec == std::errc() && end == word.data() + word.size();
}

/// `<operation> <a> <b>`, or nothing.
std::optional<Expression> parseExpression(const std::string& text) {
  std::istringstream in(text);
  Expression e{text, {}, 0, 0};
  std::string a, b, extra;
  if (!(in >> e.operation >> a >> b) || (in >> extra)) return std::nullopt;
  if (e.operation != "add" && e.operation != "subtract" && e.operation != "multiply" &&
      e.operation != "divide") {
    return std::nullopt;
  }
  if (!parseInt(a, e.a) || !parseInt(b, e.b)) return std::nullopt;
  e.text = e.operation + " " + a + " " + b;
  return e;
}

tw::Deferred<int> send(calculator::CalculatorClient& client, const Expression& e) {
  if (e.operation == "add") return client.add(e.a, e.b);
  if (e.operation == "subtract") return client.subtract(e.a, e.b);
  if (e.operation == "multiply") return client.multiply(e.a, e.b);
  return client.divide(e.a, e.b);
}

/// Sends every expression, then prints the answers in order.  Fires with the exit status.
tw::Deferred<int> session(std::shared_ptr<calculator::CalculatorClient> client,
                          std::vector<Expression> expressions) {
  std::vector<tw::Deferred<int>> answers;
  for (const auto& e : expressions) answers.push_back(send(*client, e));
  int status = 0;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    try {
      const int value = co_await answers[i];
      std::printf("%s = %d\n", expressions[i].text.c_str(), value);
    } catch (const calculator::CalculationError& e) {
      std::printf("%s: %s\n", expressions[i].text.c_str(), e.what());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "calculator_client: %s: no answer: %s\n", expressions[i].text.c_str(),
                   e.what());
      status = 1;
    }
    std::fflush(stdout);
  }
  if (client->connected()) client->transport()->loseConnection();
  co_return status;
}

/// The example's client factory, which runs the session once the client is connected and stops
/// the reactor when the connection ends or cannot be made.
class SessionFactory : public calculator::CalculatorClientFactory {
 public:
  SessionFactory(tw::EpollReactor& reactor, std::vector<Expression> expressions)
      : calculator::CalculatorClientFactory(reactor, 10s),
        reactor_(reactor),
        expressions_(std::move(expressions)) {}

  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& addr) override {
    auto protocol = calculator::CalculatorClientFactory::buildProtocol(addr);
    auto client = std::dynamic_pointer_cast<calculator::CalculatorClient>(protocol);
    // The connection is made once buildProtocol returns: start one step later.
    reactor_.callLater(0s, [this, client] {
      session(client, expressions_).addCallback([this](int status) { status_ = status; });
    });
    return protocol;
  }
  void clientConnectionFailed(tw::IConnector& /*connector*/, const tw::Failure& reason) override {
    std::fprintf(stderr, "calculator_client: cannot connect: %s\n",
                 reason.getErrorMessage().c_str());
    finish();
  }
  void clientConnectionLost(tw::IConnector& /*connector*/, const tw::Failure& /*reason*/) override {
    finish();
  }

  /// 0 once every expression was answered.
  int status() const noexcept { return status_; }

 private:
  void finish() {
    if (reactor_.running()) reactor_.stop();
  }

  tw::EpollReactor& reactor_;
  std::vector<Expression> expressions_;
  int status_ = 1;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::vector<Expression> expressions;
  bool ok = argc >= 3 && parseInt(argv[1], port) && port > 0 && port <= 65535;
  for (int i = 2; ok && i < argc; ++i) {
    auto e = parseExpression(argv[i]);
    if (!e) {
      std::fprintf(stderr, "calculator_client: not an expression: '%s'\n", argv[i]);
      ok = false;
    } else {
      expressions.push_back(*e);
    }
  }
  if (!ok) {
    std::fprintf(stderr,
                 "usage: calculator_client PORT EXPR...\n"
                 "  EXPR: add|subtract|multiply|divide A B, e.g. \"add 4123 9423\"\n");
    return 2;
  }
  tw::EpollReactor reactor;
  auto factory = std::make_shared<SessionFactory>(reactor, std::move(expressions));
  factory->setNoisy(false);
  reactor.connectTCP("127.0.0.1", port, factory, 10s);
  // A bound on the whole run, beyond the client's own 10 s answer timeout.
  bool timedOut = false;
  reactor.callLater(60s, [&] {
    timedOut = true;
    reactor.stop();
  });
  reactor.run();
  if (timedOut) {
    std::fprintf(stderr, "calculator_client: timed out\n");
    return 1;
  }
  return factory->status();
}
