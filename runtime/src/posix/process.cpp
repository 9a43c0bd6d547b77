/// @file
/// Process: spawnProcess on the real reactors, the pipes to the child, and reaping it (pidfd, or
/// the SIGCHLD fallback).  Tests: tests/integration/process_test.cpp
#include "tw/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <stdexcept>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "tw/error.hpp"
#include "tw/posix_reactor.hpp"

extern char** environ;  // NOLINT: POSIX

namespace tw {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kHighWater = 64 * 1024;
#ifndef CLOSE_RANGE_CLOEXEC
constexpr unsigned kCloseRangeCloexec = 1U << 2;
#else
constexpr unsigned kCloseRangeCloexec = CLOSE_RANGE_CLOEXEC;
#endif

bool gForceSigchld = false;

int pidfdOpen(int pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

/// writev() that never raises SIGPIPE in this process: SIGPIPE is blocked in this thread around
/// the call, and a SIGPIPE it caused is consumed before unblocking.
ssize_t writeNoSigpipe(int fd, const iovec* iov, int count) {
  sigset_t pipeSet;
  sigemptyset(&pipeSet);
  sigaddset(&pipeSet, SIGPIPE);
  sigset_t pending;
  sigemptyset(&pending);
  ::sigpending(&pending);
  const bool wasPending = sigismember(&pending, SIGPIPE) == 1;
  sigset_t old;
  ::pthread_sigmask(SIG_BLOCK, &pipeSet, &old);
  ssize_t n = 0;
  do {
    n = ::writev(fd, iov, count);
  } while (n < 0 && errno == EINTR);
  const int saved = errno;
  if (n < 0 && saved == EPIPE && !wasPending) {
    const timespec zero{};
    while (::sigtimedwait(&pipeSet, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

Failure reasonFor(int status, bool lost) {
  if (lost) return Failure(error::ProcessTerminated(std::nullopt, std::nullopt, status));
  if (WIFEXITED(status)) {
    const int code = WEXITSTATUS(status);
    if (code == 0) return Failure(error::ProcessDone(status));
    return Failure(error::ProcessTerminated(code, std::nullopt, status));
  }
  return Failure(error::ProcessTerminated(std::nullopt, WTERMSIG(status), status));
}

// --- the child, between fork and exec: async-signal-safe calls only ----------------------------

enum ChildStep : int { kStepDup = 1, kStepChdir, kStepSetgid, kStepSetuid, kStepExec };

struct ChildReport {
  int step;
  int error;
};

/// Everything the child needs, prepared (allocated) by the parent before fork.
struct ChildPlan {
  int* keys = nullptr;  // the child's descriptors, ascending
  int* vals = nullptr;  // where each comes from (a parent descriptor), updated while moving
  int count = 0;
  int errFd = -1;
  int highest = 0;  // the highest descriptor number in keys, vals and errFd
  long maxFds = 1024;
  const char* path = nullptr;
  bool hasGid = false;
  gid_t gid = 0;
  bool hasUid = false;
  uid_t uid = 0;
  const sigset_t* mask = nullptr;
  const char* const* candidates = nullptr;
  int candidateCount = 0;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
};

[[noreturn]] void childFail(int errFd, int step, int err) {
  const ChildReport r{step, err};
  [[maybe_unused]] ssize_t n = ::write(errFd, &r, sizeof r);
  ::_exit(127);
}

void childCloexecRange(unsigned first, unsigned last, long maxFds) {
  if (first > last) return;
  if (::syscall(SYS_close_range, first, last, kCloseRangeCloexec) == 0) return;
  const long end = std::min<long>(static_cast<long>(last), maxFds - 1);
  for (long fd = first; fd <= end; ++fd) ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
}

[[noreturn]] void childMain(ChildPlan& p) {
  // The error pipe goes above every descriptor the child will use, so no dup2 overwrites it.
  int errFd = p.errFd;
  if (errFd <= p.highest) {
    const int moved = ::fcntl(errFd, F_DUPFD_CLOEXEC, p.highest + 1);
    if (moved >= 0) errFd = moved;
  }
  const int safeHome = std::max(p.highest, errFd) + 1;

  // Default actions for every signal (handlers and ignored signals alike).
  for (int s = 1; s < NSIG; ++s) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    struct sigaction sa {};
    if (::sigaction(s, nullptr, &sa) != 0) continue;
    if (sa.sa_handler == SIG_DFL && (sa.sa_flags & SA_SIGINFO) == 0) continue;
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(s, &dfl, nullptr);
  }

  // Descriptors into place (Twisted's _setupChild): a descriptor another mapping still needs is
  // first moved to a safe home.
  for (int i = 0; i < p.count; ++i) {
    const int child = p.keys[i];
    if (p.vals[i] == child) {
      if (::fcntl(child, F_SETFD, 0) < 0) childFail(errFd, kStepDup, errno);
      continue;
    }
    bool busy = false;
    for (int j = 0; j < p.count; ++j) busy = busy || p.vals[j] == child;
    if (busy) {
      const int home = ::fcntl(child, F_DUPFD_CLOEXEC, safeHome);
      if (home < 0) childFail(errFd, kStepDup, errno);
      for (int j = 0; j < p.count; ++j) {
        if (p.vals[j] == child) p.vals[j] = home;
      }
    }
    if (::dup2(p.vals[i], child) < 0) childFail(errFd, kStepDup, errno);
  }
  // Every other descriptor closes at exec.
  unsigned next = 0;
  for (int i = 0; i < p.count; ++i) {
    const auto k = static_cast<unsigned>(p.keys[i]);
    if (k > next) childCloexecRange(next, k - 1, p.maxFds);
    next = k + 1;
  }
  childCloexecRange(next, UINT_MAX, p.maxFds);

  if (p.path != nullptr && ::chdir(p.path) != 0) childFail(errFd, kStepChdir, errno);
  if (p.hasGid) {
    [[maybe_unused]] int ignored = ::setgroups(1, &p.gid);
    if (::setgid(p.gid) != 0) childFail(errFd, kStepSetgid, errno);
  }
  if (p.hasUid && ::setuid(p.uid) != 0) childFail(errFd, kStepSetuid, errno);
  ::sigprocmask(SIG_SETMASK, p.mask, nullptr);

  // execvpe's search, done here so that it uses the child's PATH: the first error other than
  // "not there" wins, as in Python's os.execvpe.
  int saved = 0;
  int last = ENOENT;
  for (int i = 0; i < p.candidateCount; ++i) {
    ::execve(p.candidates[i], p.argv, p.envp);
    last = errno;
    if (saved == 0 && last != ENOENT && last != ENOTDIR) saved = last;
  }
  childFail(errFd, kStepExec, saved != 0 ? saved : last);
}

std::string stepText(int step, const std::string& executable,
                     const std::optional<std::string>& path) {
  switch (step) {
    case kStepDup:
      return "spawnProcess: cannot set up the child's descriptors for '" + executable + "'";
    case kStepChdir:
      return "spawnProcess: cannot change directory to '" + path.value_or("") + "'";
    case kStepSetgid:
      return "spawnProcess: cannot switch to the group";
    case kStepSetuid:
      return "spawnProcess: cannot switch to the user";
    default:
      return "spawnProcess: cannot execute '" + executable + "'";
  }
}

void closeAll(std::vector<int>& fds) {
  for (int& fd : fds) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

// --- the SIGCHLD fallback ------------------------------------------------------------------------

constexpr std::size_t kMaxSigchldReactors = 64;
std::array<std::atomic<int>, kMaxSigchldReactors> gSigchldFds;
struct sigaction gPreviousSigchld {};
std::mutex gSigchldMutex;
int gSigchldUsers = 0;
bool gSigchldTableReady = false;

extern "C" void twSigchldHandler(int signo, siginfo_t* info, void* context) {
  const int saved = errno;
  for (auto& slot : gSigchldFds) {
    const int fd = slot.load(std::memory_order_relaxed);
    if (fd >= 0) {
      const std::uint64_t one = 1;
      [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
    }
  }
  if ((gPreviousSigchld.sa_flags & SA_SIGINFO) != 0) {
    if (gPreviousSigchld.sa_sigaction != nullptr)
      gPreviousSigchld.sa_sigaction(signo, info, context);
  } else if (gPreviousSigchld.sa_handler != SIG_DFL && gPreviousSigchld.sa_handler != SIG_IGN) {
    gPreviousSigchld.sa_handler(signo);
  }
  errno = saved;
}

void registerSigchldFd(int fd) {
  std::lock_guard<std::mutex> lock(gSigchldMutex);
  if (!gSigchldTableReady) {
    for (auto& slot : gSigchldFds) slot.store(-1);
    gSigchldTableReady = true;
  }
  auto it = std::find_if(gSigchldFds.begin(), gSigchldFds.end(),
                         [](const std::atomic<int>& s) { return s.load() < 0; });
  if (it == gSigchldFds.end()) {
    throw std::runtime_error("spawnProcess: too many reactors reaping children through SIGCHLD");
  }
  it->store(fd);
  if (gSigchldUsers++ == 0) {
    // Record the previous handler before ours can run (the handler chains to it).
    ::sigaction(SIGCHLD, nullptr, &gPreviousSigchld);
    struct sigaction sa {};
    sa.sa_sigaction = twSigchldHandler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
    ::sigaction(SIGCHLD, &sa, nullptr);
  }
}

void unregisterSigchldFd(int fd) {
  std::lock_guard<std::mutex> lock(gSigchldMutex);
  for (auto& slot : gSigchldFds) {
    if (slot.load() == fd) {
      slot.store(-1);
      if (--gSigchldUsers == 0) ::sigaction(SIGCHLD, &gPreviousSigchld, nullptr);
      return;
    }
  }
}

}  // namespace

/// The fallback reaper of one reactor: an eventfd the SIGCHLD handler writes to, watched as a
/// reader; each wake checks this reactor's own children with waitpid(pid, WNOHANG).
class SigchldReaper final : public IReadDescriptor {
 public:
  static SigchldReaper& forReactor(PosixReactorBase& reactor) {
    static std::mutex mutex;
    static std::unordered_map<PosixReactorBase*, SigchldReaper*> reapers;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = reapers.find(&reactor);
    if (it != reapers.end()) return *it->second;
    auto reaper = std::make_shared<SigchldReaper>(reactor, [&reactor] {
      std::lock_guard<std::mutex> l(mutex);
      reapers.erase(&reactor);
    });
    reactor.keepOwned(reaper.get(), reaper);
    reapers[&reactor] = reaper.get();
    return *reaper;
  }

  SigchldReaper(PosixReactorBase& reactor, std::function<void()> forget)
      : reactor_(reactor), forget_(std::move(forget)) {
    fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "spawnProcess: eventfd");
    try {
      registerSigchldFd(fd_);
    } catch (...) {
      ::close(fd_);
      throw;
    }
  }
  SigchldReaper(const SigchldReaper&) = delete;
  SigchldReaper& operator=(const SigchldReaper&) = delete;
  ~SigchldReaper() override {
    unregisterSigchldFd(fd_);
    ::close(fd_);
    forget_();
  }

  /// Watches `process` and queues a check (the child may have exited already).
  void add(std::weak_ptr<Process> process) {
    processes_.push_back(std::move(process));
    if (!watching_) {
      reactor_.addReader(*this);
      watching_ = true;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
  }

  int fileno() const override { return fd_; }
  std::optional<Failure> doRead() override {
    std::uint64_t count = 0;
    [[maybe_unused]] ssize_t n = ::read(fd_, &count, sizeof count);
    std::vector<std::weak_ptr<Process>> all = processes_;
    for (auto& w : all) {
      if (auto p = w.lock()) p->reap();
    }
    std::erase_if(processes_, [](const std::weak_ptr<Process>& w) {
      auto p = w.lock();
      return !p || p->exited_;
    });
    return std::nullopt;
  }
  void connectionLost(const Failure& /*reason*/) override { watching_ = false; }
  std::string logPrefix() const override { return "SigchldReaper"; }

 private:
  PosixReactorBase& reactor_;
  std::function<void()> forget_;
  int fd_ = -1;
  bool watching_ = false;
  std::vector<std::weak_ptr<Process>> processes_;
};

// --- the pipes -----------------------------------------------------------------------------------

/// One pipe to the child: the parent's end, watched by the reactor.
class Process::Pipe : public virtual IReadDescriptor {
 public:
  Pipe(Process& owner, int childFD, int fd) : owner_(owner), childFD_(childFD), fd_(fd) {}
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() override {
    if (fd_ >= 0) ::close(fd_);
  }

  int fileno() const override { return fd_; }
  std::string logPrefix() const override {
    return owner_.logPrefix() + " fd " + std::to_string(childFD_);
  }
  Process& owner() const noexcept { return owner_; }
  std::source_location createdAt() const override { return owner_.createdAt_; }

  /// Unwatches, closes the descriptor and tells the process.  Once.
  void connectionLost(const Failure& reason) override {
    if (lost_) return;
    lost_ = true;
    unwatch();
    onLost(reason);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    owner_.childConnectionLost(childFD_);
  }

  /// Closes this pipe: at once for a reader, after flushing for a writer.
  virtual void loseConnection() = 0;
  virtual bool isWriter() const = 0;

 protected:
  virtual void unwatch() = 0;
  virtual void onLost(const Failure& /*reason*/) {}

  /// Unwatches now, and calls connectionLost(reason) in a later reactor step.
  void lostLater(Failure reason) {
    unwatch();
    if (lostScheduled_ || lost_) return;
    lostScheduled_ = true;
    owner_.reactor_.callLater(Seconds(0), [self = owner_.shared_from_this(), pipe = this,
                                           fd = childFD_, reason = std::move(reason)] {
      auto it = self->pipes_.find(fd);
      if (it != self->pipes_.end() && it->second.get() == pipe) pipe->connectionLost(reason);
    });
  }

  Process& owner_;
  int childFD_;
  int fd_;
  bool lost_ = false;
  bool lostScheduled_ = false;
};

/// A pipe the parent reads (the child's stdout, stderr, or another 'r' descriptor).
class Process::PipeReader final : public Process::Pipe {
 public:
  using Pipe::Pipe;

  std::optional<Failure> doRead() override {
    if (scratch_.empty()) scratch_.resize(kReadChunk);
    ssize_t n = 0;
    do {
      n = ::read(fd_, scratch_.data(), scratch_.size());
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      owner_.childDataReceived(childFD_,
                               std::string_view(scratch_.data(), static_cast<std::size_t>(n)));
      return std::nullopt;
    }
    if (n == 0) return Failure(error::ConnectionDone());
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
    return Failure(error::ConnectionLost(std::error_code(errno, std::generic_category())));
  }

  void startReading() {
    paused_ = false;
    if (!reading_ && !lost_ && !closing_ && fd_ >= 0) {
      owner_.reactor_.addReader(*this);
      reading_ = true;
    }
  }
  void pause() {
    paused_ = true;
    stopReading();
  }
  void loseConnection() override {
    if (closing_ || lost_) return;
    closing_ = true;
    lostLater(Failure(error::ConnectionDone()));
  }
  bool isWriter() const override { return false; }

 protected:
  void unwatch() override { stopReading(); }

 private:
  void stopReading() {
    if (reading_) owner_.reactor_.removeReader(*this);
    reading_ = false;
  }

  std::string scratch_;
  bool reading_ = false;
  bool paused_ = false;
  bool closing_ = false;
};

/// A pipe the parent writes (the child's stdin, or another 'w' descriptor).  Also watched for
/// readability: a write end becomes "readable" (an error) only when the child closed its end.
class Process::PipeWriter final : public Process::Pipe, public IWriteDescriptor {
 public:
  using Pipe::Pipe;

  void start() {
    owner_.reactor_.addReader(*this);
    reading_ = true;
  }

  std::optional<Failure> doRead() override { return Failure(error::ConnectionLost()); }

  std::optional<Failure> doWrite() override {
    if (std::optional<Failure> f = flush()) return f;
    if (bufferedBytes() == 0) return bufferEmptied();
    return std::nullopt;
  }

  void write(std::span<const std::string_view> data) {
    if (lost_ || closing_ || lostScheduled_) return;
    std::size_t total = 0;
    for (std::string_view d : data) total += d.size();
    if (total == 0) return;
    std::size_t skip = 0;
    if (bufferedBytes() == 0 && !writing_) {
      std::vector<iovec> iov;
      for (std::string_view d : data) {
        if (!d.empty()) iov.push_back({const_cast<char*>(d.data()), d.size()});
      }
      const int count = static_cast<int>(std::min<std::size_t>(iov.size(), IOV_MAX));
      const ssize_t n = writeNoSigpipe(fd_, iov.data(), count);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        lostLater(Failure(error::ConnectionLost(std::error_code(errno, std::generic_category()))));
        return;
      }
      skip = n > 0 ? static_cast<std::size_t>(n) : 0;
      if (skip == total) {
        // A pull producer is asked for more when the buffer empties: at the next writability.
        if (producer_ != nullptr && !streaming_) startWriting();
        return;
      }
    }
    if (offset_ > 0 && offset_ == buffer_.size()) {
      buffer_.clear();
      offset_ = 0;
    }
    for (std::string_view d : data) {
      if (skip >= d.size()) {
        skip -= d.size();
        continue;
      }
      buffer_.append(d.substr(skip));
      skip = 0;
    }
    startWriting();
    if (producer_ != nullptr && streaming_ && !producerPaused_ && bufferedBytes() > kHighWater) {
      producerPaused_ = true;
      dynamic_cast<IPushProducer*>(producer_)->pauseProducing();
    }
  }

  void loseConnection() override {
    if (closing_ || lost_) return;
    closing_ = true;
    if (bufferedBytes() == 0) lostLater(Failure(error::ConnectionDone()));
  }
  bool isWriter() const override { return true; }

  void registerProducer(IProducer& producer, bool streaming) {
    if (producer_ != nullptr) {
      throw std::logic_error("registerProducer: a producer is already registered");
    }
    if (streaming && dynamic_cast<IPushProducer*>(&producer) == nullptr) {
      throw std::invalid_argument(
          "registerProducer: a streaming producer must be an IPushProducer");
    }
    if (!streaming && dynamic_cast<IPullProducer*>(&producer) == nullptr) {
      throw std::invalid_argument("registerProducer: a pull producer must be an IPullProducer");
    }
    producer_ = &producer;
    streaming_ = streaming;
    producerPaused_ = false;
    if (!streaming) dynamic_cast<IPullProducer&>(producer).resumeProducing();
  }
  void unregisterProducer() { producer_ = nullptr; }

 protected:
  void unwatch() override {
    if (reading_) owner_.reactor_.removeReader(*this);
    if (writing_) owner_.reactor_.removeWriter(*this);
    reading_ = false;
    writing_ = false;
  }
  void onLost(const Failure& /*reason*/) override {
    if (IProducer* p = std::exchange(producer_, nullptr)) p->stopProducing();
  }

 private:
  std::size_t bufferedBytes() const noexcept { return buffer_.size() - offset_; }

  void startWriting() {
    if (!writing_ && !lost_) {
      owner_.reactor_.addWriter(*this);
      writing_ = true;
    }
  }

  std::optional<Failure> flush() {
    while (bufferedBytes() > 0) {
      iovec iov{buffer_.data() + offset_, bufferedBytes()};
      const ssize_t n = writeNoSigpipe(fd_, &iov, 1);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          // Drop the sent prefix once it is the larger part, so the buffer does not grow forever.
          if (offset_ > kHighWater && offset_ * 2 > buffer_.size()) {
            buffer_.erase(0, offset_);
            offset_ = 0;
          }
          return std::nullopt;
        }
        return Failure(error::ConnectionLost(std::error_code(errno, std::generic_category())));
      }
      offset_ += static_cast<std::size_t>(n);
    }
    buffer_.clear();
    offset_ = 0;
    return std::nullopt;
  }

  std::optional<Failure> bufferEmptied() {
    if (writing_) owner_.reactor_.removeWriter(*this);
    writing_ = false;
    if (closing_) return Failure(error::ConnectionDone());
    if (producer_ != nullptr) {
      if (!streaming_) {
        dynamic_cast<IPullProducer*>(producer_)->resumeProducing();
      } else if (producerPaused_) {
        producerPaused_ = false;
        dynamic_cast<IPushProducer*>(producer_)->resumeProducing();
      }
    }
    return std::nullopt;
  }

  std::string buffer_;
  std::size_t offset_ = 0;
  IProducer* producer_ = nullptr;
  bool streaming_ = false;
  bool producerPaused_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
};

/// The pidfd of the child, watched as a reader: readable once the child exited.
class Process::ExitWatcher final : public IReadDescriptor {
 public:
  ExitWatcher(Process& owner, int pidfd) : owner_(owner), fd_(pidfd) {}
  ExitWatcher(const ExitWatcher&) = delete;
  ExitWatcher& operator=(const ExitWatcher&) = delete;
  ~ExitWatcher() override {
    if (fd_ >= 0) ::close(fd_);
  }
  void start() {
    owner_.reactor_.addReader(*this);
    watching_ = true;
  }
  /// Unwatches and closes the pidfd (the object stays, it may be inside its own doRead).
  void stop() {
    if (watching_) owner_.reactor_.removeReader(*this);
    watching_ = false;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fileno() const override { return fd_; }
  Process& owner() const noexcept { return owner_; }
  std::optional<Failure> doRead() override {
    owner_.reap();
    return std::nullopt;
  }
  /// Reactor shutdown (or removeAll): the exit is no longer watched.
  void connectionLost(const Failure& /*reason*/) override {
    watching_ = false;
    stop();
  }
  std::string logPrefix() const override { return owner_.logPrefix() + " exit"; }
  std::source_location createdAt() const override { return owner_.createdAt_; }

 private:
  Process& owner_;
  int fd_;
  bool watching_ = false;
};

// --- Process -------------------------------------------------------------------------------------

const Logger& Process::log() {
  static const Logger logger("tw.process");
  return logger;
}

std::shared_ptr<Process> Process::ofDescriptor(const IFileDescriptor& descriptor) {
  if (const auto* pipe = dynamic_cast<const Pipe*>(&descriptor)) {
    return pipe->owner().shared_from_this();
  }
  if (const auto* watcher = dynamic_cast<const ExitWatcher*>(&descriptor)) {
    return watcher->owner().shared_from_this();
  }
  return nullptr;
}

void Process::forceSigchldReaping(bool on) noexcept { gForceSigchld = on; }

Process::Process(Private /*p*/, PosixReactorBase& reactor,
                 std::shared_ptr<IProcessProtocol> protocol, int pid, std::string executable,
                 const std::source_location& where)
    : reactor_(reactor),
      protocol_(std::move(protocol)),
      pid_(pid),
      executable_(std::move(executable)),
      createdAt_(where) {}

Process::~Process() = default;

std::shared_ptr<Process> Process::spawn(PosixReactorBase& reactor, SpawnProcessArgs a,
                                        const std::source_location& where) {
  if (!a.protocol) throw std::invalid_argument("spawnProcess: the protocol is null");
  if (a.usePTY) {
    throw std::invalid_argument(
        "spawnProcess: usePTY is not supported (tw has no pseudo-terminals)");
  }
  const ChildFDs childFDs = a.childFDs.value_or(ChildFDs{{0, 'w'}, {1, 'r'}, {2, 'r'}});
  for (const auto& [child, target] : childFDs) {
    if (child < 0) throw std::invalid_argument("spawnProcess: a child descriptor is negative");
    if (const char* c = std::get_if<char>(&target)) {
      if (*c != 'r' && *c != 'w') {
        throw std::invalid_argument("spawnProcess: childFDs[" + std::to_string(child) +
                                    "] must be 'r', 'w' or a descriptor, got '" +
                                    std::string(1, *c) + "'");
      }
    } else if (std::get<int>(target) < 0) {
      throw std::invalid_argument("spawnProcess: childFDs[" + std::to_string(child) +
                                  "] is a negative descriptor");
    }
  }

  // argv, envp and the executables to try, all built before fork.
  std::vector<std::string> args = a.args.empty() ? std::vector<std::string>{a.executable} : a.args;
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> envStrings;
  std::optional<std::string> childPath;
  if (a.env) {
    for (const auto& [k, v] : *a.env) envStrings.push_back(k + "=" + v);
    if (auto it = a.env->find("PATH"); it != a.env->end()) childPath = it->second;
  } else {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) envStrings.emplace_back(*e);
    if (const char* p = ::getenv("PATH")) childPath = std::string(p);
  }
  std::vector<char*> envp;
  envp.reserve(envStrings.size() + 1);
  for (std::string& s : envStrings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> candidates;
  if (a.executable.find('/') != std::string::npos) {
    candidates.push_back(a.executable);
  } else {
    const std::string searchPath = childPath.value_or("/bin:/usr/bin");
    std::size_t start = 0;
    while (true) {
      const std::size_t colon = searchPath.find(':', start);
      std::string dir =
          searchPath.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (dir.empty()) dir = ".";
      candidates.push_back(dir + "/" + a.executable);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  std::vector<const char*> candidatePtrs;
  for (const std::string& c : candidates) candidatePtrs.push_back(c.c_str());

  // Pipes, close-on-exec everywhere.
  std::vector<int> parentFds;  // closed on failure
  std::vector<int> childEnds;  // closed in the parent after fork
  std::map<int, std::pair<char, int>> parentEnds;
  std::vector<int> keys;
  std::vector<int> vals;
  auto fail = [&](int err, const char* what) {
    closeAll(parentFds);
    closeAll(childEnds);
    throw std::system_error(err, std::generic_category(), what);
  };
  for (const auto& [child, target] : childFDs) {
    keys.push_back(child);
    if (const char* c = std::get_if<char>(&target)) {
      int p[2];
      if (::pipe2(p, O_CLOEXEC) != 0) fail(errno, "spawnProcess: pipe");
      const int parentEnd = *c == 'r' ? p[0] : p[1];
      const int childEnd = *c == 'r' ? p[1] : p[0];
      parentFds.push_back(parentEnd);
      childEnds.push_back(childEnd);
      parentEnds[child] = {*c, parentEnd};
      vals.push_back(childEnd);
    } else {
      vals.push_back(std::get<int>(target));
    }
  }
  int errPipe[2];
  if (::pipe2(errPipe, O_CLOEXEC) != 0) fail(errno, "spawnProcess: pipe");
  parentFds.push_back(errPipe[0]);
  childEnds.push_back(errPipe[1]);

  ChildPlan plan;
  plan.keys = keys.data();
  plan.vals = vals.data();
  plan.count = static_cast<int>(keys.size());
  plan.errFd = errPipe[1];
  plan.highest = errPipe[1];
  for (int k : keys) plan.highest = std::max(plan.highest, k);
  for (int v : vals) plan.highest = std::max(plan.highest, v);
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    plan.maxFds = static_cast<long>(std::min<rlim_t>(rl.rlim_cur, 1 << 20));
  } else {
    plan.maxFds = 1 << 16;
  }
  if (a.path) plan.path = a.path->c_str();
  plan.hasGid = a.gid.has_value();
  plan.gid = a.gid.value_or(0);
  plan.hasUid = a.uid.has_value();
  plan.uid = a.uid.value_or(0);
  plan.candidates = candidatePtrs.data();
  plan.candidateCount = static_cast<int>(candidatePtrs.size());
  plan.argv = argv.data();
  plan.envp = envp.data();

  // Fork with every signal blocked, so that no handler of ours runs in the child.
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  plan.mask = &old;
  const pid_t pid = ::fork();
  if (pid == 0) childMain(plan);
  const int forkErr = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  closeAll(childEnds);
  if (pid < 0) fail(forkErr, "spawnProcess: fork");

  // The exec error pipe: closed by a successful exec, or carrying the failed step's errno.
  ChildReport report{};
  ssize_t n = 0;
  do {
    n = ::read(errPipe[0], &report, sizeof report);
  } while (n < 0 && errno == EINTR);
  ::close(errPipe[0]);
  parentFds.pop_back();
  if (n > 0) {
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    closeAll(parentFds);
    throw std::system_error(report.error, std::generic_category(),
                            stepText(report.step, a.executable, a.path));
  }

  const int pidfd = gForceSigchld ? -1 : pidfdOpen(pid);
  auto process = std::make_shared<Process>(Private{}, reactor, std::move(a.protocol), pid,
                                           a.executable, where);
  process->start(parentEnds, pidfd);
  return process;
}

void Process::start(const std::map<int, std::pair<char, int>>& pipes, int pidfd) {
  reactor_.keepOwned(this, shared_from_this());
  for (const auto& [child, modeFd] : pipes) {
    const auto [mode, fd] = modeFd;
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    if (mode == 'r') {
      auto reader = std::make_unique<PipeReader>(*this, child, fd);
      reader->startReading();
      pipes_[child] = std::move(reader);
    } else {
      auto writer = std::make_unique<PipeWriter>(*this, child, fd);
      writer->start();
      pipes_[child] = std::move(writer);
    }
  }
  if (pidfd >= 0) {
    watcher_ = std::make_unique<ExitWatcher>(*this, pidfd);
    watcher_->start();
  } else {
    viaSigchld_ = true;
    SigchldReaper::forReactor(reactor_).add(weak_from_this());
  }
  try {
    protocol_->makeConnection(*this);
  } catch (...) {
    log().failure("Unhandled error in makeConnection (" + logPrefix() + ")",
                  Failure::fromCurrentException(), LogLevel::error);
  }
}

std::string Process::logPrefix() const {
  return "Process pid=" + std::to_string(pid_) + " " + executable_;
}

std::optional<int> Process::pid() const {
  if (exited_) return std::nullopt;
  return pid_;
}

void Process::reap() {
  if (exited_) return;
  int st = 0;
  pid_t r = 0;
  do {
    r = ::waitpid(pid_, &st, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    processExitedWith(st);
  } else if (r < 0 && errno == ECHILD) {
    log().error(logPrefix() + " was reaped by someone else; its exit status is lost");
    statusLost_ = true;
    processExitedWith(-1);
  }
}

void Process::processExitedWith(int status) {
  if (exited_) return;
  exited_ = true;
  status_ = status;
  if (watcher_) watcher_->stop();
  auto self = shared_from_this();
  try {
    protocol_->processExited(reasonFor(status, statusLost_));
  } catch (...) {
    log().failure("Unhandled error in processExited (" + logPrefix() + ")",
                  Failure::fromCurrentException(), LogLevel::error);
  }
  maybeCallProcessEnded();
}

void Process::maybeCallProcessEnded() {
  if (!pipes_.empty() || ended_) return;
  if (!exited_) {
    reap();
    return;
  }
  ended_ = true;
  auto self = shared_from_this();
  try {
    protocol_->processEnded(reasonFor(*status_, statusLost_));
  } catch (...) {
    log().failure("Unhandled error in processEnded (" + logPrefix() + ")",
                  Failure::fromCurrentException(), LogLevel::error);
  }
  reactor_.releaseOwned(this);
}

void Process::childDataReceived(int childFD, std::string_view data) {
  auto self = shared_from_this();
  protocol_->childDataReceived(childFD, data);
}

void Process::childConnectionLost(int childFD) {
  auto self = shared_from_this();
  auto it = pipes_.find(childFD);
  if (it == pipes_.end()) return;
  closedPipes_.push_back(std::move(it->second));
  pipes_.erase(it);
  try {
    protocol_->childConnectionLost(childFD);
  } catch (...) {
    log().failure("Unhandled error in childConnectionLost (" + logPrefix() + ")",
                  Failure::fromCurrentException(), LogLevel::error);
  }
  maybeCallProcessEnded();
}

Process::PipeWriter* Process::stdinWriter() const {
  auto it = pipes_.find(0);
  if (it == pipes_.end() || !it->second->isWriter()) return nullptr;
  return static_cast<PipeWriter*>(it->second.get());
}

void Process::closeChildFD(int childFD) {
  auto it = pipes_.find(childFD);
  if (it != pipes_.end()) it->second->loseConnection();
}

void Process::writeToChild(int childFD, std::string_view data) {
  auto it = pipes_.find(childFD);
  if (it == pipes_.end() || !it->second->isWriter()) {
    throw std::invalid_argument("writeToChild: the child has no pipe to write on descriptor " +
                                std::to_string(childFD));
  }
  static_cast<PipeWriter*>(it->second.get())->write(std::span<const std::string_view>(&data, 1));
}

void Process::write(std::string_view data) {
  if (PipeWriter* w = stdinWriter()) w->write(std::span<const std::string_view>(&data, 1));
}

void Process::writeSequence(std::span<const std::string_view> data) {
  if (PipeWriter* w = stdinWriter()) w->write(data);
}

void Process::loseConnection() {
  disconnecting_ = true;
  closeStdin();
  closeStderr();
  closeStdout();
}

void Process::signalProcess(std::string_view signalName) {
  static constexpr std::pair<std::string_view, int> kNames[] = {
      {"HUP", SIGHUP}, {"STOP", SIGSTOP}, {"INT", SIGINT}, {"KILL", SIGKILL}, {"TERM", SIGTERM}};
  for (const auto& [name, signo] : kNames) {
    if (name == signalName) {
      signalProcess(signo);
      return;
    }
  }
  throw std::invalid_argument("signalProcess: unknown signal name '" + std::string(signalName) +
                              "' (HUP, STOP, INT, KILL or TERM, or give a number)");
}

void Process::signalProcess(int signo) {
  if (exited_) throw error::ProcessExitedAlready();
  if (::kill(pid_, signo) != 0) {
    if (errno == ESRCH) throw error::ProcessExitedAlready();
    throw std::system_error(errno, std::generic_category(), "signalProcess");
  }
}

AddressPtr Process::getPeer() const { return std::make_shared<ProcessAddress>(); }
AddressPtr Process::getHost() const { return std::make_shared<ProcessAddress>(); }

void Process::registerProducer(IProducer& producer, bool streaming) {
  if (PipeWriter* w = stdinWriter()) {
    w->registerProducer(producer, streaming);
  } else {
    producer.stopProducing();
  }
}

void Process::unregisterProducer() {
  if (PipeWriter* w = stdinWriter()) w->unregisterProducer();
}

void Process::pauseProducing() {
  for (auto& [fd, pipe] : pipes_) {
    if (!pipe->isWriter()) static_cast<PipeReader*>(pipe.get())->pause();
  }
}

void Process::resumeProducing() {
  for (auto& [fd, pipe] : pipes_) {
    if (!pipe->isWriter()) static_cast<PipeReader*>(pipe.get())->startReading();
  }
}

// --- the reactor's entry point -------------------------------------------------------------------

std::shared_ptr<IProcessTransport> PosixReactorBase::doSpawnProcess(
    SpawnProcessArgs args, const std::source_location& where) {
  return Process::spawn(*this, std::move(args), where);
}

}  // namespace tw
