/// @file
/// Child processes: ProcessProtocol (the base class of process handlers), ProcessAddress, and
/// Process, the transport PosixReactorBase::spawnProcess makes.
/// Twisted: twisted.internet.protocol.ProcessProtocol, twisted.internet.process (Process,
/// ProcessReader, ProcessWriter), address._ProcessAddress.
/// Tests: tests/integration/process_test.cpp
///
/// How a child is started (PosixReactorBase::spawnProcess):
///  1. Pipes are made for each 'r'/'w' entry of childFDs, all O_CLOEXEC (the parent's ends are
///     also non-blocking), plus a close-on-exec "exec error" pipe.
///  2. fork(); the child calls only async-signal-safe functions: it moves its descriptors into
///     place (childFDs, Twisted's algorithm), marks every other descriptor close-on-exec,
///     resets every signal to its default action and restores the caller's signal mask,
///     chdir(path), setgid/setuid, then execve (searching PATH itself).  If a step fails it
///     writes the step and errno to the error pipe and _exit(127)s.
///  3. The parent reads the error pipe until it closes (the exec happened) or a report arrives
///     (it reaps the child and throws std::system_error: spawnProcess fails synchronously).
///
/// How its exit is noticed, without races and without reaping anyone else's children:
///  - Normally with a pidfd (pidfd_open(2), Linux ≥ 5.3) watched as a reader: when it becomes
///    readable, waitpid(pid, WNOHANG) for that child only.
///  - If pidfd_open fails (an old kernel, a seccomp filter), with a SIGCHLD handler (installed
///    once, chained to the previous handler, restored when no reactor needs it) that writes to an
///    eventfd of each reactor with such children; the reactor then calls waitpid(pid, WNOHANG)
///    for each of its own children.  A check is also queued right after the spawn, so a child that
///    exited before the handler saw it is not missed.
///
/// At reactor shutdown every descriptor is disconnected: the pipes are closed (the protocol gets
/// childConnectionLost for each) and the exit is no longer watched.  Processes still running are
/// left running (not signalled, not reaped), as Twisted leaves them; their processExited and
/// processEnded are not called.
///
/// Differs from Twisted:
///  - A child that cannot be started (missing executable, bad path, setuid refused) makes
///    spawnProcess throw std::system_error; Twisted's child prints a traceback on its stderr and
///    exits with code 1, which the protocol sees as ProcessTerminated.
///  - usePTY is not supported (std::invalid_argument).
///  - uid/gid: the child calls setgroups({gid}), setgid, setuid; it does not call initgroups
///    (not async-signal-safe), so it has no other supplementary groups.
///  - Empty `args` run the program with argv = {executable} (Twisted passes an empty argv).
///  - getHost()/getPeer() return a ProcessAddress (Twisted's Process raises NotImplementedError).
///  - Writing to a pipe whose reader went away never raises SIGPIPE in this process (it is blocked
///    around the write and consumed); Twisted relies on Python ignoring SIGPIPE.
///  - Bytes written to a pipe after closeChildFD/closeStdin/loseConnection are dropped (Twisted
///    still sends what is written before the pipe has closed).
///  - If someone else reaped the child (a waitpid(-1) elsewhere), the process ends with
///    ProcessTerminated without exit code or signal and status -1, and an error is logged;
///    Twisted's process then never ends.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <source_location>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tw/failure.hpp"
#include "tw/interfaces/i_address.hpp"
#include "tw/interfaces/i_process_protocol.hpp"
#include "tw/interfaces/i_process_transport.hpp"
#include "tw/interfaces/i_reactor_fd_set.hpp"
#include "tw/interfaces/i_reactor_process.hpp"
#include "tw/logger.hpp"

