/// @file
/// Deferred: a result that is not available yet, and the chain of callbacks that consume it.
/// Twisted: twisted.internet.defer.Deferred, succeed, fail, maybeDeferred.
/// Tests: tests/runtime/deferred_test.cpp, tests/runtime/deferred_property_test.cpp
#pragma once

#include <concepts>
#include <functional>
#include <memory>
#include <source_location>
#include <string>
#include <type_traits>
#include <utility>

#include "tw/deferred_errors.hpp"
#include "tw/detail/core.hpp"
#include "tw/failure.hpp"
#include "tw/interfaces/i_reactor_time.hpp"
#include "tw/outcome.hpp"

namespace tw {

template <class T>
class Deferred;

namespace detail {

template <class T>
class DeferredPromise;

template <class T>
struct IsDeferred : std::false_type {};
template <class T>
struct IsDeferred<Deferred<T>> : std::true_type {};

/// How a callback's return type R feeds the chain: a Failure switches to the errback track,
/// a Deferred<V> is waited on (the chain continues with V), void gives a Deferred<void>,
/// anything else is the new result.
template <class R>
struct ReturnTraits {
  using Value = R;
  static constexpr bool kFailure = false;
  static constexpr bool kDeferred = false;
};
template <>
struct ReturnTraits<Failure> {
  using Value = void;
  static constexpr bool kFailure = true;
  static constexpr bool kDeferred = false;
};
template <class V>
struct ReturnTraits<Deferred<V>> {
  using Value = V;
  static constexpr bool kFailure = false;
  static constexpr bool kDeferred = true;
};
template <class R>
using Returns = ReturnTraits<std::remove_cvref_t<R>>;

/// What calling callback F with the result of a Deferred<T> returns.
template <class T, class F>
struct CallbackResultImpl {
  using type = std::conditional_t<std::is_invocable_v<F&, T&&>, std::invoke_result<F&, T&&>,
                                  std::invoke_result<F&, T&>>::type;
};
template <class F>
struct CallbackResultImpl<void, F> {
  using type = std::invoke_result_t<F&>;
};
template <class T, class F>
using CallbackResult = typename CallbackResultImpl<T, F>::type;

template <class F>
using ErrbackResult = typename std::conditional_t<std::is_invocable_v<F&, Failure&&>,
                                                  std::invoke_result<F&, Failure&&>,
                                                  std::invoke_result<F&, Failure&>>::type;

template <class T, class F>
concept ValueCallback = (std::is_void_v<T> ? std::is_invocable_v<F&>
                                           : (std::is_invocable_v<F&, Stored<T>&&> ||
                                              std::is_invocable_v<F&, Stored<T>&>));
template <class F>
concept FailureCallback = std::is_invocable_v<F&, Failure&&> || std::is_invocable_v<F&, Failure&>;

/// The type the chain continues with after a callback returning R, on a Deferred<T>.
template <class T, class R>
using NextType = std::conditional_t<Returns<R>::kFailure, T, typename Returns<R>::Value>;

/// True when a callback returning R may continue a chain of type U.
template <class U, class R>
inline constexpr bool kFits = [] {
  using Tr = Returns<R>;
  if constexpr (Tr::kFailure) {
    return true;
  } else if constexpr (Tr::kDeferred) {
    return std::is_same_v<typename Tr::Value, U>;
  } else if constexpr (std::is_void_v<R> || std::is_void_v<U>) {
    return std::is_void_v<R> && std::is_void_v<U>;
  } else {
    return std::is_convertible_v<R, U>;
  }
}();

struct CoreAccess {
  template <class T>
  static Core* core(const Deferred<T>& d) noexcept {
    return d.core_;
  }
  /// A new handle on `core`, taking one more reference.
  template <class T>
  static Deferred<T> share(Core* core) noexcept {
    core->addRef();
    return Deferred<T>(core, typename Deferred<T>::Adopt{});
  }
  /// A new handle on `core`, taking over a reference the caller owns.
  template <class T>
  static Deferred<T> adopt(Core* core) noexcept {
    return Deferred<T>(core, typename Deferred<T>::Adopt{});
  }
};

/// Stores what a callback returned as the chain's new result (continuing as a U).
template <class U, class R>
void storeReturn(Core& core, R&& r) {
  using Tr = Returns<R>;
  if constexpr (Tr::kFailure) {
    core.setFailure(Failure(std::forward<R>(r)));
  } else if constexpr (Tr::kDeferred) {
    core.setReturned(CoreAccess::core(r));
  } else if constexpr (std::is_reference_v<R>) {
    Stored<U> copy(std::forward<R>(r));  // r may refer to the result it replaces
    core.setValue<Stored<U>>(std::move(copy));
  } else {
    core.setValue<Stored<U>>(std::forward<R>(r));
  }
}

/// Runs a value callback on the chain's current value; the result continues as a U.
template <class T, class U, class F>
void runCallback(F& f, Core& core) {
  using R = CallbackResult<T, F>;
  if constexpr (std::is_void_v<T>) {
    (void)core.valueAs<VoidValue>();
    if constexpr (std::is_void_v<R>) {
      std::invoke(f);
      core.setValue<VoidValue>();
    } else {
      storeReturn<U>(core, std::invoke(f));
    }
  } else {
    T& value = core.valueAs<T>();
    if constexpr (std::is_void_v<R>) {
      if constexpr (std::is_invocable_v<F&, T&&>) {
        std::invoke(f, std::move(value));
      } else {
        std::invoke(f, value);
      }
      core.setValue<VoidValue>();
    } else if constexpr (std::is_invocable_v<F&, T&&>) {
      storeReturn<U>(core, std::invoke(f, std::move(value)));
    } else {
      storeReturn<U>(core, std::invoke(f, value));
    }
  }
}

/// Runs an errback on the chain's current failure; the result continues as a U.
template <class U, class F>
void runErrback(F& f, Core& core) {
  using R = ErrbackResult<F>;
  // The failure stays in the core's storage while the errback runs (no local Failure with a
  // destructor in this frame: an errback that throws unwinds through it without a landing pad);
  // the result reads as Empty meanwhile, since the errback may move the Failure away.
  Failure& failure = *core.failure_;
  core.kind_ = ResultKind::Empty;
  if constexpr (std::is_void_v<R>) {
    if constexpr (std::is_invocable_v<F&, Failure&&>) {
      std::invoke(f, std::move(failure));
    } else {
      std::invoke(f, failure);
    }
    core.setValue<VoidValue>();
  } else if constexpr (std::is_invocable_v<F&, Failure&&>) {
    storeReturn<U>(core, std::invoke(f, std::move(failure)));
  } else {
    storeReturn<U>(core, std::invoke(f, failure));
  }
}

template <class T, class U, class F>
struct CallbackStep {
  F f;
  static void run(CallbackStep& s, Core& core) {
    if (core.kind_ != ResultKind::Failure) runCallback<T, U>(s.f, core);
  }
};

template <class U, class F>
struct ErrbackStep {
  F f;
  static void run(ErrbackStep& s, Core& core) {
    if (core.kind_ == ResultKind::Failure) runErrback<U>(s.f, core);
  }
};

template <class T, class U, class CB, class EB>
struct CallbacksStep {
  CB cb;
  EB eb;
  static void run(CallbacksStep& s, Core& core) {
    if (core.kind_ == ResultKind::Failure) {
      runErrback<U>(s.eb, core);
    } else {
      runCallback<T, U>(s.cb, core);
    }
  }
};

template <class T, class U, class F>
struct BothStep {
  F f;
  static void run(BothStep& s, Core& core) {
    if (core.kind_ == ResultKind::Failure) {
      runErrback<U>(s.f, core);
    } else {
      runCallback<T, U>(s.f, core);
    }
  }
};

template <class T, class C>
struct CancellerStep {
  C canceller;
  static void run(CancellerStep& s, Core& core) {
    Deferred<T> self = CoreAccess::share<T>(&core);
    std::invoke(s.canceller, self);
  }
};

/// The state one addTimeout shares between its timer and its step (deferred_timeout.cpp).
struct TimeoutState {
  bool timedOut = false;
  double timeout = 0;
  DelayedCallPtr call;
  std::source_location where;
};

/// Schedules the timer that cancels `core` `timeout` from now on `clock`.
std::shared_ptr<TimeoutState> startTimeout(Core& core, Seconds timeout, IReactorTime& clock,
                                           const std::source_location& where);

/// The end of addTimeout's step: when the timer fired and there is no custom handler, turns a
/// CancelledError into TimeoutError; then cancels the timer if it is still pending.
void finishTimeout(TimeoutState& state, Core& core, bool custom);

/// addTimeout's step: runs the custom handler (only when the timer fired), then finishTimeout.
template <class T>
struct TimeoutStep {
  std::shared_ptr<TimeoutState> state;
  std::function<Outcome<T>(Outcome<T>, Seconds)> onTimeoutCancel;
  static void run(TimeoutStep& s, Core& core) {
    const bool custom = static_cast<bool>(s.onTimeoutCancel);
    if (s.state->timedOut && custom) {
      Outcome<T> in = core.kind_ == ResultKind::Failure
                          ? Outcome<T>(core.takeFailure())
                          : Outcome<T>(std::move(core.valueAs<Stored<T>>()));
      Outcome<T> out = s.onTimeoutCancel(std::move(in), Seconds(s.state->timeout));
      if (out.succeeded()) {
        core.setValue<Stored<T>>(std::move(out).value());
      } else {
        core.setFailure(out.failure());
      }
    }
    finishTimeout(*s.state, core, custom);
  }
};

/// The type of the chain after addCallbacks(cb, eb) on a Deferred<T>.
template <class T, class CB, class EB>
struct PairNext {
  using RC = CallbackResult<T, CB>;
  using RE = ErrbackResult<EB>;
  using type = std::conditional_t<!Returns<RC>::kFailure, NextType<T, RC>, NextType<T, RE>>;
};

}  // namespace detail

/// A result that is not available yet, and the chain of callbacks that will consume it.
///
/// A `Deferred<T>` is a cheap handle (one pointer) to a shared chain. The producer keeps a
/// handle and fires it once with `callback(value)` or `errback(failure)`; consumers add
/// callbacks, which run in order, each receiving the previous one's result:
///
/// ```cpp
/// tw::Deferred<int> d;
/// auto s = d.addCallback([](int x) { return x + 1; })              // Deferred<int>
///           .addCallback([](int x) { return std::to_string(x); }); // Deferred<std::string>
/// d.callback(1);                                                    // s now holds "2"
/// ```
///
/// The chain follows Twisted's rules exactly:
/// 1. Callbacks are added in pairs (callback, errback); for each pair only one side runs,
///    chosen by whether the current result is a Failure. `addCallback(f)` is `(f, pass)`,
///    `addErrback(g)` is `(pass, g)`, `addBoth(h)` is `(h, h)`.
/// 2. A callback that throws switches the chain to failures; the exception is seen by the
///    *next* pair's errback, never by its own pair's. An errback that returns a value recovers;
///    one that returns (or rethrows) a Failure keeps failing. Returning a Failure never
///    rethrows anything.
/// 3. Callbacks added to a Deferred that already has a result run at once, before
///    `addCallback` returns (unless it is paused or already running its callbacks, in which
///    case they run when it gets there).
/// 4. A callback that returns a `Deferred<V>` makes the chain wait for it: if that Deferred
///    already has a result (and is not paused) the result is taken at once, otherwise this
///    Deferred pauses until it fires. This is iterative: long chains of Deferreds waiting on
///    each other do not grow the stack.
/// 5. `pause()` stops the chain at the next opportunity; `unpause()` runs what accumulated.
///    A callback that pauses its own Deferred does not stop the loop it is running in.
/// 6. `cancel()` before a result calls the canceller (if any) and, unless it fired the
///    Deferred, errbacks with CancelledError. Without a canceller, the one next fire is
///    silently ignored. A Deferred that waits on another forwards `cancel()` to it.
///
/// Callbacks: `addCallback(f)` takes `f(T)` (or `f()` for `Deferred<void>`) returning U, a
/// `Deferred<U>`, void, or a Failure. Errbacks take a `Failure` and return T (or something
/// convertible to it), a `Deferred<T>`, or a Failure.
///
/// A Deferred can be a coroutine's return type: the coroutine may `co_await` any Deferred
/// (see <tw/deferred.hpp>'s awaiter below); its `co_return` fires it.
///
/// Unhandled failures: when the last handle (or internal reference) to a Deferred whose result
/// is a Failure goes away, "Unhandled error in Deferred" is logged (LogLevel::critical, namespace
/// "tw.deferred") through <tw/logger.hpp>.
///
/// Thread safety: a Deferred and all its handles belong to one thread (the reactor's); hand
/// results across threads with `callFromThread`.
///
/// Differs from Twisted:
/// 1. `addCallback` returns a `Deferred<U>` handle on the same chain rather than `self`,
///    because the type may change. Every handle fires and extends the same chain.
/// 2. A callback that returns its own Deferred fails the chain with CallbackReturnedSelfError
///    (Twisted warns and waits forever).
/// 3. A result taken by chaining or by `co_await` is moved, not copied: a later consumer of the
///    same Deferred fails with ResultConsumedError (Twisted hands it `None`).
/// 4. A cancel() that cycles back to a Deferred already being cancelled stops there and logs an
///    error (Twisted recurses until RecursionError).
/// 5. `unpause()` without `pause()` throws NotPausedError (Twisted hangs forever).
/// 6. Unhandled failures are reported when the last reference goes away, not at a garbage
///    collection.
/// 7. A Deferred waiting on another does not keep it alive: if the inner Deferred is dropped
///    by everyone before it fires, the outer stays paused (it can never get a result), and a
///    later `cancel()` on the outer fails it with CancelledError.
/// 8. `chainDeferred(d)` does not set `d`'s "waiting on" link (it only affects Twisted's repr).
/// 9. A callback that returns a Deferred which is in the middle of running its own callbacks
///    waits for that chain to finish and gets its final result (Twisted takes the value the
///    running callback received, while it is still being used).
/// 10. A Deferred that was paused, fired with a Failure and dropped reports the unhandled
///    failure like any other (Twisted 22.4 logs nothing).
/// 11. `repr()` names the type of the current value, not the value itself.
template <class T>
class Deferred {
  static_assert(!std::is_reference_v<T>, "Deferred<T&> is not supported: use a value or pointer");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Failure>,
                "Deferred<Failure> is not supported: failures travel on the errback track");
  static_assert(!detail::IsDeferred<std::remove_cv_t<T>>::value,
                "Deferred<Deferred<U>> is not supported: a Deferred result is always waited on");

