/// @file
/// PosixReactorBase: the loop, timers, triggers, thread calls, descriptors and signals.
/// Tests: tests/integration/reactor_test.cpp
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <ctime>
#include <stdexcept>
#include <system_error>

#include "tw/address.hpp"
#include "tw/endpoints.hpp"
#include "tw/error.hpp"
#include "tw/posix_reactor.hpp"
#include "tw/thread_pool.hpp"
#include "tw/threads.hpp"

namespace tw {

namespace {

// The reactor whose run() installed the signal handlers writes its eventfd here; the handler
// only records the signal and writes to that descriptor (both async-signal-safe).
std::atomic<int> gSignalWakeFd{-1};
volatile std::sig_atomic_t gPendingSignal = 0;

extern "C" void twReactorSignalHandler(int signo) {
  const int saved = errno;
  gPendingSignal = signo;
  const int fd = gSignalWakeFd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
  }
  errno = saved;
}

}  // namespace

/// The reactor's own descriptor: the eventfd that callFromThread and the signal handler write.
class PosixReactorBase::Waker final : public IReadDescriptor {
 public:
  Waker(PosixReactorBase& reactor, int fd) : reactor_(reactor), fd_(fd) {}
  int fileno() const override { return fd_; }
  void connectionLost(const Failure& /*reason*/) override {}
  std::string logPrefix() const override { return "Waker"; }
  std::optional<Failure> doRead() override {
    std::uint64_t count = 0;
    [[maybe_unused]] ssize_t n = ::read(fd_, &count, sizeof count);
    reactor_.onWake();
    return std::nullopt;
  }

 private:
  PosixReactorBase& reactor_;
  int fd_;
};

const Logger& PosixReactorBase::log() {
  static const Logger logger("tw.reactor");
  return logger;
}

PosixReactorBase::PosixReactorBase(std::unique_ptr<detail::PollBackend> backend)
    : backend_(std::move(backend)), timers_(*this) {
  wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakeFd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  waker_ = std::make_unique<Waker>(*this, wakeFd_);
  addReader(*waker_);
  addStartupTrigger();
  // Built in, first among the "during shutdown" triggers, as Twisted registers them.
  doAddSystemEventTrigger("during", "shutdown", [this] {
    crash();
    return succeed();
  });
  doAddSystemEventTrigger("during", "shutdown", [this] {
    disconnectAll();
    return succeed();
  });
}

