/// @file
/// IReactorFromThreads, IReactorInThreads, IReactorThreads: crossing between threads and the
/// reactor's thread.  Twisted: twisted.internet.interfaces.IReactorFromThreads,
/// IReactorInThreads, IReactorThreads.  Tests: tests/integration (with the real reactor)
#pragma once

#include <cstddef>
#include <functional>
#include <source_location>
#include <utility>

namespace tw {

/// The one thread-safe way into a reactor.
class IReactorFromThreads {
 public:
  virtual ~IReactorFromThreads() = default;

  /// Runs `f` on the reactor's thread, soon (in the next iteration), in call order.
  /// Thread safety: may be called from any thread.
  virtual void callFromThread(std::function<void()> f) = 0;
};

/// Running work on the reactor's thread pool.
class IReactorInThreads {
 public:
  virtual ~IReactorInThreads() = default;

  /// Runs `f` on a thread of the pool.  Call from the reactor's thread.  `where` (the caller,
  /// by default) names the job in trial's janitor report if it outlives its test.
  void callInThread(std::function<void()> f,
                    std::source_location where = std::source_location::current()) {
    doCallInThread(std::move(f), where);
  }

 protected:
  virtual void doCallInThread(std::function<void()> f, const std::source_location& where) = 0;
};

/// Both directions, and the pool's size.
class IReactorThreads : public IReactorFromThreads, public IReactorInThreads {
 public:
  /// Asks for a pool of at most `size` threads.
  virtual void suggestThreadPoolSize(std::size_t size) = 0;
};

}  // namespace tw
