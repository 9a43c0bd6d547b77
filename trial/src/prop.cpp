/// @file
/// TW_PROP's per-case reactor and janitor.  Tests: tests/trial/prop_test.cpp
#include "tw/trial/prop.hpp"

#include <sstream>
#include <stdexcept>

namespace tw::trial {

namespace {
thread_local fakes::MemoryReactorClock* currentReactor = nullptr;
}  // namespace

fakes::MemoryReactorClock& propReactor() {
  if (currentReactor == nullptr) {
    throw std::logic_error("tw::trial::propReactor() is only available inside a TW_PROP case");
  }
  return *currentReactor;
}

namespace detail {

PropCase::PropCase() : previous_(currentReactor) { currentReactor = &reactor_; }

PropCase::~PropCase() {
  for (const auto& call : reactor_.getDelayedCalls()) {
    if (call->active()) call->cancel();
  }
  currentReactor = previous_;
}

void PropCase::check() {
  std::ostringstream problems;
  for (const auto& call : reactor_.getDelayedCalls()) {
    problems << "\n  pending delayed call: " << call->repr();
    if (call->active()) call->cancel();
  }
  for (const LogEvent& e : logged_.take()) problems << "\n  logged error: " << e.format();
  std::string text = problems.str();
  if (!text.empty()) RC_FAIL("the case left its reactor unclean:" + text);
}

}  // namespace detail
}  // namespace tw::trial