 public:
  using value_type = T;
  using promise_type = detail::DeferredPromise<T>;

  /// A new Deferred without a result (one heap allocation).
  Deferred(std::source_location created = std::source_location::current())  // NOLINT
      : core_(new detail::Core(created)) {}

  /// A new Deferred with a canceller: `canceller(Deferred<T>&)` runs on `cancel()` before a
  /// result; it may fire the Deferred itself (that result wins over CancelledError).
  template <class C>
  requires std::is_invocable_v < std::decay_t<C>
  &, Deferred<T>& >
         explicit Deferred(C&& canceller,
                           std::source_location created = std::source_location::current())
      : core_(new detail::Core(created)) {
    core_->setCanceller(detail::Step(
        detail::CancellerStep<T, std::decay_t<C>>{std::forward<C>(canceller)}, created));
  }

  Deferred(const Deferred& other) noexcept : core_(other.core_) {
    if (core_ != nullptr) core_->addRef();
  }
  Deferred(Deferred&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}
  Deferred& operator=(const Deferred& other) noexcept {
    Deferred(other).swap(*this);
    return *this;
  }
  Deferred& operator=(Deferred&& other) noexcept {
    Deferred(std::move(other)).swap(*this);
    return *this;
  }
  ~Deferred() {
    if (core_ != nullptr) core_->release();
  }
  void swap(Deferred& other) noexcept { std::swap(core_, other.core_); }

