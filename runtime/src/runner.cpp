/// @file
/// The tw-run runner (runner.hpp): options, plugins, pidfile, daemonization, log file, run.
#include "tw/runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>

#include "tw/deferred.hpp"
#include "tw/log_observers.hpp"
#include "tw/logger.hpp"
#include "tw/service.hpp"

namespace tw {

namespace {

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

const Logger& runnerLog() {
  static const Logger log("tw.runner");
  return log;
}

}  // namespace

// SimpleServiceMaker ----------------------------------------------------------------------------

SimpleServiceMaker::SimpleServiceMaker(std::string tapname, std::string description,
                                       std::vector<OptionSpec> options, Make make)
    : tapname_(std::move(tapname)),
      description_(std::move(description)),
      options_(std::move(options)),
      make_(std::move(make)) {}

std::string SimpleServiceMaker::usage() const {
  std::ostringstream out;
  out << "Options for " << tapname_ << ": " << description_ << "\n";
  for (const OptionSpec& o : options_) {
    std::string left = "  --" + o.name + (o.flag ? "" : "=VALUE");
    out << left << std::string(left.size() < 26 ? 26 - left.size() : 1, ' ') << o.help;
    if (!o.flag && !o.defaultValue.empty()) out << " [default: " << o.defaultValue << "]";
    out << "\n";
  }
  out << "  --help                  Display this help and exit.\n";
  return out.str();
}

ServiceOptions SimpleServiceMaker::parseOptions(const std::vector<std::string>& args) const {
  ServiceOptions result;
  for (const OptionSpec& o : options_) result[o.name] = o.flag ? "0" : o.defaultValue;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") throw HelpRequested(usage());
    if (!startsWith(a, "--")) throw UsageError("unexpected argument '" + a + "' for " + tapname_);
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto spec = std::find_if(options_.begin(), options_.end(),
                             [&](const OptionSpec& o) { return o.name == name; });
    if (spec == options_.end()) {
      throw UsageError("option --" + name + " not recognized by " + tapname_);
    }
    if (spec->flag) {
      if (value) throw UsageError("option --" + name + " takes no value");
      result[name] = "1";
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) throw UsageError("option --" + name + " requires a value");
      value = args[++i];
    }
    result[name] = *value;
  }
  return result;
}

// PluginRegistry --------------------------------------------------------------------------------

void PluginRegistry::add(std::shared_ptr<IServiceMaker> maker) {
  std::string name = maker->tapname();
  if (makers_.contains(name)) {
    throw std::invalid_argument("a plugin named '" + name + "' is already registered");
  }
  makers_.emplace(std::move(name), std::move(maker));
}

IServiceMaker* PluginRegistry::find(std::string_view tapname) const {
  auto it = makers_.find(tapname);
  return it == makers_.end() ? nullptr : it->second.get();
}

std::vector<IServiceMaker*> PluginRegistry::plugins() const {
  std::vector<IServiceMaker*> out;
  for (const auto& [name, maker] : makers_) out.push_back(maker.get());
  return out;
}

// Options ---------------------------------------------------------------------------------------

std::string runnerUsage(std::string_view program, const PluginRegistry& plugins) {
  std::ostringstream out;
  out << "Usage: " << program << " [options] <command> [command options]\n"
      << "Options:\n"
      << "  -n, --nodaemon          Don't daemonize, stay in the foreground.\n"
      << "      --pidfile=PATH      Name of the pidfile [default: tw-run.pid]; --pidfile= for "
         "none.\n"
      << "  -l, --logfile=PATH      Log to PATH, '-' for stdout [default: tw-run.log, or - with "
         "--nodaemon].\n"
      << "  -r, --reactor=NAME      Which reactor to use: epoll, poll or select [default: "
         "epoll].\n"
      << "  -h, --help              Display this help and exit.\n"
      << "Commands:\n";
  for (IServiceMaker* p : plugins.plugins()) {
    std::string name = "  " + p->tapname();
    out << name << std::string(name.size() < 26 ? 26 - name.size() : 1, ' ') << p->description()
        << "\n";
  }
  return out.str();
}

