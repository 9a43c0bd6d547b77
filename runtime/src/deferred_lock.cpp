/// @file
/// DeferredLock and DeferredSemaphore: the waiting queues and their cancellers.
#include "tw/deferred_lock.hpp"

#include <algorithm>
#include <stdexcept>

namespace tw {

namespace {

/// A canceller for a waiting acquire: withdraws it from the queue (if the primitive is alive).
/// The queue holds the Deferred, the Deferred holds this canceller: hence the weak reference.
template <class P, class S>
auto withdrawFrom(const std::shared_ptr<S>& state) {
  return [weak = std::weak_ptr<S>(state)](Deferred<P>& d) {
    if (std::shared_ptr<S> s = weak.lock()) {
      auto it = std::find(s->waiting.begin(), s->waiting.end(), d);
      if (it != s->waiting.end()) s->waiting.erase(it);
    }
  };
}

/// Pops the oldest waiter and fires it with `primitive`.
template <class P, class S>
void handOver(S& state, const P& primitive) {
  Deferred<P> d = std::move(state.waiting.front());
  state.waiting.pop_front();
  d.callback(primitive);
}

}  // namespace

// DeferredLock -----------------------------------------------------------------------------------

struct DeferredLock::State {
  bool locked = false;
  std::deque<Deferred<DeferredLock>> waiting;
};

DeferredLock::DeferredLock() : state_(std::make_shared<State>()) {}

bool DeferredLock::locked() const noexcept { return state_->locked; }

const std::deque<Deferred<DeferredLock>>& DeferredLock::waiting() const noexcept {
  return state_->waiting;
}

Deferred<DeferredLock> DeferredLock::acquire(std::source_location where) {
  Deferred<DeferredLock> d(withdrawFrom<DeferredLock>(state_), where);
  if (state_->locked) {
    state_->waiting.push_back(d);
  } else {
    state_->locked = true;
    d.callback(*this, where);
  }
  return d;
}

void DeferredLock::release() {
  State& s = *state_;
  if (!s.locked) throw std::logic_error("Tried to release an unlocked lock");
  s.locked = false;
  if (!s.waiting.empty()) {
    // Someone is waiting: hand the lock over directly.
    s.locked = true;
    handOver(s, *this);
  }
}

// DeferredSemaphore ------------------------------------------------------------------------------

struct DeferredSemaphore::State {
  int tokens;
  int limit;
  std::deque<Deferred<DeferredSemaphore>> waiting;
};

DeferredSemaphore::DeferredSemaphore(int tokens) {
  if (tokens < 1) throw std::invalid_argument("DeferredSemaphore requires tokens >= 1");
  state_ = std::make_shared<State>(State{tokens, tokens, {}});
}

int DeferredSemaphore::tokens() const noexcept { return state_->tokens; }

int DeferredSemaphore::limit() const noexcept { return state_->limit; }

const std::deque<Deferred<DeferredSemaphore>>& DeferredSemaphore::waiting() const noexcept {
  return state_->waiting;
}

Deferred<DeferredSemaphore> DeferredSemaphore::acquire(std::source_location where) {
  Deferred<DeferredSemaphore> d(withdrawFrom<DeferredSemaphore>(state_), where);
  if (state_->tokens == 0) {
    state_->waiting.push_back(d);
  } else {
    --state_->tokens;
    d.callback(*this, where);
  }
  return d;
}

void DeferredSemaphore::release() {
  State& s = *state_;
  if (s.tokens >= s.limit) {
    throw std::logic_error("Someone released me too many times: too many tokens!");
  }
  ++s.tokens;
  if (!s.waiting.empty()) {
    // Someone is waiting: hand the token over directly.
    --s.tokens;
    handOver(s, *this);
  }
}

}  // namespace tw
