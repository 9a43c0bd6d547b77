/// @file
/// The untyped half of Deferred::addTimeout: the timer that cancels, and the translation of
/// CancelledError into TimeoutError.  Twisted: Deferred.addTimeout, _cancelledToTimedOutError.
/// Tests: tests/runtime/deferred_timeout_test.cpp
#include <cstdio>
#include <memory>
#include <string>

#include "tw/deferred.hpp"

namespace tw::detail {

namespace {

/// One counted reference to a Core, copyable (std::function needs it).
class CoreRef {
 public:
  explicit CoreRef(Core& core) noexcept : core_(&core) { core_->addRef(); }
  CoreRef(const CoreRef& other) noexcept : core_(other.core_) { core_->addRef(); }
  CoreRef& operator=(const CoreRef&) = delete;
  ~CoreRef() { core_->release(); }
  Core& operator*() const noexcept { return *core_; }

 private:
  Core* core_;
};

std::string timeoutMessage(double timeout) {
  char text[64];
  std::snprintf(text, sizeof text, "Deferred timed out after %g seconds", timeout);
  return text;
}

}  // namespace

std::shared_ptr<TimeoutState> startTimeout(Core& core, Seconds timeout, IReactorTime& clock,
                                           const std::source_location& where) {
  auto state = std::make_shared<TimeoutState>();
  state->timeout = timeout.count();
  state->where = where;
  std::weak_ptr<TimeoutState> weak = state;
  state->call = clock.callLater(
      timeout,
      [weak, ref = CoreRef(core)] {
        if (auto s = weak.lock()) s->timedOut = true;
        (*ref).cancel();
      },
      where);
  return state;
}

void finishTimeout(TimeoutState& state, Core& core, bool custom) {
  if (state.timedOut && !custom && core.kind_ == ResultKind::Failure &&
      core.failure_->check<CancelledError>() != nullptr) {
    core.setFailure(Failure(TimeoutError(timeoutMessage(state.timeout)), state.where));
  }
  if (state.call != nullptr && state.call->active()) state.call->cancel();
  state.call.reset();
}

}  // namespace tw::detail
