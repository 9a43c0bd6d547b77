/// @file
/// Errors logged during a test: collected per test, and failing it unless the test takes them
/// with flushLoggedErrors<E...>().  Twisted: twisted.trial._synctest (flushLoggedErrors) and
/// util._Janitor's observer.  Tests: tests/trial/logged_errors_test.cpp
///
/// Every error event published on tw's log (a `Logger` error or critical, and an "Unhandled
/// error in Deferred" when a Deferred holding an unhandled Failure goes away) is kept by the
/// innermost open `LoggedErrorsScope`.  TW_TEST and each TW_PROP case open one, and so does
/// every plain TEST of a binary linked with tw::trial_main (installLoggedErrorsListener()); at
/// the end of the test, each error still kept fails it, named with its Failure.
///
/// @code
/// TEST(ParserTests, logsBadFrames) {
///   parser.dataReceived("\xff");                      // logs a tw::error::MessageLengthError
///   auto flushed = tw::trial::flushLoggedErrors<tw::error::MessageLengthError>();
///   EXPECT_EQ(flushed.size(), 1u);                    // and the test passes
/// }
/// @endcode
///
/// Differs from Twisted: errors logged from other threads are kept by the scope open when they
/// are logged (Twisted's observer is process-wide too); a scope outside any test keeps nothing.
#pragma once

#include <functional>
#include <vector>

#include "tw/failure.hpp"
#include "tw/logger.hpp"

namespace tw::trial {

/// While it lives (and no inner scope is open), keeps every error logged on the global log
/// publisher.  Scopes nest: an inner scope hides the outer one until it closes.
class LoggedErrorsScope {
 public:
  LoggedErrorsScope();
  ~LoggedErrorsScope();
  LoggedErrorsScope(const LoggedErrorsScope&) = delete;
  LoggedErrorsScope& operator=(const LoggedErrorsScope&) = delete;

  /// Takes the errors kept so far (those not flushed), leaving none.
  std::vector<LogEvent> take();

 private:
  std::vector<LogEvent> events_;
};

/// Formats the errors a test left unflushed, one paragraph each, for a test failure.
std::string describeUnflushed(const std::vector<LogEvent>& events);

namespace detail {
/// Takes the innermost scope's error events whose Failure satisfies `matches` (all error
/// events, even those without a Failure, when `matches` is empty).
std::vector<Failure> flushLoggedErrorsIf(const std::function<bool(const Failure&)>& matches);
}  // namespace detail

/// Takes the errors logged so far in this test (the innermost open scope) whose Failure is one of
/// `E...`, or every logged error when none is given, so they do not fail the test; returns their
/// Failures.  Twisted: TestCase.flushLoggedErrors(*errorTypes).
template <class... E>
std::vector<Failure> flushLoggedErrors() {
  if constexpr (sizeof...(E) == 0) {
    return detail::flushLoggedErrorsIf({});
  } else {
    return detail::flushLoggedErrorsIf(
        [](const Failure& f) { return f.template check<E...>() != nullptr; });
  }
}

/// Makes every test of the program collect its logged errors and fail for those it leaves
/// unflushed (a GoogleTest event listener).  tw::trial_main calls it; a program with its own
/// main() calls it after InitGoogleTest.  Idempotent.
void installLoggedErrorsListener();

}  // namespace tw::trial
