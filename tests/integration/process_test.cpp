/// @file
/// Tests of child processes on the real reactors (spawnProcess, Process, ProcessProtocol), each
/// run on epoll, poll and select, with real programs (/bin/sh, cat, echo, pwd).
/// Twisted: twisted/test/test_process.py, twisted/internet/test/test_process.py.
#include "tw/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "reactors.hpp"
#include "tw/error.hpp"
#include "tw/posix_reactor.hpp"
#include "tw/trial/logged_errors.hpp"

namespace {

using namespace std::chrono_literals;
using tw::testing::ReactorNames;
using tw::testing::Reactors;

/// A process protocol recording everything the transport calls, in order.
class Recorder : public tw::ProcessProtocol {
 public:
  void connectionMade() override {
    events.push_back("made");
    if (onMade) onMade(*this);
  }
  void childDataReceived(int childFD, std::string_view data) override {
    if (childFD > 2) other[childFD].append(data);
    tw::ProcessProtocol::childDataReceived(childFD, data);
  }
  void outReceived(std::string_view data) override {
    if (out.empty()) events.push_back("out");
    out.append(data);
    if (onOut) onOut(*this, data);
  }
  void errReceived(std::string_view data) override {
    if (err.empty()) events.push_back("err");
    err.append(data);
  }
  void childConnectionLost(int childFD) override {
    events.push_back("lost" + std::to_string(childFD));
    tw::ProcessProtocol::childConnectionLost(childFD);
  }
  void inConnectionLost() override { inLost = true; }
  void outConnectionLost() override { outLost = true; }
  void errConnectionLost() override { errLost = true; }
  void processExited(const tw::Failure& reason) override {
    events.push_back("exited");
    exited = reason;
    pidAtExit = transport()->pid();
  }
  void processEnded(const tw::Failure& reason) override {
    events.push_back("ended");
    ended = reason;
    if (onEnded) onEnded(*this, reason);
  }

  std::function<void(Recorder&)> onMade;
  std::function<void(Recorder&, std::string_view)> onOut;
  std::function<void(Recorder&, const tw::Failure&)> onEnded;
  std::vector<std::string> events;
  std::string out;
  std::string err;
  std::map<int, std::string> other;
  bool inLost = false;
  bool outLost = false;
  bool errLost = false;
  std::optional<tw::Failure> exited;
  std::optional<tw::Failure> ended;
  std::optional<int> pidAtExit = 0;
};

/// True if the reason is a ProcessDone.
bool isDone(const tw::Failure& f) { return f.check<tw::error::ProcessDone>() != nullptr; }
/// True if the reason is a ProcessTerminated.
bool isTerminated(const tw::Failure& f) {
  return f.check<tw::error::ProcessTerminated>() != nullptr;
}
/// The raw wait status carried by the reason (-2 if it carries none).
int statusOf(const tw::Failure& f) {
  if (const auto* d = f.value<tw::error::ProcessDone>()) return d->status();
  if (const auto* t = f.value<tw::error::ProcessTerminated>()) return t->status();
  return -2;
}

template <class R>
class ProcessTests : public tw::testing::RealReactorTest<R> {
 protected:
  /// A Recorder that stops the reactor when its process ends.
  std::shared_ptr<Recorder> stopping() {
    auto p = std::make_shared<Recorder>();
    p->onEnded = [this](Recorder&, const tw::Failure&) { this->reactor.stop(); };
    return p;
  }

  /// The exit code carried by a ProcessTerminated reason (nullopt if none).
  static std::optional<int> exitCodeOf(const tw::Failure& f) {
    const auto* t = f.value<tw::error::ProcessTerminated>();
    return t != nullptr ? t->exitCode() : std::nullopt;
  }
  static std::optional<int> signalOf(const tw::Failure& f) {
    const auto* t = f.value<tw::error::ProcessTerminated>();
    return t != nullptr ? t->signal() : std::nullopt;
  }

  /// The descriptors open in this process.
  static std::size_t openDescriptors() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
  }
};