  // Firing -------------------------------------------------------------------------------------

  /// Fires with a value: runs the callbacks.
  /// @throws AlreadyCalledError if the Deferred already fired.
  void callback(
      detail::Stored<T> value,
      std::source_location where = std::source_location::current()) requires(!std::is_void_v<T>) {
    detail::Core* c = core_;
    if (!c->startFire(where)) return;
    c->template setValue<detail::Stored<T>>(std::move(value));
    c->fireValue(where);
  }

  /// Fires a Deferred<void>: runs the callbacks.
  /// @throws AlreadyCalledError if the Deferred already fired.
  void callback(
      std::source_location where = std::source_location::current()) requires std::is_void_v<T> {
    detail::Core* c = core_;
    if (!c->startFire(where)) return;
    c->template setValue<detail::VoidValue>();
    c->fireValue(where);
  }

  /// `callback(failure)` is `errback(failure)`, as in Twisted.
  void callback(Failure failure, std::source_location where = std::source_location::current()) {
    errback(std::move(failure), where);
  }

  /// Fires with a failure: runs the errbacks.
  /// @throws AlreadyCalledError if the Deferred already fired.
  void errback(Failure failure, std::source_location where = std::source_location::current()) {
    detail::Core* c = core_;
    if (!c->startFire(where)) return;
    c->fireFailure(std::move(failure), where);
  }

