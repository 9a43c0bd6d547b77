/// @file
/// Failure: an exception travelling down a Deferred's errback chain as a value.
/// Twisted: twisted.python.failure.Failure.  Tests: tests/runtime/failure_test.cpp
#pragma once

#include <exception>
#include <iosfwd>
#include <source_location>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace tw {

/// Raised by `Failure::fromCurrentException()` (and `errback()` without an argument) when no
/// exception is being handled.
/// Twisted: twisted.python.failure.NoCurrentExceptionError.
class NoCurrentExceptionError : public std::logic_error {
 public:
  NoCurrentExceptionError()
      : std::logic_error("Failure created without an exception and none is being handled") {}
};

/// An exception captured as a value, with the place where it entered a Deferred chain.
///
/// A Failure is cheap to copy (it shares the exception object, like `std::exception_ptr`) and
/// never rethrows to inspect its exception: `check`, `trap` and `value` match the exception's
/// dynamic type against the requested types the way a `catch` clause would (derived classes
/// match their bases), without unwinding.
///
/// Differs from Twisted:
/// - There are no Python frames. Instead a Failure records the `std::source_location` where it
///   entered the chain: the `errback()` call that fired it, or the registration (`addCallback`,
///   `addErrback`, ...) of the callback that threw it. `getTraceback()` prints that place.
/// - `check()` and `trap()` return the matched `std::type_info` (Twisted returns the class).
class Failure {
 public:
  /// Wraps an exception pointer.
  /// @throws std::invalid_argument if `exception` is null.
  explicit Failure(std::exception_ptr exception,
                   std::source_location where = std::source_location::current());

  /// Wraps a copy of an exception object (any type, usually one derived from std::exception).
  template <class E>
  requires(
      !std::is_same_v<std::remove_cvref_t<E>, Failure> &&
      !std::is_same_v<std::remove_cvref_t<E>,
                      std::exception_ptr>) explicit Failure(E&& exception,
                                                            std::source_location where =
                                                                std::source_location::current())
      : Failure(std::make_exception_ptr(std::forward<E>(exception)), where) {}

  /// The Failure of the exception being handled (call it in a `catch` block).
  /// @throws NoCurrentExceptionError when no exception is being handled.
  static Failure fromCurrentException(std::source_location where = std::source_location::current());

  /// Returns the first of `E...` that the exception is (a subclass of), or nullptr.
  template <class... E>
  [[nodiscard]] const std::type_info* check() const noexcept {
    static_assert(sizeof...(E) > 0, "check<E...>() needs at least one type");
    const std::type_info* found = nullptr;
    ((found == nullptr && matches(typeid(E)) ? (found = &typeid(E), true) : false) || ...);
    return found;
  }

  /// Like check(), but rethrows the original exception (not the Failure) when nothing matches.
  template <class... E>
  const std::type_info& trap() const {
    if (const std::type_info* t = check<E...>()) return *t;
    raiseException();
  }

  /// The exception as an `E` if it is one (or derives from it), else nullptr.
  template <class E>
  [[nodiscard]] const E* value() const noexcept {
    return static_cast<const E*>(adjustTo(typeid(E)));
  }

  /// The exception's message: `what()` for a std::exception, a description otherwise.
  [[nodiscard]] std::string getErrorMessage() const;

  /// Rethrows the original exception.
  [[noreturn]] void raiseException() const;

  /// The dynamic type of the exception.
  [[nodiscard]] const std::type_info& type() const noexcept { return *type_; }

  /// The demangled name of the exception's dynamic type, e.g. "std::runtime_error".
  [[nodiscard]] std::string typeName() const;

  /// Where the failure entered the chain.
  [[nodiscard]] const std::source_location& where() const noexcept { return where_; }

  /// The wrapped exception.
  [[nodiscard]] const std::exception_ptr& exception() const noexcept { return exception_; }

  /// One line: `<tw::Failure std::runtime_error: boom>`.
  [[nodiscard]] std::string repr() const;

  /// Several lines: type, message and where the failure entered the chain.
  [[nodiscard]] std::string getTraceback() const;

  /// True when both wrap the same exception object.
  friend bool operator==(const Failure& a, const Failure& b) noexcept {
    return a.exception_ == b.exception_;
  }

 private:
  bool matches(const std::type_info& target) const noexcept;
  const void* adjustTo(const std::type_info& target) const noexcept;

  std::exception_ptr exception_;
  const std::type_info* type_;
  void* object_;  // the thrown object, or nullptr where the ABI does not expose it
  std::source_location where_;
};

/// Prints `repr()`.
std::ostream& operator<<(std::ostream& out, const Failure& failure);

/// The demangled name of a type.
std::string demangle(const std::type_info& type);

/// The name of a type without its namespaces, as Python's `__name__` (e.g. "Echo" for
/// `app::Echo`); used by logPrefix().
std::string shortTypeName(const std::type_info& type);

}  // namespace tw
