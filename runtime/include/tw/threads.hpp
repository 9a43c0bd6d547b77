/// @file
/// Crossing threads with Deferreds: deferToThreadPool, blockingCallFromThread,
/// callMultipleInThread.  Twisted: twisted.internet.threads.
/// Tests: tests/integration/threads_test.cpp
///
/// The one rule: a Deferred belongs to the reactor's thread (its handles count references
/// without atomics). These functions create, fire and destroy every Deferred on the reactor's
/// thread; a worker thread only carries the result (a value or an `std::exception_ptr`) and
/// hands it over with `IReactorFromThreads::callFromThread`. The Failure is made on the
/// reactor's thread.
///
/// Lifetime: the reactor must outlive the pool's jobs. Stop the pool (`ThreadPool::stop()`,
/// which waits for running and queued jobs) before destroying the reactor; results handed over
/// after the reactor last ran are dropped with the reactor, their Deferreds never fire (and
/// nothing leaks).
#pragma once

#include <concepts>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <source_location>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "tw/deferred.hpp"
#include "tw/failure.hpp"
#include "tw/interfaces/i_reactor_core.hpp"
#include "tw/interfaces/i_reactor_threads.hpp"
#include "tw/logger.hpp"
#include "tw/thread_pool.hpp"

namespace tw {

namespace detail {

/// What a job run by deferToThreadPool hands to the reactor's thread. The Deferred handle is
/// created, fired and deleted on the reactor's thread only; the worker writes `value`/`error`
/// and `ran` before handing the whole thing over with callFromThread (which orders the writes
/// before the reactor's reads).
template <class R>
struct ThreadResult {
  Deferred<R>* deferred = nullptr;  // a heap handle, reactor thread only
  std::optional<Stored<R>> value;
  std::exception_ptr error;
  bool ran = false;

  ThreadResult() = default;
  ThreadResult(const ThreadResult&) = delete;
  ThreadResult& operator=(const ThreadResult&) = delete;

  /// Fires the Deferred (reactor thread). A job that never ran (its pool dropped it) leaves the
  /// Deferred unfired, as Twisted does.
  void deliver() {
    std::unique_ptr<Deferred<R>> d(std::exchange(deferred, nullptr));
    if (!d || !ran) return;
    if (error) {
      d->errback(Failure(error));
    } else if constexpr (std::is_void_v<R>) {
      d->callback();
    } else {
      d->callback(std::move(*value));
    }
  }

  /// Reached without deliver() only when the reactor drops its queue of thread calls (it is
  /// being destroyed, on its own thread).
  ~ThreadResult() { delete deferred; }
};

/// Owned by the job's closure: when the closure goes away (after running on the worker, or
/// dropped unrun by a stopping pool), hands the result to the reactor's thread.
template <class R>
struct ThreadResultSender {
  IReactorFromThreads* reactor;
  std::shared_ptr<ThreadResult<R>> result;

  ThreadResultSender(IReactorFromThreads& r, std::shared_ptr<ThreadResult<R>> res)
      : reactor(&r), result(std::move(res)) {}
  ThreadResultSender(const ThreadResultSender&) = delete;
  ThreadResultSender& operator=(const ThreadResultSender&) = delete;
  ~ThreadResultSender() {
    try {
      reactor->callFromThread([r = std::move(result)] { r->deliver(); });
    } catch (...) {
      Logger("tw.threads")
          .failure("could not hand a thread's result to the reactor",
                   Failure::fromCurrentException());
    }
  }
};

template <class T>
struct UnwrapDeferred {
  using type = T;
  static constexpr bool kIsDeferred = false;
};
template <class T>
struct UnwrapDeferred<Deferred<T>> {
  using type = T;
  static constexpr bool kIsDeferred = true;
};

/// The rendezvous of blockingCallFromThread: written on the reactor's thread, read by the
/// waiting thread.
template <class V>
struct BlockingResult {
  std::mutex mutex;
  std::condition_variable done;
  bool finished = false;
  std::optional<Stored<V>> value;
  std::exception_ptr error;

