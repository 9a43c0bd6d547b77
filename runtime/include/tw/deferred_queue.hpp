/// @file
/// DeferredQueue: a FIFO whose `get()` returns a Deferred that fires when an item is available.
/// Twisted: twisted.internet.defer.DeferredQueue.  Tests: tests/runtime/deferred_queue_test.cpp
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <source_location>
#include <type_traits>
#include <utility>

#include "tw/deferred.hpp"
#include "tw/deferred_errors.hpp"

namespace tw {

/// An event-driven queue: `put` hands an item to the oldest waiting `get`, or keeps it; `get`
/// returns a fired Deferred when an item is kept, else a Deferred that fires with the next item
/// put.
///
/// ```cpp
/// tw::DeferredQueue<std::string> lines;
/// lines.get().addCallback([](std::string line) { ... });  // waits
/// lines.put("hello");                                      // the callback runs now
/// ```
///
/// DeferredQueue is a handle: copies share one queue. Cancelling a waiting `get` removes it
/// from the waiters (it fails with CancelledError, and the next item goes to the next waiter);
/// cancelling a `get` that already fired does nothing.
///
/// Thread safety: one thread, like every Deferred.
///
/// Differs from Twisted: `T` may not be void (use a small struct); Twisted's `None` for "no
/// limit" is an empty optional.
template <class T>
class DeferredQueue {
  static_assert(!std::is_void_v<T>, "DeferredQueue<void> is not supported: use an empty struct");

 public:
  /// A queue keeping at most `size` items (Twisted's `size`; unlimited when empty) and allowing
  /// at most `backlog` waiting gets (unlimited when empty).
  explicit DeferredQueue(std::optional<std::size_t> size = std::nullopt,
                         std::optional<std::size_t> backlog = std::nullopt)
      : state_(std::make_shared<State>()) {
    state_->size = size;
    state_->backlog = backlog;
  }

  /// Gives `item` to the oldest waiting get (its Deferred fires now), or keeps it.
  /// @throws QueueOverflow when no get waits and `size()` items are already kept.
  void put(T item) {
    State& s = *state_;
    if (!s.waiting.empty()) {
      Deferred<T> d = std::move(s.waiting.front());
      s.waiting.pop_front();
      d.callback(std::move(item));
    } else if (!s.size || s.pending.size() < *s.size) {
      s.pending.push_back(std::move(item));
    } else {
      throw QueueOverflow();
    }
  }

  /// The oldest kept item, as a fired Deferred; or, when none is kept, a Deferred that fires with
  /// the next item put. Cancellable while waiting.
  /// @throws QueueUnderflow when no item is kept and `backlog()` gets already wait.
  Deferred<T> get(std::source_location where = std::source_location::current()) {
    State& s = *state_;
    if (!s.pending.empty()) {
      Deferred<T> d(where);
      T item(std::move(s.pending.front()));
      s.pending.pop_front();
      d.callback(std::move(item), where);
      return d;
    }
    if (s.backlog && s.waiting.size() >= *s.backlog) throw QueueUnderflow();
    Deferred<T> d(
        [weak = std::weak_ptr<State>(state_)](Deferred<T>& self) {
          // The queue holds the Deferred and the Deferred this canceller: hence weak.
          if (std::shared_ptr<State> alive = weak.lock()) {
            auto it = std::find(alive->waiting.begin(), alive->waiting.end(), self);
            if (it != alive->waiting.end()) alive->waiting.erase(it);
          }
        },
        where);
    s.waiting.push_back(d);
    return d;
  }

  /// The items kept, oldest first. Twisted: `pending`.
  [[nodiscard]] const std::deque<T>& pending() const noexcept { return state_->pending; }
  /// The gets waiting for an item, oldest first. Twisted: `waiting`.
  [[nodiscard]] const std::deque<Deferred<T>>& waiting() const noexcept { return state_->waiting; }
  /// The most items kept (not how many are kept: that is `pending().size()`); empty when
  /// unlimited. Twisted: `size`.
  [[nodiscard]] std::optional<std::size_t> size() const noexcept { return state_->size; }
  /// The most gets waiting at once; empty when unlimited. Twisted: `backlog`.
  [[nodiscard]] std::optional<std::size_t> backlog() const noexcept { return state_->backlog; }

 private:
  struct State {
    std::deque<Deferred<T>> waiting;
    std::deque<T> pending;
    std::optional<std::size_t> size;
    std::optional<std::size_t> backlog;
  };
  std::shared_ptr<State> state_;
};

}  // namespace tw