RunnerOptions parseRunnerOptions(const std::vector<std::string>& args,
                                 const PluginRegistry& plugins) {
  RunnerOptions options;
  std::optional<std::string> pidfile;
  std::optional<std::string> logfile;
  std::size_t i = 0;
  auto valueOf = [&](const std::string& a, std::string_view longName,
                     std::string_view shortName) -> std::optional<std::string> {
    std::string eqForm = "--" + std::string(longName) + "=";
    if (startsWith(a, eqForm)) return a.substr(eqForm.size());
    if (a == "--" + std::string(longName) || (!shortName.empty() && a == shortName)) {
      if (i + 1 >= args.size()) {
        throw UsageError("option --" + std::string(longName) + " requires a value");
      }
      return args[++i];
    }
    return std::nullopt;
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") throw HelpRequested(runnerUsage("tw-run", plugins));
    if (a == "-n" || a == "--nodaemon") {
      options.nodaemon = true;
    } else if (auto v = valueOf(a, "pidfile", "")) {
      pidfile = *v;
    } else if (auto v2 = valueOf(a, "logfile", "-l")) {
      logfile = *v2;
    } else if (auto v3 = valueOf(a, "reactor", "-r")) {
      options.reactor = *v3;
    } else if (startsWith(a, "-")) {
      throw UsageError("option " + a + " not recognized");
    } else {
      break;
    }
  }
  if (options.reactor != "epoll" && options.reactor != "poll" && options.reactor != "select") {
    throw UsageError("unknown reactor '" + options.reactor + "' (one of epoll, poll, select)");
  }
  if (i >= args.size()) {
    std::string names;
    for (IServiceMaker* p : plugins.plugins()) names += (names.empty() ? "" : ", ") + p->tapname();
    throw UsageError("a command is required (one of: " + names + ")");
  }
  IServiceMaker* plugin = plugins.find(args[i]);
  if (plugin == nullptr) throw UsageError("unknown command: " + args[i]);
  options.subcommand = args[i];
  options.serviceOptions = plugin->parseOptions(
      std::vector<std::string>(args.begin() + static_cast<long>(i) + 1, args.end()));
  options.pidfile = pidfile.value_or("tw-run.pid");
  options.logfile = logfile.value_or(options.nodaemon ? "-" : "tw-run.log");
  return options;
}

std::unique_ptr<PosixReactorBase> makeReactor(std::string_view name) {
  if (name == "epoll") return std::make_unique<EpollReactor>();
  if (name == "poll") return std::make_unique<PollReactor>();
  if (name == "select") return std::make_unique<SelectReactor>();
  throw UsageError("unknown reactor '" + std::string(name) + "' (one of epoll, poll, select)");
}

// Pidfile ---------------------------------------------------------------------------------------

PidfileState checkPidfile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return PidfileState::kAbsent;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  long pid = 0;
  try {
    std::size_t used = 0;
    pid = std::stol(text, &used);
    while (used < text.size() && std::isspace(static_cast<unsigned char>(text[used]))) ++used;
    if (used != text.size() || pid <= 0) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw std::runtime_error("Pidfile " + path + " contains non-numeric value");
  }
  if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) {
    throw std::runtime_error(
        "Another tw-run server is running, PID " + std::to_string(pid) +
        "\n\nThis could either be a previously started instance of your application or a "
        "different application entirely. To start a new one, either run it in some other "
        "directory, or use the --pidfile and --logfile parameters to avoid clashes.");
  }
  std::filesystem::remove(path);
  return PidfileState::kStale;
}

