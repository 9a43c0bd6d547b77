/// @file
/// The exceptions of twisted.internet.defer, and tw's own errors for misusing a Deferred.
/// Twisted: twisted.internet.defer (AlreadyCalledError, CancelledError, TimeoutError, FirstError,
/// QueueOverflow, QueueUnderflow).  Tests: tests/runtime/deferred_test.cpp
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "tw/failure.hpp"

namespace tw {

/// Base of the errors raised when a Deferred is used in a way its contract forbids.
class DeferredUsageError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// A Deferred was fired (callback/errback) a second time.
/// Twisted: twisted.internet.defer.AlreadyCalledError.
class AlreadyCalledError : public DeferredUsageError {
 public:
  explicit AlreadyCalledError(const std::string& what = "Deferred already fired")
      : DeferredUsageError(what) {}
};

/// `unpause()` was called more often than `pause()`.
///
/// Differs from Twisted: Twisted drives the pause count negative and the Deferred then never
/// runs its callbacks again; tw throws instead.
class NotPausedError : public DeferredUsageError {
 public:
  NotPausedError() : DeferredUsageError("unpause() called on a Deferred that is not paused") {}
};

/// A callback returned the Deferred it is attached to.
///
/// Differs from Twisted: Twisted warns and the chain then waits on itself forever; tw makes this
/// Failure the chain's result.
class CallbackReturnedSelfError : public DeferredUsageError {
 public:
  CallbackReturnedSelfError()
      : DeferredUsageError(
            "a callback returned the Deferred it is attached to; this would make the Deferred "
            "wait on itself forever") {}
};

/// A callback expected a result of one type and the chain holds another.
///
/// This happens when a callback is added through a handle whose type no longer describes the
/// chain (e.g. `Deferred<int> d; d.addCallback(int -> string); d.addCallback(int -> ...)`): the
/// second callback receives the string. Raised into the chain as a Failure.
class ResultTypeError : public DeferredUsageError {
 public:
  using DeferredUsageError::DeferredUsageError;
};

/// A callback ran on a Deferred whose result was already taken by another consumer: a Deferred
/// waiting on it (chaining), or a coroutine that awaited it.
///
/// Differs from Twisted: Twisted hands such a callback `None` (turning a failure into a
/// success); tw fails the callback's chain with this error.
class ResultConsumedError : public DeferredUsageError {
 public:
  ResultConsumedError()
      : DeferredUsageError(
            "this Deferred's result was already taken by a Deferred or coroutine waiting on it") {}
};

/// The result of a Deferred cancelled before it had a result.
/// Twisted: twisted.internet.defer.CancelledError.
class CancelledError : public std::runtime_error {
 public:
  explicit CancelledError(const std::string& what = "Deferred was cancelled")
      : std::runtime_error(what) {}
};

/// The result of a Deferred that timed out (addTimeout, trial).
/// Twisted: twisted.internet.defer.TimeoutError (not tw::error::TimeoutError).
class TimeoutError : public std::runtime_error {
 public:
  explicit TimeoutError(const std::string& what = "Deferred timed out")
      : std::runtime_error(what) {}
};

/// The first failure among several Deferreds (gatherResults, DeferredList with
/// fireOnOneErrback): the failure and the index of the Deferred that produced it.
/// Twisted: twisted.internet.defer.FirstError.
class FirstError : public std::runtime_error {
 public:
  FirstError(Failure subFailure, std::size_t index)
      : std::runtime_error("FirstError[#" + std::to_string(index) + ", " + subFailure.repr() + "]"),
        subFailure_(std::move(subFailure)),
        index_(index) {}

  /// The failure that came first.
  [[nodiscard]] const Failure& subFailure() const noexcept { return subFailure_; }
  /// The position, among the inputs, of the Deferred that failed.
  [[nodiscard]] std::size_t index() const noexcept { return index_; }

  friend bool operator==(const FirstError& a, const FirstError& b) noexcept {
    return a.index_ == b.index_ && a.subFailure_ == b.subFailure_;
  }

 private:
  Failure subFailure_;
  std::size_t index_;
};

/// `DeferredQueue::put` on a queue holding `size` pending items.
/// Twisted: twisted.internet.defer.QueueOverflow.
class QueueOverflow : public std::runtime_error {
 public:
  QueueOverflow() : std::runtime_error("DeferredQueue is full") {}
};

/// `DeferredQueue::get` with `backlog` gets already waiting.
/// Twisted: twisted.internet.defer.QueueUnderflow.
class QueueUnderflow : public std::runtime_error {
 public:
  QueueUnderflow() : std::runtime_error("DeferredQueue has too many waiting gets") {}
};

/// Logged (never thrown) when a coroutine is abandoned: the Deferred it was suspended on went away
/// without a result, so the coroutine's frame is destroyed at that `co_await` and its own
/// Deferred never fires.  The code after the co_await (a test's assertions, say) never runs.
/// Under tw::trial this fails the test that abandoned it (twisted#6834: a test whose
/// asynchronous checks never ran must not pass); flushLoggedErrors<AbandonedCoroutineError>()
/// takes an expected one.  Twisted: none (an abandoned generator is collected silently).
class AbandonedCoroutineError : public std::logic_error {
 public:
  explicit AbandonedCoroutineError(const std::string& what) : std::logic_error(what) {}
};

}  // namespace tw