TYPED_TEST_SUITE(ProcessTests, Reactors, ReactorNames);

// Twisted test_process.ProcessTests.test_echo-like: the child's stdout reaches outReceived and an
// exit code of 0 ends the process with ProcessDone.
TYPED_TEST(ProcessTests, echoOutputAndProcessDone) {
  auto p = this->stopping();
  auto t = this->reactor.spawnProcess(p, "/bin/echo", {"echo", "hello", "world"});
  ASSERT_TRUE(t->pid().has_value());
  EXPECT_GT(*t->pid(), 0);
  this->runBounded();
  EXPECT_EQ(p->out, "hello world\n");
  ASSERT_TRUE(p->ended.has_value());
  ASSERT_TRUE(isDone(*p->ended)) << p->ended->repr();
  EXPECT_EQ(statusOf(*p->ended), 0);
  EXPECT_TRUE(p->inLost && p->outLost && p->errLost);
  EXPECT_FALSE(t->pid().has_value());
  EXPECT_FALSE(p->pidAtExit.has_value());
}

// What is written to stdin reaches the child; closeStdin gives it end of file (cat then exits 0).
TYPED_TEST(ProcessTests, catEchoesStdinUntilCloseStdin) {
  auto p = this->stopping();
  p->onMade = [](Recorder& r) {
    r.transport()->write("one ");
    r.transport()->writeSequence({"two ", "three"});
    r.transport()->writeToChild(0, "\n");
  };
  p->onOut = [](Recorder& r, std::string_view) {
    if (r.out == "one two three\n") r.transport()->closeStdin();
  };
  this->reactor.spawnProcess(p, "cat", {"cat"}, std::nullopt);
  this->runBounded();
  EXPECT_EQ(p->out, "one two three\n");
  ASSERT_TRUE(p->ended.has_value());
  EXPECT_TRUE(isDone(*p->ended)) << p->ended->repr();
  EXPECT_TRUE(p->inLost);
}

// A non-zero exit code ends the process with ProcessTerminated carrying that code and no signal.
TYPED_TEST(ProcessTests, exitCodeGivesProcessTerminated) {
  auto p = this->stopping();
  this->reactor.spawnProcess(p, "/bin/sh", {"sh", "-c", "exit 3"});
  this->runBounded();
  ASSERT_TRUE(p->exited.has_value());
  ASSERT_TRUE(isTerminated(*p->ended)) << p->ended->repr();
  EXPECT_EQ(this->exitCodeOf(*p->exited), 3);
  EXPECT_EQ(this->exitCodeOf(*p->ended), 3);
  EXPECT_EQ(this->signalOf(*p->ended), std::nullopt);
  EXPECT_EQ(statusOf(*p->ended) >> 8, 3);
  EXPECT_EQ(p->ended->getErrorMessage(),
            "A process has ended with a probable error condition: process ended with exit code "
            "3.");
}

// The fault "a process killed by a signal": it reaches the protocol as ProcessTerminated
// with the signal, and the reactor keeps serving another process and a timer afterwards.
TYPED_TEST(ProcessTests, killedBySignalAndReactorGoesOn) {
  auto killed = std::make_shared<Recorder>();
  auto next = this->stopping();
  bool timerRan = false;
  killed->onEnded = [&](Recorder&, const tw::Failure&) {
    this->reactor.callLater(10ms, [&] {
      timerRan = true;
      this->reactor.spawnProcess(next, "/bin/echo", {"echo", "still serving"});
    });
  };
  this->reactor.spawnProcess(killed, "/bin/sh", {"sh", "-c", "kill -9 $$"});
  this->runBounded();
  ASSERT_TRUE(killed->ended.has_value());
  ASSERT_TRUE(isTerminated(*killed->ended));
  EXPECT_EQ(this->signalOf(*killed->ended), SIGKILL);
  EXPECT_EQ(this->exitCodeOf(*killed->ended), std::nullopt);
  EXPECT_EQ(this->signalOf(*killed->exited), SIGKILL);
  EXPECT_TRUE(timerRan);
  EXPECT_EQ(next->out, "still serving\n");
  EXPECT_TRUE(isDone(*next->ended));
}

