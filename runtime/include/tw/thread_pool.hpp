/// @file
/// ThreadPool: a pool of threads that runs blocking functions off the reactor's thread.
/// Twisted: twisted.python.threadpool.ThreadPool (on twisted._threads.Team).
/// Tests: tests/runtime/thread_pool_test.cpp, tests/integration/threads_test.cpp
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <source_location>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "tw/failure.hpp"
#include "tw/outcome.hpp"

namespace tw {

namespace detail {

/// Wraps a callable, perhaps move-only, into a copyable one (std::function needs a copy).
/// The callable is shared between copies: it is destroyed with the last one, on whichever
/// thread drops it.
template <class F>
auto makeCopyable(F&& f) {
  using D = std::decay_t<F>;
  if constexpr (std::is_copy_constructible_v<D>) {
    return D(std::forward<F>(f));
  } else {
    return [p = std::make_shared<D>(std::forward<F>(f))]() mutable -> decltype(auto) {
      return (*p)();
    };
  }
}

}  // namespace detail

/// A pool of worker threads that run the functions given to it, in the order given.
///
/// Threads are made lazily: a job started when no worker is idle makes a new one, up to
/// `max()`. `start()` makes `min()` threads at once (plus as many as the work queued before it
/// needs, up to `max()`); idle threads wait for work until `stop()` or until
/// `adjustPoolsize()` lowers the maximum.
///
/// Lifecycle:
/// ```
///   constructed --start()--> started --stop()--> joined (final)
///        \---------------------stop()-------------^
/// ```
/// - Work given before `start()` is queued, and runs once the pool is started.
/// - `stop()` refuses new work, lets every worker finish its current job *and the jobs still
///   queued*, then joins every thread (as Twisted's workers drain the backlog before quitting).
///   A pool that has no thread (never started, or `max() == 0`) drops its queue instead:
///   those jobs never run (also Twisted's behaviour).
/// - Work given after `stop()` is dropped silently (Twisted's `joined` pool).
///
/// A job that throws is logged (LogLevel::critical, namespace "tw.threadpool", with the
/// Failure) and the worker goes on with the next job.
///
/// Thread safety: every member may be called from any thread, including from a job, except
/// `stop()` (and the destructor) from one of the pool's own threads, which would wait for
/// itself: it throws std::logic_error instead.
///
/// Differs from Twisted:
/// 1. `start()` after `stop()` throws std::logic_error (Twisted's team is quit for good; a
///    later start either raises AlreadyQuit or starts nothing).
/// 2. `waiters()`, `working()` and `queued()` are counts (Twisted returns lists of `None` and a
///    `NotAQueue` whose `qsize()` is the count). `queued()` counts every job not yet taken by
///    a worker, including one a woken worker is about to take.
/// 3. The destructor stops the pool (Twisted relies on the reactor's shutdown trigger).
/// 4. `callInThreadWithCallback`'s `onResult` gets `(ok, Outcome<R>)`: Twisted's
///    `(success, result)`, where C++ needs one type for a value or a Failure.
class ThreadPool {
 public:
  /// The callback of callInThreadWithCallback: `(ok, value or Failure)`.
  template <class R>
  using OnResult = std::function<void(bool, Outcome<R>)>;

  /// A pool of at least `minThreads` (once started) and at most `maxThreads` threads.
  /// @param name shown in log messages; the pool's address when empty.
  /// @throws std::invalid_argument if `minThreads > maxThreads`.
  explicit ThreadPool(std::size_t minThreads = 5, std::size_t maxThreads = 20,
                      std::string name = {});
  /// Stops the pool (see `stop()`) if it was not stopped.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Starts the pool: makes `min()` threads, and more for the work already queued.
  /// Does nothing if already started.
  /// @throws std::logic_error after `stop()`.
  void start();

  /// Stops the pool: refuses new work, waits for the running and queued jobs (see the class
  /// comment), joins every thread. Does nothing the second time.
  /// @throws std::logic_error when called from one of the pool's threads.
  void stop();