  void succeed(Stored<V> v) {
    {
      std::lock_guard lock(mutex);
      value.emplace(std::move(v));
      finished = true;
    }
    done.notify_all();
  }
  void fail(std::exception_ptr e) {
    {
      std::lock_guard lock(mutex);
      error = std::move(e);
      finished = true;
    }
    done.notify_all();
  }
};

}  // namespace detail

/// A reactor's own thread pool: IReactorThreads for a reactor that only implements
/// IReactorFromThreads and IReactorCore.  PosixReactorBase (EpollReactor, ...) holds one and
/// forwards to it, so `reactor.callInThread(f)` and `deferToThread(reactor, f)` work on the real
/// reactors directly.  Twisted: the thread pool part of twisted.internet.base.ReactorBase
/// (threadpool, getThreadPool, callInThread, suggestThreadPoolSize, _initThreadPool,
/// _stopThreadPool).
///
/// The pool (0 to 10 threads, named "tw.reactor", as Twisted's) is made by the first
/// `getThreadPool()` (or `callInThread`, `suggestThreadPoolSize`, `deferToThread`), started
/// when the reactor runs (at once if it runs already), and stopped by a "during shutdown"
/// trigger: `reactor.stop()` waits there for the running and queued jobs.
///
/// Preconditions: destroy this object before the reactor (declare it after). A job must not
/// call `blockingCallFromThread` while the reactor shuts down: the reactor waits for the job
/// and the job for the reactor (the same deadlock exists in Twisted).
///
/// Thread safety: `callFromThread` from any thread; everything else from the reactor's thread.
///
/// Differs from Twisted: after shutdown the stopped pool stays (work given to it is dropped,
/// `deferToThread` throws) rather than a new pool being made.
class ReactorThreads final : public IReactorThreads {
 public:
  /// For a reactor implementing both interfaces (EpollReactor, PollReactor, SelectReactor).
  template <class Reactor>
  requires std::derived_from<Reactor, IReactorCore> &&
      std::derived_from<Reactor, IReactorFromThreads>
  explicit ReactorThreads(Reactor& reactor) : ReactorThreads(reactor, reactor) {}
  ReactorThreads(IReactorCore& core, IReactorFromThreads& fromThreads)
      : core_(&core), fromThreads_(&fromThreads) {}
  /// Removes the triggers and stops the pool (waiting for its jobs) if the reactor did not.
  ~ReactorThreads() override;
  ReactorThreads(const ReactorThreads&) = delete;
  ReactorThreads& operator=(const ReactorThreads&) = delete;

  /// Forwards to the reactor's callFromThread.
  void callFromThread(std::function<void()> f) override;
  using IReactorInThreads::callInThread;
  /// Sets the pool's maximum (Twisted: `adjustPoolsize(maxthreads=size)`).
  /// @throws std::invalid_argument below the pool's minimum.
  void suggestThreadPoolSize(std::size_t size) override;
  /// The reactor's pool, made on first use.
  ThreadPool& getThreadPool();
  /// The pool if it was made, else null (Twisted: the `threadpool` attribute, None until used).
  [[nodiscard]] ThreadPool* threadpool() noexcept { return pool_.get(); }

 protected:
  /// Runs `f` on the reactor's pool.
  void doCallInThread(std::function<void()> f, const std::source_location& where) override;

 private:
  void stopThreadPool();

  IReactorCore* core_;
  IReactorFromThreads* fromThreads_;
  std::unique_ptr<ThreadPool> pool_;
  std::optional<TriggerId> startupId_;
  std::optional<TriggerId> shutdownId_;
};

/// Runs `f()` on a thread of `pool`; returns a Deferred that fires **on the reactor's thread**
/// (through `reactor.callFromThread`) with `f`'s result, or with a Failure of the exception it
/// threw.  Call it from the reactor's thread.  Twisted: twisted.internet.threads.deferToThreadPool.
///
/// `f` may be move-only; it runs, and is destroyed, on the pool's thread. Its result must be
/// safe to move across threads (a plain value; not a Deferred, which static_asserts).
///
/// If the pool drops the job (it was stopped before running it), the Deferred never fires, as
/// in Twisted.
///
/// Differs from Twisted: `deferToThreadPool` on a pool already stopped throws std::logic_error
/// at once (Twisted returns a Deferred that never fires).
template <class F>
auto deferToThreadPool(IReactorFromThreads& reactor, ThreadPool& pool, F f,
                       std::source_location where = std::source_location::current())
    -> Deferred<std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;
  static_assert(!detail::UnwrapDeferred<std::remove_cv_t<R>>::kIsDeferred,
                "deferToThreadPool: f must not return a Deferred (it would run on a worker)");
  if (pool.joined()) throw std::logic_error("deferToThreadPool: the pool is stopped");
  Deferred<R> d;
  auto result = std::make_shared<detail::ThreadResult<R>>();
  result->deferred = new Deferred<R>(d);
  auto sender = std::make_shared<detail::ThreadResultSender<R>>(reactor, result);
  result.reset();  // the sender holds the only reference from here on
  pool.callInThread(detail::makeCopyable([sender = std::move(sender), f = std::move(f)]() mutable {
                      detail::ThreadResult<R>& out = *sender->result;
                      try {
                        if constexpr (std::is_void_v<R>) {
                          f();
                        } else {
                          out.value.emplace(f());
                        }
                      } catch (...) {
                        out.error = std::current_exception();
                      }
                      out.ran = true;
                    }),
                    where);
  return d;
}

