/// @file
/// Runs the tw-run program itself: in the foreground (--nodaemon) and as a daemon, serving the
/// echo plugin on 127.0.0.1 port 0; talks to it over a real socket, stops it with SIGTERM and
/// checks the orderly stop (exit status, pidfile, log lines). Every wait is bounded.
/// Twisted: twisted.test.test_twistd (DaemonizeTests, the pidfile tests), run end to end.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// Polls `ready` every 20 ms for at most `limit`; true if it became true.
bool waitFor(const std::function<bool()>& ready, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return ready();
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Starts tw-run with `args`; its stdout and stderr go to `output`.
pid_t spawn(const std::vector<std::string>& args, const fs::path& output) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::FILE* out = std::fopen(output.c_str(), "w");
    if (out != nullptr) {
      ::dup2(::fileno(out), 1);
      ::dup2(::fileno(out), 2);
    }
    std::vector<char*> argv;
    std::string program = TW_RUN_BINARY;
    argv.push_back(program.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

/// Waits (bounded) for our child `pid`; its exit status, or nullopt (then it is killed).
std::optional<int> waitExit(pid_t pid, std::chrono::milliseconds limit = 10s) {
  int status = 0;
  bool done = waitFor([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, limit);
  if (!done) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return std::nullopt;
  }
  if (!WIFEXITED(status)) return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

/// The port in the log line "echo LISTENING <port>", once it is there (bounded).
std::optional<int> listeningPort(const fs::path& log) {
  std::optional<int> port;
  std::regex pattern("echo LISTENING ([0-9]+)");
  waitFor([&] {
    std::smatch m;
    std::string text = readFile(log);
    if (std::regex_search(text, m, pattern)) port = std::stoi(m[1]);
    return port.has_value();
  });
  return port;
}

/// Connects to 127.0.0.1:`port`, sends `message` and reads until as many bytes came back, with
/// a 5 s limit per read.
std::string echoOnce(int port, const std::string& message) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string received;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::write(fd, message.data(), message.size()) == static_cast<ssize_t>(message.size())) {
    while (received.size() < message.size()) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1) break;
      char buf[256];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      received.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return received;
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

class TwRunTests : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tw_run_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (daemon_ > 0 && alive(daemon_)) ::kill(daemon_, SIGKILL);
    fs::remove_all(dir_);
  }
  fs::path dir_;
  pid_t daemon_ = -1;
};

// --nodaemon (on the poll reactor): serves echo, writes its own pid, stops in order on SIGTERM,
// exits 0, removes the pidfile.
TEST_F(TwRunTests, foregroundServesAndStopsOnSigterm) {
  fs::path pidfile = dir_ / "tw-run.pid";
  fs::path logfile = dir_ / "tw-run.log";
  pid_t pid =
      spawn({"--nodaemon", "--reactor=poll", "--pidfile=" + pidfile.string(),
             "--logfile=" + logfile.string(), "echo", "--port", "0", "--interface", "127.0.0.1"},
            dir_ / "out.txt");
  ASSERT_GT(pid, 0);
  std::optional<int> port = listeningPort(logfile);
  ASSERT_TRUE(port.has_value()) << readFile(logfile) << readFile(dir_ / "out.txt");
  EXPECT_EQ(readFile(pidfile), std::to_string(pid) + "\n");
  EXPECT_EQ(echoOnce(*port, "hello, tw-run"), "hello, tw-run");
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  std::optional<int> status = waitExit(pid);
  ASSERT_TRUE(status.has_value()) << "tw-run did not stop within 10 s";
  EXPECT_EQ(*status, 0) << readFile(dir_ / "out.txt");
  EXPECT_FALSE(fs::exists(pidfile));
  std::string log = readFile(logfile);
  std::vector<std::string> inOrder = {"starting up",
                                      "reactor: poll",
                                      "echo LISTENING",
                                      "Starting services",
                                      "Received SIGTERM",
                                      "Stopping services",
                                      "echo stopped listening on " + std::to_string(*port),
                                      "All services stopped",
                                      "Main loop terminated.",
                                      "Server Shut Down."};
  std::size_t at = 0;
  for (const std::string& line : inOrder) {
    std::size_t found = log.find(line, at);
    EXPECT_NE(found, std::string::npos) << "missing (in order): " << line << "\n" << log;
    if (found != std::string::npos) at = found;
  }
  // One line per event, each starting with a timestamp.
  std::istringstream lines(log);
  std::regex stamped("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d{4} \\[.*");
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(std::regex_match(line, stamped)) << "not a log line: '" << line << "'";
  }
}

