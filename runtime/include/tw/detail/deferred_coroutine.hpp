/// @file
/// C++20 coroutines for Deferred: a function returning Deferred<T> may `co_await` Deferreds and
/// `co_return` its result. Internal: included by <tw/deferred.hpp>.
/// Twisted: defer.inlineCallbacks, Deferred.fromCoroutine, ensureDeferred.
/// Tests: tests/runtime/deferred_coroutine_test.cpp
///
/// The coroutine starts at once (like ensureDeferred) and runs until its first `co_await` of a
/// Deferred without a result. Awaiting a Deferred that already has a result does not suspend, so
/// a loop over already-fired Deferreds runs in constant stack. A Failure is thrown at the
/// `co_await` as the original exception. Cancelling the coroutine's Deferred cancels the Deferred
/// it is awaiting; the resulting CancelledError (or whatever that Deferred's canceller produced)
/// is thrown into the coroutine at its `co_await`, where it may be caught; the coroutine's
/// Deferred then fires with whatever the coroutine returns or throws (as with inlineCallbacks).
///
/// Ownership: while suspended, the coroutine frame belongs to the Deferred it awaits. If every
/// reference to that Deferred goes away before it fires, the frame is destroyed (its locals'
/// destructors run) and the coroutine's own Deferred never fires. Awaiting a named Deferred
/// keeps the name's reference in the frame: a Deferred held only by a suspended coroutine that
/// awaits it by name is never fired and is not reclaimed either; `co_await std::move(d)` avoids
/// that.
#pragma once

#include <coroutine>
#include <exception>
#include <source_location>
#include <type_traits>
#include <utility>

namespace tw::detail {

/// The part of a Deferred coroutine's promise that the awaiter and the canceller see.
class PromiseState {
 public:
  Core* awaiting_ = nullptr;  ///< the Deferred the coroutine is suspended on (not owned)
  /// Where the coroutine last awaited a Deferred (its `co_await`), for Deferred::waitChain().
  std::source_location awaitingAt_;
};

/// The promise of the coroutine whose Deferred `core` is, or null (read from its canceller).
PromiseState* coroutineOf(Core& core) noexcept;

/// Logs that a coroutine finished after its Deferred had been fired through another handle.
void reportLateFinish(Core* core) noexcept;

/// Logs an AbandonedCoroutineError: the Deferred created at `awaited` went away without a result
/// while the coroutine of `promise` (may be null) was suspended on it.
void reportAbandoned(const PromiseState* promise, const std::source_location& awaited) noexcept;

/// Cancels a coroutine's Deferred by cancelling what it awaits.
struct CoroutineCanceller {
  PromiseState* promise;
  static void run(CoroutineCanceller& s, Core& core) {
    if (s.promise != nullptr && s.promise->awaiting_ != nullptr) {
      // The coroutine decides the result (it may catch the CancelledError and go on), so stay
      // armed: Core::cancel() then does not fail the Deferred, and a later cancel() reaches what
      // the coroutine awaits by then. Finishing drops this copy (fireValue/fireFailure), and so
      // does the frame's destruction (~PromiseBase), before cancel() checks it.
      // Twisted: _cancellableInlineCallbacks (the Deferred waits on a fresh one after cancel).
      core.setCanceller(Step(CoroutineCanceller{s.promise}, core.created_));
      s.promise->awaiting_->cancel();
    } else {
      // Running (it cancelled itself) or finished: behave like a canceller-less Deferred, and
      // let the coroutine's eventual co_return be swallowed once.
      core.suppressAlreadyCalled_ = true;
    }
  }
};

template <class U>
class DeferredAwaiter;

/// Another awaitable's awaiter (or a reference to the awaitable when it is its own awaiter),
/// behind the promise's await_transform.  A prvalue, so nothing is copied or moved.
template <class Aw>
struct ForwardingAwaiter {
  Aw awaiter;
  decltype(auto) await_ready() { return awaiter.await_ready(); }
  template <class H>
  decltype(auto) await_suspend(H handle) {
    return awaiter.await_suspend(handle);
  }
  decltype(auto) await_resume() { return awaiter.await_resume(); }
};

template <class A>
auto forwardAwaitable(A&& a) {
  if constexpr (requires { std::forward<A>(a).operator co_await(); }) {
    return ForwardingAwaiter<decltype(std::forward<A>(a).operator co_await())>{
        std::forward<A>(a).operator co_await()};
  } else if constexpr (requires { operator co_await(std::forward<A>(a)); }) {
    return ForwardingAwaiter<decltype(operator co_await(std::forward<A>(a)))>{operator co_await(
        std::forward<A>(a))};
  } else {
    return ForwardingAwaiter<A&>{a};
  }
}

/// The step that resumes a coroutine suspended on a Deferred.
template <class Awaiter>
struct ResumeStep {
  std::coroutine_handle<> handle;
  Awaiter* awaiter;
  PromiseState* promise;
  std::source_location awaited;  ///< where the awaited Deferred was created

