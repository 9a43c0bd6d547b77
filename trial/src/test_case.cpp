/// @file
/// TestCase, Runner, the janitor.  Tests: tests/trial/test_case_test.cpp
#include "tw/trial/test_case.hpp"

#include <atomic>
#include <cmath>
#include <sstream>

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

Seconds defaultTimeout() noexcept { return Seconds(defaultTimeoutSeconds.load()); }
void setDefaultTimeout(Seconds timeout) noexcept { defaultTimeoutSeconds = timeout.count(); }

bool Runner::drive(Deferred<void> d, const std::string& what) {
  while (!d.hasResult()) {
    std::vector<DelayedCallPtr> pending = reactor_.getDelayedCalls();
    if (pending.empty()) {
      ADD_FAILURE() << what << " stalled: it has not fired and nothing is scheduled that could "
                    << "fire it (no delayed call is left on the test's clock).\n  Waiting on: "
                    << d.repr();
      return false;
    }
    double next = pending[0]->getTime();
    for (const auto& c : pending) next = std::min(next, c->getTime());
    if (next - start_ > timeout_.count()) {
      ADD_FAILURE() << what << " timed out after " << seconds(timeout_.count())
                    << " of virtual time.\n  Waiting on: " << d.repr()
                    << "\n  Next delayed call at " << seconds(next - start_) << ": "
                    << pending[0]->repr();
      reactor_.advance(Seconds(std::max(0.0, start_ + timeout_.count() - reactor_.seconds())));
      return false;
    }
    reactor_.step();
  }
  if (const Failure* f = d.failureResult()) {
    ADD_FAILURE() << what << " failed:\n" << detail::describeFailure(*f);
    detail::take(d);
    return false;
  }
  return true;
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
  ADD_FAILURE() << "Reactor was unclean after the test:" << text;
  return false;
}

void TestCase::checkLoggedErrors() {
  std::vector<LogEvent> errors;
  {
    std::lock_guard<std::mutex> lock(loggedMutex_);
    errors.swap(loggedErrors_);
  }
  for (const LogEvent& e : errors) {
    ADD_FAILURE() << "An error was logged during the test and not flushed "
                  << "(flushLoggedErrors<E>() takes expected ones):\n"
                  << e.format();
  }
}

void TestCase::twRun(const std::function<Deferred<void>()>& body) {
  LogPublisher& publisher = globalLogPublisher();
  LogPublisher::ObserverId observer = publisher.addObserver([this](const LogEvent& e) {
    if (!e.isError()) return;
    std::lock_guard<std::mutex> lock(loggedMutex_);
    loggedErrors_.push_back(e);
  });
  struct Unobserve {
    LogPublisher& publisher;
    LogPublisher::ObserverId id;
    ~Unobserve() { publisher.removeObserver(id); }
  } unobserve{publisher, observer};
  Runner runner(reactor_, timeout_);
  auto guarded = [](const std::function<Deferred<void>()>& f) {
    try {
      return f();
    } catch (...) {
      return fail<void>(Failure::fromCurrentException());
    }
  };
  if (runner.drive(guarded([this] { return setUp(); }), "setUp")) {
    double start = reactor_.seconds();
    Deferred<void> d = guarded(body);
    // The body may have changed the timeout (setTimeout): read it after the body ran.
    Runner(reactor_, timeout_, start).drive(std::move(d), "The test's Deferred");
  }
  int index = static_cast<int>(cleanups_.size());
  while (!cleanups_.empty()) {
    auto cleanup = std::move(cleanups_.back());
    cleanups_.pop_back();
    Runner(reactor_, timeout_).drive(guarded(cleanup), "cleanup " + std::to_string(index--));
  }
  Runner(reactor_, timeout_).drive(guarded([this] { return tearDown(); }), "tearDown");
  runner.janitor();
  checkLoggedErrors();
}

}  // namespace tw::trial
