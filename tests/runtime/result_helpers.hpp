/// @file
/// Test helpers for the combinator and primitive tests, until tw::trial provides them: take a
/// Deferred's result as trial's successResultOf / failureResultOf do, expect no result, expect no
/// logged error. Twisted: twisted.trial._synctest (successResultOf, failureResultOf,
/// assertNoResult).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <gtest/gtest.h>

#include "tw/deferred.hpp"
#include "tw/failure.hpp"
#include "tw/logger.hpp"

namespace tw::test {

/// Twisted's GenericError: the failure these tests fire with.
class GenericError : public std::runtime_error {
 public:
  explicit GenericError(const std::string& what = "generic") : std::runtime_error(what) {}
};

/// Takes the result of `d` (which must have one): its value, or a Failure. Like trial, it adds a
/// callback pair, so the result is consumed (a failure is handled).
template <class T>
std::pair<std::optional<detail::Stored<T>>, std::optional<Failure>> takeResult(Deferred<T> d) {
  if (!d.hasResult()) {
    throw std::logic_error("Result expected on " + d.repr() + ", found no result instead");
  }
  std::optional<detail::Stored<T>> value;
  std::optional<Failure> failure;
  auto onFailure = [&](Failure f) { failure = std::move(f); };
  if constexpr (std::is_void_v<T>) {
    d.addCallbacks([&] { value.emplace(); }, onFailure);
  } else {
    d.addCallbacks([&](detail::Stored<T>&& v) { value.emplace(std::move(v)); }, onFailure);
  }
  return {std::move(value), std::move(failure)};
}

/// The value `d` holds now. Twisted: SynchronousTestCase.successResultOf.
/// @throws std::logic_error when `d` has no result or a failure.
template <class T>
detail::Stored<T> successResultOf(Deferred<T> d) {
  std::string repr = d.repr();
  auto [value, failure] = takeResult(std::move(d));
  if (failure) {
    throw std::logic_error("Success result expected on " + repr +
                           ", found failure result instead: " + failure->repr());
  }
  return std::move(*value);
}

/// The Failure `d` holds now, which must be one of `E...` (any type when none is given).
/// Twisted: SynchronousTestCase.failureResultOf.
/// @throws std::logic_error when `d` has no result, a value, or a failure of another type.
template <class... E, class T>
Failure failureResultOf(Deferred<T> d) {
  std::string repr = d.repr();
  auto [value, failure] = takeResult(std::move(d));
  if (!failure) {
    throw std::logic_error("Failure result expected on " + repr + ", found success instead");
  }
  if constexpr (sizeof...(E) > 0) {
    if (failure->template check<E...>() == nullptr) {
      throw std::logic_error("Failure of another type expected on " + repr + ", found " +
                             failure->repr());
    }
  }
  return *failure;
}

/// Expects that `d` has no result yet. Twisted: SynchronousTestCase.assertNoResult.
template <class T>
void assertNoResult(const Deferred<T>& d) {
  EXPECT_FALSE(d.hasResult()) << "No result expected on " << d.repr();
}

/// Captures the log for a whole test and, when destroyed (after the test's Deferreds, if declared
/// first), expects that no error was logged: no unexpected "Unhandled error in Deferred".
class ExpectNoLoggedErrors {
 public:
  ExpectNoLoggedErrors() = default;
  ExpectNoLoggedErrors(const ExpectNoLoggedErrors&) = delete;
  ExpectNoLoggedErrors& operator=(const ExpectNoLoggedErrors&) = delete;
  ~ExpectNoLoggedErrors() {
    for (const LogEvent& event : capture_.errors()) ADD_FAILURE() << event.format();
  }

 private:
  LogCapture capture_;
};

}  // namespace tw::test
