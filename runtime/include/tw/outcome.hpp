/// @file
/// Outcome: what one Deferred ended with, a value or a Failure, as a DeferredList reports it.
/// Twisted: the `result` half of the `(success, result)` pairs of
/// twisted.internet.defer.DeferredList. Tests: tests/runtime/deferred_list_test.cpp
#pragma once

#include <concepts>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "tw/detail/core.hpp"
#include "tw/failure.hpp"

namespace tw {

/// A value of type T (`detail::VoidValue` for `Outcome<void>`) or a Failure.
///
/// DeferredList reports each input as a `std::pair<bool, Outcome<T>>`, Twisted's
/// `(success, result)`: the bool is `outcome.succeeded()`.
///
/// Differs from Twisted: Twisted stores the value itself or the Failure object in the pair;
/// C++ needs one type for both, so Outcome holds either.
template <class T>
class Outcome {
 public:
  /// The type of the value: T, or `detail::VoidValue` for void.
  using value_type = detail::Stored<T>;

  /// A success holding `value`.
  Outcome(value_type value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  /// A failure.
  Outcome(Failure failure) : state_(std::in_place_index<1>, std::move(failure)) {}  // NOLINT
  /// A success of an `Outcome<void>`.
  Outcome() requires std::is_void_v<T> : state_(std::in_place_index<0>) {}

  /// True for a value, false for a Failure (Twisted's SUCCESS / FAILURE flag).
  [[nodiscard]] bool succeeded() const noexcept { return state_.index() == 0; }

  /// The value.
  /// @throws the failure's original exception (`Failure::raiseException`) when this is a failure.
  [[nodiscard]] const value_type& value() const& {
    if (!succeeded()) std::get<1>(state_).raiseException();
    return std::get<0>(state_);
  }
  /// The value, mutable. @throws as the const overload.
  [[nodiscard]] value_type& value() & {
    if (!succeeded()) std::get<1>(state_).raiseException();
    return std::get<0>(state_);
  }
  /// The value, moved out. @throws as the const overload.
  [[nodiscard]] value_type&& value() && {
    if (!succeeded()) std::get<1>(state_).raiseException();
    return std::get<0>(std::move(state_));
  }

  /// The Failure.
  /// @throws std::logic_error when this is a success.
  [[nodiscard]] const Failure& failure() const {
    if (succeeded()) throw std::logic_error("tw::Outcome::failure() called on a success");
    return std::get<1>(state_);
  }

  /// Equal when both succeeded with equal values (always equal for void), or both failed with
  /// the same exception object (`Failure::operator==`).
  friend bool operator==(const Outcome& a, const Outcome& b) requires(std::is_void_v<T> ||
                                                                      std::equality_comparable<T>) {
    if (a.succeeded() != b.succeeded()) return false;
    if (!a.succeeded()) return std::get<1>(a.state_) == std::get<1>(b.state_);
    if constexpr (std::is_void_v<T>) {
      return true;
    } else {
      return std::get<0>(a.state_) == std::get<0>(b.state_);
    }
  }

 private:
  std::variant<value_type, Failure> state_;
};

}  // namespace tw
