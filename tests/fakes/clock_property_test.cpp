/// @file
/// Property tests for tw::fakes::Clock: random schedules of callLater / cancel / reset / delay /
/// advance / step / advanceStepwise run on the Clock and on a simple reference model (a list of
/// (time, seq) entries, where reset and delay take a new seq, as delayed_call.hpp documents),
/// compared call by call.  Twisted: twisted.internet.task.Clock.
#include "tw/fakes/clock.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tw/error.hpp"

namespace {

enum class OpKind : std::uint8_t {
  kCallLater,         ///< schedule a new call `half` half-seconds from now
  kCallLaterSpawns,   ///< the same, and when it runs it schedules a call `half2` from then
  kCancel,            ///< cancel call number `target` (modulo the calls made so far)
  kReset,             ///< reset it to `half` from now
  kDelay,             ///< delay it by `half2 - 4` half-seconds (may be negative)
  kAdvance,           ///< advance by `half` half-seconds
  kStep,              ///< step()
  kAdvanceStepwise,   ///< advanceStepwise by `half`
  kCallLaterCancels,  ///< schedule a call that, when it runs, cancels call `target`
  kCallLaterResets,   ///< schedule a call that, when it runs, resets call `target` (maybe into
                      ///< the past: `half2 - 4` half-seconds)
};

/// What a call does when it runs, besides recording itself.
struct Action {
  enum Kind : std::uint8_t { kNothing, kSpawn, kCancel, kReset } kind = kNothing;
  int half2 = 0;   ///< kSpawn: delay of the new call; kReset: the new delay is `half2 - 4`
  int target = 0;  ///< kCancel, kReset: which call (modulo the calls made by then)
};

struct Op {
  OpKind kind;
  int half;
  int half2;
  int target;
};

/// What happened: a call ran (id, time) or an operation threw (-1 - kind of error, 0).
using Event = std::pair<int, double>;
constexpr int kAlreadyCalled = -1;
constexpr int kAlreadyCancelled = -2;

/// The reference model: a flat list, linear scans, no cleverness.
class Model {
 public:
  enum class State { kPending, kCalled, kCancelled };
  struct Entry {
    double time;
    std::uint64_t seq;
    State state;
    Action action;
  };

  int callLater(double delay, Action action) {
    entries_.push_back(Entry{now_ + delay, seq_++, State::kPending, action});
    return static_cast<int>(entries_.size()) - 1;
  }
  /// Returns false and records the error when the call is not pending.
  bool check(int id) {
    if (entries_[id].state == State::kCalled) {
      events_.emplace_back(kAlreadyCalled, 0);
      return false;
    }
    if (entries_[id].state == State::kCancelled) {
      events_.emplace_back(kAlreadyCancelled, 0);
      return false;
    }
    return true;
  }
  void cancel(int id) {
    if (check(id)) entries_[id].state = State::kCancelled;
  }
  void reset(int id, double delay) {
    if (!check(id)) return;
    entries_[id].time = now_ + delay;
    entries_[id].seq = seq_++;
  }
  void delay(int id, double by) {
    if (!check(id)) return;
    entries_[id].time += by;
    entries_[id].seq = seq_++;
  }
  /// The earliest pending entry due by `limit`, or -1.
  int next(double limit) const {
    int best = -1;
    for (int i = 0; i < static_cast<int>(entries_.size()); ++i) {
      const Entry& e = entries_[i];
      if (e.state != State::kPending || e.time > limit) continue;
      if (best < 0 || e.time < entries_[best].time ||
          (e.time == entries_[best].time && e.seq < entries_[best].seq)) {
        best = i;
      }
    }
    return best;
  }
  void run(int id) {
    entries_[id].state = State::kCalled;
    events_.emplace_back(id, now_);
    const Action a = entries_[id].action;
    const int target = a.target % static_cast<int>(entries_.size());
    switch (a.kind) {
      case Action::kSpawn:
        callLater(a.half2 * 0.5, Action{});
        break;
      case Action::kCancel:
        cancel(target);
        break;
      case Action::kReset:
        reset(target, (a.half2 - 4) * 0.5);
        break;
      case Action::kNothing:
        break;
    }
  }
  void advance(double amount) {
    now_ += amount;
    for (int id = next(now_); id >= 0; id = next(now_)) run(id);
  }
  void step() {
    int id = next(std::numeric_limits<double>::infinity());
    if (id < 0) return;
    now_ = std::max(now_, entries_[id].time);
    run(id);
  }
  void advanceStepwise(double amount) {
    double target = now_ + amount;
    for (int id = next(target); id >= 0; id = next(target)) {
      now_ = std::max(now_, entries_[id].time);
      run(id);
    }
    now_ = target;
  }
  std::size_t pending() const {
    return static_cast<std::size_t>(
        std::count_if(entries_.begin(), entries_.end(),
                      [](const Entry& e) { return e.state == State::kPending; }));
  }