// signalProcess("KILL") and signalProcess(SIGTERM) reach the child; the reason names the signal.
TYPED_TEST(ProcessTests, signalProcessByNameAndNumber) {
  auto byName = std::make_shared<Recorder>();
  auto byNumber = std::make_shared<Recorder>();
  int ended = 0;
  auto count = [&](Recorder&, const tw::Failure&) {
    if (++ended == 2) this->reactor.stop();
  };
  byName->onEnded = count;
  byNumber->onEnded = count;
  byName->onMade = [](Recorder& r) { r.transport()->signalProcess("KILL"); };
  auto t = this->reactor.spawnProcess(byNumber, "/bin/sleep", {"sleep", "30"});
  this->reactor.spawnProcess(byName, "/bin/sleep", {"sleep", "30"});
  this->reactor.callLater(0s, [&] { t->signalProcess(SIGTERM); });
  this->runBounded();
  ASSERT_EQ(ended, 2);
  EXPECT_EQ(this->signalOf(*byName->ended), SIGKILL);
  EXPECT_EQ(this->signalOf(*byNumber->ended), SIGTERM);
}

// An unknown signal name is refused at once.
TYPED_TEST(ProcessTests, unknownSignalNameThrows) {
  auto p = this->stopping();
  auto t = this->reactor.spawnProcess(p, "/bin/sleep", {"sleep", "30"});
  EXPECT_THROW(t->signalProcess("USR7"), std::invalid_argument);
  t->signalProcess("TERM");
  this->runBounded();
  EXPECT_EQ(this->signalOf(*p->ended), SIGTERM);
}

// signalProcess after the process exited raises ProcessExitedAlready (Twisted:
// test_process.ProcessTests.test_signalAfterExit... raises ProcessExitedAlready once pid is None).
TYPED_TEST(ProcessTests, signalProcessAfterExitRaisesProcessExitedAlready) {
  auto p = this->stopping();
  bool raised = false;
  p->onEnded = [&](Recorder& r, const tw::Failure&) {
    try {
      r.transport()->signalProcess("TERM");
    } catch (const tw::error::ProcessExitedAlready&) {
      raised = true;
    }
    this->reactor.stop();
  };
  auto t = this->reactor.spawnProcess(p, "/bin/sh", {"sh", "-c", "exit 0"});
  this->runBounded();
  EXPECT_TRUE(raised);
  EXPECT_THROW(t->signalProcess(SIGKILL), tw::error::ProcessExitedAlready);
}

// stderr goes to errReceived, stdout to outReceived.
TYPED_TEST(ProcessTests, stderrRoutedToErrReceived) {
  auto p = this->stopping();
  this->reactor.spawnProcess(p, "/bin/sh", {"sh", "-c", "echo to-out; echo to-err >&2"});
  this->runBounded();
  EXPECT_EQ(p->out, "to-out\n");
  EXPECT_EQ(p->err, "to-err\n");
}

// env is the child's whole environment: given, empty by default, ours with std::nullopt.
TYPED_TEST(ProcessTests, environmentHonoured) {
  ::setenv("TW_PROCESS_TEST_INHERITED", "inherited", 1);
  auto given = std::make_shared<Recorder>();
  auto empty = std::make_shared<Recorder>();
  auto inherited = std::make_shared<Recorder>();
  int ended = 0;
  auto count = [&](Recorder&, const tw::Failure&) {
    if (++ended == 3) this->reactor.stop();
  };
  given->onEnded = empty->onEnded = inherited->onEnded = count;
  const std::string script = "echo \"${FOO-unset} ${TW_PROCESS_TEST_INHERITED-unset}\"";
  this->reactor.spawnProcess(given, "/bin/sh", {"sh", "-c", script},
                             tw::ProcessEnvironment{{"FOO", "bar"}});
  this->reactor.spawnProcess(empty, "/bin/sh", {"sh", "-c", script});
  this->reactor.spawnProcess(inherited, "/bin/sh", {"sh", "-c", script}, std::nullopt);
  this->runBounded();
  ::unsetenv("TW_PROCESS_TEST_INHERITED");
  EXPECT_EQ(given->out, "bar unset\n");
  EXPECT_EQ(empty->out, "unset unset\n");
  EXPECT_EQ(inherited->out, "unset inherited\n");
}

