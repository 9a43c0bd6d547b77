/// @file
/// DeferredLock and DeferredSemaphore: mutual exclusion and bounded concurrency for code that
/// waits on Deferreds instead of blocking.
/// Twisted: twisted.internet.defer.DeferredLock, DeferredSemaphore (and _ConcurrencyPrimitive).
/// Tests: tests/runtime/deferred_lock_test.cpp
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <source_location>
#include <type_traits>
#include <utility>

#include "tw/deferred.hpp"

namespace tw {

namespace detail {

/// addBoth's callable for run(): releases, then passes the result or failure on unchanged.
template <class P>
struct ReleaseAfter {
  P primitive;
  void operator()() { primitive.release(); }
  template <class R>
  R operator()(R result) {
    primitive.release();
    return result;
  }
};

/// Twisted's `_ConcurrencyPrimitive.run`: acquire, then `maybeDeferred(f)`, then release on
/// success or failure; the Deferred fires with f's result.
template <class P, class F>
auto runAcquired(P& primitive, F&& f, std::source_location where) {
  using V = typename MaybeDeferredType<std::remove_cvref_t<std::invoke_result_t<F&>>>::type;
  return primitive.acquire(where).addCallback(
      [f = std::forward<F>(f), where](P acquired) mutable -> Deferred<V> {
        return maybeDeferred(f, where).addBoth(ReleaseAfter<P>{std::move(acquired)}, where);
      },
      where);
}

}  // namespace detail

/// A lock for event-driven code: `acquire()` returns a Deferred that fires (with the lock) once
/// the lock is yours; `release()` hands it to the oldest waiter.
///
/// ```cpp
/// tw::DeferredLock lock;
/// tw::Deferred<int> d = lock.run([&] { return writeRecord(); });  // waits for the lock
/// ```
///
/// DeferredLock is a handle: copies share one lock (the Deferreds it returns fire with such a
/// copy), and the lock lives as long as a handle does. Waiters are served in FIFO order;
/// cancelling a waiting acquire removes it from the queue (it fails with CancelledError);
/// cancelling an acquire that already fired does nothing (you hold the lock: release it).
///
/// Thread safety: one thread, like every Deferred.
///
/// Differs from Twisted: releasing an unlocked lock throws std::logic_error (Twisted asserts);
/// there is no `async with` (a coroutine writes `co_await lock.acquire(); ... lock.release();`).
class DeferredLock {
 public:
  /// An unlocked lock.
  DeferredLock();

  /// True while someone holds the lock. Twisted: `DeferredLock.locked`.
  [[nodiscard]] bool locked() const noexcept;

  /// A Deferred fired with this lock once it is acquired: at once if it is free, else after the
  /// acquires before it were served and released. Cancellable while waiting.
  Deferred<DeferredLock> acquire(std::source_location where = std::source_location::current());

  /// Releases the lock: the oldest waiter (if any) gets it at once and its Deferred fires
  /// (the lock stays locked), else the lock becomes free.
  /// @throws std::logic_error "Tried to release an unlocked lock" when it is not locked.
  void release();

  /// Acquires, calls `f()` (wrapped as by maybeDeferred: f may return a value, nothing, a
  /// Deferred or a Failure, or throw), and releases once f's result is known, success or
  /// failure. The Deferred fires with f's result. Cancelling it while waiting for the lock
  /// withdraws the acquire (f never runs); once f runs, it cancels f's Deferred.
  template <class F>
  auto run(F&& f, std::source_location where = std::source_location::current()) {
    return detail::runAcquired(*this, std::forward<F>(f), where);
  }

  /// The acquires waiting for the lock, oldest first. Twisted: `waiting`.
  [[nodiscard]] const std::deque<Deferred<DeferredLock>>& waiting() const noexcept;

  /// True when both handles are the same lock.
  friend bool operator==(const DeferredLock& a, const DeferredLock& b) noexcept {
    return a.state_ == b.state_;
  }

 private:
  struct State;
  std::shared_ptr<State> state_;
};

/// A semaphore for event-driven code: at most `limit()` holders at once; further acquires wait
/// in FIFO order. A DeferredLock is the case `tokens == 1`.
///
/// DeferredSemaphore is a handle: copies share one semaphore. Cancellation as DeferredLock.
///
/// Differs from Twisted: releasing more often than acquiring throws std::logic_error (Twisted
/// asserts); there is no `async with`.
class DeferredSemaphore {
 public:
  /// A semaphore with `tokens` free tokens (and `limit() == tokens`).
  /// @throws std::invalid_argument when `tokens < 1` (Twisted: ValueError).
  explicit DeferredSemaphore(int tokens);

  /// How many more holders may acquire now (`limit()` minus the current holders).
  [[nodiscard]] int tokens() const noexcept;
  /// The most holders at once.
  [[nodiscard]] int limit() const noexcept;

  /// A Deferred fired with this semaphore once a token is yours (at once if one is free).
  /// Cancellable while waiting.
  Deferred<DeferredSemaphore> acquire(std::source_location where = std::source_location::current());

  /// Gives a token back: the oldest waiter (if any) gets it at once.
  /// @throws std::logic_error "Someone released me too many times: too many tokens!" when no
  /// token is held.
  void release();

  /// Acquire, call `f()`, release: as DeferredLock::run.
  template <class F>
  auto run(F&& f, std::source_location where = std::source_location::current()) {
    return detail::runAcquired(*this, std::forward<F>(f), where);
  }

  /// The acquires waiting for a token, oldest first. Twisted: `waiting`.
  [[nodiscard]] const std::deque<Deferred<DeferredSemaphore>>& waiting() const noexcept;

  /// True when both handles are the same semaphore.
  friend bool operator==(const DeferredSemaphore& a, const DeferredSemaphore& b) noexcept {
    return a.state_ == b.state_;
  }

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace tw