  /// Fires with the exception being handled (call it in a `catch` block).
  /// @throws NoCurrentExceptionError when no exception is being handled.
  void errback(std::source_location where = std::source_location::current()) {
    errback(Failure::fromCurrentException(where), where);
  }

  /// Fires with an exception: `d.errback(std::runtime_error("boom"))`.
  template <class E>
  requires(
      !std::is_same_v<std::remove_cvref_t<E>, Failure> &&
      !std::is_same_v<std::remove_cvref_t<E>,
                      std::source_location>) void errback(E&& exception,
                                                          std::source_location where =
                                                              std::source_location::current()) {
    errback(Failure(std::forward<E>(exception), where), where);
  }

  // Adding callbacks -----------------------------------------------------------------------------

  /// Adds `(f, pass)`: `f` receives the result when it is not a Failure.
  /// @return a handle on this same chain, typed by what `f` returns.
  template <class F>
  requires detail::ValueCallback<T, std::decay_t<F>>
  auto addCallback(F&& f, std::source_location where = std::source_location::current()) {
    using R = detail::CallbackResult<T, std::decay_t<F>>;
    using U = detail::NextType<T, R>;
    return add<U>(detail::CallbackStep<T, U, std::decay_t<F>>{std::forward<F>(f)}, where);
  }