PosixReactorBase::~PosixReactorBase() {
  // First the pool: its jobs may still hand results to this reactor (they are dropped below).
  threads_.reset();
  if (signalsInstalled_) gSignalWakeFd.store(-1);
  // Drop the transports and ports the reactor kept (their descriptors close with them).
  std::unordered_map<const void*, std::shared_ptr<void>> owned = std::move(owned_);
  owned.clear();
  released_.clear();
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

void PosixReactorBase::addStartupTrigger() {
  doAddSystemEventTrigger("during", "startup", [this] {
    running_ = true;
    return succeed();
  });
}

// --- time --------------------------------------------------------------------------------------

double PosixReactorBase::seconds() const {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

DelayedCallPtr PosixReactorBase::doCallLater(Seconds delay, std::function<void()> f,
                                             const std::source_location& where) {
  const double d = delay.count();
  if (!std::isfinite(d) || d < 0) {
    throw std::invalid_argument("callLater: the delay must be finite and not negative, got " +
                                std::to_string(d));
  }
  return timers_.schedule(seconds() + d, std::move(f), where);
}

// --- lifecycle ---------------------------------------------------------------------------------

void PosixReactorBase::startRunning() {
  if (started_) throw error::ReactorAlreadyRunning();
  if (startedBefore_) throw error::ReactorNotRestartable();
  started_ = true;
  stopped_ = false;
  fireSystemEvent("startup");
}

void PosixReactorBase::run(bool installSignalHandlers) {
  startRunning();
  struct sigaction oldInt {};
  struct sigaction oldTerm {};
  const bool install = installSignalHandlers && gSignalWakeFd.load() < 0;
  if (install) {
    gPendingSignal = 0;
    gSignalWakeFd.store(wakeFd_);
    signalsInstalled_ = true;
    struct sigaction sa {};
    sa.sa_handler = twReactorSignalHandler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, &oldInt);
    ::sigaction(SIGTERM, &sa, &oldTerm);
  }
  struct Restore {
    bool on;
    struct sigaction& i;
    struct sigaction& t;
    PosixReactorBase& r;
    ~Restore() {
      if (!on) return;
      ::sigaction(SIGINT, &i, nullptr);
      ::sigaction(SIGTERM, &t, nullptr);
      gSignalWakeFd.store(-1);
      r.signalsInstalled_ = false;
    }
  } restore{install, oldInt, oldTerm, *this};
  mainLoop();
}

void PosixReactorBase::mainLoop() {
  while (started_) {
    runUntilCurrent();
    // Not started any more (crashed): one last look at the descriptors without waiting.
    doIteration(started_ ? timeout() : 0.0);
  }
}

void PosixReactorBase::stop() {
  if (stopped_) throw error::ReactorNotRunning();
  stopped_ = true;
  justStopped_ = true;
  startedBefore_ = true;
}

void PosixReactorBase::crash() {
  started_ = false;
  running_ = false;
  addStartupTrigger();
}

void PosixReactorBase::iterate(Seconds delay) {
  runUntilCurrent();
  double t = delay.count();
  if (!(t > 0)) t = 0;
  const double untilTimer = timeout();
  if (untilTimer >= 0 && untilTimer < t) t = untilTimer;
  doIteration(t);
}

std::optional<TriggerId> PosixReactorBase::callWhenRunning(std::function<void()> f) {
  if (running_) {
    f();
    return std::nullopt;
  }
  return doAddSystemEventTrigger("after", "startup", [f = std::move(f)] {
    f();
    return succeed();
  });
}

// --- one iteration -----------------------------------------------------------------------------

void PosixReactorBase::runUntilCurrent() {
  // 1. Thread calls queued so far.
  if (threadCallsPending_.load(std::memory_order_acquire)) {
    std::vector<std::function<void()>> calls;
    {
      std::lock_guard<std::mutex> lock(threadMutex_);
      calls.swap(threadCalls_);
      threadCallsPending_.store(false, std::memory_order_relaxed);
    }
    for (auto& f : calls) {
      try {
        f();
      } catch (...) {
        log().failure("Unhandled error in a callFromThread call", Failure::fromCurrentException(),
                      LogLevel::error);
      }
    }
  }
  // 2. Shutdown.
  if (justStopped_) {
    justStopped_ = false;
    fireSystemEvent("shutdown");
  }
  // 3. Timers due at one reading of the clock, scheduled before this step.
  if (!timers_.empty()) {
    const double now = seconds();
    const std::uint64_t limit = timers_.nextSequence();
    timers_.prepareDue(now);
    while (!timers_.empty() && timers_.nextTime() <= now && timers_.nextCallSequence() < limit) {
      std::shared_ptr<DelayedCall> call = timers_.popNext();
      timers_.prefetchNext();
      try {
        TimerQueue::run(call);
      } catch (...) {
        log().failure("Unhandled error in a delayed call " + call->repr(),
                      Failure::fromCurrentException(), LogLevel::error);
      }
    }
  }
  collectReleased();
}

double PosixReactorBase::timeout() const {
  if (threadCallsPending_.load(std::memory_order_acquire) || justStopped_) return 0;
  if (timers_.empty()) return -1;
  const double t = timers_.nextTime() - seconds();
  return t > 0 ? t : 0;
}

void PosixReactorBase::doIteration(double timeout) {
  ready_.clear();
  backend_->wait(timeout, ready_);
  // ready_ may not be touched by a callback (dispatch never re-enters doIteration).
  for (const detail::ReadyEvent& ev : ready_) dispatch(ev);
  ready_.clear();
  collectReleased();
}

void PosixReactorBase::dispatch(const detail::ReadyEvent& ev) {
  if (ev.fd < 0 || static_cast<std::size_t>(ev.fd) >= fds_.size()) return;
  FdEntry& entry = fds_[ev.fd];
  if (entry.reader == nullptr && entry.writer == nullptr) return;  // removed meanwhile
  IFileDescriptor* d = entry.reader != nullptr ? static_cast<IFileDescriptor*>(entry.reader)
                                               : static_cast<IFileDescriptor*>(entry.writer);
  std::optional<Failure> why;
  if (ev.hangup && !ev.readable && !(ev.writable && entry.writer != nullptr)) {
    if (entry.reader != nullptr) {
      why = Failure(error::ConnectionDone());
    } else {
      why = Failure(error::ConnectionLost());
    }
  } else {
    try {
      if (d->fileno() < 0) {
        why = Failure(error::ConnectionFdescWentAway("Filedescriptor went away"));
      } else {
        if (ev.readable || ev.hangup) {
          if (IReadDescriptor* r = fds_[ev.fd].reader) why = r->doRead();
        }
        if (!why && ev.writable && static_cast<std::size_t>(ev.fd) < fds_.size()) {
          if (IWriteDescriptor* w = fds_[ev.fd].writer) why = w->doWrite();
        }
      }
    } catch (...) {
      why = Failure::fromCurrentException();
      log().failure("Unhandled error in a descriptor's doRead/doWrite (" + d->logPrefix() + ")",
                    *why, LogLevel::error);
    }
  }
  if (why) disconnect(*d, ev.fd, *why);
}

void PosixReactorBase::disconnect(IFileDescriptor& d, int fd, const Failure& why) {
  // Unwatch it if it is still watched on this fd (its callback may have removed it already).
  if (fd >= 0 && static_cast<std::size_t>(fd) < fds_.size()) {
    const FdEntry e = fds_[fd];
    IReadDescriptor* r =
        e.reader != nullptr && static_cast<IFileDescriptor*>(e.reader) == &d ? nullptr : e.reader;
    IWriteDescriptor* w =
        e.writer != nullptr && static_cast<IFileDescriptor*>(e.writer) == &d ? nullptr : e.writer;
    setInterest(fd, r, w);
  }
  try {
    d.connectionLost(why);
  } catch (...) {
    log().failure("Unhandled error in connectionLost (" + d.logPrefix() + ")",
                  Failure::fromCurrentException(), LogLevel::error);
  }
}

// --- descriptors -------------------------------------------------------------------------------

void PosixReactorBase::setInterest(int fd, IReadDescriptor* reader, IWriteDescriptor* writer) {
  if (fd < 0) return;
  if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) + 1);
  FdEntry& e = fds_[fd];
  const bool wasRead = e.reader != nullptr;
  const bool wasWrite = e.writer != nullptr;
  const bool read = reader != nullptr;
  const bool write = writer != nullptr;
  if (read != wasRead || write != wasWrite) backend_->update(fd, read, write, wasRead, wasWrite);
  e.reader = reader;
  e.writer = writer;
}

