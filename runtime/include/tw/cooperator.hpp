/// @file
/// Cooperator and CooperativeTask: long-running work split into steps, run round-robin in
/// time slices on an injected clock.
/// Twisted: twisted.internet.task.Cooperator, CooperativeTask, coiterate, cooperate.
/// Tests: tests/runtime/cooperator_test.cpp
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_reactor_time.hpp"

namespace tw {

/// Base of the Cooperator's errors: a scheduler or task in an invalid state.
/// Twisted: twisted.internet.task.SchedulerError.
class SchedulerError : public std::runtime_error {
 public:
  explicit SchedulerError(const std::string& what) : std::runtime_error(what) {}
};

/// The Cooperator was stopped (before or while the task ran). Twisted: SchedulerStopped.
class SchedulerStopped : public SchedulerError {
 public:
  SchedulerStopped() : SchedulerError("the Cooperator was stopped") {}
};

/// The task has already finished, one way or another. Twisted: TaskFinished.
class TaskFinished : public SchedulerError {
 public:
  using SchedulerError::SchedulerError;
};

/// The task already completed (its step function reported it is done). Twisted: TaskDone.
class TaskDone : public TaskFinished {
 public:
  TaskDone() : TaskFinished("the task is done") {}
};

/// The task was stopped. Twisted: TaskStopped.
class TaskStopped : public TaskFinished {
 public:
  TaskStopped() : TaskFinished("the task was stopped") {}
};

/// The task died with an error. Twisted: TaskFailed.
class TaskFailed : public TaskFinished {
 public:
  TaskFailed() : TaskFinished("the task failed") {}
};

/// resume() on a task that is not paused. Twisted: NotPaused.
class NotPaused : public SchedulerError {
 public:
  NotPaused() : SchedulerError("resume() called on a task that is not paused") {}
};

/// What one step of a cooperative task reports: more work, done, or wait for a Deferred.
///
/// A step function plays the part of Twisted's iterator: calling it is `next()`.
/// `TaskStep::more()` is a yielded value, `TaskStep::done()` is StopIteration, and
/// `TaskStep::wait(d)` is a yielded Deferred (the task pauses until `d` fires; a failure of `d`
/// fails the task). A step function may also return `bool` (true = more, false = done).
class TaskStep {
 public:
  /// More work to do: call the step function again later.
  static TaskStep more() { return TaskStep(true); }
  /// The task is complete (Twisted: the iterator raised StopIteration).
  static TaskStep done() { return TaskStep(false); }
  /// Pause until `d` fires, then go on; if `d` fails, the task fails with its Failure.
  static TaskStep wait(Deferred<void> d) {
    TaskStep s(true);
    s.wait_ = std::move(d);
    return s;
  }
  /// `true` is more(), `false` is done().
  TaskStep(bool more) : more_(more) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool isMore() const noexcept { return more_; }
  [[nodiscard]] std::optional<Deferred<void>>& waitFor() noexcept { return wait_; }

 private:
  bool more_;
  std::optional<Deferred<void>> wait_;
};

class Cooperator;

namespace detail {
struct CooperatorState;
}

/// A task inside a Cooperator: can be paused, resumed, stopped and waited on.
/// Twisted: twisted.internet.task.CooperativeTask (made by Cooperator::cooperate).
///
/// Completion states: done (the step function said so), stopped (stop()), failed (the step
/// function threw, or a Deferred it waited on failed), or scheduler-stopped (Cooperator::stop).
/// Afterwards pause() and stop() throw the matching TaskFinished / SchedulerStopped error.
class CooperativeTask : public std::enable_shared_from_this<CooperativeTask> {
 public:
  /// The step function, called once per unit of work.
  using StepFunction = std::function<TaskStep()>;

  /// A Deferred that fires when the task completes: with nothing when the step function is done
  /// (Twisted: with the iterator), with the step's Failure when it failed, with TaskStopped or
  /// SchedulerStopped when stopped. Fires at once when already complete.
  Deferred<void> whenDone();

  /// Stops doing work until a matching resume(); pauses nest.
  /// @throws TaskFinished (TaskDone, TaskStopped, TaskFailed) or SchedulerStopped once complete.
  void pause();

  /// Undoes one pause(); at zero the task is scheduled again.
  /// @throws NotPaused when not paused.
  void resume();

  /// Stops the task for good: whenDone() Deferreds fail with TaskStopped.
  /// @throws TaskFinished or SchedulerStopped once complete.
  void stop();

  /// True once complete (done, stopped, failed or scheduler-stopped).
  [[nodiscard]] bool finished() const noexcept { return completion_ != Completion::kNone; }

  /// Use Cooperator::cooperate.
  CooperativeTask(StepFunction step, std::weak_ptr<detail::CooperatorState> cooperator);

 private:
  friend struct detail::CooperatorState;
  friend class Cooperator;
  enum class Completion { kNone, kDone, kStopped, kFailed, kSchedulerStopped };

  void oneWorkUnit();
  void completeWith(Completion state, std::optional<Failure> result);
  void checkFinish() const;