  /// Adds `(pass, f)`: `f` receives the Failure and returns a T to recover, or a Failure (or
  /// throws) to go on failing.
  template <class F>
  requires detail::FailureCallback<std::decay_t<F>> Deferred<T> addErrback(
      F&& f, std::source_location where = std::source_location::current()) {
    using R = detail::ErrbackResult<std::decay_t<F>>;
    static_assert(detail::kFits<T, R>,
                  "an errback on Deferred<T> must return T (or a type convertible to T), "
                  "Deferred<T>, void for Deferred<void>, or tw::Failure");
    return add<T>(detail::ErrbackStep<T, std::decay_t<F>>{std::forward<F>(f)}, where);
  }

  /// Adds the pair `(callback, errback)`: exactly one of them runs. An exception thrown by
  /// `callback` is seen by the next pair's errback, not by this `errback`.
  template <class CB, class EB>
  requires detail::ValueCallback<T, std::decay_t<CB>> && detail::FailureCallback<std::decay_t<EB>>
  auto addCallbacks(CB&& callback, EB&& errback,
                    std::source_location where = std::source_location::current()) {
    using U = typename detail::PairNext<T, std::decay_t<CB>, std::decay_t<EB>>::type;
    static_assert(detail::kFits<U, detail::ErrbackResult<std::decay_t<EB>>>,
                  "the errback of addCallbacks must continue the chain with the callback's type");
    static_assert(detail::kFits<U, detail::CallbackResult<T, std::decay_t<CB>>>,
                  "the callback of addCallbacks must continue the chain with the errback's type");
    return add<U>(
        detail::CallbacksStep<T, U, std::decay_t<CB>, std::decay_t<EB>>{std::forward<CB>(callback),
                                                                        std::forward<EB>(errback)},
        where);
  }

