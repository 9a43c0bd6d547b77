/// @file
/// FailCount: fails the Nth operation (and every one after it), so a test can loop N over every
/// failure point of an exchange.  Twisted: none (Beast's test::fail_count is the model).
/// Tests: tests/fakes/fail_count_test.cpp
#pragma once

#include <cstddef>
#include <exception>

namespace tw::fakes {

/// Counts operations and fails from the `n`th one on (counting from 0: `FailCount(0)` fails the
/// first operation).
///
/// @code
/// for (std::size_t n = 0;; ++n) {
///   tw::fakes::FailCount fc(n);
///   auto c = tw::fakes::connectedServerAndClient<Server, Client>();
///   c.clientTransport().setFailCount(&fc);
///   c.serverTransport().setFailCount(&fc);
///   ... run the exchange ...
///   if (!fc.failed()) break;   // the exchange needed fewer than n operations
///   ... check the failure was reported once, nothing leaked ...
/// }
/// @endcode
///
/// FakeTransport (in <tw/fakes/iosim.hpp>) consults it on every write and ConnectionCompleter on
/// every connection attempt.
class FailCount {
 public:
  /// @param n      the index of the first operation to fail.
  /// @param error  what a failing operation reports; tw::error::ConnectionLost("injected
  ///               failure") when null.
  explicit FailCount(std::size_t n, std::exception_ptr error = nullptr);

  /// Counts one operation; true if it must fail.
  bool fail() noexcept;

  /// Counts one operation; throws the error if it must fail.
  void check();

  /// The error a failing operation reports.
  const std::exception_ptr& error() const noexcept { return error_; }

  /// Operations counted so far.
  std::size_t count() const noexcept { return count_; }

  /// True once an operation failed.
  bool failed() const noexcept { return failed_; }

 private:
  std::size_t n_;
  std::size_t count_ = 0;
  std::exception_ptr error_;
  bool failed_ = false;
};

}  // namespace tw::fakes