  /// Runs `f` on a thread of the pool (queued until one is free, or until `start()`).
  /// Ignored after `stop()`. `where` (the caller, by default) is what `jobs()` reports.
  void callInThread(std::function<void()> f,
                    std::source_location where = std::source_location::current());

  /// Runs `f` on a thread of the pool, then `onResult(true, value)` with its result, or
  /// `onResult(false, failure)` with the exception it threw; `onResult` runs on the pool's
  /// thread, right after `f` (keep it short: e.g. hand the result to
  /// `IReactorFromThreads::callFromThread`). An exception from `onResult` is logged.
  /// `f` and `onResult` may be move-only.
  template <class F, class OnResultF>
  void callInThreadWithCallback(OnResultF onResult, F f,
                                std::source_location where = std::source_location::current()) {
    using R = std::invoke_result_t<F&>;
    callInThread(detail::makeCopyable([onResult = std::move(onResult), f = std::move(f)]() mutable {
                   std::optional<Outcome<R>> out;
                   try {
                     if constexpr (std::is_void_v<R>) {
                       f();
                       out.emplace();
                     } else {
                       out.emplace(f());
                     }
                   } catch (...) {
                     out.emplace(Failure::fromCurrentException());
                   }
                   bool ok = out->succeeded();
                   onResult(ok, std::move(*out));
                 }),
                 where);
  }

  /// Sets the minimum and maximum number of threads (an empty one keeps its value). A started
  /// pool makes threads up to the new minimum at once, and quits threads above the new
  /// maximum: idle ones at once, busy ones when their job ends.
  /// @throws std::invalid_argument if the minimum would exceed the maximum.
  void adjustPoolsize(std::optional<std::size_t> minThreads = std::nullopt,
                      std::optional<std::size_t> maxThreads = std::nullopt);

  /// Adds one thread (up to `max()`). Twisted: startAWorker.
  void startAWorker();
  /// Quits one thread, as soon as it is idle. Twisted: stopAWorker.
  void stopAWorker();

  /// The live threads, idle or busy (not those quitting after adjustPoolsize).
  [[nodiscard]] std::size_t workers() const;
  /// The threads running a job.
  [[nodiscard]] std::size_t working() const;
  /// The threads waiting for a job.
  [[nodiscard]] std::size_t waiters() const;
  /// The jobs not yet taken by a thread. Twisted: `q.qsize()`.
  [[nodiscard]] std::size_t queued() const;

  /// A job given to the pool and not finished.
  struct JobInfo {
    std::source_location submittedAt;  ///< the callInThread (or deferToThread, ...) call
    bool running = false;              ///< taken by a thread (else still queued)
  };
  /// The jobs running, then those queued in order, with where each was submitted: what trial's
  /// janitor reports as work left behind by a test.
  [[nodiscard]] std::vector<JobInfo> jobs() const;
  /// True between start() and stop().
  [[nodiscard]] bool started() const;
  /// True after stop().
  [[nodiscard]] bool joined() const;
  [[nodiscard]] std::size_t min() const;
  [[nodiscard]] std::size_t max() const;
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  void workerLoop();
  void spawnLocked();
  [[nodiscard]] bool isPoolThreadLocked() const;

  std::string name_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  struct Job {
    std::function<void()> f;
    std::source_location where;
  };
  std::deque<Job> queue_;
  std::list<std::source_location> running_;  // one node per busy thread
  std::vector<std::thread> threads_;
  std::size_t min_;
  std::size_t max_;
  std::size_t live_ = 0;      // threads that have not decided to quit
  std::size_t idle_ = 0;      // threads waiting on wake_
  std::size_t busy_ = 0;      // threads running a job
  std::size_t toShrink_ = 0;  // threads asked to quit
  bool started_ = false;
  bool joined_ = false;
};

}  // namespace tw