  ResumeStep(std::coroutine_handle<> h, Awaiter* a, PromiseState* p,
             std::source_location created) noexcept
      : handle(h), awaiter(a), promise(p), awaited(created) {}
  ResumeStep(ResumeStep&& other) noexcept
      : handle(std::exchange(other.handle, {})),
        awaiter(other.awaiter),
        promise(other.promise),
        awaited(other.awaited) {}
  ResumeStep(const ResumeStep&) = delete;
  ~ResumeStep() {
    if (handle) {
      // The awaited Deferred is going away without a result: nobody can resume the coroutine.
      if (promise != nullptr) promise->awaiting_ = nullptr;
      reportAbandoned(promise, awaited);
      std::exchange(handle, {}).destroy();
    }
  }
  static void run(ResumeStep& s, Core& core) {
    core.addRef();
    s.awaiter->core_ = &core;
    if (s.promise != nullptr) s.promise->awaiting_ = nullptr;
    std::exchange(s.handle, {}).resume();
  }
};

/// `co_await deferred`.
template <class U>
class DeferredAwaiter {
 public:
  explicit DeferredAwaiter(Core* core) noexcept : core_(core) {}  // takes over a reference
  DeferredAwaiter(const DeferredAwaiter&) = delete;
  DeferredAwaiter& operator=(const DeferredAwaiter&) = delete;
  ~DeferredAwaiter() {
    if (core_ != nullptr) core_->release();
  }

  [[nodiscard]] bool await_ready() const noexcept {
    return core_->ready() || (core_->called_ && core_->paused_ == 0 && !core_->running_ &&
                              core_->steps_.empty() && core_->kind_ == ResultKind::Consumed);
  }

  template <class P>
  void await_suspend(std::coroutine_handle<P> handle) {
    PromiseState* promise = nullptr;
    if constexpr (std::is_base_of_v<PromiseState, P>) promise = &handle.promise();
    Core* c = std::exchange(core_, nullptr);
    if (promise != nullptr) promise->awaiting_ = c;
    c->addStep(Step(ResumeStep<DeferredAwaiter>(handle, this, promise, c->created_), c->created_));
    // The awaited Deferred owns the frame now; do not keep it alive from inside the frame.
    // (If this was the last reference, the frame is destroyed here: touch nothing after.)
    c->release();
  }

  Stored<U> await_resume() {
    Core* c = core_;
    if (c->kind_ == ResultKind::Failure) {
      Failure f = c->takeFailure();
      c->markConsumed();
      f.raiseException();
    }
    if constexpr (std::is_void_v<U>) {
      (void)c->valueAs<VoidValue>();
      c->markConsumed();
      return {};
    } else {
      Stored<U> value(std::move(c->valueAs<Stored<U>>()));
      c->markConsumed();
      return value;
    }
  }