int PosixReactorBase::findFd(const IFileDescriptor& d) const {
  const int fd = d.fileno();
  auto matches = [&](std::size_t i) {
    const FdEntry& e = fds_[i];
    return (e.reader != nullptr && static_cast<const IFileDescriptor*>(e.reader) == &d) ||
           (e.writer != nullptr && static_cast<const IFileDescriptor*>(e.writer) == &d);
  };
  if (fd >= 0) {
    return static_cast<std::size_t>(fd) < fds_.size() && matches(fd) ? fd : -1;
  }
  // Closed since it was added: look for it.
  for (std::size_t i = 0; i < fds_.size(); ++i) {
    if (matches(i)) return static_cast<int>(i);
  }
  return -1;
}

void PosixReactorBase::addReader(IReadDescriptor& reader) {
  const int fd = reader.fileno();
  if (fd < 0) throw std::invalid_argument("addReader: the descriptor is closed");
  FdEntry e = static_cast<std::size_t>(fd) < fds_.size() ? fds_[fd] : FdEntry{};
  setInterest(fd, &reader, e.writer);
}

void PosixReactorBase::addWriter(IWriteDescriptor& writer) {
  const int fd = writer.fileno();
  if (fd < 0) throw std::invalid_argument("addWriter: the descriptor is closed");
  FdEntry e = static_cast<std::size_t>(fd) < fds_.size() ? fds_[fd] : FdEntry{};
  setInterest(fd, e.reader, &writer);
}

void PosixReactorBase::removeReader(IReadDescriptor& reader) {
  const int fd = findFd(reader);
  if (fd < 0 || fds_[fd].reader != &reader) return;
  setInterest(fd, nullptr, fds_[fd].writer);
}

void PosixReactorBase::removeWriter(IWriteDescriptor& writer) {
  const int fd = findFd(writer);
  if (fd < 0 || fds_[fd].writer != &writer) return;
  setInterest(fd, fds_[fd].reader, nullptr);
}

std::vector<IFileDescriptor*> PosixReactorBase::removeAll() {
  std::vector<IFileDescriptor*> out;
  for (std::size_t i = 0; i < fds_.size(); ++i) {
    FdEntry e = fds_[i];
    if (e.reader == waker_.get()) continue;
    if (e.reader == nullptr && e.writer == nullptr) continue;
    IFileDescriptor* r = e.reader;
    IFileDescriptor* w = e.writer;
    if (r != nullptr) out.push_back(r);
    if (w != nullptr && w != r) out.push_back(w);
    setInterest(static_cast<int>(i), nullptr, nullptr);
  }
  return out;
}

std::vector<IReadDescriptor*> PosixReactorBase::getReaders() const {
  std::vector<IReadDescriptor*> out;
  for (const FdEntry& e : fds_) {
    if (e.reader != nullptr && e.reader != waker_.get()) out.push_back(e.reader);
  }
  return out;
}

std::vector<IWriteDescriptor*> PosixReactorBase::getWriters() const {
  std::vector<IWriteDescriptor*> out;
  for (const FdEntry& e : fds_) {
    if (e.writer != nullptr) out.push_back(e.writer);
  }
  return out;
}

