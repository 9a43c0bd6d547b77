/// @file
/// Properties of the remote calculator: whatever the requests and however their bytes are
/// split, the server answers each one as Calculation does, and a client paired with it gets
/// every answer in order.
#include "calculator.hpp"

#include <rapidcheck.h>

#include <cstdint>
#include <string>
#include <vector>

#include <tw/fakes/iosim.hpp>
#include <tw/fakes/string_transport.hpp>
#include <tw/trial/assertions.hpp>
#include <tw/trial/generators.hpp>
#include <tw/trial/prop.hpp>

namespace {

const char* const kOperations[] = {"add", "subtract", "multiply", "divide"};

/// A generated request: an operation (0-3) and two operands, small or anywhere in int's range.
struct Request {
  int operation;
  int a;
  int b;
};

rc::Gen<int> operand() {
  return rc::gen::oneOf(rc::gen::inRange(-100, 101), rc::gen::arbitrary<int>());
}

rc::Gen<Request> request() {
  return rc::gen::construct<Request>(rc::gen::inRange(0, 4), operand(), operand());
}

std::string line(const Request& r) {
  return std::string(kOperations[r.operation]) + " " + std::to_string(r.a) + " " +
         std::to_string(r.b);
}

/// What the answer must be, computed independently of Calculation (in 64 bits).
std::string expected(const Request& r) {
  std::int64_t a = r.a;
  std::int64_t b = r.b;
  std::int64_t result = 0;
  switch (r.operation) {
    case 0:
      result = a + b;
      break;
    case 1:
      result = a - b;
      break;
    case 2:
      result = a * b;
      break;
    default:
      if (b == 0) return "error: division by zero";
      result = a / b;
      if (a % b != 0 && ((a < 0) != (b < 0))) --result;
  }
  if (result < INT32_MIN || result > INT32_MAX) return "error: result out of range";
  return std::to_string(result);
}

}  // namespace

// The server answers any sequence of requests, delivered in any chunking, as the reference does.
TW_PROP(CalculatorPropertyTests, serverAnswersAnyChunking, ()) {
  auto requests = *rc::gen::container<std::vector<Request>>(request());
  std::string input;
  std::string output;
  for (const auto& r : requests) {
    input += line(r) + "\r\n";
    output += expected(r) + "\r\n";
  }
  auto pieces = *tw::trial::chunkings(input);
  calculator::CalculatorServer server;
  tw::fakes::StringTransport tr;
  server.makeConnection(tr);
  for (const auto& piece : pieces) server.dataReceived(piece);
  RC_ASSERT(tr.value() == output);
}

// A client paired with the server in memory gets each answer on its own Deferred, in order.
TW_PROP(CalculatorPropertyTests, clientGetsEveryAnswer, ()) {
  auto requests = *rc::gen::container<std::vector<Request>>(request());
  auto& clock = tw::trial::propReactor();
  auto pair = tw::fakes::connectedServerAndClient(
      [] { return std::make_shared<calculator::CalculatorServer>(); },
      [&] { return std::make_shared<calculator::CalculatorClient>(clock); });
  std::vector<tw::Deferred<int>> answers;
  for (const auto& r : requests) {
    auto& c = *pair.client;
    switch (r.operation) {
      case 0:
        answers.push_back(c.add(r.a, r.b));
        break;
      case 1:
        answers.push_back(c.subtract(r.a, r.b));
        break;
      case 2:
        answers.push_back(c.multiply(r.a, r.b));
        break;
      default:
        answers.push_back(c.divide(r.a, r.b));
        break;
    }
  }
  pair.pump.flush();
  for (std::size_t i = 0; i < requests.size(); ++i) {
    std::string want = expected(requests[i]);
    if (want.starts_with("error")) {
      auto failure = tw::trial::failureResultOf<calculator::CalculationError>(answers[i]);
      RC_ASSERT(failure.getErrorMessage() == want);
    } else {
      RC_ASSERT(std::to_string(tw::trial::successResultOf(answers[i])) == want);
    }
  }
  RC_ASSERT(pair.client->pending() == 0u);
}