// A pidfile naming a live process makes tw-run refuse to start (exit 1, pidfile untouched).
TEST_F(TwRunTests, refusesWhenPidfileNamesALiveProcess) {
  fs::path pidfile = dir_ / "tw-run.pid";
  std::ofstream(pidfile) << ::getpid() << "\n";
  pid_t pid =
      spawn({"--nodaemon", "--pidfile=" + pidfile.string(), "--logfile=-", "echo", "--port", "0"},
            dir_ / "out.txt");
  std::optional<int> status = waitExit(pid);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 1);
  EXPECT_NE(readFile(dir_ / "out.txt").find("Another tw-run server is running"), std::string::npos);
  EXPECT_EQ(readFile(pidfile), std::to_string(::getpid()) + "\n");
}

// A usage error exits 1 with the usage on stderr; --help exits 0 and lists the plugins.
TEST_F(TwRunTests, usageErrorsAndHelp) {
  pid_t pid = spawn({"--nodaemon", "nope"}, dir_ / "out.txt");
  std::optional<int> status = waitExit(pid);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 1);
  EXPECT_NE(readFile(dir_ / "out.txt").find("error: unknown command: nope"), std::string::npos);
  pid = spawn({"--help"}, dir_ / "help.txt");
  status = waitExit(pid);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
  std::string help = readFile(dir_ / "help.txt");
  EXPECT_NE(help.find("echo"), std::string::npos);
  EXPECT_NE(help.find("qotd"), std::string::npos);
}

// A port that cannot be bound: the daemon reports the failure to the first process, which
// exits 1; no pidfile is left.
TEST_F(TwRunTests, daemonReportsStartFailure) {
  int blocker = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(blocker, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(blocker, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(blocker, reinterpret_cast<sockaddr*>(&addr), &len);
  int taken = ntohs(addr.sin_port);
  fs::path pidfile = dir_ / "tw-run.pid";
  pid_t pid = spawn({"--pidfile=" + pidfile.string(), "--logfile=" + (dir_ / "log").string(),
                     "echo", "--port", std::to_string(taken), "--interface", "127.0.0.1"},
                    dir_ / "out.txt");
  std::optional<int> status = waitExit(pid);
  ::close(blocker);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 1);
  EXPECT_NE(readFile(dir_ / "out.txt").find("An error has occurred"), std::string::npos);
  EXPECT_FALSE(fs::exists(pidfile));
}

// Daemon mode: the first process exits 0 once the daemon started; the pidfile names the
// daemon (another process, in its own session); it serves, and SIGTERM stops it in order.
TEST_F(TwRunTests, daemonServesAndStopsOnSigterm) {
  fs::path pidfile = dir_ / "tw-run.pid";
  fs::path logfile = dir_ / "tw-run.log";
  pid_t pid = spawn({"--pidfile=" + pidfile.string(), "--logfile=" + logfile.string(), "echo",
                     "--port", "0", "--interface", "127.0.0.1"},
                    dir_ / "out.txt");
  std::optional<int> status = waitExit(pid);
  ASSERT_TRUE(status.has_value());
  ASSERT_EQ(*status, 0) << readFile(dir_ / "out.txt");
  ASSERT_TRUE(fs::exists(pidfile));
  daemon_ = std::stoi(readFile(pidfile));
  EXPECT_NE(daemon_, pid);
  EXPECT_TRUE(alive(daemon_));
  EXPECT_NE(::getsid(daemon_), ::getsid(0)) << "the daemon is still in our session";
  std::optional<int> port = listeningPort(logfile);
  ASSERT_TRUE(port.has_value()) << readFile(logfile);
  EXPECT_EQ(echoOnce(*port, "daemon echo"), "daemon echo");
  ASSERT_EQ(::kill(daemon_, SIGTERM), 0);
  EXPECT_TRUE(waitFor([&] { return !alive(daemon_); })) << "the daemon did not stop in 10 s";
  EXPECT_TRUE(waitFor([&] { return !fs::exists(pidfile); }));
  std::string log = readFile(logfile);
  EXPECT_NE(log.find("Stopping services"), std::string::npos) << log;
  EXPECT_NE(log.find("echo stopped listening"), std::string::npos) << log;
  EXPECT_NE(log.find("Server Shut Down."), std::string::npos) << log;
}

}  // namespace
