/// @file
/// deferLater: a Deferred that fires with a function's result after a delay on an IReactorTime.
/// Twisted: twisted.internet.task.deferLater.  Tests: tests/runtime/defer_later_test.cpp
#pragma once

#include <source_location>
#include <type_traits>
#include <utility>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_reactor_time.hpp"

namespace tw {

/// A Deferred<void> that fires `delay` from now on `clock`; cancelling it before then cancels
/// the scheduled call and fails it with CancelledError.  Twisted: deferLater(clock, delay).
///
/// While pending, the scheduled call holds a reference to the Deferred (as Twisted's reactor
/// does), so dropping every handle does not lose it.
/// @throws std::invalid_argument (from `callLater`) for a negative or non-finite delay.
Deferred<void> deferLater(IReactorTime& clock, Seconds delay,
                          std::source_location where = std::source_location::current());

/// A Deferred that fires, `delay` from now on `clock`, with what `f()` returns: nothing
/// (Deferred<void>), a value, or a Deferred<V> (waited on: the result is V). If `f` throws, it
/// fails with that exception. Cancelling it before the delay cancels the call (`f` never runs)
/// and fails it with CancelledError; cancelling while f's Deferred is pending cancels that one.
/// Twisted: twisted.internet.task.deferLater(clock, delay, callable).
///
/// Differs from Twisted: arguments are bound into `f` (a lambda) rather than passed as `*args`.
template <class F>
requires std::is_invocable_v < std::decay_t<F>
& > auto deferLater(IReactorTime& clock, Seconds delay, F&& f,
                    std::source_location where = std::source_location::current()) {
  return deferLater(clock, delay, where).addCallback(std::forward<F>(f), where);
}

}  // namespace tw
