/// @file
/// Cooperator and CooperativeTask.  Twisted: twisted.internet.task.Cooperator, CooperativeTask.
/// Tests: tests/runtime/cooperator_test.cpp
#include "tw/cooperator.hpp"

#include <algorithm>

namespace tw {

namespace detail {

/// The Cooperator's state, shared with its tasks (weakly) so that a task outliving its
/// Cooperator finds it gone rather than dangling.
struct CooperatorState {
  Cooperator::Scheduler scheduler;
  Cooperator::TerminationPredicateFactory terminationPredicateFactory;
  std::vector<std::shared_ptr<CooperativeTask>> tasks;
  std::size_t metaIndex = 0;  // Twisted's _metarator: the round-robin position in `tasks`
  DelayedCallPtr delayedCall;
  bool stopped = false;
  bool started = true;
  bool mustScheduleOnStart = false;

  void addTask(const std::shared_ptr<CooperativeTask>& task) {
    tasks.push_back(task);
    if (stopped) {
      task->completeWith(CooperativeTask::Completion::kSchedulerStopped,
                         Failure(SchedulerStopped()));
    } else {
      reschedule();
    }
  }

  void removeTask(CooperativeTask* task) {
    auto it =
        std::find_if(tasks.begin(), tasks.end(),
                     [task](const std::shared_ptr<CooperativeTask>& t) { return t.get() == task; });
    if (it != tasks.end()) {
      // Python's list iterator is an index: removing before it shifts what it sees next.
      if (static_cast<std::size_t>(it - tasks.begin()) < metaIndex) --metaIndex;
      tasks.erase(it);
    }
    if (tasks.empty() && delayedCall != nullptr) {
      if (delayedCall->active()) delayedCall->cancel();
      delayedCall = nullptr;
    }
  }

  void reschedule() {
    if (!started) {
      mustScheduleOnStart = true;
      return;
    }
    if (delayedCall == nullptr && !tasks.empty()) {
      std::weak_ptr<CooperatorState> weak = self;
      delayedCall = scheduler([weak] {
        if (auto s = weak.lock()) s->tick();
      });
    }
  }

  void tick() {
    delayedCall = nullptr;
    std::function<bool()> terminator = terminationPredicateFactory();
    bool done = false;
    while (!done && !tasks.empty()) {
      while (metaIndex < tasks.size()) {
        std::shared_ptr<CooperativeTask> task = tasks[metaIndex++];
        task->oneWorkUnit();
        if (terminator()) {
          done = true;
          break;
        }
      }
      if (!done) metaIndex = 0;
    }
    reschedule();
  }

