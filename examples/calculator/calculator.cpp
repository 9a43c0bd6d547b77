/// @file
/// The remote calculator's server, client and arithmetic.  See calculator.hpp.
#include "calculator.hpp"

#include <charconv>
#include <climits>
#include <string>
#include <utility>
#include <vector>

#include "tw/error.hpp"

namespace calculator {

namespace {

[[noreturn]] void outOfRange() { throw std::overflow_error("result out of range"); }

/// The words of `line`, split at spaces and tabs.
std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    i = line.find_first_not_of(" \t", i);
    if (i == std::string_view::npos) break;
    std::size_t end = line.find_first_of(" \t", i);
    if (end == std::string_view::npos) end = line.size();
    out.push_back(line.substr(i, end - i));
    i = end;
  }
  return out;
}

/// The int written in `word` (decimal, optional '-'), or nothing.
std::optional<int> parseInt(std::string_view word) {
  int value = 0;
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (ec != std::errc() || end != word.data() + word.size()) return std::nullopt;
  return value;
}

}  // namespace

// --- Calculation -----------------------------------------------------------------------------

int Calculation::add(int a, int b) {
  int r = 0;
  if (__builtin_add_overflow(a, b, &r)) outOfRange();
  return r;
}

int Calculation::subtract(int a, int b) {
  int r = 0;
  if (__builtin_sub_overflow(a, b, &r)) outOfRange();
  return r;
}

int Calculation::multiply(int a, int b) {
  int r = 0;
  if (__builtin_mul_overflow(a, b, &r)) outOfRange();
  return r;
}

int Calculation::divide(int a, int b) {
  if (b == 0) throw std::domain_error("division by zero");
  if (a == INT_MIN && b == -1) outOfRange();
  int q = a / b;
  // C++ rounds towards zero; Python's // (the tutorial's divide) rounds down.
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

std::string Calculation::answer(std::string_view request) {
  auto w = words(request);
  if (w.size() != 3) return "error: expected '<operation> <a> <b>'";
  int (*operation)(int, int) = nullptr;
  if (w[0] == "add") {
    operation = &Calculation::add;
  } else if (w[0] == "subtract") {
    operation = &Calculation::subtract;
  } else if (w[0] == "multiply") {
    operation = &Calculation::multiply;
  } else if (w[0] == "divide") {
    operation = &Calculation::divide;
  } else {
    return "error: unknown operation '" + std::string(w[0]) + "'";
  }
  auto a = parseInt(w[1]);
  auto b = parseInt(w[2]);
  if (!a || !b) {
    return "error: not an integer: '" + std::string(a ? w[2] : w[1]) + "'";
  }
  try {
    return std::to_string(operation(*a, *b));
  } catch (const std::exception& e) {
    return std::string("error: ") + e.what();
  }
}

// --- server ----------------------------------------------------------------------------------

void CalculatorServer::lineReceived(std::string_view line) { sendLine(Calculation::answer(line)); }

std::shared_ptr<tw::IProtocol> CalculatorFactory::buildProtocol(const tw::IAddress& /*addr*/) {
  return makeProtocol<CalculatorServer>();
}

// --- client ----------------------------------------------------------------------------------

tw::Deferred<int> CalculatorClient::sendOperation(std::string_view operation, int a, int b) {
  if (!connected() || transport()->disconnecting()) {
    return tw::fail<int>(tw::error::ConnectionDone("the calculator client is not connected"));
  }
  tw::Deferred<int> d;
  results_.push_back(d);
  sendLine(std::string(operation) + " " + std::to_string(a) + " " + std::to_string(b));
  setTimeout(answerTimeout_);
  return d;
}

void CalculatorClient::lineReceived(std::string_view line) {
  if (results_.empty()) {
    // The server said something nobody asked for: it is not a calculator we understand.
    transport()->loseConnection();
    return;
  }
  // Take the Deferred out before firing it: its callbacks may send new requests or close the
  // connection (which fails what is still pending).
  tw::Deferred<int> d = std::move(results_.front());
  results_.pop_front();
  if (results_.empty()) {
    setTimeout(std::nullopt);
  } else {
    resetTimeout();
  }
  if (auto value = parseInt(line)) {
    d.callback(*value);
  } else {
    d.errback(tw::Failure(CalculationError(std::string(line))));
  }
}

void CalculatorClient::connectionLost(const tw::Failure& reason) {
  setTimeout(std::nullopt);
  failAll(reason);
  tw::LineReceiver::connectionLost(reason);
}

void CalculatorClient::timeoutConnection() {
  // Close first, so that the errbacks see a closed connection; the requests taken out here
  // fail with the timeout, not with the close.
  std::deque<tw::Deferred<int>> pending;
  pending.swap(results_);
  transport()->loseConnection();
  tw::Failure timedOut(tw::error::TimeoutError("no answer from the calculator"));
  for (auto& d : pending) d.errback(timedOut);
}

void CalculatorClient::failAll(const tw::Failure& reason) {
  std::deque<tw::Deferred<int>> pending;
  pending.swap(results_);
  for (auto& d : pending) d.errback(reason);
}

std::shared_ptr<tw::IProtocol> CalculatorClientFactory::buildProtocol(
    const tw::IAddress& /*addr*/) {
  return makeProtocol<CalculatorClient>(clock_, timeout_);
}

}  // namespace calculator
