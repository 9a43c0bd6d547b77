/// @file
/// PosixReactorBase and the three real reactors built on it: EpollReactor (the default on
/// Linux), PollReactor and SelectReactor.
/// Twisted: twisted.internet.base.ReactorBase, posixbase.PosixReactorBase, epollreactor,
/// pollreactor, selectreactor.  Tests: tests/integration/reactor_test.cpp
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tw/delayed_call.hpp"
#include "tw/detail/system_events.hpp"
#include "tw/interfaces/i_hostname_resolver.hpp"
#include "tw/interfaces/i_reactor_core.hpp"
#include "tw/interfaces/i_reactor_fd_set.hpp"
#include "tw/interfaces/i_reactor_multicast.hpp"
#include "tw/interfaces/i_reactor_process.hpp"
#include "tw/interfaces/i_reactor_tcp.hpp"
#include "tw/interfaces/i_reactor_threads.hpp"
#include "tw/interfaces/i_reactor_time.hpp"
#include "tw/interfaces/i_reactor_udp.hpp"
#include "tw/interfaces/i_reactor_unix.hpp"
#include "tw/logger.hpp"

namespace tw {

class ReactorThreads;
class ThreadPool;

namespace detail {

/// What a backend reports about one ready descriptor.
struct ReadyEvent {
  int fd = -1;
  bool readable = false;
  bool writable = false;
  /// Hang-up or error (EPOLLHUP/EPOLLERR, POLLHUP/POLLERR/POLLNVAL).
  bool hangup = false;
};

/// The part of a reactor that differs between epoll, poll and select: keeping the interest set
/// and waiting on it.  Errors are reported by throwing std::system_error (they mean a bug or a
/// resource exhaustion, never an ordinary network condition).
class PollBackend {
 public:
  virtual ~PollBackend() = default;
  /// "epoll", "poll" or "select".
  virtual std::string_view name() const noexcept = 0;
  /// The interest in `fd` changed: `read`/`write` are the new wishes, `wasRead`/`wasWrite` the old.
  /// Called only when something changed; (false, false) removes the descriptor.
  virtual void update(int fd, bool read, bool write, bool wasRead, bool wasWrite) = 0;
  /// Waits until a descriptor is ready or `timeout` seconds passed (negative: no limit), and
  /// appends the ready descriptors to `out`.  Returns early, with nothing, if a signal arrived.
  virtual void wait(double timeout, std::vector<ReadyEvent>& out) = 0;
};

std::unique_ptr<PollBackend> makeEpollBackend();
std::unique_ptr<PollBackend> makePollBackend();
std::unique_ptr<PollBackend> makeSelectBackend();

}  // namespace detail

/// The event loop shared by every POSIX reactor: timers, system event triggers, the
/// callFromThread queue, descriptors, signals, TCP (tw/tcp.hpp), UDP and multicast (tw/udp.hpp);
/// the backend only waits.
///
/// One iteration (`iterate()`, and each turn of `run()`'s loop) does, in this order:
///  1. **Thread calls.**  Runs the functions given to callFromThread before this step started,
///     in the order they were given; those they queue run in the next iteration.
///  2. **Shutdown.**  If stop() was called since the previous iteration, fires the "shutdown"
///     system event (its "before" triggers; the rest when their Deferreds have fired).
///  3. **Timers.**  Reads the clock once, then runs every call due at that time, earliest first,
///     calls due at the same time in scheduling order.  A call scheduled, reset or delayed while
///     this step runs waits for a later iteration, even with a delay of 0 (so `callLater(0, f)`
///     from a call never starves I/O).
///  4. **Timeout.**  Computes how long to wait: 0 if a thread call is queued or the loop was
///     crashed or stopped meanwhile; else until the earliest timer (rounded up to the backend's
///     resolution); else, in run(), without limit (iterate(delay): at most `delay`).
///  5. **Poll.**  Waits on the backend for the descriptors of interest; a callFromThread from
///     another thread, or SIGINT/SIGTERM while run() has its handlers installed, wakes it.
///  6. **I/O.**  For each ready descriptor, in the backend's order: a hang-up with nothing to
///     read (and, for a writer, nothing writable) calls its connectionLost (ConnectionDone if it
///     was watched for reads, ConnectionLost otherwise); else doRead() if it is readable (or hung
///     up) and still watched for reads, then doWrite() if it is writable, still watched for
///     writes and doRead did not fail.  A Failure returned (or an exception thrown, which is
///     logged) by doRead/doWrite unwatches the descriptor and calls its connectionLost with it,
///     even if the descriptor had unwatched itself meanwhile (so the descriptor must not destroy
///     itself from doRead/doWrite; TCP connections are kept alive by the reactor instead).
///     Signals noted by the handler are acted on here: the reactor logs them and calls stop().
///
/// Errors: an exception thrown by a timer, a thread call, a trigger or a descriptor is logged
/// (namespace "tw.reactor") and never escapes run() or iterate().
///
/// Lifecycle, as Twisted's:
/// @verbatim
///   new --run()--> startup event --during--> running --stop()--> shutdown event --during-->
///   crash(): run() returns.  A reactor that was stopped cannot run again
///   (ReactorNotRestartable); one that was only crashed can.
/// @endverbatim
/// "startup" and "shutdown" have built-in triggers: "during startup" sets running(), "during
/// shutdown" crashes the loop and then disconnects every descriptor (removeAll, connectionLost
/// with ConnectionLost).  Triggers run once: firing an event consumes its triggers.
///
/// Thread safety: one thread runs the reactor and calls everything, except callFromThread,
/// which any thread may call.
///
/// Differs from Twisted: seconds() is a monotonic clock (CLOCK_MONOTONIC), not the wall clock,
/// so timers are immune to clock changes; iterate(delay) returns at the next timer if it comes
/// before `delay`.
class PosixReactorBase : public IReactorCore,
                         public IReactorTime,
                         public IReactorFDSet,
                         public IReactorThreads,
                         public IReactorPluggableNameResolver,
                         public IReactorTCP,
                         public IReactorUDP,
                         public IReactorUNIX,
                         public IReactorMulticast,
                         public IReactorProcess {
 public:
  PosixReactorBase(const PosixReactorBase&) = delete;
  PosixReactorBase& operator=(const PosixReactorBase&) = delete;
  ~PosixReactorBase() override;

  /// The backend: "epoll", "poll" or "select".
  std::string_view backendName() const noexcept { return backend_->name(); }

  // --- IReactorCore -----------------------------------------------------------------------------
  bool running() const override { return running_; }
  /// An IP literal at once; a name by getaddrinfo (IPv4) on the reactor's thread pool, so the
  /// loop never blocks (Twisted's ThreadedResolver).  Fails with tw::error::DNSLookupError if
  /// the name is unknown, or if no answer came within `timeout` (a late answer is dropped).
  /// Like every pool job, the lookup waits until the reactor runs (see getThreadPool()).
  Deferred<std::string> resolve(std::string_view name, Seconds timeout) override;
  /// run(true): installs handlers for SIGINT and SIGTERM while it runs (see run(bool)).
  void run() override { run(true); }
  /// Fires "startup", loops until crashed (stop() crashes it once "shutdown" ran its "during"
  /// triggers), and returns.  With `installSignalHandlers`, SIGINT and SIGTERM call stop() (the
  /// handler only writes to the loop's eventfd) and the previous handlers are restored on return.
  /// @throws tw::error::ReactorAlreadyRunning, tw::error::ReactorNotRestartable.
  void run(bool installSignalHandlers);
  /// @throws tw::error::ReactorNotRunning if not started, or already stopped.
  void stop() override;
  void crash() override;
  /// One iteration (see the class comment), waiting at most `delay` for I/O.
  void iterate(Seconds delay = Seconds(0)) override;
  void fireSystemEvent(std::string_view eventType) override;
  void removeSystemEventTrigger(TriggerId id) override;
  std::optional<TriggerId> callWhenRunning(std::function<void()> f) override;

  // --- IReactorTime -----------------------------------------------------------------------------
  /// Seconds on the monotonic clock.
  double seconds() const override;
  std::vector<DelayedCallPtr> getDelayedCalls() const override { return timers_.pending(); }

  // --- IReactorFDSet ----------------------------------------------------------------------------
  void addReader(IReadDescriptor& reader) override;
  void addWriter(IWriteDescriptor& writer) override;
  void removeReader(IReadDescriptor& reader) override;
  void removeWriter(IWriteDescriptor& writer) override;
  std::vector<IFileDescriptor*> removeAll() override;
  std::vector<IReadDescriptor*> getReaders() const override;
  std::vector<IWriteDescriptor*> getWriters() const override;

  // --- IReactorFromThreads ----------------------------------------------------------------------
  /// Queues `f` for step 1 of the next iteration and wakes the loop.
  /// Thread safety: any thread.
  void callFromThread(std::function<void()> f) override;

  // --- IReactorInThreads (ReactorThreads, in tw/threads.hpp, does the work) ---------------------
  /// Sets the maximum size of the reactor's pool (made if needed).
  /// @throws std::invalid_argument below the pool's minimum.
  void suggestThreadPoolSize(std::size_t size) override;
  /// The reactor's pool, made on first use: 0 to 10 threads named "tw.reactor", started when
  /// the reactor runs (at once if it runs already), stopped by a "during shutdown" trigger
  /// (stop() waits there for the running and queued jobs), stopped too when the reactor is
  /// destroyed.  deferToThread(reactor, f) and callInThread(f) use it.
  ThreadPool& getThreadPool();
  /// The pool if it was made, else null (Twisted: the `threadpool` attribute).
  [[nodiscard]] ThreadPool* threadpool() noexcept;

  // --- IReactorPluggableNameResolver ------------------------------------------------------------
  /// The resolver endpoints use by default (HostnameEndpoint, TCP6ClientEndpoint): a
  /// ThreadedHostnameResolver on getThreadPool() unless another was installed.  Twisted:
  /// ReactorBase.nameResolver (GAIResolver on the reactor's pool).
  std::shared_ptr<IHostnameResolver> nameResolver() override;
  std::shared_ptr<IHostnameResolver> installNameResolver(
      std::shared_ptr<IHostnameResolver> resolver) override;

  /// Keeps `owned` alive until releaseOwned(key) or the reactor's destruction; what the reactor
  /// keeps for its transports and ports (their lifetime is the reactor's business).
  void keepOwned(const void* key, std::shared_ptr<void> owned);
  /// Drops what keepOwned(key, ...) kept; released at the end of the current step, so an object
  /// may release itself from its own callback.
  void releaseOwned(const void* key);

  /// The logger for the reactor's own reports ("tw.reactor").
  static const Logger& log();

 protected:
  explicit PosixReactorBase(std::unique_ptr<detail::PollBackend> backend);

  TriggerId doAddSystemEventTrigger(std::string_view phase, std::string_view eventType,
                                    std::function<Deferred<void>()> trigger) override;
  DelayedCallPtr doCallLater(Seconds delay, std::function<void()> f,
                             const std::source_location& where) override;
  void doCallInThread(std::function<void()> f, const std::source_location& where) override;
  /// IReactorTCP, in src/posix/tcp.cpp (see tw/tcp.hpp).
  std::shared_ptr<IListeningPort> doListenTCP(int port, std::shared_ptr<IProtocolFactory> factory,
                                              int backlog, std::string_view interface,
                                              const std::source_location& where) override;
  std::shared_ptr<IConnector> doConnectTCP(std::string_view host, int port,
                                           std::shared_ptr<IClientFactory> factory, Seconds timeout,
                                           std::optional<BindAddress> bindAddress,
                                           const std::source_location& where) override;
  /// IReactorUDP and IReactorMulticast, in src/posix/udp.cpp (see tw/udp.hpp).
  std::shared_ptr<IListeningPort> doListenUDP(int port, std::shared_ptr<DatagramProtocol> protocol,
                                              std::string_view interface, std::size_t maxPacketSize,
                                              const std::source_location& where) override;
  std::shared_ptr<IListeningPort> doListenMulticast(int port,
                                                    std::shared_ptr<DatagramProtocol> protocol,
                                                    std::string_view interface,
                                                    std::size_t maxPacketSize, bool listenMultiple,
                                                    const std::source_location& where) override;
  /// IReactorProcess, in src/posix/process.cpp (see tw/process.hpp).
  std::shared_ptr<IProcessTransport> doSpawnProcess(SpawnProcessArgs args,
                                                    const std::source_location& where) override;
  /// IReactorUNIX, in src/posix/unix.cpp (see tw/unix.hpp).
  std::shared_ptr<IListeningPort> doListenUNIX(std::string address,
                                               std::shared_ptr<IProtocolFactory> factory,
                                               int backlog, int mode, bool wantPID,
                                               const std::source_location& where) override;
  std::shared_ptr<IConnector> doConnectUNIX(std::string address,
                                            std::shared_ptr<IClientFactory> factory,
                                            Seconds timeout, bool checkPID,
                                            const std::source_location& where) override;

 private:
  struct FdEntry {
    IReadDescriptor* reader = nullptr;
    IWriteDescriptor* writer = nullptr;
  };
  class Waker;

  void startRunning();
  void mainLoop();
  void runUntilCurrent();
  void doIteration(double timeout);
  double timeout() const;
  void dispatch(const detail::ReadyEvent& ev);
  void disconnect(IFileDescriptor& d, int fd, const Failure& why);
  void disconnectAll();
  void addStartupTrigger();
  void onWake();
  int findFd(const IFileDescriptor& d) const;
  void setInterest(int fd, IReadDescriptor* reader, IWriteDescriptor* writer);
  void collectReleased();

  std::unique_ptr<detail::PollBackend> backend_;
  TimerQueue timers_;
  std::vector<FdEntry> fds_;
  std::vector<detail::ReadyEvent> ready_;
  std::unique_ptr<Waker> waker_;
  int wakeFd_ = -1;

  std::mutex threadMutex_;
  std::vector<std::function<void()>> threadCalls_;
  std::atomic<bool> threadCallsPending_{false};

  detail::SystemEvents events_{Logger("tw.reactor")};

  std::unique_ptr<ReactorThreads> threads_;  // made by getThreadPool()
  std::shared_ptr<IHostnameResolver> nameResolver_;

  std::unordered_map<const void*, std::shared_ptr<void>> owned_;
  std::vector<std::shared_ptr<void>> released_;

  bool running_ = false;
  bool started_ = false;
  bool stopped_ = true;
  bool justStopped_ = false;
  bool startedBefore_ = false;
  bool signalsInstalled_ = false;
};

/// The epoll reactor: O(ready descriptors) per iteration.  The default on Linux.
/// Twisted: twisted.internet.epollreactor.EPollReactor.
class EpollReactor final : public PosixReactorBase {
 public:
  EpollReactor() : PosixReactorBase(detail::makeEpollBackend()) {}
};

/// The poll(2) reactor: O(watched descriptors) per iteration.
/// Twisted: twisted.internet.pollreactor.PollReactor.
class PollReactor final : public PosixReactorBase {
 public:
  PollReactor() : PosixReactorBase(detail::makePollBackend()) {}
};

/// The select(2) reactor: descriptors below FD_SETSIZE (1024) only; adding a larger one throws
/// std::invalid_argument.  Twisted: twisted.internet.selectreactor.SelectReactor.
class SelectReactor final : public PosixReactorBase {
 public:
  SelectReactor() : PosixReactorBase(detail::makeSelectBackend()) {}
};

}  // namespace tw
