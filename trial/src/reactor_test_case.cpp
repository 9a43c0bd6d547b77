/// @file
/// ReactorTestCase: TW_TEST on a real reactor.  Tests: tests/integration/trial_reactor_test.cpp
#include "tw/trial/reactor_test_case.hpp"

#include <algorithm>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "report.hpp"
#include "tw/error.hpp"
#include "tw/thread_pool.hpp"
#include "tw/trial/assertions.hpp"

namespace tw::trial {

namespace {
std::mutex nameMutex;
std::string reactorName = "epoll";
}  // namespace

std::string_view testReactorName() noexcept {
  std::lock_guard<std::mutex> lock(nameMutex);
  return reactorName;
}

void setTestReactorName(std::string_view name) {
  if (name != "epoll" && name != "poll" && name != "select") {
    throw std::invalid_argument("unknown reactor '" + std::string(name) +
                                "' (epoll, poll or select)");
  }
  std::lock_guard<std::mutex> lock(nameMutex);
  reactorName = std::string(name);
}

std::unique_ptr<PosixReactorBase> makeTestReactor() {
  std::string_view name = testReactorName();
  if (name == "poll") return std::make_unique<PollReactor>();
  if (name == "select") return std::make_unique<SelectReactor>();
  return std::make_unique<EpollReactor>();
}

ReactorTestCase::~ReactorTestCase() = default;

Runner::Result ReactorTestCase::drive(Deferred<void> d, const std::string& what, Seconds timeout,
                                      double start) {
  const double deadline = start + timeout.count();
  while (!d.hasResult()) {
    // The reactor is turned, not run: start its pool as run() would.
    if (ThreadPool* pool = reactor_->threadpool();
        pool != nullptr && !pool->started() && !pool->joined()) {
      pool->start();
    }
    const double left = deadline - reactor_->seconds();
    if (left <= 0) {
      std::ostringstream next;
      std::vector<DelayedCallPtr> pending = reactor_->getDelayedCalls();
      detail::Fail() << what << " timed out after " << timeout.count() << " s (wall clock) on the "
                     << reactor_->backendName() << " reactor.\n  It waits on:\n"
                     << detail::indent(d.waitChain(), "    ")
                     << "\n  Delayed calls pending: " << pending.size()
                     << "; descriptors watched: " << reactor_->getReaders().size() << " readers, "
                     << reactor_->getWriters().size() << " writers";
      if (!d.hasResult()) d.cancel();
      if (d.hasResult()) detail::take(d);
      return Runner::Result::failed;
    }
    reactor_->iterate(Seconds(std::min(left, 0.1)));
  }
  return detail::reportResult(d, what);
}

void ReactorTestCase::janitor() {
  std::ostringstream dirty;
  if (ThreadPool* pool = reactor_->threadpool(); pool != nullptr) {
    const std::vector<ThreadPool::JobInfo> jobs = pool->jobs();
    for (const ThreadPool::JobInfo& job : jobs) {
      dirty << "\n  thread-pool job still " << (job.running ? "running" : "queued")
            << " (submitted at " << job.submittedAt.file_name() << ":" << job.submittedAt.line()
            << ")";
    }
    if (!jobs.empty()) {
      // Wait for them (threads cannot be killed), then let their results reach the reactor.
      pool->stop();
      reactor_->iterate(Seconds(0));
    }
  }
  for (const auto& c : reactor_->getDelayedCalls()) {
    dirty << "\n  pending delayed call: " << c->repr();
    if (c->active()) c->cancel();
  }
  std::vector<IFileDescriptor*> left = reactor_->removeAll();
  for (IFileDescriptor* fd : left) {
    dirty << "\n  descriptor " << fd->fileno() << " still watched: " << fd->logPrefix();
    const std::source_location where = fd->createdAt();
    if (where.file_name() != nullptr && where.file_name()[0] != '\0') {
      dirty << " (made at " << where.file_name() << ":" << where.line() << ")";
    }
  }
  for (IFileDescriptor* fd : left) {
    try {
      fd->connectionLost(Failure(error::ConnectionLost()));
    } catch (...) {
      dirty << "\n  (its connectionLost threw: "
            << Failure::fromCurrentException().getErrorMessage() << ")";
    }
  }
  // Let what the disconnections scheduled run once (e.g. connectionLost of transports).
  reactor_->iterate(Seconds(0));
  for (const auto& c : reactor_->getDelayedCalls()) {
    if (c->active()) c->cancel();
  }
  std::string text = dirty.str();
  if (!text.empty()) detail::Fail() << "Reactor was unclean after the test:" << text;
}

}  // namespace tw::trial