// path is the child's working directory.
TYPED_TEST(ProcessTests, pathHonoured) {
  const auto dir = std::filesystem::canonical(std::filesystem::temp_directory_path());
  auto p = this->stopping();
  this->reactor.spawnProcess(p, "/bin/pwd", {"pwd"}, tw::ProcessEnvironment{}, dir.string());
  this->runBounded();
  EXPECT_EQ(p->out, dir.string() + "\n");
}

// A missing executable or working directory makes spawnProcess throw the errno of the step that
// failed; the protocol is never called and no descriptor leaks.
TYPED_TEST(ProcessTests, spawnFailuresThrowAndLeakNothing) {
  const std::size_t before = this->openDescriptors();
  auto p = std::make_shared<Recorder>();
  try {
    this->reactor.spawnProcess(p, "/nonexistent/program", {"program"});
    FAIL() << "spawnProcess did not throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("cannot execute '/nonexistent/program'"),
              std::string::npos)
        << e.what();
  }
  try {
    this->reactor.spawnProcess(p, "/bin/true", {"true"}, tw::ProcessEnvironment{},
                               "/nonexistent/directory");
    FAIL() << "spawnProcess did not throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("change directory"), std::string::npos) << e.what();
  }
  EXPECT_THROW(this->reactor.spawnProcess(p, "no-such-program-tw"), std::system_error);
  EXPECT_TRUE(p->events.empty());
  EXPECT_EQ(this->openDescriptors(), before);
  EXPECT_TRUE(this->reactor.getReaders().empty());
}

// usePTY and bad childFDs values are refused with a clear error.
TYPED_TEST(ProcessTests, unsupportedArgumentsThrow) {
  auto p = std::make_shared<Recorder>();
  EXPECT_THROW(this->reactor.spawnProcess(p, "/bin/true", {"true"}, tw::ProcessEnvironment{},
                                          std::nullopt, std::nullopt, std::nullopt, true),
               std::invalid_argument);
  EXPECT_THROW(
      this->reactor.spawnProcess(p, "/bin/true", {"true"}, tw::ProcessEnvironment{}, std::nullopt,
                                 std::nullopt, std::nullopt, false, tw::ChildFDs{{1, 'x'}}),
      std::invalid_argument);
  EXPECT_TRUE(p->events.empty());
}

// Twenty processes at once all end, each with its own output.
TYPED_TEST(ProcessTests, twentyConcurrentProcessesAllEnd) {
  std::vector<std::shared_ptr<Recorder>> ps;
  int ended = 0;
  for (int i = 0; i < 20; ++i) {
    auto p = std::make_shared<Recorder>();
    p->onEnded = [&](Recorder&, const tw::Failure&) {
      if (++ended == 20) this->reactor.stop();
    };
    this->reactor.spawnProcess(
        p, "/bin/sh",
        {"sh", "-c", "sleep 0.05; echo $0; exit $1", std::to_string(i), std::to_string(i % 3)});
    ps.push_back(p);
  }
  this->runBounded();
  ASSERT_EQ(ended, 20);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(ps[i]->out, std::to_string(i) + "\n");
    if (i % 3 == 0) {
      EXPECT_TRUE(isDone(*ps[i]->ended));
    } else {
      EXPECT_EQ(this->exitCodeOf(*ps[i]->ended), i % 3);
    }
  }
}