/// A reactor with a pool of its own: ReactorThreads, or a PosixReactorBase (EpollReactor, ...).
template <class R>
concept ReactorWithThreadPool = std::derived_from<R, IReactorFromThreads> && requires(R& r) {
  { r.getThreadPool() } -> std::same_as<ThreadPool&>;
};

/// deferToThreadPool on the reactor's own pool.  Twisted: twisted.internet.threads.deferToThread.
template <ReactorWithThreadPool R, class F>
auto deferToThread(R& reactor, F f, std::source_location where = std::source_location::current())
    -> Deferred<std::invoke_result_t<F&>> {
  return deferToThreadPool(reactor, reactor.getThreadPool(), std::move(f), where);
}

/// Runs `f()` on the reactor's thread and waits for it: returns its result, or rethrows the
/// exception it threw. If `f` returns a `Deferred<V>`, waits for that Deferred too and returns
/// its value (or rethrows its Failure's exception).  Twisted:
/// twisted.internet.threads.blockingCallFromThread.
///
/// Preconditions: called from a thread other than the reactor's, while the reactor runs (or
/// will run); from the reactor's own thread it would wait forever. It waits without a limit,
/// as Twisted does.
///
/// `f` runs and is destroyed on the reactor's thread, unless the reactor is destroyed before
/// running it.
template <class F>
auto blockingCallFromThread(IReactorFromThreads& reactor, F f) ->
    typename detail::UnwrapDeferred<std::invoke_result_t<F&>>::type {
  using R = std::invoke_result_t<F&>;
  using Unwrap = detail::UnwrapDeferred<R>;
  using V = typename Unwrap::type;
  auto state = std::make_shared<detail::BlockingResult<V>>();
  reactor.callFromThread(detail::makeCopyable([state, f = std::move(f)]() mutable {
    try {
      if constexpr (Unwrap::kIsDeferred) {
        R d = f();
        if constexpr (std::is_void_v<V>) {
          d.addCallbacks([state] { state->succeed({}); },
                         [state](Failure failure) { state->fail(failure.exception()); });
        } else {
          d.addCallbacks([state](V v) { state->succeed(std::move(v)); },
                         [state](Failure failure) { state->fail(failure.exception()); });
        }
      } else if constexpr (std::is_void_v<R>) {
        f();
        state->succeed({});
      } else {
        state->succeed(f());
      }
    } catch (...) {
      state->fail(std::current_exception());
    }
  }));
  std::unique_lock lock(state->mutex);
  state->done.wait(lock, [&] { return state->finished; });
  if (state->error) std::rethrow_exception(state->error);
  if constexpr (!std::is_void_v<V>) return std::move(*state->value);
}

/// Runs the functions one after the other on one thread of `pool`. An exception stops the ones
/// after it and is logged by the pool.  Twisted: twisted.internet.threads.callMultipleInThread.
///
/// Differs from Twisted: `callMultipleInThread` takes a pool or a reactor with a pool of its own
/// (Twisted uses the global reactor's pool).
inline void callMultipleInThread(ThreadPool& pool, std::vector<std::function<void()>> calls,
                                 std::source_location where = std::source_location::current()) {
  pool.callInThread(detail::makeCopyable([calls = std::move(calls)]() mutable {
                      for (auto& call : calls) call();
                    }),
                    where);
}

/// callMultipleInThread on the reactor's own pool.
template <ReactorWithThreadPool R>
void callMultipleInThread(R& reactor, std::vector<std::function<void()>> calls,
                          std::source_location where = std::source_location::current()) {
  callMultipleInThread(reactor.getThreadPool(), std::move(calls), where);
}

}  // namespace tw
