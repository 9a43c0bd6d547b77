/// @file
/// TestCase, Runner, the janitor.  Tests: tests/trial/test_case_test.cpp
#include "tw/trial/test_case.hpp"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <gtest/gtest-spi.h>

#include "report.hpp"
#include "tw/trial/assertions.hpp"

namespace tw::trial {

namespace {
std::atomic<double> defaultTimeoutSeconds{120.0};

std::string seconds(double s) {
  std::ostringstream out;
  out << s << " s";
  return out.str();
}

std::string where(const std::source_location& w) {
  return std::string(w.file_name()) + ":" + std::to_string(w.line());
}
}  // namespace

std::string detail::indent(const std::string& text, const std::string& prefix) {
  std::string out = prefix;
  for (char c : text) {
    out += c;
    if (c == '\n') out += prefix;
  }
  return out;
}

Seconds defaultTimeout() noexcept { return Seconds(defaultTimeoutSeconds.load()); }
void setDefaultTimeout(Seconds timeout) noexcept { defaultTimeoutSeconds = timeout.count(); }

Runner::Result Runner::run(Deferred<void> d, const std::string& what) {
  while (!d.hasResult()) {
    std::vector<DelayedCallPtr> pending = reactor_.getDelayedCalls();
    if (pending.empty()) {
      detail::Fail() << what << " stalled: it has not fired and nothing is scheduled that could "
                     << "fire it (no delayed call is left on the test's clock).\n"
                     << "  It waits on:\n"
                     << detail::indent(d.waitChain(), "    ");
      return Result::failed;
    }
    double next = pending[0]->getTime();
    for (const auto& c : pending) next = std::min(next, c->getTime());
    if (next - start_ > timeout_.count()) {
      detail::Fail() << what << " timed out after " << seconds(timeout_.count())
                     << " of virtual time.\n  It waits on:\n"
                     << detail::indent(d.waitChain(), "    ") << "\n  The next delayed call is at "
                     << seconds(next - start_) << ": " << pending[0]->repr();
      reactor_.advance(Seconds(std::max(0.0, start_ + timeout_.count() - reactor_.seconds())));
      // Cancel what the test waits on (a deferLater's call goes with it), so the janitor reports
      // only what cancelling leaves behind.
      if (!d.hasResult()) d.cancel();
      if (d.hasResult()) detail::take(d);
      return Result::failed;
    }
    reactor_.step();
  }
  return detail::reportResult(d, what);
}

Runner::Result detail::reportResult(Deferred<void>& d, const std::string& what) {
  if (const Failure* f = d.failureResult()) {
    if (f->check<SkipTest>() != nullptr) {
      detail::reportAtTest("Skipped: " + f->getErrorMessage(), ::testing::TestPartResult::kSkip);
      detail::take(d);
      return Runner::Result::skipped;
    }
    detail::Fail() << what << " failed:\n" << detail::describeFailure(*f);
    detail::take(d);
    return Runner::Result::failed;
  }
  return Runner::Result::succeeded;
}

bool Runner::janitor() {
  std::ostringstream dirty;
  std::vector<DelayedCallPtr> pending = reactor_.getDelayedCalls();
  for (const auto& c : pending) {
    dirty << "\n  pending delayed call: " << c->repr();
    if (c->active()) c->cancel();
  }
  for (const auto& s : reactor_.tcpServers()) {
    if (s.listeningPort->listening()) {
      dirty << "\n  TCP port " << s.port << " still listening (listenTCP at " << where(s.where)
            << ")";
      s.listeningPort->stopListening();
    }
  }
  for (const auto& s : reactor_.unixServers()) {
    if (s.listeningPort->listening()) {
      dirty << "\n  UNIX socket " << s.address << " still listening (listenUNIX at "
            << where(s.where) << ")";
      s.listeningPort->stopListening();
    }
  }
  for (const auto& c : reactor_.tcpClients()) {
    dirty << "\n  TCP connection attempt to " << c.host << ":" << c.port
          << " never completed (connectTCP at " << where(c.where) << ")";
  }
  for (const auto& c : reactor_.unixClients()) {
    dirty << "\n  UNIX connection attempt to " << c.address << " never completed (connectUNIX at "
          << where(c.where) << ")";
  }
  std::string text = dirty.str();
  if (text.empty()) return true;
  detail::Fail() << "Reactor was unclean after the test:" << text;
  return false;
}

void detail::AsyncTestBase::runBody(const std::function<Deferred<void>()>& body) {
  double start = now();
  auto guardedBody = [&body]() -> Deferred<void> {
    try {
      return body();
    } catch (...) {
      return fail<void>(Failure::fromCurrentException());
    }
  };
  // Catch what the body reports, then judge it: the body may mark itself todo.
  ::testing::TestPartResultArray reported;
  std::optional<Failure> failure;
  Runner::Result result;
  {
    ::testing::ScopedFakeTestPartResultReporter capture(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &reported);
    Deferred<void> d = guardedBody().addErrback([&failure](Failure f) {
      failure = f;
      return f;
    });
    // The body may have changed the timeout (setTimeout): read it after the body ran.
    result = drive(std::move(d), "The test's Deferred", timeout_, start);
  }
  bool failed = false;
  for (int i = 0; i < reported.size(); ++i)
    failed = failed || reported.GetTestPartResult(i).failed();
  bool expected =
      failed && todo_ && (!todo_->expected || (failure.has_value() && todo_->expected(*failure)));
  if (!todo_ || result == Runner::Result::skipped || (failed && !expected)) {
    for (int i = 0; i < reported.size(); ++i) {
      const ::testing::TestPartResult& r = reported.GetTestPartResult(i);
      GTEST_MESSAGE_AT_(r.file_name() != nullptr ? r.file_name() : "unknown", r.line_number(),
                        r.message(), r.type());
    }
    if (failed && todo_) {
      detail::Fail() << "The test is marked todo (\"" << todo_->reason
                     << "\") for other failures: this one was not expected.";
    }
    return;
  }
  if (expected) {
    RecordProperty("todo", todo_->reason);
    std::printf("[     TODO ] expected failure (%s): %s\n", todo_->reason.c_str(),
                reported.GetTestPartResult(0).summary());
    return;
  }
  detail::Fail() << "Unexpected success: the test is marked todo (\"" << todo_->reason
                 << "\") but passed; remove the todo.";
}

void detail::AsyncTestBase::twRun(const std::function<Deferred<void>()>& body) {
  LoggedErrorsScope logged;
  auto guarded = [](const std::function<Deferred<void>()>& f) {
    try {
      return f();
    } catch (...) {
      return fail<void>(Failure::fromCurrentException());
    }
  };
  if (skipReason_) {
    detail::reportAtTest("Skipped: " + *skipReason_, ::testing::TestPartResult::kSkip);
    return;
  }
  bool setUpDone = drive(guarded([this] { return setUp(); }), "setUp", timeout_, now()) ==
                   Runner::Result::succeeded;
  if (setUpDone) runBody(body);
  int index = static_cast<int>(cleanups_.size());
  while (!cleanups_.empty()) {
    auto cleanup = std::move(cleanups_.back());
    cleanups_.pop_back();
    drive(guarded(cleanup), "cleanup " + std::to_string(index--), timeout_, now());
  }
  if (setUpDone) {
    drive(guarded([this] { return tearDown(); }), "tearDown", timeout_, now());
  }
  janitor();
  std::vector<LogEvent> left = logged.take();
  if (!left.empty()) detail::Fail() << describeUnflushed(left);
}

}  // namespace tw::trial