  /// Adds `(f, f)`: `f` must accept both the value (nothing for Deferred<void>) and a Failure,
  /// e.g. a generic lambda `[](auto r) { ...; return r; }`.
  template <class F>
  requires detail::ValueCallback<T, std::decay_t<F>> && detail::FailureCallback<std::decay_t<F>>
  auto addBoth(F&& f, std::source_location where = std::source_location::current()) {
    using U = typename detail::PairNext<T, std::decay_t<F>, std::decay_t<F>>::type;
    static_assert(detail::kFits<U, detail::ErrbackResult<std::decay_t<F>>> &&
                      detail::kFits<U, detail::CallbackResult<T, std::decay_t<F>>>,
                  "addBoth's callable must continue the chain with one type on both tracks");
    return add<U>(detail::BothStep<T, U, std::decay_t<F>>{std::forward<F>(f)}, where);
  }

  /// Makes `other` fire with this Deferred's result: `addCallbacks(other.callback,
  /// other.errback)`. This chain continues with void afterwards.
  Deferred<void> chainDeferred(Deferred<T> other,
                               std::source_location where = std::source_location::current()) {
    if constexpr (std::is_void_v<T>) {
      return addCallbacks([other]() mutable { other.callback(); },
                          [other](Failure f) mutable { other.errback(std::move(f)); }, where);
    } else {
      return addCallbacks([other](detail::Stored<T>&& v) mutable { other.callback(std::move(v)); },
                          [other](Failure f) mutable { other.errback(std::move(f)); }, where);
    }
  }