  StepFunction step_;
  std::weak_ptr<detail::CooperatorState> cooperator_;
  std::vector<Deferred<void>> deferreds_;
  int pauseCount_ = 0;
  Completion completion_ = Completion::kNone;
  std::optional<Failure> completionFailure_;  // empty: done (success)
};

/// Runs cooperative tasks round-robin: one step of each task in turn, as many as fit in a time
/// slice, then yields to the reactor and continues in the next tick.
/// Twisted: twisted.internet.task.Cooperator.
///
/// @code
/// tw::fakes::Clock clock;
/// tw::Cooperator coop(clock);
/// int i = 0;
/// auto done = coop.coiterate([&] { return ++i < 100; });   // 100 steps
/// while (!done.called()) clock.advance(1ms);
/// @endcode
///
/// Ticks, as Twisted's:
/// 1. Adding a task (or resuming one) schedules a tick through the scheduler if none is pending
///    (and the Cooperator is started).
/// 2. A tick asks the termination predicate factory for a predicate, then runs one step of the
///    next task in round-robin order (continuing where the last tick stopped), checking the
///    predicate after each step; it stops when the predicate says so or no task is left, then
///    schedules the next tick if tasks remain.
///
/// Thread safety: none; it belongs to its clock's thread.
///
/// Differs from Twisted:
/// 1. A task is a step function returning TaskStep (or bool), not an iterator (C++20 has no
///    generators); whenDone() fires with nothing instead of the iterator.
/// 2. The scheduler is an IReactorTime (ticks are `callLater(tickDelay)`, Twisted's default
///    being 1e-8 s) or a function; there is no global Cooperator and no module-level
///    coiterate/cooperate (nothing in tw reaches for a global reactor).
/// 3. Destroying a Cooperator stops it (its tasks complete with SchedulerStopped).
/// 4. A Deferred a task waits on that fails after the task was already stopped is ignored
///    (Twisted fires the completion Deferreds a second time and raises AlreadyCalledError).
/// 5. stop() completes every task with SchedulerStopped (Twisted 22.4 removes tasks from the
///    list it iterates and so skips every other one, whose whenDone() then never fires).
class Cooperator {
 public:
  /// Returns a fresh "stop now?" predicate at the start of each tick.
  using TerminationPredicateFactory = std::function<std::function<bool()>()>;
  /// Schedules a tick: `scheduler(f)` must call `f` later and return the handle on that call.
  using Scheduler = std::function<DelayedCallPtr(std::function<void()>)>;

  /// Twisted's default time slice: a tick runs steps for up to 10 ms of wall-clock time.
  static TerminationPredicateFactory timeSlice(
      std::chrono::steady_clock::duration slice = std::chrono::milliseconds(10));

  /// A Cooperator whose ticks are `clock.callLater(tickDelay, tick)`.
  /// @param clock  must outlive the Cooperator.
  explicit Cooperator(IReactorTime& clock, Seconds tickDelay = Seconds(1e-8),
                      TerminationPredicateFactory terminationPredicateFactory = timeSlice(),
                      bool started = true);

  /// A Cooperator with a scheduler function. Twisted: Cooperator(termination, scheduler, started).
  Cooperator(Scheduler scheduler, TerminationPredicateFactory terminationPredicateFactory,
             bool started = true);

  Cooperator(const Cooperator&) = delete;
  Cooperator& operator=(const Cooperator&) = delete;
  /// Stops: pending tasks complete with SchedulerStopped.
  ~Cooperator();

  /// Adds a task; `step` is `TaskStep()` or `bool()`. Twisted: Cooperator.cooperate.
  template <class F>
  requires std::is_invocable_v<F&> std::shared_ptr<CooperativeTask> cooperate(F step) {
    return add(wrap(std::move(step)));
  }

  /// Adds a task and returns its whenDone(). Twisted: Cooperator.coiterate.
  template <class F>
  requires std::is_invocable_v<F&> Deferred<void> coiterate(F step) {
    return cooperate(std::move(step))->whenDone();
  }

  /// Starts scheduling ticks (after `started = false`, or again after stop()).
  void start();

  /// Stops: every task completes with SchedulerStopped, the pending tick is cancelled, and
  /// tasks added later complete with SchedulerStopped at once (until start()).
  void stop();

  /// True when started and not stopped. Twisted: Cooperator.running.
  [[nodiscard]] bool running() const noexcept;

 private:
  template <class F>
  static CooperativeTask::StepFunction wrap(F step) {
    using R = std::invoke_result_t<F&>;
    static_assert(std::is_same_v<std::remove_cvref_t<R>, TaskStep> ||
                      std::is_same_v<std::remove_cvref_t<R>, bool>,
                  "a cooperative task's step function returns tw::TaskStep or bool");
    if constexpr (std::is_same_v<std::remove_cvref_t<R>, TaskStep>) {
      return CooperativeTask::StepFunction(std::move(step));
    } else {
      return [step = std::move(step)]() mutable { return TaskStep(static_cast<bool>(step())); };
    }
  }
  std::shared_ptr<CooperativeTask> add(CooperativeTask::StepFunction step);

  std::shared_ptr<detail::CooperatorState> state_;
};

}  // namespace tw
