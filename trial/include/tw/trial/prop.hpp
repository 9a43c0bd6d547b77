/// @file
/// TW_PROP: a RapidCheck property as a GoogleTest test, with a fresh MemoryReactorClock per case
/// and the janitor run per case.  Twisted: none (Hypothesis users write this by hand).
/// Tests: tests/trial/prop_test.cpp
///
/// @code
/// TW_PROP(ClientProperties, retriesAreSpaced, (std::uint8_t failures)) {
///   auto& reactor = tw::trial::propReactor();    // this case's own reactor and clock
///   ...
///   RC_ASSERT(...);
/// }
/// @endcode
///
/// Each case (and each shrinking step) runs on a new `tw::fakes::MemoryReactorClock`.  After the
/// body, the case fails (and RapidCheck shrinks it) if a delayed call is still pending on that
/// clock — each named with where callLater was called — or if an error was logged during the
/// case ("Unhandled error in Deferred", a Logger error) and not taken with flushLoggedErrors().
///
/// Reproducing a failure: RapidCheck prints the seed it used ("Using configuration: seed=...")
/// and, on failure, the shrunk arguments and a line `RC_PARAMS="reproduce=..."`; run the binary
/// again with that environment variable (and --gtest_filter=Suite.Name) to replay the failing
/// case at once, or with RC_PARAMS="seed=<seed>" to replay the whole run.
#pragma once

#include <rapidcheck.h>

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tw/fakes/memory_reactor.hpp"
#include "tw/logger.hpp"
#include "tw/trial/logged_errors.hpp"

namespace tw::trial {

/// The MemoryReactorClock of the property case being run.
/// @throws std::logic_error outside a TW_PROP case.
fakes::MemoryReactorClock& propReactor();

namespace detail {

/// One property case: installs a fresh reactor as propReactor() and watches the log; `check()`
/// fails the case (RC_FAIL) for leftovers and logged errors.
class PropCase {
 public:
  PropCase();
  ~PropCase();
  PropCase(const PropCase&) = delete;
  PropCase& operator=(const PropCase&) = delete;
  /// Fails the case if anything was left behind; cleans the reactor.
  void check();

 private:
  fakes::MemoryReactorClock reactor_;
  fakes::MemoryReactorClock* previous_;
  LoggedErrorsScope logged_;
};

template <class... Args>
void checkProp(void (*property)(Args...)) {
  ::rc::detail::checkGTest([property](Args... args) {
    PropCase current;
    property(std::move(args)...);
    current.check();
  });
}

}  // namespace detail
}  // namespace tw::trial

/// Defines a property `Suite.Name` whose arguments (`ArgList`, parenthesized) RapidCheck
/// generates, run as described in prop.hpp.
#define TW_PROP(Suite, Name, ArgList)                                             \
  void twProp_##Suite##_##Name ArgList;                                           \
  TEST(Suite, Name) { ::tw::trial::detail::checkProp(&twProp_##Suite##_##Name); } \
  void twProp_##Suite##_##Name ArgList