  /// Cancels this Deferred if it has no result `timeout` from now on `clock`, and then reports
  /// the timeout as tw::TimeoutError. Twisted: Deferred.addTimeout.
  ///
  /// Schedules `clock.callLater(timeout, ...)` that calls `cancel()`, and appends one step to the
  /// chain, so only the callbacks added before addTimeout run under the timeout; those added
  /// after see the translated result. When the chain reaches the step:
  /// 1. If the timer fired: with no `onTimeoutCancel`, a CancelledError becomes
  ///    `TimeoutError("Deferred timed out after <timeout> seconds")` and any other result (a
  ///    canceller that fired a value, another failure) passes unchanged; with `onTimeoutCancel`,
  ///    it is called with the result (value or Failure) and the timeout, and what it returns (or
  ///    throws) becomes the result.
  /// 2. If the timer has not fired (a result came first, or a plain `cancel()`: the result, e.g.
  ///    CancelledError, passes unchanged), the timer is cancelled.
  ///
  /// While the timer is pending it holds a reference to this Deferred, as Twisted's reactor does.
  ///
  /// @param timeout          how long to wait; must not be negative.
  /// @param clock            where to schedule the timer; must outlive the timer.
  /// @param onTimeoutCancel  optional: `Outcome<T>(Outcome<T> result, Seconds timeout)`; a
  ///                         lambda returning a T or a Failure converts to it.
  /// @return a handle on this same chain.
  /// @throws std::invalid_argument (from `callLater`) if `timeout` is negative or not finite.
  ///
  /// Differs from Twisted: `onTimeoutCancel` takes and returns an Outcome<T> (Twisted passes any
  /// object or a Failure, and lets it return a Deferred); the TimeoutError carries a message
  /// instead of Twisted's `args == (timeout, "Deferred")`.
  Deferred<T> addTimeout(Seconds timeout, IReactorTime& clock,
                         std::function<Outcome<T>(Outcome<T>, Seconds)> onTimeoutCancel = nullptr,
                         std::source_location where = std::source_location::current()) {
    auto state = detail::startTimeout(*core_, timeout, clock, where);
    return add<T>(detail::TimeoutStep<T>{std::move(state), std::move(onTimeoutCancel)}, where);
  }

  // Control --------------------------------------------------------------------------------------

  /// Stops running callbacks until a matching `unpause()`.
  void pause() noexcept { core_->pause(); }

  /// Undoes one `pause()`; at zero, runs the callbacks that accumulated.
  /// @throws NotPausedError when the Deferred is not paused.
  void unpause() {
    detail::Core* c = core_;
    c->addRef();
    struct Release {
      detail::Core* c;
      ~Release() { c->release(); }
    } release{c};
    c->unpause();
  }

  /// Cancels: see rule 6 in the class comment.
  void cancel() { core_->cancel(); }

  // Inspection -----------------------------------------------------------------------------------

  /// True once fired (Twisted's `called`).
  [[nodiscard]] bool called() const noexcept { return core_->called_; }
  /// The pause count (Twisted's `paused`), including the pause of waiting on another Deferred.
  [[nodiscard]] int paused() const noexcept { return core_->paused_; }
  /// True when fired and not paused, and the result is a value or a Failure now.
  [[nodiscard]] bool hasResult() const noexcept {
    return core_->called_ && core_->paused_ == 0 &&
           (core_->kind_ == detail::ResultKind::Value ||
            core_->kind_ == detail::ResultKind::Failure);
  }
  /// True while waiting on a Deferred that a callback returned.
  [[nodiscard]] bool isWaiting() const noexcept { return core_->chainedTo_ != nullptr; }
  /// True when another Deferred or a coroutine took this Deferred's result.
  [[nodiscard]] bool isConsumed() const noexcept {
    return core_->kind_ == detail::ResultKind::Consumed;
  }
  /// The current Failure, when hasResult() and the result is one; else nullptr.
  [[nodiscard]] const Failure* failureResult() const noexcept {
    return hasResult() && core_->kind_ == detail::ResultKind::Failure ? &*core_->failure_ : nullptr;
  }
  /// The current value, when hasResult() and the result is a value of type T; else nullptr.
  [[nodiscard]] const detail::Stored<T>* valueResult() const noexcept {
    return hasResult() && core_->kind_ == detail::ResultKind::Value
               ? core_->value_.template get<detail::Stored<T>>()
               : nullptr;
  }
  /// Where the Deferred was created.
  [[nodiscard]] std::source_location created() const noexcept { return core_->created_; }
  /// `<Deferred at 0x...>`, with `current result: ...` or `waiting on Deferred at 0x...`.
  [[nodiscard]] std::string repr() const { return core_->repr(); }
  /// What this Deferred waits on, link by link, one numbered line each: a coroutine's Deferred
  /// names the `co_await` it is suspended at, a Deferred waiting on one that a callback returned
  /// leads to that one, and the chain ends at a Deferred with no result (where it was created,
  /// and how many callbacks wait on it), a paused one, or one with a result.  trial prints it
  /// for a stalled or timed-out test.  Twisted: none (its repr names one link).
  [[nodiscard]] std::string waitChain() const { return detail::describeWaitChain(core_); }

