/// @file
/// IProcessProtocol: what a process transport calls as a child process runs and ends.
/// Twisted: twisted.internet.interfaces.IProcessProtocol.  Tests:
/// tests/integration/process_test.cpp
#pragma once

#include <string_view>

#include "tw/failure.hpp"
#include "tw/interfaces/i_process_transport.hpp"

namespace tw {

/// The handler of one child process.
///
/// The transport calls, in this order:
///  1. `makeConnection(transport)` once, from inside spawnProcess, once the child has started.
///  2. `childDataReceived(fd, data)` any number of times (bytes in order per descriptor, split
///     arbitrarily) and `childConnectionLost(fd)` once per pipe, in any order between pipes.
///  3. `processExited(reason)` once the child has exited (its pipes may still be open: a
///     grandchild may hold them).
///  4. `processEnded(reason)` once the child has exited AND every pipe has been closed; last.
///
/// `reason` holds tw::error::ProcessDone (exit code 0) or tw::error::ProcessTerminated (a
/// non-zero exit code, or the signal that killed the child, and the raw wait status).
/// An exception thrown from processExited or processEnded is logged (namespace "tw.process").
class IProcessProtocol {
 public:
  virtual ~IProcessProtocol() = default;

  /// Attaches the transport, then calls connectionMade().
  virtual void makeConnection(IProcessTransport& transport) = 0;

  /// The process started; the transport is usable.
  virtual void connectionMade() = 0;

  /// Some bytes arrived from the child's descriptor `childFD` (1 stdout, 2 stderr, or another
  /// descriptor given as 'r' in childFDs).
  virtual void childDataReceived(int childFD, std::string_view data) = 0;

  /// The pipe attached to the child's descriptor `childFD` is closed (end of file, an error, or
  /// closeChildFD).
  virtual void childConnectionLost(int childFD) = 0;

  /// The child exited.
  virtual void processExited(const Failure& reason) = 0;

  /// The child exited and all its pipes are closed.  Nothing is called afterwards.
  virtual void processEnded(const Failure& reason) = 0;
};

}  // namespace tw