  std::weak_ptr<CooperatorState> self;
};

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// CooperativeTask

CooperativeTask::CooperativeTask(StepFunction step,
                                 std::weak_ptr<detail::CooperatorState> cooperator)
    : step_(std::move(step)), cooperator_(std::move(cooperator)) {}

Deferred<void> CooperativeTask::whenDone() {
  Deferred<void> d;
  if (completion_ == Completion::kNone) {
    deferreds_.push_back(d);
  } else if (completionFailure_) {
    d.errback(*completionFailure_);
  } else {
    d.callback();
  }
  return d;
}

void CooperativeTask::checkFinish() const {
  switch (completion_) {
    case Completion::kNone:
      return;
    case Completion::kDone:
      throw TaskDone();
    case Completion::kStopped:
      throw TaskStopped();
    case Completion::kFailed:
      throw TaskFailed();
    case Completion::kSchedulerStopped:
      throw SchedulerStopped();
  }
}

void CooperativeTask::pause() {
  checkFinish();
  ++pauseCount_;
  if (pauseCount_ == 1) {
    if (auto c = cooperator_.lock()) c->removeTask(this);
  }
}

void CooperativeTask::resume() {
  if (pauseCount_ == 0) throw NotPaused();
  --pauseCount_;
  if (pauseCount_ == 0 && completion_ == Completion::kNone) {
    if (auto c = cooperator_.lock()) {
      c->addTask(shared_from_this());
    } else {
      completeWith(Completion::kSchedulerStopped, Failure(SchedulerStopped()));
    }
  }
}

void CooperativeTask::stop() {
  checkFinish();
  completeWith(Completion::kStopped, Failure(TaskStopped()));
}

void CooperativeTask::completeWith(Completion state, std::optional<Failure> result) {
  completion_ = state;
  completionFailure_ = std::move(result);
  std::shared_ptr<CooperativeTask> keep = shared_from_this();
  if (pauseCount_ == 0) {
    if (auto c = cooperator_.lock()) c->removeTask(this);
  }
  // Fired after leaving the Cooperator, since a callback may manipulate other tasks (or stop
  // the Cooperator).
  std::vector<Deferred<void>> deferreds = std::move(deferreds_);
  deferreds_.clear();
  step_ = nullptr;  // release what the step function captured
  for (Deferred<void>& d : deferreds) {
    if (completionFailure_) {
      d.errback(*completionFailure_);
    } else {
      d.callback();
    }
  }
}

void CooperativeTask::oneWorkUnit() {
  std::optional<TaskStep> result;
  try {
    result.emplace(step_());
  } catch (...) {
    completeWith(Completion::kFailed, Failure::fromCurrentException());
    return;
  }
  if (!result->isMore()) {
    completeWith(Completion::kDone, std::nullopt);
    return;
  }
  if (std::optional<Deferred<void>>& wait = result->waitFor()) {
    pause();
    // The Deferred keeps the task alive while it waits (nothing else may: a paused task is not
    // in its Cooperator's list), as Twisted's bound methods do.
    std::shared_ptr<CooperativeTask> self = shared_from_this();
    wait->addCallbacks([self] { self->resume(); },
                       [self](Failure failure) {
                         if (self->completion_ == Completion::kNone) {
                           self->completeWith(Completion::kFailed, std::move(failure));
                         }
                       });
  }
}

// ---------------------------------------------------------------------------------------------
// Cooperator

Cooperator::TerminationPredicateFactory Cooperator::timeSlice(
    std::chrono::steady_clock::duration slice) {
  return [slice] {
    const auto end = std::chrono::steady_clock::now() + slice;
    return std::function<bool()>([end] { return std::chrono::steady_clock::now() >= end; });
  };
}

Cooperator::Cooperator(IReactorTime& clock, Seconds tickDelay,
                       TerminationPredicateFactory terminationPredicateFactory, bool started)
    : Cooperator([&clock, tickDelay](
                     std::function<void()> f) { return clock.callLater(tickDelay, std::move(f)); },
                 std::move(terminationPredicateFactory), started) {}

Cooperator::Cooperator(Scheduler scheduler, TerminationPredicateFactory terminationPredicateFactory,
                       bool started)
    : state_(std::make_shared<detail::CooperatorState>()) {
  state_->scheduler = std::move(scheduler);
  state_->terminationPredicateFactory = std::move(terminationPredicateFactory);
  state_->started = started;
  state_->self = state_;
}

Cooperator::~Cooperator() {
  stop();
  state_->self.reset();
}

std::shared_ptr<CooperativeTask> Cooperator::add(CooperativeTask::StepFunction step) {
  auto task = std::make_shared<CooperativeTask>(std::move(step), state_);
  state_->addTask(task);
  return task;
}

void Cooperator::start() {
  state_->stopped = false;
  state_->started = true;
  if (state_->mustScheduleOnStart) {
    state_->mustScheduleOnStart = false;
    state_->reschedule();
  }
}

void Cooperator::stop() {
  detail::CooperatorState& s = *state_;
  s.stopped = true;
  std::vector<std::shared_ptr<CooperativeTask>> tasks = std::move(s.tasks);
  s.tasks.clear();
  s.metaIndex = 0;
  for (auto& task : tasks) {
    // Already out of the list, so completeWith's removal finds nothing to remove.
    task->completeWith(CooperativeTask::Completion::kSchedulerStopped, Failure(SchedulerStopped()));
  }
  if (s.delayedCall != nullptr) {
    if (s.delayedCall->active()) s.delayedCall->cancel();
    s.delayedCall = nullptr;
  }
}

bool Cooperator::running() const noexcept { return state_->started && !state_->stopped; }

}  // namespace tw
