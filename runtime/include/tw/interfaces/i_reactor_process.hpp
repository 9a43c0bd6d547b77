/// @file
/// IReactorProcess: starting child processes connected to a process protocol.
/// Twisted: twisted.internet.interfaces.IReactorProcess.  Tests: tests/integration/process_test.cpp
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tw/interfaces/i_process_protocol.hpp"
#include "tw/interfaces/i_process_transport.hpp"

namespace tw {

/// The complete environment of a child: name → value.
using ProcessEnvironment = std::map<std::string, std::string>;

/// What the child finds on one descriptor: 'r' (a pipe the parent reads: the child writes to
/// it), 'w' (a pipe the parent writes: the child reads it), or a descriptor number of the
/// parent, which the child gets a copy of (shell-style redirection).
using ChildFDTarget = std::variant<char, int>;

/// The child's descriptors: child descriptor number → what it is attached to.  Descriptors not
/// listed are closed in the child.  Twisted's default is {0: 'w', 1: 'r', 2: 'r'}.
using ChildFDs = std::map<int, ChildFDTarget>;

/// Everything spawnProcess was given, for implementations.
struct SpawnProcessArgs {
  std::shared_ptr<IProcessProtocol> protocol;
  std::string executable;
  std::vector<std::string> args;
  std::optional<ProcessEnvironment> env;
  std::optional<std::string> path;
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  bool usePTY = false;
  std::optional<ChildFDs> childFDs;
};

/// Starting child processes.
///
/// Ownership: the transport owns its protocol; the reactor keeps the transport alive until the
/// protocol's processEnded has returned.
class IReactorProcess {
 public:
  virtual ~IReactorProcess() = default;

  /// Starts `executable` with `args` and connects it to `protocol`.
  ///
  /// @param executable  the program; searched in the child's PATH (or "/bin:/usr/bin" if the
  ///                    child's environment has none) unless it contains a '/'.
  /// @param args        argv; args[0] should be the program's name.  Empty: {executable}.
  /// @param env         the child's complete environment.  As in Twisted on POSIX: an empty map
  ///                    (the default) gives an empty environment; std::nullopt (Twisted's None)
  ///                    passes on this process's environment.
  /// @param path        the working directory of the child (default: ours).
  /// @param uid, gid    switch the child to this user/group before exec (needs privileges).
  /// @param usePTY      must be false: pseudo-terminals are not supported.
  /// @param childFDs    the child's descriptors (default {0: 'w', 1: 'r', 2: 'r'}).
  /// @return the process transport (protocol->makeConnection has been called with it).
  /// @throws std::invalid_argument for usePTY, or a childFDs value other than 'r', 'w' or a
  ///         descriptor number.
  /// @throws std::system_error if the child could not be started: the error of the step that
  ///         failed (pipe, fork, chdir, setgid, setuid, or exec, e.g. ENOENT for a missing
  ///         executable); the protocol is then not called at all.
  std::shared_ptr<IProcessTransport> spawnProcess(
      std::shared_ptr<IProcessProtocol> protocol, std::string_view executable,
      std::vector<std::string> args = {},
      std::optional<ProcessEnvironment> env = ProcessEnvironment{},
      std::optional<std::string> path = std::nullopt, std::optional<uid_t> uid = std::nullopt,
      std::optional<gid_t> gid = std::nullopt, bool usePTY = false,
      std::optional<ChildFDs> childFDs = std::nullopt,
      std::source_location where = std::source_location::current()) {
    return doSpawnProcess(
        SpawnProcessArgs{std::move(protocol), std::string(executable), std::move(args),
                         std::move(env), std::move(path), uid, gid, usePTY, std::move(childFDs)},
        where);
  }

 protected:
  virtual std::shared_ptr<IProcessTransport> doSpawnProcess(SpawnProcessArgs args,
                                                            const std::source_location& where) = 0;
};

}  // namespace tw