// 1 MB written to cat's stdin (more than a pipe holds: the writer buffers and waits for
// writability) comes back on stdout complete and in order.
TYPED_TEST(ProcessTests, largeOutputReceivedInOrder) {
  std::string data;
  data.reserve(1 << 20);
  for (int i = 0; data.size() < (1 << 20); ++i) data += std::to_string(i) + ",";
  data.resize(1 << 20);
  auto p = this->stopping();
  p->onMade = [&](Recorder& r) {
    r.transport()->write(data);
    r.transport()->closeStdin();
  };
  this->reactor.spawnProcess(p, "cat", {"cat"}, std::nullopt);
  this->runBounded(20s);
  EXPECT_EQ(p->out.size(), data.size());
  EXPECT_TRUE(p->out == data);
  EXPECT_TRUE(isDone(*p->ended));
}

// processExited comes first and processEnded only once the pipes are closed: here a grandchild
// keeps stdout open after the child exited, and writes to it later.
TYPED_TEST(ProcessTests, processExitedBeforeProcessEnded) {
  auto p = this->stopping();
  this->reactor.spawnProcess(p, "/bin/sh", {"sh", "-c", "(sleep 0.3; echo late) & exit 0"},
                             std::nullopt);
  this->runBounded();
  EXPECT_EQ(p->out, "late\n");
  const auto pos = [&](const std::string& e) {
    return std::find(p->events.begin(), p->events.end(), e) - p->events.begin();
  };
  ASSERT_EQ(p->events.back(), "ended");
  EXPECT_LT(pos("exited"), pos("out"));
  EXPECT_LT(pos("out"), pos("lost1"));
  EXPECT_LT(pos("lost1"), pos("ended"));
  EXPECT_EQ(std::count(p->events.begin(), p->events.end(), "exited"), 1);
  EXPECT_EQ(std::count(p->events.begin(), p->events.end(), "ended"), 1);
}

// childFDs: an extra 'r' pipe on descriptor 3, and a parent descriptor given to the child as its
// stdout (shell-style redirection).
TYPED_TEST(ProcessTests, customChildFDs) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  auto p = this->stopping();
  this->reactor.spawnProcess(p, "/bin/sh", {"sh", "-c", "echo three >&3; echo redirected"},
                             std::nullopt, std::nullopt, std::nullopt, std::nullopt, false,
                             tw::ChildFDs{{0, 'w'}, {1, fds[1]}, {2, 'r'}, {3, 'r'}});
  ::close(fds[1]);
  this->runBounded();
  EXPECT_EQ(p->other[3], "three\n");
  EXPECT_NE(std::find(p->events.begin(), p->events.end(), "lost3"), p->events.end());
  EXPECT_TRUE(p->out.empty());
  char buf[64] = {};
  const ssize_t n = ::read(fds[0], buf, sizeof buf);
  ::close(fds[0]);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "redirected\n");
}

// loseConnection closes every pipe: cat sees end of file and exits 0; each pipe reports.
TYPED_TEST(ProcessTests, loseConnectionClosesAllPipes) {
  auto p = this->stopping();
  p->onMade = [](Recorder& r) { r.transport()->loseConnection(); };
  auto t = this->reactor.spawnProcess(p, "cat", {"cat"}, std::nullopt);
  EXPECT_TRUE(t->disconnecting());
  this->runBounded();
  EXPECT_TRUE(p->inLost && p->outLost && p->errLost);
  ASSERT_TRUE(p->ended.has_value());
}

// The SIGCHLD fallback (no pidfd) reaps the child too, with the right reason.
TYPED_TEST(ProcessTests, sigchldFallbackReapsChildren) {
  tw::Process::forceSigchldReaping(true);
  auto ok = std::make_shared<Recorder>();
  auto killed = std::make_shared<Recorder>();
  int ended = 0;
  auto count = [&](Recorder&, const tw::Failure&) {
    if (++ended == 2) this->reactor.stop();
  };
  ok->onEnded = killed->onEnded = count;
  this->reactor.spawnProcess(ok, "/bin/echo", {"echo", "fallback"});
  auto t = this->reactor.spawnProcess(killed, "/bin/sleep", {"sleep", "30"});
  tw::Process::forceSigchldReaping(false);
  t->signalProcess("KILL");
  this->runBounded();
  EXPECT_EQ(ok->out, "fallback\n");
  EXPECT_TRUE(isDone(*ok->ended));
  EXPECT_EQ(this->signalOf(*killed->ended), SIGKILL);
}

