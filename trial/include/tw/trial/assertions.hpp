/// @file
/// Synchronous assertions on Deferreds: take the result a Deferred holds now, or check it has
/// none.  Twisted: twisted.trial._synctest (successResultOf, failureResultOf, assertNoResult,
/// assertFailure).  Tests: tests/trial/assertions_test.cpp
#pragma once

#include <exception>
#include <optional>
#include <source_location>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "tw/deferred.hpp"
#include "tw/failure.hpp"

namespace tw::trial {

/// A trial assertion failed.  Thrown by successResultOf & co.; a GoogleTest test that lets it
/// escape fails with its message (which names the Deferred, what was expected, what was found,
/// and the line of the assertion).
class AssertionError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace detail {

std::string at(const std::source_location& where);
std::string describeFailure(const Failure& failure);

/// Takes the result of `d` (which must have one): a callback pair is added, so the result is
/// consumed and a failure is handled, as trial does.
template <class T>
std::pair<std::optional<tw::detail::Stored<T>>, std::optional<Failure>> take(Deferred<T> d) {
  std::optional<tw::detail::Stored<T>> value;
  std::optional<Failure> failure;
  auto onFailure = [&](Failure f) { failure = std::move(f); };
  if constexpr (std::is_void_v<T>) {
    d.addCallbacks([&] { value.emplace(); }, onFailure);
  } else {
    d.addCallbacks([&](tw::detail::Stored<T>&& v) { value.emplace(std::move(v)); }, onFailure);
  }
  return {std::move(value), std::move(failure)};
}

}  // namespace detail

/// The value `d` holds now (for Deferred<void>, an empty tw::detail::VoidValue); the result is
/// consumed.  Works as well on the Deferred of a coroutine (twisted#9007).
/// Twisted: SynchronousTestCase.successResultOf.
/// @throws AssertionError if `d` has no result yet, holds a failure (whose type, message and
/// origin the message shows; the failure is then handled), or was consumed already.
template <class T>
tw::detail::Stored<T> successResultOf(
    Deferred<T> d, std::source_location where = std::source_location::current()) {
  std::string repr = d.repr();
  if (!d.hasResult()) {
    throw AssertionError("successResultOf: a result was expected on " + repr +
                         ", but it has none yet" + detail::at(where));
  }
  auto [value, failure] = detail::take(std::move(d));
  if (failure) {
    throw AssertionError("successResultOf: a success was expected on " + repr +
                         ", but it holds a failure:\n" + detail::describeFailure(*failure) +
                         detail::at(where));
  }
  return std::move(*value);
}

/// The Failure `d` holds now, which must be one of `E...` (any failure when none is given); the
/// failure is consumed (handled).  Twisted: SynchronousTestCase.failureResultOf.
/// @throws AssertionError if `d` has no result, holds a value, or a failure of another type.
template <class... E, class T>
Failure failureResultOf(Deferred<T> d,
                        std::source_location where = std::source_location::current()) {
  std::string repr = d.repr();
  if (!d.hasResult()) {
    throw AssertionError("failureResultOf: a failure was expected on " + repr +
                         ", but it has no result yet" + detail::at(where));
  }
  auto [value, failure] = detail::take(std::move(d));
  if (!failure) {
    throw AssertionError("failureResultOf: a failure was expected on " + repr +
                         ", but it holds a success" + detail::at(where));
  }
  if constexpr (sizeof...(E) > 0) {
    if (failure->template check<E...>() == nullptr) {
      std::string expected;
      ((expected += (expected.empty() ? "" : " or ") + demangle(typeid(E))), ...);
      throw AssertionError("failureResultOf: a failure of type " + expected + " was expected on " +
                           repr + ", but it holds:\n" + detail::describeFailure(*failure) +
                           detail::at(where));
    }
  }
  return std::move(*failure);
}

/// Checks that `d` has no result yet.  Twisted: SynchronousTestCase.assertNoResult.
/// @throws AssertionError if it has one (a failure is then handled, so it is not reported a
///         second time as unhandled).
template <class T>
void assertNoResult(const Deferred<T>& d,
                    std::source_location where = std::source_location::current()) {
  if (!d.hasResult()) return;
  std::string repr = d.repr();
  std::string found = "a success";
  if (const Failure* f = d.failureResult()) {
    found = "a failure:\n" + detail::describeFailure(*f);
    detail::take(d);
  }
  throw AssertionError("assertNoResult: no result was expected on " + repr + ", but it holds " +
                       found + detail::at(where));
}

/// A Deferred that fires with the exception of `d` (as Twisted fires with the exception value)
/// when `d` fails with one of `E...`, and fails with AssertionError when `d` succeeds or fails
/// otherwise.  For tests that return Deferreds.  Twisted: TestCase.assertFailure.
template <class... E, class T>
requires(sizeof...(E) > 0) Deferred<std::exception_ptr> assertFailure(
    Deferred<T> d, std::source_location where = std::source_location::current()) {
  std::string repr = d.repr();
  auto onFailure = [repr, where](Failure f) -> std::exception_ptr {
    if (f.template check<E...>() == nullptr) {
      throw AssertionError("assertFailure: " + repr + " failed with another type:\n" +
                           detail::describeFailure(f) + detail::at(where));
    }
    return f.exception();
  };
  if constexpr (std::is_void_v<T>) {
    return d.addCallbacks(
        [repr, where]() -> std::exception_ptr {
          throw AssertionError("assertFailure: " + repr + " succeeded" + detail::at(where));
        },
        onFailure);
  } else {
    return d.addCallbacks(
        [repr, where](tw::detail::Stored<T>&&) -> std::exception_ptr {
          throw AssertionError("assertFailure: " + repr + " succeeded" + detail::at(where));
        },
        onFailure);
  }
}

}  // namespace tw::trial