  double now_ = 0;
  std::uint64_t seq_ = 0;
  std::vector<Entry> entries_;
  std::vector<Event> events_;
};

/// The same program on the real Clock.
class Real {
 public:
  int callLater(double delay, Action action) {
    int id = static_cast<int>(calls_.size());
    calls_.push_back(clock_.callLater(tw::Seconds(delay), [this, id, action] {
      events_.emplace_back(id, clock_.seconds());
      const int target = action.target % static_cast<int>(calls_.size());
      switch (action.kind) {
        case Action::kSpawn:
          callLater(action.half2 * 0.5, Action{});
          break;
        case Action::kCancel:
          guarded([&] { calls_[target]->cancel(); });
          break;
        case Action::kReset:
          guarded([&] { calls_[target]->reset(tw::Seconds((action.half2 - 4) * 0.5)); });
          break;
        case Action::kNothing:
          break;
      }
    }));
    return id;
  }
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const tw::error::AlreadyCalled&) {
      events_.emplace_back(kAlreadyCalled, 0);
    } catch (const tw::error::AlreadyCancelled&) {
      events_.emplace_back(kAlreadyCancelled, 0);
    }
  }

  tw::fakes::Clock clock_;
  std::vector<tw::DelayedCallPtr> calls_;
  std::vector<Event> events_;
};

std::string describe(const std::vector<Event>& events) {
  std::ostringstream out;
  for (const Event& e : events) out << "(" << e.first << "," << e.second << ") ";
  return out.str();
}

rc::Gen<Op> genOp() {
  return rc::gen::build<Op>(
      rc::gen::set(&Op::kind, rc::gen::element(
                                  OpKind::kCallLater, OpKind::kCallLater, OpKind::kCallLaterSpawns,
                                  OpKind::kCancel, OpKind::kReset, OpKind::kDelay, OpKind::kAdvance,
                                  OpKind::kAdvance, OpKind::kStep, OpKind::kAdvanceStepwise)),
      rc::gen::set(&Op::half, rc::gen::inRange(0, 8)),
      rc::gen::set(&Op::half2, rc::gen::inRange(0, 8)),
      rc::gen::set(&Op::target, rc::gen::inRange(0, 1000)));
}