// At reactor shutdown a running process is left running, its pipes closed (each reported) and
// processEnded not called.
TYPED_TEST(ProcessTests, shutdownLeavesRunningProcessButClosesPipes) {
  auto p = std::make_shared<Recorder>();
  auto t = this->reactor.spawnProcess(p, "/bin/sleep", {"sleep", "30"});
  this->reactor.callLater(50ms, [&] { this->reactor.stop(); });
  this->runBounded();
  EXPECT_TRUE(p->inLost && p->outLost && p->errLost);
  EXPECT_FALSE(p->exited.has_value());
  EXPECT_FALSE(p->ended.has_value());
  ASSERT_TRUE(t->pid().has_value());
  const int pid = *t->pid();
  EXPECT_EQ(::kill(pid, 0), 0);  // still running
  t->signalProcess("KILL");
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
}

}  // namespace

namespace {

// An exception thrown by outReceived is logged and closes the stdout pipe only; stderr is still
// read and the process still ends.
TYPED_TEST(ProcessTests, exceptionInOutReceivedClosesThatPipe) {
  tw::testing::ExpectedErrors errors;
  auto p = this->stopping();
  p->onOut = [](Recorder&, std::string_view) { throw std::runtime_error("boom in outReceived"); };
  this->reactor.spawnProcess(p, "/bin/sh", {"sh", "-c", "echo a; sleep 0.1; echo b >&2"});
  this->runBounded();
  EXPECT_TRUE(p->outLost);
  EXPECT_EQ(p->err, "b\n");
  ASSERT_TRUE(p->ended.has_value());
  const auto logged = tw::trial::flushLoggedErrors<std::runtime_error>();
  EXPECT_EQ(logged.size(), 1U);
}

// pauseProducing stops reading the child's output (processExited may come first, processEnded
// waits for the output); resumeProducing delivers it.
TYPED_TEST(ProcessTests, pauseAndResumeProducing) {
  auto p = this->stopping();
  p->onMade = [](Recorder& r) { r.transport()->pauseProducing(); };
  auto t = this->reactor.spawnProcess(p, "/bin/echo", {"echo", "held back"});
  bool emptyWhilePaused = false;
  this->reactor.callLater(200ms, [&] {
    emptyWhilePaused = p->out.empty() && !p->ended.has_value();
    t->resumeProducing();
  });
  this->runBounded();
  EXPECT_TRUE(emptyWhilePaused);
  EXPECT_EQ(p->out, "held back\n");
  ASSERT_TRUE(p->ended.has_value());
}

// uid and gid switch the child's identity (here to our own, which needs no privilege).
TYPED_TEST(ProcessTests, uidAndGidApplied) {
  auto p = this->stopping();
  this->reactor.spawnProcess(p, "/bin/sh", {"sh", "-c", "id -u; id -g"}, std::nullopt, std::nullopt,
                             ::getuid(), ::getgid());
  this->runBounded();
  EXPECT_EQ(p->out, std::to_string(::getuid()) + "\n" + std::to_string(::getgid()) + "\n");
  EXPECT_TRUE(isDone(*p->ended));
}

/// A pull producer writing `chunks` blocks of 100 000 bytes to a process's stdin, then closing it.
class ChunkProducer : public tw::IPullProducer {
 public:
  explicit ChunkProducer(int chunks) : chunks_(chunks) {}
  void resumeProducing() override {
    ++resumes;
    if (sent < chunks_) {
      transport->write(std::string(100000, static_cast<char>('a' + sent)));
      ++sent;
    } else if (!finished) {
      finished = true;
      transport->unregisterProducer();
      transport->closeStdin();
    }
  }
  void stopProducing() override { stopped = true; }

