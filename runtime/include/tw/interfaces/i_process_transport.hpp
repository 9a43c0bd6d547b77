/// @file
/// IProcessTransport: the transport of a child process, as its ProcessProtocol sees it.
/// Twisted: twisted.internet.interfaces.IProcessTransport.  Tests:
/// tests/integration/process_test.cpp
#pragma once

#include <optional>
#include <string_view>

#include "tw/interfaces/i_transport.hpp"

namespace tw {

/// A running child process: its pipes (the child's descriptors the parent reads or writes) and
/// its process id.
///
/// `write`/`writeSequence` (from ITransport) write to the child's standard input (descriptor 0);
/// they drop the bytes silently when the child has no stdin pipe, as Twisted does.
/// `loseConnection()` closes every pipe (stdin, then stderr, then stdout), after flushing what
/// was written to stdin; it does not signal or wait for the process.
class IProcessTransport : public ITransport {
 public:
  /// The child's process id, or nullopt once the process has exited and was reaped (Twisted sets
  /// `pid` to None then).
  virtual std::optional<int> pid() const = 0;

  /// closeChildFD(0): the child reads end-of-file once what was written is flushed.
  virtual void closeStdin() = 0;
  /// closeChildFD(1): stop reading the child's stdout (the child gets EPIPE/SIGPIPE if it writes).
  virtual void closeStdout() = 0;
  /// closeChildFD(2).
  virtual void closeStderr() = 0;

  /// Closes the parent's end of the pipe attached to the child's descriptor `childFD` (for a pipe
  /// we write to, after flushing it).  childConnectionLost(childFD) follows in a later step.
  /// Does nothing if there is no such pipe, or it is already closed.
  virtual void closeChildFD(int childFD) = 0;

  /// Writes to the pipe attached to the child's descriptor `childFD` (one made with 'w').
  /// @throws std::invalid_argument if the child has no such pipe (Twisted raises KeyError).
  virtual void writeToChild(int childFD, std::string_view data) = 0;

  /// Sends a signal to the process: "HUP", "STOP", "INT", "KILL" or "TERM" (Twisted's list).
  /// @throws tw::error::ProcessExitedAlready if the process has exited (was reaped).
  /// @throws std::invalid_argument for another name.
  virtual void signalProcess(std::string_view signalName) = 0;

  /// Sends signal number `signo` (e.g. SIGUSR1) to the process.
  /// @throws tw::error::ProcessExitedAlready if the process has exited (was reaped).
  virtual void signalProcess(int signo) = 0;

  /// signalProcess(std::string_view) for a string literal (which would otherwise be ambiguous).
  void signalProcess(const char* signalName) { signalProcess(std::string_view(signalName)); }
};

}  // namespace tw
