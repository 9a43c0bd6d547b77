/// @file
/// The generators, their drivers (apply, run) and their reference models (expected,
/// expectedOrder).  Tests: tests/trial/generators_property_test.cpp
#include "tw/trial/generators.hpp"

#include <chrono>
#include <stdexcept>
#include <utility>

#include "tw/failure.hpp"
#include "tw/trial/assertions.hpp"

namespace tw::trial {

std::vector<std::string> splitAt(const std::string& data, std::vector<std::size_t> positions) {
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  std::vector<std::string> pieces;
  std::size_t start = 0;
  for (std::size_t p : positions) {
    if (p <= start || p >= data.size()) continue;
    pieces.push_back(data.substr(start, p - start));
    start = p;
  }
  pieces.push_back(data.substr(start));
  return pieces;
}

// Callback chains -------------------------------------------------------------------------------

namespace {

using namespace std::chrono_literals;

/// v + k, wrapping around (no undefined behaviour on overflow).
int plus(int v, int k) {
  return static_cast<int>(static_cast<unsigned>(v) + static_cast<unsigned>(k));
}

std::string labelled(const char* label, int k) {
  return std::string(label) + " " + std::to_string(k);
}

Failure failureNamed(const char* label, int k) {
  return Failure(std::runtime_error(labelled(label, k)));
}

/// A Deferred that `reactor` fires with `outcome` from callLater(0s).
Deferred<int> later(IReactorTime& reactor, ChainOutcome outcome) {
  Deferred<int> d;
  reactor.callLater(0s, [d, outcome = std::move(outcome)]() mutable { fire(d, outcome); });
  return d;
}

Deferred<int> addStep(Deferred<int> d, const ChainStep& step, IReactorTime& reactor) {
  const int k = step.k;
  IReactorTime* r = &reactor;
  switch (step.kind) {
    case ChainStepKind::kAdd:
      return d.addCallback([k](int v) { return plus(v, k); });
    case ChainStepKind::kThrow:
      return d.addCallback([k](int) -> int { throw std::runtime_error(labelled("throw", k)); });
    case ChainStepKind::kRecover:
      return d.addErrback([k](const Failure&) { return k; });
    case ChainStepKind::kPassFailure:
      return d.addErrback([](Failure f) { return f; });
    case ChainStepKind::kRethrow:
      return d.addErrback([](const Failure& f) -> int { f.raiseException(); });
    case ChainStepKind::kBothAdd:
      return d.addBoth([k](auto result) -> int {
        if constexpr (std::is_same_v<decltype(result), Failure>) {
          return k;
        } else {
          return plus(result, k);
        }
      });
    case ChainStepKind::kBothFail:
      return d.addBoth([k](auto) { return failureNamed("both", k); });
    case ChainStepKind::kReturnSucceeded:
      return d.addCallback([k](int v) { return tw::succeed(plus(v, k)); });
    case ChainStepKind::kReturnFailed:
      return d.addCallback([k](int) { return tw::fail<int>(failureNamed("fail", k)); });
    case ChainStepKind::kReturnLater:
      return d.addCallback([k, r](int v) { return later(*r, ChainOutcome::success(plus(v, k))); });
    case ChainStepKind::kReturnLaterFailed:
      return d.addCallback(
          [k, r](int) { return later(*r, ChainOutcome::failure(labelled("later", k))); });
    case ChainStepKind::kRecoverLater:
      return d.addErrback([k, r](const Failure&) { return later(*r, ChainOutcome::success(k)); });
  }
  return d;
}

const char* stepText(ChainStepKind kind) {
  switch (kind) {
    case ChainStepKind::kAdd:
      return "addCallback(+";
    case ChainStepKind::kThrow:
      return "addCallback(throw ";
    case ChainStepKind::kRecover:
      return "addErrback(recover ";
    case ChainStepKind::kPassFailure:
      return "addErrback(return failure";
    case ChainStepKind::kRethrow:
      return "addErrback(rethrow";
    case ChainStepKind::kBothAdd:
      return "addBoth(+ or recover ";
    case ChainStepKind::kBothFail:
      return "addBoth(fail ";
    case ChainStepKind::kReturnSucceeded:
      return "addCallback(return succeed +";
    case ChainStepKind::kReturnFailed:
      return "addCallback(return fail ";
    case ChainStepKind::kReturnLater:
      return "addCallback(return later +";
    case ChainStepKind::kReturnLaterFailed:
      return "addCallback(return later fail ";
    case ChainStepKind::kRecoverLater:
      return "addErrback(return later ";
  }
  return "?(";
}

/// An int in [min, max), uniform whatever the size; shrinks towards min.
rc::Gen<int> uniform(int min, int max) { return rc::gen::resize(100, rc::gen::inRange(min, max)); }

/// One of 0 .. n-1, uniform; shrinks to every smaller choice, simplest first (gen::inRange
/// halves the distance instead, and can stop before a simpler choice that would still fail).
rc::Gen<int> choice(int n) {
  return rc::Gen<int>([n](const rc::Random& random, int) {
    rc::Random r(random);
    const int picked = static_cast<int>(r.next() % static_cast<std::uint64_t>(n));
    return rc::shrinkable::shrinkRecur(picked, [](int x) { return rc::seq::range(0, x); });
  });
}

constexpr int kStepKinds = static_cast<int>(ChainStepKind::kRecoverLater) + 1;

}  // namespace

std::ostream& operator<<(std::ostream& out, const ChainStep& step) {
  out << stepText(step.kind);
  if (step.kind != ChainStepKind::kPassFailure && step.kind != ChainStepKind::kRethrow) {
    out << step.k;
  }
  return out << ")";
}

std::ostream& operator<<(std::ostream& out, const CallbackChain& chain) {
  out << "[";
  for (std::size_t i = 0; i < chain.steps.size(); ++i) out << (i > 0 ? ", " : "") << chain.steps[i];
  return out << "]";
}

std::ostream& operator<<(std::ostream& out, const ChainOutcome& outcome) {
  if (outcome.succeeded) return out << "value " << outcome.value;
  return out << "failure \"" << outcome.message << "\"";
}

void showValue(const CallbackChain& chain, std::ostream& out) { out << chain; }
void showValue(const ChainOutcome& outcome, std::ostream& out) { out << outcome; }

Deferred<int> apply(const CallbackChain& chain, Deferred<int> d, IReactorTime& reactor) {
  for (const ChainStep& step : chain.steps) d = addStep(std::move(d), step, reactor);
  return d;
}

ChainOutcome expected(const CallbackChain& chain, const ChainOutcome& input) {
  ChainOutcome now = input;
  for (const ChainStep& step : chain.steps) {
    const int k = step.k;
    if (now.succeeded) {
      switch (step.kind) {
        case ChainStepKind::kAdd:
        case ChainStepKind::kBothAdd:
        case ChainStepKind::kReturnSucceeded:
        case ChainStepKind::kReturnLater:
          now = ChainOutcome::success(plus(now.value, k));
          break;
        case ChainStepKind::kThrow:
          now = ChainOutcome::failure(labelled("throw", k));
          break;
        case ChainStepKind::kBothFail:
          now = ChainOutcome::failure(labelled("both", k));
          break;
        case ChainStepKind::kReturnFailed:
          now = ChainOutcome::failure(labelled("fail", k));
          break;
        case ChainStepKind::kReturnLaterFailed:
          now = ChainOutcome::failure(labelled("later", k));
          break;
        case ChainStepKind::kRecover:  // errbacks: a value passes by
        case ChainStepKind::kPassFailure:
        case ChainStepKind::kRethrow:
        case ChainStepKind::kRecoverLater:
          break;
      }
    } else {
      switch (step.kind) {
        case ChainStepKind::kRecover:
        case ChainStepKind::kBothAdd:
        case ChainStepKind::kRecoverLater:
          now = ChainOutcome::success(k);
          break;
        case ChainStepKind::kBothFail:
          now = ChainOutcome::failure(labelled("both", k));
          break;
        case ChainStepKind::kPassFailure:  // the same failure goes on
        case ChainStepKind::kRethrow:
          break;
        case ChainStepKind::kAdd:  // callbacks: a failure passes by
        case ChainStepKind::kThrow:
        case ChainStepKind::kReturnSucceeded:
        case ChainStepKind::kReturnFailed:
        case ChainStepKind::kReturnLater:
        case ChainStepKind::kReturnLaterFailed:
          break;
      }
    }
  }
  return now;
}

void fire(Deferred<int>& d, const ChainOutcome& input) {
  if (input.succeeded) {
    d.callback(input.value);
  } else {
    d.errback(std::runtime_error(input.message));
  }
}

std::optional<ChainOutcome> takeOutcome(Deferred<int> d) {
  if (!d.hasResult()) return std::nullopt;
  auto [value, failure] = detail::take(std::move(d));
  if (failure) return ChainOutcome::failure(failure->getErrorMessage());
  if (value) return ChainOutcome::success(*value);
  return std::nullopt;
}

std::optional<ChainOutcome> runChain(const CallbackChain& chain, const ChainOutcome& input,
                                     bool fireFirst) {
  fakes::Clock clock;
  Deferred<int> d;
  if (fireFirst) fire(d, input);
  Deferred<int> end = apply(chain, d, clock);
  if (!fireFirst) fire(d, input);
  clock.advance(0s);
  return takeOutcome(std::move(end));
}

rc::Gen<ChainStep> chainSteps() {
  return rc::gen::map(rc::gen::pair(choice(kStepKinds), uniform(0, 100)),
                      [](const std::pair<int, int>& p) {
                        return ChainStep{static_cast<ChainStepKind>(p.first), p.second};
                      });
}

rc::Gen<CallbackChain> callbackChains() {
  return rc::gen::withSize([](int size) {
    return rc::gen::map(
        rc::gen::resize(std::min(size, 12),
                        rc::gen::container<std::vector<ChainStep>>(chainSteps())),
        [](std::vector<ChainStep> steps) { return CallbackChain{std::move(steps)}; });
  });
}

rc::Gen<ChainOutcome> chainOutcomes() {
  return rc::gen::map(rc::gen::pair(uniform(0, 5), uniform(0, 2001)),
                      [](const std::pair<int, int>& p) {
                        if (p.first == 4) return ChainOutcome::failure("input");
                        // 0, -1, 1, -2, 2, ...: shrinks towards 0.
                        const int x = p.second;
                        return ChainOutcome::success(x % 2 == 0 ? x / 2 : -(x + 1) / 2);
                      });
}

// Clock schedules -----------------------------------------------------------------------------

namespace {

Seconds ms(int amount) { return std::chrono::milliseconds(amount); }

bool validScheduler(const ClockSchedule& s, std::size_t i) {
  const int by = s.calls[i].scheduledBy;
  return by >= 0 && static_cast<std::size_t>(by) < i;
}

bool validChanger(const ClockSchedule& s, std::size_t i) {
  const ScheduledCall& c = s.calls[i];
  return c.change != ScheduleChange::kNone && c.changedBy >= 0 &&
         static_cast<std::size_t>(c.changedBy) < s.calls.size() &&
         static_cast<std::size_t>(c.changedBy) != i;
}

const char* changeText(ScheduleChange change) {
  switch (change) {
    case ScheduleChange::kNone:
      return "none";
    case ScheduleChange::kCancel:
      return "cancel";
    case ScheduleChange::kReset:
      return "reset";
    case ScheduleChange::kDelay:
      return "delay";
  }
  return "?";
}

/// The model's view of one call.
struct ModelCall {
  enum class State : std::uint8_t { kUnscheduled, kPending, kRan, kCancelled };
  State state = State::kUnscheduled;
  double due = 0;
  std::uint64_t order = 0;  // scheduling order, renewed by reset and delay
};

}  // namespace

std::ostream& operator<<(std::ostream& out, const ScheduledCall& call) {
  out << "callLater(" << call.delayMs << "ms)";
  if (call.scheduledBy >= 0) out << " scheduled by #" << call.scheduledBy;
  if (call.change != ScheduleChange::kNone && call.changedBy >= 0) {
    out << ", " << changeText(call.change);
    if (call.change != ScheduleChange::kCancel) out << "(" << call.amountMs << "ms)";
    out << " by #" << call.changedBy;
  }
  return out;
}

std::ostream& operator<<(std::ostream& out, const ClockSchedule& schedule) {
  for (std::size_t i = 0; i < schedule.calls.size(); ++i) {
    out << "#" << i << " " << schedule.calls[i] << "\n";
  }
  out << "advance";
  if (schedule.advancesMs.empty()) out << " nothing";
  for (std::size_t i = 0; i < schedule.advancesMs.size(); ++i) {
    out << (i > 0 ? ", " : " ") << schedule.advancesMs[i] << "ms";
  }
  return out;
}

std::ostream& operator<<(std::ostream& out, const Firing& firing) {
  return out << "#" << firing.call << " due " << firing.due << " at " << firing.now;
}

void showValue(const ClockSchedule& schedule, std::ostream& out) { out << schedule; }
void showValue(const Firing& firing, std::ostream& out) { out << firing; }

std::vector<Firing> run(const ClockSchedule& schedule, fakes::Clock& clock) {
  return run(schedule, clock, [&clock](Seconds amount) { clock.advance(amount); });
}

std::vector<Firing> run(const ClockSchedule& schedule, IReactorTime& reactor,
                        const std::function<void(Seconds)>& advance) {
  std::vector<Firing> firings;
  std::vector<DelayedCallPtr> handles(schedule.calls.size());
  // The pending calls refer to this frame: they must not outlive it, even if advance throws.
  struct CancelPending {
    std::vector<DelayedCallPtr>& handles;
    ~CancelPending() {
      for (const DelayedCallPtr& handle : handles) {
        if (handle && handle->active()) handle->cancel();
      }
    }
  } cancelPending{handles};
  // A running call schedules others through this function: it refers to itself.
  std::function<void(std::size_t)> scheduleCall;
  scheduleCall = [&](std::size_t i) {
    handles[i] = reactor.callLater(ms(schedule.calls[i].delayMs), [&, i] {
      firings.push_back(Firing{static_cast<int>(i), handles[i]->getTime(), reactor.seconds()});
      for (std::size_t j = 0; j < schedule.calls.size(); ++j) {
        if (!validChanger(schedule, j) ||
            static_cast<std::size_t>(schedule.calls[j].changedBy) != i) {
          continue;
        }
        if (!handles[j] || !handles[j]->active()) continue;
        const ScheduledCall& c = schedule.calls[j];
        if (c.change == ScheduleChange::kCancel) handles[j]->cancel();
        if (c.change == ScheduleChange::kReset) handles[j]->reset(ms(c.amountMs));
        if (c.change == ScheduleChange::kDelay) handles[j]->delay(ms(c.amountMs));
      }
      for (std::size_t j = 0; j < schedule.calls.size(); ++j) {
        if (validScheduler(schedule, j) &&
            static_cast<std::size_t>(schedule.calls[j].scheduledBy) == i) {
          scheduleCall(j);
        }
      }
    });
  };
  for (std::size_t i = 0; i < schedule.calls.size(); ++i) {
    if (!validScheduler(schedule, i)) scheduleCall(i);
  }
  for (int amount : schedule.advancesMs) advance(ms(amount));
  return firings;
}

std::vector<Firing> expectedOrder(const ClockSchedule& schedule) {
  using State = ModelCall::State;
  const std::size_t n = schedule.calls.size();
  std::vector<ModelCall> calls(n);
  std::vector<Firing> firings;
  double now = 0;
  std::uint64_t nextOrder = 0;
  auto put = [&](std::size_t i, double due) {
    calls[i].state = State::kPending;
    calls[i].due = due;
    calls[i].order = nextOrder++;
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (!validScheduler(schedule, i)) put(i, now + ms(schedule.calls[i].delayMs).count());
  }
  for (int amount : schedule.advancesMs) {
    now += ms(amount).count();
    for (;;) {
      std::optional<std::size_t> next;
      for (std::size_t i = 0; i < n; ++i) {
        const ModelCall& c = calls[i];
        if (c.state != State::kPending || c.due > now) continue;
        if (!next || c.due < calls[*next].due ||
            (c.due == calls[*next].due && c.order < calls[*next].order)) {
          next = i;
        }
      }
      if (!next) break;
      const std::size_t i = *next;
      calls[i].state = State::kRan;
      firings.push_back(Firing{static_cast<int>(i), calls[i].due, now});
      for (std::size_t j = 0; j < n; ++j) {
        if (!validChanger(schedule, j) ||
            static_cast<std::size_t>(schedule.calls[j].changedBy) != i ||
            calls[j].state != State::kPending) {
          continue;
        }
        const ScheduledCall& c = schedule.calls[j];
        if (c.change == ScheduleChange::kCancel) calls[j].state = State::kCancelled;
        if (c.change == ScheduleChange::kReset) put(j, now + ms(c.amountMs).count());
        if (c.change == ScheduleChange::kDelay) put(j, calls[j].due + ms(c.amountMs).count());
      }
      for (std::size_t j = 0; j < n; ++j) {
        if (validScheduler(schedule, j) &&
            static_cast<std::size_t>(schedule.calls[j].scheduledBy) == i) {
          put(j, now + ms(schedule.calls[j].delayMs).count());
        }
      }
    }
  }
  return firings;
}

/// Generated times are multiples of this, which doubles add exactly: equal due times (the
/// ties the ordering rules are about) are then common.  0.001 * k sums are not exact.
constexpr int kGridMs = 125;

rc::Gen<ClockSchedule> clockSchedules() {
  // Picks shrink towards 0, which means the plainest choice: scheduled at the start, unchanged.
  auto calls = rc::gen::map(
      rc::gen::tuple(uniform(0, 20), uniform(0, 16), choice(6), uniform(0, 8), uniform(0, 20)),
      [](const std::tuple<int, int, int, int, int>& t) {
        const auto [delay, scheduler, change, changer, amount] = t;
        ScheduledCall call;
        call.delayMs = delay * kGridMs;
        call.scheduledBy = scheduler < 8 ? -1 : scheduler - 8;  // half at the start
        call.change = change < 3 ? ScheduleChange::kNone : static_cast<ScheduleChange>(change - 2);
        call.changedBy = call.change == ScheduleChange::kNone ? -1 : changer;
        call.amountMs =
            call.change == ScheduleChange::kReset || call.change == ScheduleChange::kDelay
                ? amount * kGridMs
                : 0;
        return call;
      });
  return rc::gen::withSize([calls](int size) {
    return rc::gen::map(
        rc::gen::pair(rc::gen::resize(std::min(size / 5 + 3, 10),
                                      rc::gen::container<std::vector<ScheduledCall>>(calls)),
                      rc::gen::resize(std::min(size / 10 + 1, 5),
                                      rc::gen::container<std::vector<int>>(rc::gen::map(
                                          uniform(0, 30), [](int n) { return n * kGridMs; })))),
        [](std::pair<std::vector<ScheduledCall>, std::vector<int>> p) {
          return ClockSchedule{std::move(p.first), std::move(p.second)};
        });
  });
}

}  // namespace tw::trial
