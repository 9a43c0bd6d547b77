/// @file
/// The per-test collector of logged errors and its GoogleTest listener.
/// Tests: tests/trial/logged_errors_test.cpp
#include "tw/trial/logged_errors.hpp"

#include <memory>
#include <mutex>
#include <sstream>

#include <gtest/gtest.h>

#include "report.hpp"

namespace tw::trial {

namespace {

// The open scopes, innermost last, and the one observer they share.
struct Collector {
  std::mutex mutex;
  std::vector<std::vector<LogEvent>*> scopes;
  LogPublisher::ObserverId observer = 0;
};

Collector& collector() {
  static Collector* c = new Collector;  // never destroyed: scopes may close during exit
  return *c;
}

void observe(const LogEvent& event) {
  if (!event.isError()) return;
  Collector& c = collector();
  std::lock_guard<std::mutex> lock(c.mutex);
  if (!c.scopes.empty()) c.scopes.back()->push_back(event);
}

}  // namespace

LoggedErrorsScope::LoggedErrorsScope() {
  Collector& c = collector();
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    first = c.scopes.empty();
    c.scopes.push_back(&events_);
  }
  if (first) {
    LogPublisher::ObserverId id = globalLogPublisher().addObserver(observe);
    std::lock_guard<std::mutex> lock(c.mutex);
    c.observer = id;
  }
}

LoggedErrorsScope::~LoggedErrorsScope() {
  Collector& c = collector();
  LogPublisher::ObserverId remove = 0;
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    std::erase(c.scopes, &events_);
    if (c.scopes.empty()) std::swap(remove, c.observer);
  }
  if (remove != 0) globalLogPublisher().removeObserver(remove);
}

std::vector<LogEvent> LoggedErrorsScope::take() {
  std::lock_guard<std::mutex> lock(collector().mutex);
  std::vector<LogEvent> taken;
  taken.swap(events_);
  return taken;
}

std::string describeUnflushed(const std::vector<LogEvent>& events) {
  std::string out;
  for (const LogEvent& e : events) {
    if (!out.empty()) out += "\n";
    out +=
        "An error was logged during the test and not flushed "
        "(flushLoggedErrors<E>() takes expected ones):\n";
    out += e.format();
    while (!out.empty() && out.back() == '\n') out.pop_back();
  }
  return out;
}

namespace detail {

std::vector<Failure> flushLoggedErrorsIf(const std::function<bool(const Failure&)>& matches) {
  Collector& c = collector();
  std::lock_guard<std::mutex> lock(c.mutex);
  std::vector<Failure> taken;
  if (c.scopes.empty()) return taken;
  std::vector<LogEvent>& events = *c.scopes.back();
  std::vector<LogEvent> kept;
  for (LogEvent& e : events) {
    bool match = e.failure ? (!matches || matches(*e.failure)) : !matches;
    if (!match) {
      kept.push_back(std::move(e));
    } else if (e.failure) {
      taken.push_back(*e.failure);
    }
  }
  events.swap(kept);
  return taken;
}

}  // namespace detail

namespace {

class LoggedErrorsListener : public ::testing::EmptyTestEventListener {
 public:
  void OnTestStart(const ::testing::TestInfo&) override {
    scope_ = std::make_unique<LoggedErrorsScope>();
  }
  // GoogleTest calls OnTestEnd of the listeners in reverse order of their addition, so this runs
  // before the result printer's, and the failure is counted, printed and written to the XML.
  void OnTestEnd(const ::testing::TestInfo&) override {
    if (!scope_) return;
    std::vector<LogEvent> left = scope_->take();
    scope_.reset();
    if (!left.empty()) detail::Fail() << describeUnflushed(left);
  }

 private:
  std::unique_ptr<LoggedErrorsScope> scope_;
};

}  // namespace

void installLoggedErrorsListener() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  ::testing::UnitTest::GetInstance()->listeners().Append(new LoggedErrorsListener);
}

}  // namespace tw::trial
