/// @file
/// The tw-run runner: twistd-like options, a registry of service-maker plugins, the pidfile,
/// daemonization, logging to a file, and running an Application until SIGTERM/SIGINT.
/// Twisted: twisted.scripts.twistd, twisted.scripts._twistd_unix (UnixApplicationRunner,
/// checkPID, daemonize), twisted.application.app, twisted.application.service.IServiceMaker,
/// twisted.python.usage.UsageError.
/// Tests: tests/runtime/runner_test.cpp, examples/tw_run/process_tests/tw_run_test.cpp
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tw/interfaces/i_service.hpp"
#include "tw/posix_reactor.hpp"

namespace tw {

/// A command line that cannot be parsed (unknown option, missing value, unknown plugin, ...).
/// Twisted: twisted.python.usage.UsageError.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A plugin's parsed options: option name (without dashes) to value ("" for a flag that was
/// given), defaults filled in.
using ServiceOptions = std::map<std::string, std::string, std::less<>>;

/// Makes the service a runner subcommand runs (e.g. `tw-run echo --port 1235`).
/// Twisted: twisted.application.service.IServiceMaker.
///
/// Differs from Twisted: makeService receives the reactor (Twisted plugins reach for the global
/// one), and options are a string map parsed by the maker itself (Twisted: a usage.Options).
class IServiceMaker {
 public:
  virtual ~IServiceMaker() = default;
  /// The subcommand name.
  [[nodiscard]] virtual std::string tapname() const = 0;
  /// One line for the runner's --help.
  [[nodiscard]] virtual std::string description() const = 0;
  /// The plugin's own usage text (its options, one a line).
  [[nodiscard]] virtual std::string usage() const = 0;
  /// Parses the arguments that follow the subcommand name.
  /// @throws UsageError for anything it does not accept.
  [[nodiscard]] virtual ServiceOptions parseOptions(const std::vector<std::string>& args) const = 0;
  /// The service to run, built from parsed options, on `reactor`.
  virtual std::shared_ptr<IService> makeService(const ServiceOptions& options,
                                                PosixReactorBase& reactor) = 0;
};

/// One option of a SimpleServiceMaker.
struct OptionSpec {
  std::string name;          ///< long name, used as `--name VALUE` or `--name=VALUE`
  std::string defaultValue;  ///< filled in when the option is absent
  std::string help;          ///< one line for usage()
  bool flag = false;         ///< takes no value (`--name`); its value is then "1", else "0"
};

/// An IServiceMaker described by data: its options and a function making the service.
/// Parses `--name VALUE`, `--name=VALUE` and flags; `--help` throws HelpRequested.
class SimpleServiceMaker : public IServiceMaker {
 public:
  using Make = std::function<std::shared_ptr<IService>(const ServiceOptions&, PosixReactorBase&)>;
  SimpleServiceMaker(std::string tapname, std::string description, std::vector<OptionSpec> options,
                     Make make);
  [[nodiscard]] std::string tapname() const override { return tapname_; }
  [[nodiscard]] std::string description() const override { return description_; }
  [[nodiscard]] std::string usage() const override;
  [[nodiscard]] ServiceOptions parseOptions(const std::vector<std::string>& args) const override;
  std::shared_ptr<IService> makeService(const ServiceOptions& options,
                                        PosixReactorBase& reactor) override {
    return make_(options, reactor);
  }

 private:
  std::string tapname_;
  std::string description_;
  std::vector<OptionSpec> options_;
  Make make_;
};

/// Thrown by parsing when `--help` was asked for; what() is the text to print.
class HelpRequested : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The plugins a runner knows, by tapname. Twisted: getPlugins(IServiceMaker).
///
/// Differs from Twisted: plugins are registered explicitly by the program (no discovery by
/// importing twisted/plugins/ modules).
class PluginRegistry {
 public:
  /// Adds a plugin.
  /// @throws std::invalid_argument if its tapname is taken.
  void add(std::shared_ptr<IServiceMaker> maker);
  /// The plugin named `tapname`, or nullptr.
  [[nodiscard]] IServiceMaker* find(std::string_view tapname) const;
  /// Every plugin, by name.
  [[nodiscard]] std::vector<IServiceMaker*> plugins() const;

 private:
  std::map<std::string, std::shared_ptr<IServiceMaker>, std::less<>> makers_;
};

/// The runner's parsed command line.
struct RunnerOptions {
  bool nodaemon = false;          ///< `-n`, `--nodaemon`: stay in the foreground
  std::string pidfile;            ///< `--pidfile=PATH` ("" after `--pidfile=`: none)
  std::string logfile;            ///< `-l PATH`, `--logfile=PATH`; "-" is stdout
  std::string reactor = "epoll";  ///< `-r NAME`, `--reactor=NAME`: epoll, poll or select
  std::string subcommand;         ///< the plugin's tapname
  ServiceOptions serviceOptions;  ///< what the plugin parsed
};

/// The runner's usage text: its options, then every plugin with its description.
std::string runnerUsage(std::string_view program, const PluginRegistry& plugins);

/// Parses `args` (without the program name): runner options, then a subcommand and its own
/// arguments (given to the plugin's parseOptions). Defaults as twistd's: the pidfile is
/// "tw-run.pid"; the log file is "tw-run.log" when daemonizing and "-" (stdout) with nodaemon.
/// @throws HelpRequested for `--help`/`-h` (before the subcommand: the runner's usage; after it:
///         the plugin's); UsageError for an unknown option or subcommand, a missing value or
///         subcommand, or an unknown reactor.
RunnerOptions parseRunnerOptions(const std::vector<std::string>& args,
                                 const PluginRegistry& plugins);

/// Makes the reactor named `name` ("epoll", "poll" or "select").
/// @throws UsageError for another name.
std::unique_ptr<PosixReactorBase> makeReactor(std::string_view name);

/// What checkPidfile found.
enum class PidfileState { kAbsent, kStale };

/// Checks `path` before starting: absent is fine; a pidfile naming a dead process is removed
/// (kStale); one naming a live process, or holding something else than a number, is an error.
/// Twisted: _twistd_unix.checkPID.
/// @throws std::runtime_error with twistd's message ("Another tw-run server is running, PID N
///         ...", "Pidfile PATH contains non-numeric value").
PidfileState checkPidfile(const std::string& path);

/// Runs a parsed command line to the end and returns the exit status:
/// 1. checks the pidfile; unless nodaemon, daemonizes (fork, setsid, fork, chdir /, umask 077,
///    stdio to /dev/null; the first process exits once the daemon reports it started, with 0,
///    or 1 and the daemon's error on stderr);
/// 2. writes the pidfile (the daemon's pid), opens the log file (one line per event, with a
///    timestamp), makes the reactor and the plugin's service inside an Application;
/// 3. privilegedStartService (an error here ends the run with 1), then startService once the
///    reactor runs, and a "before shutdown" trigger returning the Application's stopService;
/// 4. runs the reactor with SIGINT/SIGTERM handlers (either stops it: the services stop in
///    reverse order, the shutdown waiting for them); removes the pidfile and returns 0.
///
/// Differs from Twisted: no -y/-f/-s application files, uid/gid/chroot/umask/rundir, profiler,
/// syslog or --logger; the reactor is made after daemonizing (Twisted installs it first).
int runApplication(const RunnerOptions& options, const PluginRegistry& plugins,
                   std::string_view program = "tw-run");

/// `main` for a runner program: parses `argv`, prints usage or errors (exit 0 for --help, 1 for
/// a usage error, on stdout and stderr), else runApplication.
int runnerMain(int argc, char** argv, const PluginRegistry& plugins);

}  // namespace tw