  tw::IProcessTransport* transport = nullptr;
  int sent = 0;
  int resumes = 0;
  bool finished = false;
  bool stopped = false;

 private:
  int chunks_;
};

// A pull producer registered on the process feeds its stdin, asked for more each time the
// buffer empties.
TYPED_TEST(ProcessTests, pullProducerFeedsStdin) {
  auto p = this->stopping();
  ChunkProducer producer(10);
  p->onMade = [&](Recorder& r) {
    producer.transport = r.transport();
    r.transport()->registerProducer(producer, false);
  };
  this->reactor.spawnProcess(p, "cat", {"cat"}, std::nullopt);
  this->runBounded(20s);
  EXPECT_TRUE(producer.finished);
  ASSERT_EQ(p->out.size(), 1000000U);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(p->out[static_cast<std::size_t>(i) * 100000], static_cast<char>('a' + i));
  }
  EXPECT_TRUE(isDone(*p->ended));
}

// Without a stdin pipe, writes are dropped and a registered producer is stopped at once.
TYPED_TEST(ProcessTests, noStdinPipe) {
  auto p = this->stopping();
  ChunkProducer producer(1);
  auto t = this->reactor.spawnProcess(p, "/bin/echo", {"echo", "x"}, tw::ProcessEnvironment{},
                                      std::nullopt, std::nullopt, std::nullopt, false,
                                      tw::ChildFDs{{1, 'r'}});
  t->write("dropped");
  EXPECT_THROW(t->writeToChild(0, "x"), std::invalid_argument);
  EXPECT_THROW(t->writeToChild(1, "x"), std::invalid_argument);
  t->registerProducer(producer, false);
  EXPECT_TRUE(producer.stopped);
  EXPECT_EQ(t->getHost()->repr(), "_ProcessAddress()");
  this->runBounded();
  EXPECT_EQ(p->out, "x\n");
  EXPECT_TRUE(isDone(*p->ended));
}

}  // namespace

namespace {

// The process's descriptors are among the reactor's readers; each leads back to its Process and
// names the spawnProcess call that made it (what trial's janitor reports).
TYPED_TEST(ProcessTests, descriptorsNameTheirSpawnCall) {
  auto p = this->stopping();
  const auto line = static_cast<std::uint_least32_t>(__LINE__ + 1);
  auto t = this->reactor.spawnProcess(p, "/bin/sleep", {"sleep", "30"});
  std::size_t ours = 0;
  for (tw::IReadDescriptor* r : this->reactor.getReaders()) {
    std::shared_ptr<tw::Process> owner = tw::Process::ofDescriptor(*r);
    if (!owner) continue;
    ++ours;
    EXPECT_EQ(static_cast<tw::IProcessTransport*>(owner.get()), t.get());
    EXPECT_EQ(r->createdAt().line(), line);
    EXPECT_NE(std::string(r->createdAt().file_name()).find("process_test.cpp"), std::string::npos);
    EXPECT_NE(r->logPrefix().find("Process pid=" + std::to_string(*t->pid())), std::string::npos);
  }
  EXPECT_GE(ours, 3U);  // stdin, stdout, stderr (and the pidfd)
  std::size_t leftAtEnd = 99;
  p->onEnded = [&](Recorder&, const tw::Failure&) {
    leftAtEnd = 0;
    for (tw::IReadDescriptor* r : this->reactor.getReaders()) {
      if (tw::Process::ofDescriptor(*r)) ++leftAtEnd;
    }
    for (tw::IWriteDescriptor* w : this->reactor.getWriters()) {
      if (tw::Process::ofDescriptor(*w)) ++leftAtEnd;
    }
    this->reactor.stop();
  };
  t->signalProcess("KILL");
  this->runBounded();
  EXPECT_EQ(this->signalOf(*p->ended), SIGKILL);
  EXPECT_EQ(leftAtEnd, 0U);
}

}  // namespace
