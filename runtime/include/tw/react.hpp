/// @file
/// react: run a reactor for as long as a main function's Deferred is pending, and turn its
/// outcome into a process exit code.
/// Twisted: twisted.internet.task.react.  Tests: tests/runtime/react_test.cpp,
/// tests/integration/react_test.cpp
#pragma once

#include <concepts>
#include <functional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_reactor_core.hpp"

namespace tw {

/// Ends `react` with a given exit code when a main function fails with it (Python's
/// SystemExit).
class SystemExit : public std::runtime_error {
 public:
  /// An exit with `code`.
  explicit SystemExit(int code);
  /// The exit code.
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  int code_;
};

namespace detail {
/// react's engine: `main` has been bound to the reactor.
int reactImpl(IReactorCore& reactor, std::function<Deferred<void>()> main);
}  // namespace detail

/// Calls `main(reactor)`, runs the reactor until the Deferred it returned fires, stops the
/// reactor, and returns the exit code:
/// - 0 when the Deferred succeeds (its value is ignored);
/// - `e.code()` when it fails with tw::SystemExit `e`;
/// - 1 for any other failure, which is logged as critical ("main function encountered error",
///   namespace "tw.task").
///
/// @code
/// int main() {
///   tw::EpollReactor reactor;
///   return tw::react([](tw::EpollReactor& r) { return tw::deferLater(r, 1s); }, reactor);
/// }
/// @endcode
///
/// As Twisted's:
/// 1. A Deferred that has already fired when main returns still runs the reactor: it is stopped
///    from a callWhenRunning hook, so "startup" triggers run and "shutdown" ones too.
/// 2. If the reactor is stopped by someone else first (e.g. SIGTERM, or main's own code calling
///    stop()), react does not stop it again; a result arriving during the shutdown decides the
///    code, and a Deferred still pending when the reactor returns gives 0.
///
/// `main` takes the reactor (as the type passed in) and returns a Deferred of any type.
///
/// Differs from Twisted: returns the exit code rather than calling sys.exit (call
/// `return tw::react(...)` from main); the reactor is a required argument (Twisted: the global
/// reactor); extra arguments are captured by the callable instead of `argv`; an exception thrown
/// by `main` itself (rather than a failed Deferred) is treated as a failure (code 1, logged)
/// instead of escaping before the reactor runs.
template <class R, class F>
requires std::derived_from<R, IReactorCore> && std::invocable<F&, R&>
int react(F main, R& reactor) {
  return detail::reactImpl(reactor, [&reactor, main = std::move(main)]() mutable {
    auto d = main(reactor);
    using D = std::remove_cvref_t<decltype(d)>;
    if constexpr (std::is_same_v<D, Deferred<void>>) {
      return d;
    } else {
      return d.addCallback([](auto&&) {});
    }
  });
}

}  // namespace tw