  /// True when both handles are on the same chain.
  template <class U>
  [[nodiscard]] bool sameChain(const Deferred<U>& other) const noexcept {
    return core_ == detail::CoreAccess::core(other);
  }
  friend bool operator==(const Deferred& a, const Deferred& b) noexcept {
    return a.core_ == b.core_;
  }

 private:
  friend struct detail::CoreAccess;
  template <class>
  friend class Deferred;
  struct Adopt {};
  Deferred(detail::Core* core, Adopt) noexcept : core_(core) {}

  template <class U, class S>
  Deferred<U> add(S&& step, std::source_location where) {
    detail::Core* c = core_;
    Deferred<U> out = detail::CoreAccess::share<U>(c);  // keeps the chain alive while it runs
    c->addStep(detail::Step(std::forward<S>(step), where));
    return out;
  }

  detail::Core* core_;
};

/// An already-fired Deferred holding `value`. Twisted: defer.succeed.
template <class V>
Deferred<std::decay_t<V>> succeed(V&& value,
                                  std::source_location where = std::source_location::current()) {
  Deferred<std::decay_t<V>> d(where);
  d.callback(std::forward<V>(value), where);
  return d;
}

/// An already-fired Deferred<void>. Twisted: defer.succeed(None).
inline Deferred<void> succeed(std::source_location where = std::source_location::current()) {
  Deferred<void> d(where);
  d.callback(where);
  return d;
}

/// An already-failed Deferred<T>. Twisted: defer.fail.
template <class T = void>
Deferred<T> fail(Failure failure, std::source_location where = std::source_location::current()) {
  Deferred<T> d(where);
  d.errback(std::move(failure), where);
  return d;
}

/// An already-failed Deferred<T> from an exception object: `tw::fail<int>(std::runtime_error(..))`.
template <class T = void, class E>
requires(!std::is_same_v<std::remove_cvref_t<E>, Failure>) Deferred<T> fail(
    E&& exception, std::source_location where = std::source_location::current()) {
  return fail<T>(Failure(std::forward<E>(exception), where), where);
}

namespace detail {
template <class R>
struct MaybeDeferredType {
  using type = R;
};
template <class V>
struct MaybeDeferredType<Deferred<V>> {
  using type = V;
};
template <>
struct MaybeDeferredType<Failure> {
  using type = void;
};
}  // namespace detail

/// Calls `f()` and wraps its outcome in a Deferred: a returned Deferred as is, a Failure or an
/// exception as a failed Deferred, a value (or nothing) as a fired one.
/// Twisted: defer.maybeDeferred.
template <class F>
auto maybeDeferred(F&& f, std::source_location where = std::source_location::current()) -> Deferred<
    typename detail::MaybeDeferredType<std::remove_cvref_t<std::invoke_result_t<F&>>>::type> {
  using R = std::remove_cvref_t<std::invoke_result_t<F&>>;
  using V = typename detail::MaybeDeferredType<R>::type;
  try {
    if constexpr (detail::IsDeferred<R>::value) {
      return std::invoke(f);
    } else if constexpr (std::is_same_v<R, Failure>) {
      return fail<V>(std::invoke(f), where);
    } else if constexpr (std::is_void_v<R>) {
      std::invoke(f);
      return succeed(where);
    } else {
      return succeed(std::invoke(f), where);
    }
  } catch (...) {
    return fail<V>(Failure(std::current_exception(), where), where);
  }
}

}  // namespace tw

#include "tw/detail/deferred_coroutine.hpp"