namespace tw {

class PosixReactorBase;

/// The base class of process handlers: dispatches the child's descriptors to named callbacks.
///
/// childDataReceived(1, d) → outReceived(d), childDataReceived(2, d) → errReceived(d) (other
/// descriptors are ignored unless you override childDataReceived); childConnectionLost(0/1/2) →
/// inConnectionLost / outConnectionLost / errConnectionLost.
///
/// Ownership: `transport()` is valid from makeConnection until processEnded returns.
///
/// Example, collecting a command's output:
/// @code
/// class Collect : public tw::ProcessProtocol {
///   void outReceived(std::string_view data) override { out.append(data); }
///   void processEnded(const tw::Failure& reason) override { done = true; }
///  public:
///   std::string out;
///   bool done = false;
/// };
/// reactor.spawnProcess(std::make_shared<Collect>(), "/bin/echo", {"echo", "hi"});
/// @endcode
class ProcessProtocol : public IProcessProtocol {
 public:
  ProcessProtocol() = default;
  ProcessProtocol(const ProcessProtocol&) = delete;
  ProcessProtocol& operator=(const ProcessProtocol&) = delete;
  ~ProcessProtocol() override = default;

  /// Records the transport, sets connected(), then calls connectionMade().
  void makeConnection(IProcessTransport& transport) override;
  /// Does nothing.
  void connectionMade() override {}
  /// Dispatches fd 1 to outReceived and fd 2 to errReceived; ignores other descriptors.
  void childDataReceived(int childFD, std::string_view data) override;
  /// Dispatches fd 0/1/2 to inConnectionLost/outConnectionLost/errConnectionLost.
  void childConnectionLost(int childFD) override;
  /// Bytes from the child's stdout.  Does nothing.
  virtual void outReceived(std::string_view /*data*/) {}
  /// Bytes from the child's stderr.  Does nothing.
  virtual void errReceived(std::string_view /*data*/) {}
  /// The child's stdin pipe is closed.  Does nothing.
  virtual void inConnectionLost() {}
  /// The child's stdout pipe is closed.  Does nothing.
  virtual void outConnectionLost() {}
  /// The child's stderr pipe is closed.  Does nothing.
  virtual void errConnectionLost() {}
  /// The child exited.  Does nothing.
  void processExited(const Failure& /*reason*/) override {}
  /// The child exited and its pipes are closed.  Does nothing.
  void processEnded(const Failure& /*reason*/) override {}

  /// The transport, or nullptr before makeConnection.
  IProcessTransport* transport() const noexcept { return transport_; }
  /// True once makeConnection ran.  Twisted: BaseProtocol.connected.
  bool connected() const noexcept { return connected_; }

 private:
  IProcessTransport* transport_ = nullptr;
  bool connected_ = false;
};

/// The address of both ends of a process transport.  Twisted: address._ProcessAddress.
class ProcessAddress final : public IAddress {
 public:
  std::string repr() const override { return "_ProcessAddress()"; }
  bool equals(const IAddress& other) const override {
    return dynamic_cast<const ProcessAddress*>(&other) != nullptr;
  }
};

/// A child process started by PosixReactorBase::spawnProcess, and its pipes.
///
/// Each pipe is a descriptor of the reactor: a pipe the parent reads ('r') is read up to 64 KiB
/// per readiness and delivered to childDataReceived; end of file or an error closes it.  A pipe
/// the parent writes ('w') writes straight to the pipe when nothing is buffered, buffers the rest
/// and watches for writability; it is also watched for readability, which for a write end means
/// the child closed its end (Twisted's "read hack").  When a pipe closes, the parent's descriptor
/// is closed and the protocol gets childConnectionLost(fd), always in a later reactor step than
/// the closeChildFD call that asked for it.
///
/// An exception thrown by the protocol from childDataReceived closes that pipe (and is logged by
/// the reactor); from processExited/processEnded/childConnectionLost it is logged.
///
/// Producer: pauseProducing/resumeProducing stop/start reading every 'r' pipe.  A producer
/// registered with registerProducer feeds stdin: a push producer is paused when more than 64 KiB
/// are buffered and resumed when the buffer empties; a pull producer's resumeProducing is called
/// each time it empties.  Without a stdin pipe, the producer's stopProducing is called at once.
///
/// Ownership: the reactor owns the Process until processEnded has returned (or until the
/// reactor is destroyed); the Process owns its protocol.
class Process final : public IProcessTransport, public std::enable_shared_from_this<Process> {
 public:
  /// Use PosixReactorBase::spawnProcess.
  static std::shared_ptr<Process> spawn(PosixReactorBase& reactor, SpawnProcessArgs args,
                                        const std::source_location& where);
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  /// Closes the parent's descriptors still open (calls nothing, signals nothing).
  ~Process() override;

