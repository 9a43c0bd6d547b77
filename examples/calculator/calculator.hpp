/// @file
/// The remote calculator: a line-based server that does arithmetic, and its client, whose
/// operations return Deferreds.
/// Twisted: the "Test-driven development with Twisted" tutorial (calculus/remote_*.py,
/// calculus/client_*.py).  Tests: examples/calculator/tests/calculator_test.cpp,
/// examples/calculator/tests/calculator_property_test.cpp
///
/// The conversation, one request and one answer per line:
/// @code
///   client: add 4123 9423\r\n        server: 13546\r\n
///   client: divide 1 0\r\n           server: error: division by zero\r\n
/// @endcode
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tw/deferred.hpp"
#include "tw/factory.hpp"
#include "tw/interfaces/i_reactor_time.hpp"
#include "tw/line_receiver.hpp"
#include "tw/timeout_mixin.hpp"

namespace calculator {

/// The arithmetic itself, with no networking: what the server computes for one request.
/// Twisted: calculus.base_3.Calculation.
///
/// Differs from the tutorial: numbers are `int` (Python's are unbounded), so an overflow is an
/// error; division floors as Python's `//` does (-7 / 2 is -4).
class Calculation {
 public:
  /// a + b.  @throws std::overflow_error if the result does not fit an int.
  static int add(int a, int b);
  /// a - b.  @throws std::overflow_error if the result does not fit an int.
  static int subtract(int a, int b);
  /// a * b.  @throws std::overflow_error if the result does not fit an int.
  static int multiply(int a, int b);
  /// a divided by b, rounded towards minus infinity.
  /// @throws std::domain_error "division by zero" if b is 0; std::overflow_error for
  ///         INT_MIN / -1.
  static int divide(int a, int b);

  /// Answers one request line, `<operation> <a> <b>` (single spaces or tabs between words): the
  /// result in decimal, or a line starting with "error: " that says what was wrong.
  static std::string answer(std::string_view request);
};

/// The server's protocol: answers each request line with one line.  Twisted:
/// calculus.remote_1.RemoteCalculationProtocol.
class CalculatorServer : public tw::LineReceiver {
 public:
  /// Sends Calculation::answer(line).
  void lineReceived(std::string_view line) override;
};

/// Builds a CalculatorServer per connection.  Twisted: calculus.remote_1.RemoteCalculationFactory.
class CalculatorFactory : public tw::ServerFactory {
 public:
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& addr) override;
};

/// The server answered a request with an error line.  `what()` is the server's line.
class CalculationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The client's protocol: each operation sends a request and returns a Deferred that fires with
/// the answer.  Answers come back in the order of the requests.  Twisted:
/// calculus.client_3.RemoteCalculationClient.
///
/// @code
/// auto client = std::make_shared<calculator::CalculatorClient>(reactor);
/// // ... once connected:
/// client->add(4123, 9423).addCallback([](int sum) { std::cout << sum << "\n"; });
/// @endcode
///
/// Each Deferred fires with:
///  - the number the server answered;
///  - CalculationError if the server answered an error line (or something that is no number);
///  - tw::error::TimeoutError if no answer arrived within timeout() of the last request or the
///    last answer (the client then closes the connection);
///  - the reason of connectionLost (tw::error::ConnectionDone or ConnectionLost) if the
///    connection went away first.
///
/// Differs from the tutorial: the timeout is restarted, not cancelled, by an answer while other
/// requests still wait for theirs (the tutorial's client stops timing out after the first
/// answer); an operation called when not connected fails at once with
/// tw::error::ConnectionDone instead of writing to no transport.
class CalculatorClient : public tw::LineReceiver, public tw::TimeoutMixin {
 public:
  /// The default time an answer may take, 60 s as in the tutorial.
  static constexpr tw::Seconds kDefaultTimeout{60};

  /// @param clock    where the timeout is scheduled; must outlive the client.
  /// @param timeout  how long an answer may take.
  explicit CalculatorClient(tw::IReactorTime& clock, tw::Seconds timeout = kDefaultTimeout)
      : tw::TimeoutMixin(clock), answerTimeout_(timeout) {}

  /// Sends `add a b`; fires with a + b.
  tw::Deferred<int> add(int a, int b) { return sendOperation("add", a, b); }
  /// Sends `subtract a b`; fires with a - b.
  tw::Deferred<int> subtract(int a, int b) { return sendOperation("subtract", a, b); }
  /// Sends `multiply a b`; fires with a * b.
  tw::Deferred<int> multiply(int a, int b) { return sendOperation("multiply", a, b); }
  /// Sends `divide a b`; fires with a / b rounded down, or CalculationError when b is 0.
  tw::Deferred<int> divide(int a, int b) { return sendOperation("divide", a, b); }

  /// How long an answer may take.
  tw::Seconds answerTimeout() const noexcept { return answerTimeout_; }
  /// How many requests wait for their answer.
  std::size_t pending() const noexcept { return results_.size(); }

  /// Fires the oldest pending Deferred with the answer.  An answer nobody asked for closes the
  /// connection.
  void lineReceived(std::string_view line) override;
  /// Fails every pending Deferred with `reason` and stops the timeout.
  void connectionLost(const tw::Failure& reason) override;

 protected:
  /// Closes the connection, then fails every pending Deferred with tw::error::TimeoutError.
  void timeoutConnection() override;

 private:
  tw::Deferred<int> sendOperation(std::string_view operation, int a, int b);
  void failAll(const tw::Failure& reason);

  tw::Seconds answerTimeout_;
  std::deque<tw::Deferred<int>> results_;
};

/// Builds CalculatorClients that time out on `clock`, for connectTCP.  Twisted:
/// calculus.client_3.RemoteCalculationClientFactory (which the tutorial leaves to the reader).
class CalculatorClientFactory : public tw::ClientFactory {
 public:
  /// @param clock  where the clients' timeouts are scheduled; must outlive the factory.
  explicit CalculatorClientFactory(tw::IReactorTime& clock,
                                   tw::Seconds timeout = CalculatorClient::kDefaultTimeout)
      : clock_(clock), timeout_(timeout) {}

  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& addr) override;

 private:
  tw::IReactorTime& clock_;
  tw::Seconds timeout_;
};

}  // namespace calculator