 private:
  template <class>
  friend struct ResumeStep;
  Core* core_;
};

template <class T>
class PromiseBase : public PromiseState {
 public:
  PromiseBase() : deferred_(std::source_location::current()) {
    Core* c = CoreAccess::core(deferred_);
    c->setCanceller(Step(CoroutineCanceller{this}, c->created_));
  }
  PromiseBase(const PromiseBase&) = delete;
  PromiseBase& operator=(const PromiseBase&) = delete;
  ~PromiseBase() {
    Core* c = CoreAccess::core(deferred_);
    if (!c->called_) c->canceller_.reset();  // it points at this promise
  }

  Deferred<T> get_return_object() noexcept { return deferred_; }

  // `co_await d` on a Deferred records where (GCC and Clang evaluate the default argument at the
  // co_await), then awaits it as operator co_await does; other awaitables pass through.
  template <class U>
  DeferredAwaiter<U> await_transform(
      Deferred<U>&& d, std::source_location at = std::source_location::current()) noexcept {
    this->awaitingAt_ = at;
    return operator co_await(std::move(d));
  }
  template <class U>
  DeferredAwaiter<U> await_transform(
      const Deferred<U>& d, std::source_location at = std::source_location::current()) noexcept {
    this->awaitingAt_ = at;
    return operator co_await(d);
  }
  template <class A>
  requires(!IsDeferred<std::remove_cvref_t<A>>::value) auto await_transform(A&& a) {
    return forwardAwaitable(std::forward<A>(a));
  }
  std::suspend_never initial_suspend() noexcept { return {}; }
  std::suspend_never final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept {
    Core* c = CoreAccess::core(deferred_);
    if (claim(c)) c->fireFailure(Failure(std::current_exception()), std::source_location{});
  }

 protected:
  /// Marks the Deferred fired; false when the fire is to be swallowed (cancelled earlier).
  static bool claim(Core* c) noexcept {
    try {
      return c->startFire(std::source_location::current());
    } catch (...) {
      reportLateFinish(c);
      return false;
    }
  }
  Deferred<T> deferred_;
};

template <class T>
class DeferredPromise : public PromiseBase<T> {
 public:
  void return_value(Stored<T> value) {
    Core* c = CoreAccess::core(this->deferred_);
    if (!this->claim(c)) return;
    c->template setValue<Stored<T>>(std::move(value));
    c->fireValue(std::source_location{});
  }
};

template <>
class DeferredPromise<void> : public PromiseBase<void> {
 public:
  void return_void() {
    Core* c = CoreAccess::core(this->deferred_);
    if (!this->claim(c)) return;
    c->setValue<VoidValue>();
    c->fireValue(std::source_location{});
  }
};

}  // namespace tw::detail

namespace tw {

/// Awaits a Deferred in a coroutine: suspends until it has a result (not at all if it has one
/// now), then returns its value or throws its failure's exception. The result is taken: the
/// awaited Deferred's later callbacks fail with ResultConsumedError.
///
/// Awaiting an rvalue (a temporary, or `std::move(d)`) hands its reference to the awaiter alone.
/// (A by-value parameter would not do: it lives until the end of the full-expression, i.e.
/// across the suspension, and would keep the awaited Deferred alive from inside the frame.)
template <class U>
detail::DeferredAwaiter<U> operator co_await(Deferred<U>&& d) noexcept {
  Deferred<U> taken(std::move(d));  // a local: released on return, unlike a parameter
  detail::Core* c = detail::CoreAccess::core(taken);
  c->addRef();
  return detail::DeferredAwaiter<U>(c);
}

/// Awaits a named Deferred, which keeps its own reference (see the file comment).
template <class U>
detail::DeferredAwaiter<U> operator co_await(const Deferred<U>& d) noexcept {
  detail::Core* c = detail::CoreAccess::core(d);
  c->addRef();
  return detail::DeferredAwaiter<U>(c);
}

}  // namespace tw