  // --- IProcessTransport ------------------------------------------------------------------------
  std::optional<int> pid() const override;
  void closeStdin() override { closeChildFD(0); }
  void closeStdout() override { closeChildFD(1); }
  void closeStderr() override { closeChildFD(2); }
  void closeChildFD(int childFD) override;
  void writeToChild(int childFD, std::string_view data) override;
  void signalProcess(std::string_view signalName) override;
  void signalProcess(int signo) override;
  using IProcessTransport::signalProcess;

  // --- ITransport -------------------------------------------------------------------------------
  /// writeToChild(0, data) if the child has a stdin pipe; else the bytes are dropped.
  void write(std::string_view data) override;
  void writeSequence(std::span<const std::string_view> data) override;
  using ITransport::writeSequence;
  /// Closes stdin (after flushing), stderr and stdout.
  void loseConnection() override;
  AddressPtr getPeer() const override;
  AddressPtr getHost() const override;
  /// True once loseConnection() was called.
  bool disconnecting() const override { return disconnecting_; }
  void registerProducer(IProducer& producer, bool streaming) override;
  void unregisterProducer() override;
  /// Stops reading the child's output pipes.
  void pauseProducing() override;
  /// Reads them again.
  void resumeProducing() override;
  /// loseConnection().
  void stopProducing() override { loseConnection(); }

  /// The raw wait status once the child was reaped.
  std::optional<int> status() const noexcept { return status_; }
  /// The protocol.
  IProcessProtocol& protocol() const noexcept { return *protocol_; }
  /// The spawnProcess call that started this process (for trial's janitor).
  std::source_location createdAt() const noexcept { return createdAt_; }
  /// "Process pid=<pid>" and the executable.
  std::string logPrefix() const;

  /// The process that `descriptor` (one of the reactor's readers or writers) belongs to: one of
  /// its pipes or the watcher of its exit; nullptr for any other descriptor.  For trial's
  /// janitor, which can then name the process (logPrefix, createdAt) and kill it.
  static std::shared_ptr<Process> ofDescriptor(const IFileDescriptor& descriptor);

  /// For tests: when true, processes spawned afterwards are reaped through the SIGCHLD handler
  /// instead of a pidfd (the fallback for kernels without pidfd_open).  Not thread-safe.
  static void forceSigchldReaping(bool on) noexcept;

  /// The logger for process reports ("tw.process").
  static const Logger& log();

 private:
  class Pipe;
  class PipeReader;
  class PipeWriter;
  class ExitWatcher;
  friend class ExitWatcher;
  friend class PipeReader;
  friend class PipeWriter;
  friend class SigchldReaper;
  struct Private {};

 public:
  /// Internal (use spawn).
  Process(Private, PosixReactorBase& reactor, std::shared_ptr<IProcessProtocol> protocol, int pid,
          std::string executable, const std::source_location& where);

 private:
  void start(const std::map<int, std::pair<char, int>>& pipes, int pidfd);
  void childDataReceived(int childFD, std::string_view data);
  void childConnectionLost(int childFD);
  void maybeCallProcessEnded();
  /// waitpid(pid, WNOHANG); processExitedWith(status) if the child exited.
  void reap();
  void processExitedWith(int status);
  PipeWriter* stdinWriter() const;

  PosixReactorBase& reactor_;
  std::shared_ptr<IProcessProtocol> protocol_;
  int pid_;
  std::string executable_;
  std::source_location createdAt_;
  std::map<int, std::unique_ptr<Pipe>> pipes_;
  std::vector<std::unique_ptr<Pipe>> closedPipes_;
  std::unique_ptr<ExitWatcher> watcher_;
  std::optional<int> status_;
  bool exited_ = false;
  bool ended_ = false;
  bool disconnecting_ = false;
  bool viaSigchld_ = false;
  bool statusLost_ = false;
};

}  // namespace tw