namespace {

void writePidfile(const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  out << ::getpid() << "\n";
  if (!out) throw std::runtime_error("cannot write pidfile " + path);
}

void removePidfile(const std::string& path) {
  if (path.empty()) return;
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
}

std::string absolute(const std::string& path) {
  if (path.empty() || path == "-") return path;
  return std::filesystem::absolute(path).string();
}

/// Reads the daemon's status from the pipe (twistd's _waitForStart): "0" is success; anything
/// else (or nothing) is a failure whose text is printed.
int waitForDaemon(int readFd) {
  std::string data;
  char buf[256];
  for (;;) {
    ssize_t n = ::read(readFd, buf, sizeof buf);
    if (n > 0) {
      data.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  ::close(readFd);
  if (data == "0") return 0;
  std::cerr << "An error has occurred: " << (data.size() > 1 ? data.substr(1) : data)
            << "\nPlease look at log file for more information.\n";
  return 1;
}

void reportToParent(int& statusFd, const std::string& status) {
  if (statusFd < 0) return;
  const char* p = status.data();
  std::size_t left = status.size();
  while (left > 0) {
    ssize_t n = ::write(statusFd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::close(statusFd);
  statusFd = -1;
}

}  // namespace

// runApplication --------------------------------------------------------------------------------

int runApplication(const RunnerOptions& options, const PluginRegistry& plugins,
                   std::string_view program) {
  IServiceMaker* plugin = plugins.find(options.subcommand);
  if (plugin == nullptr) {
    std::cerr << program << ": unknown command: " << options.subcommand << "\n";
    return 1;
  }
  const std::string pidfile = absolute(options.pidfile);
  const std::string logfile = absolute(options.logfile);
  PidfileState pidState = PidfileState::kAbsent;
  try {
    if (!pidfile.empty()) pidState = checkPidfile(pidfile);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }

  int statusFd = -1;
  if (!options.nodaemon) {
    int fds[2];
    if (::pipe(fds) != 0) {
      std::cerr << program << ": pipe: " << std::strerror(errno) << "\n";
      return 1;
    }
    std::cout.flush();
    std::cerr.flush();
    pid_t first = ::fork();
    if (first < 0) {
      std::cerr << program << ": fork: " << std::strerror(errno) << "\n";
      return 1;
    }
    if (first > 0) {
      ::close(fds[1]);
      int code = waitForDaemon(fds[0]);
      int ignored = 0;
      while (::waitpid(first, &ignored, 0) < 0 && errno == EINTR) {
      }
      return code;
    }
    ::close(fds[0]);
    ::setsid();
    pid_t second = ::fork();
    if (second != 0) ::_exit(second < 0 ? 1 : 0);
    ::chdir("/");
    ::umask(077);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      if (null > 2) ::close(null);
    }
    statusFd = fds[1];
  }

  // One line per event, "<time> [namespace#level] text", flushed at once.
  std::optional<FileLogObserver> logObserver;
  try {
    logObserver = logfile == "-" ? textFileLogObserver(std::cout)
                                 : textFileLogObserver(std::filesystem::path(logfile));
  } catch (const std::exception& e) {
    reportToParent(statusFd, std::string("1 ") + e.what());
    if (options.nodaemon) std::cerr << e.what() << "\n";
    return 1;
  }
  LogPublisher::ObserverId observer = globalLogPublisher().addObserver(*logObserver);
  struct Cleanup {
    LogPublisher::ObserverId id;
    ~Cleanup() { globalLogPublisher().removeObserver(id); }
  } cleanup{observer};

  const Logger& log = runnerLog();
  if (pidState == PidfileState::kStale) log.info("Removing stale pidfile " + pidfile);
  if (!pidfile.empty()) {
    try {
      writePidfile(pidfile);
    } catch (const std::exception& e) {
      log.error(e.what());
      reportToParent(statusFd, std::string("1 ") + e.what());
      return 1;
    }
  }
  log.info(std::string(program) + " starting up (pid " + std::to_string(::getpid()) + ")");
  log.info("reactor: " + options.reactor);

  std::unique_ptr<PosixReactorBase> reactor;
  auto application = std::make_shared<Application>(std::string(program));
  try {
    reactor = makeReactor(options.reactor);
    std::shared_ptr<IService> service = plugin->makeService(options.serviceOptions, *reactor);
    if (service->name().empty()) service->setName(options.subcommand);
    service->setServiceParent(*application);
    application->privilegedStartService();
  } catch (...) {
    Failure f = Failure::fromCurrentException();
    log.failure("Could not start the application", f, LogLevel::critical);
    reportToParent(statusFd, "1 " + f.getErrorMessage());
    if (options.nodaemon) std::cerr << program << ": " << f.getErrorMessage() << "\n";
    removePidfile(pidfile);
    return 1;
  }
  reactor->callWhenRunning([application, &log] {
    log.info("Starting services");
    application->startService();
  });
  reactor->addSystemEventTrigger("before", "shutdown", [application, &log]() -> Deferred<void> {
    log.info("Stopping services");
    return application->stopService().addCallback([&log] { log.info("All services stopped"); });
  });
  reportToParent(statusFd, "0");
  reactor->run(true);
  log.info("Main loop terminated.");
  removePidfile(pidfile);
  log.info("Server Shut Down.");
  return 0;
}

int runnerMain(int argc, char** argv, const PluginRegistry& plugins) {
  std::string program = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "tw-run";
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  RunnerOptions options;
  try {
    options = parseRunnerOptions(args, plugins);
  } catch (const HelpRequested& help) {
    std::cout << help.what();
    return 0;
  } catch (const UsageError& e) {
    std::cerr << runnerUsage(program, plugins) << program << ": error: " << e.what() << "\n";
    return 1;
  }
  return runApplication(options, plugins, program);
}

}  // namespace tw