void PosixReactorBase::disconnectAll() {
  for (IFileDescriptor* d : removeAll()) {
    try {
      d->connectionLost(Failure(error::ConnectionLost()));
    } catch (...) {
      log().failure("Unhandled error in connectionLost (" + d->logPrefix() + ")",
                    Failure::fromCurrentException(), LogLevel::error);
    }
  }
}

// --- threads and signals -----------------------------------------------------------------------

void PosixReactorBase::callFromThread(std::function<void()> f) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(threadMutex_);
    wake = threadCalls_.empty();
    threadCalls_.push_back(std::move(f));
    threadCallsPending_.store(true, std::memory_order_release);
  }
  if (wake) {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof one);
  }
}

void PosixReactorBase::onWake() {
  if (!signalsInstalled_) return;
  const int signo = gPendingSignal;
  if (signo == 0) return;
  gPendingSignal = 0;
  log().info(std::string("Received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") +
             ", shutting down.");
  if (!stopped_) stop();
}

// --- ownership ---------------------------------------------------------------------------------

void PosixReactorBase::keepOwned(const void* key, std::shared_ptr<void> owned) {
  owned_[key] = std::move(owned);
}

void PosixReactorBase::releaseOwned(const void* key) {
  auto it = owned_.find(key);
  if (it == owned_.end()) return;
  released_.push_back(std::move(it->second));
  owned_.erase(it);
}

void PosixReactorBase::collectReleased() {
  while (!released_.empty()) {
    std::vector<std::shared_ptr<void>> r = std::move(released_);
    released_.clear();
    r.clear();
  }
}

// --- system events -----------------------------------------------------------------------------

TriggerId PosixReactorBase::doAddSystemEventTrigger(std::string_view phase,
                                                    std::string_view eventType,
                                                    std::function<Deferred<void>()> trigger) {
  return events_.add(phase, eventType, std::move(trigger));
}

void PosixReactorBase::removeSystemEventTrigger(TriggerId id) { events_.remove(id); }

void PosixReactorBase::fireSystemEvent(std::string_view eventType) { events_.fire(eventType); }

// --- threads -----------------------------------------------------------------------------------

ThreadPool& PosixReactorBase::getThreadPool() {
  if (!threads_) threads_ = std::make_unique<ReactorThreads>(*this, *this);
  return threads_->getThreadPool();
}

ThreadPool* PosixReactorBase::threadpool() noexcept {
  return threads_ ? threads_->threadpool() : nullptr;
}

void PosixReactorBase::suggestThreadPoolSize(std::size_t size) {
  getThreadPool().adjustPoolsize(std::nullopt, size);
}

void PosixReactorBase::doCallInThread(std::function<void()> f, const std::source_location& where) {
  getThreadPool().callInThread(std::move(f), where);
}

std::shared_ptr<IHostnameResolver> PosixReactorBase::nameResolver() {
  if (!nameResolver_)
    nameResolver_ = std::make_shared<ThreadedHostnameResolver>(*this, getThreadPool());
  return nameResolver_;
}

std::shared_ptr<IHostnameResolver> PosixReactorBase::installNameResolver(
    std::shared_ptr<IHostnameResolver> resolver) {
  return std::exchange(nameResolver_, std::move(resolver));
}

// --- resolve -----------------------------------------------------------------------------------

namespace {

/// getaddrinfo for one IPv4 address, on a pool thread.
std::string lookUpIPv4(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    if (res != nullptr) ::freeaddrinfo(res);
    throw error::DNSLookupError("address '" + host + "' not found: " + ::gai_strerror(rc));
  }
  char buf[INET_ADDRSTRLEN] = {};
  const auto* sin = reinterpret_cast<const sockaddr_in*>(res->ai_addr);
  ::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
  ::freeaddrinfo(res);
  return buf;
}

}  // namespace

Deferred<std::string> PosixReactorBase::resolve(std::string_view name, Seconds timeout) {
  std::string host(name);
  if (isIPAddress(host)) return succeed(host);
  Deferred<std::string> answer;
  Deferred<std::string> lookup =
      deferToThreadPool(*this, getThreadPool(), [host] { return lookUpIPv4(host); });
  DelayedCallPtr timer = callLater(timeout, [answer, host]() mutable {
    if (!answer.hasResult()) {
      answer.errback(Failure(error::DNSLookupError("address '" + host + "' not found: timeout")));
    }
  });
  // A late answer (after the timeout) is dropped.
  lookup.addCallbacks(
      [answer, timer](std::string address) mutable {
        if (timer->active()) timer->cancel();
        if (!answer.hasResult()) answer.callback(std::move(address));
      },
      [answer, timer](Failure failure) mutable {
        if (timer->active()) timer->cancel();
        if (!answer.hasResult()) answer.errback(std::move(failure));
      });
  return answer;
}

}  // namespace tw