/// Runs `ops` on both, after `prefill` plain calls at random half-second times in [0, 10).
void checkAgainstModel(const std::vector<int>& prefill, const std::vector<Op>& ops) {
  Model model;
  Real real;
  for (int h : prefill) {
    model.callLater(h * 0.5, Action{});
    real.callLater(h * 0.5, Action{});
  }
  for (const Op& op : ops) {
    const double half = op.half * 0.5;
    switch (op.kind) {
      case OpKind::kCallLater:
      case OpKind::kCallLaterSpawns:
      case OpKind::kCallLaterCancels:
      case OpKind::kCallLaterResets: {
        Action action;
        action.half2 = op.half2;
        action.target = op.target;
        if (op.kind == OpKind::kCallLaterSpawns) action.kind = Action::kSpawn;
        if (op.kind == OpKind::kCallLaterCancels) action.kind = Action::kCancel;
        if (op.kind == OpKind::kCallLaterResets) action.kind = Action::kReset;
        model.callLater(half, action);
        real.callLater(half, action);
        break;
      }
      case OpKind::kCancel:
      case OpKind::kReset:
      case OpKind::kDelay: {
        if (model.entries_.empty()) break;
        int id = op.target % static_cast<int>(model.entries_.size());
        RC_ASSERT(id < static_cast<int>(real.calls_.size()));
        auto& call = real.calls_[id];
        if (op.kind == OpKind::kCancel) {
          model.cancel(id);
          real.guarded([&] { call->cancel(); });
        } else if (op.kind == OpKind::kReset) {
          model.reset(id, half);
          real.guarded([&] { call->reset(tw::Seconds(half)); });
        } else {
          double by = (op.half2 - 4) * 0.5;
          model.delay(id, by);
          real.guarded([&] { call->delay(tw::Seconds(by)); });
        }
        break;
      }
      case OpKind::kAdvance:
        model.advance(half);
        real.clock_.advance(tw::Seconds(half));
        break;
      case OpKind::kStep:
        model.step();
        real.clock_.step();
        break;
      case OpKind::kAdvanceStepwise:
        model.advanceStepwise(half);
        real.clock_.advanceStepwise(tw::Seconds(half));
        break;
    }
    RC_ASSERT(real.clock_.seconds() == model.now_);
    RC_ASSERT(real.clock_.pendingCount() == model.pending());
    RC_ASSERT(real.clock_.getDelayedCalls().size() == model.pending());
  }
  RC_ASSERT(real.calls_.size() == model.entries_.size());
  for (std::size_t i = 0; i < real.calls_.size(); ++i) {
    const auto& e = model.entries_[i];
    RC_ASSERT(real.calls_[i]->called() == (e.state == Model::State::kCalled));
    RC_ASSERT(real.calls_[i]->cancelled() == (e.state == Model::State::kCancelled));
    if (e.state == Model::State::kPending) RC_ASSERT(real.calls_[i]->getTime() == e.time);
  }
  RC_LOG() << "real:  " << describe(real.events_) << "\nmodel: " << describe(model.events_) << "\n";
  RC_ASSERT(real.events_ == model.events_);
}

// Random schedules run the same calls, in the same order, at the same times, as the model; and
// misuse raises the same errors.
RC_GTEST_PROP(ClockPropertyTests, agreesWithReferenceModel, ()) {
  checkAgainstModel({}, *rc::gen::container<std::vector<Op>>(genOp()));
}

// The same with hundreds of calls pending, so that an advance due for many of them takes the
// sorted-batch path of TimerQueue::prepareDue, with cancels and resets from inside calls.
RC_GTEST_PROP(ClockPropertyTests, agreesWithReferenceModelWhenManyAreDue, ()) {
  const auto count = *rc::gen::inRange(300, 1200);
  const auto prefill = *rc::gen::container<std::vector<int>>(static_cast<std::size_t>(count),
                                                             rc::gen::inRange(0, 20));
  checkAgainstModel(prefill, *rc::gen::container<std::vector<Op>>(genOp()));
}

// After any schedule, one large advance runs every pending call, in (time, order) order, each
// seeing the final time.
RC_GTEST_PROP(ClockPropertyTests, largeAdvanceDrainsEverything, ()) {
  const auto halves = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 20));
  tw::fakes::Clock clock;
  std::vector<std::pair<double, int>> ran;
  for (int i = 0; i < static_cast<int>(halves.size()); ++i) {
    double t = halves[i] * 0.5;
    clock.callLater(tw::Seconds(t), [&ran, &clock, t, i] {
      RC_ASSERT(clock.seconds() == 100.0);
      ran.emplace_back(t, i);
    });
  }
  clock.advance(tw::Seconds(100));
  RC_ASSERT(ran.size() == halves.size());
  RC_ASSERT(std::is_sorted(ran.begin(), ran.end()));
  RC_ASSERT(clock.pendingCount() == 0u);
}

}  // namespace
