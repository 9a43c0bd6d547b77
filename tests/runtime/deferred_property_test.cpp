/// @file
/// Property tests for Deferred: random callback chains run on tw and on a small reference model of
/// Twisted's rules written here, compared call by call; plus examples hand-checked on Twisted 22.4.
/// Twisted: twisted.internet.defer.Deferred.  The model itself is checked against real Twisted by
/// tests/runtime/tools/deferred_model_check.py (see the comment at its top).
#include "tw/deferred.hpp"  // the header under test comes first: it must compile on its own

// Then the standard library, the test libraries, and the rest of tw.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tw/deferred_errors.hpp"
#include "tw/failure.hpp"
#include "tw/logger.hpp"

namespace {

// =============================================================================================
// A program: a root Deferred<int>, a list of operations the test performs on it, and what each
// callback does. Both the tw harness and the model run the same program and record a trace.
// =============================================================================================

/// What one side (callback or errback) of a step returns.
enum class Act : std::uint8_t {
  kValue,              ///< callback: its input + k; errback: recovers with k
  kThrow,              ///< throws Tagged("t<id>")
  kReturnFailure,      ///< returns Failure(Tagged("r<id>"))
  kPassFailure,        ///< errback only: returns its Failure unchanged
  kReturnFired,        ///< returns a fired Deferred: value (input + k) or Tagged("i<id>")
  kReturnPausedFired,  ///< the same, paused (the test unpauses it later)
  kReturnUnfired,      ///< returns a Deferred that the test fires or cancels later
  kReturnSelf,         ///< returns its own Deferred (tw: CallbackReturnedSelfError)
};

/// What a side does before returning.
enum class Effect : std::uint8_t {
  kNone,
  kPause,      ///< pauses the Deferred it is attached to (the test unpauses it later)
  kAddLater,   ///< adds the steps `later` to the Deferred it is attached to
  kFireInner,  ///< fires the oldest Deferred the test has not fired yet with k + 500
};

/// A Deferred's canceller: none, one that does nothing, or one that fires the Deferred.
enum class Canceller : std::uint8_t { kNone, kSilent, kFiresValue, kFiresFailure };

/// addCallback, addErrback, addCallbacks or addBoth.
enum class PairKind : std::uint8_t { kCallback, kErrback, kCallbacks, kBoth };

struct Step;

/// One side of a step.
struct Side {
  Act act = Act::kValue;
  Effect effect = Effect::kNone;
  int k = 1;
  bool innerFails = false;                      ///< kReturnFired, kReturnPausedFired
  Canceller innerCanceller = Canceller::kNone;  ///< kReturnUnfired
  std::vector<Step> sub;    ///< steps added to a returned Deferred before returning it
  std::vector<Step> later;  ///< kAddLater
};

/// One callback/errback pair; `id` is unique in its program.
struct Step {
  int id = 0;
  PairKind kind = PairKind::kCallback;
  Side cb;
  Side eb;
};

/// What the test does next. "Inner" operations pick among the Deferreds that callbacks returned
/// (index 1 and up, in creation order): the oldest one not yet fired (or cancelled) by the test,
/// the oldest one the test paused, or the newest one (kAddToInner); with none, they do nothing.
enum class OpKind : std::uint8_t {
  kAddStep,
  kFireRoot,
  kFailRoot,
  kCancelRoot,
  kPauseRoot,
  kUnpauseRoot,
  kFireInner,
  kFailInner,
  kCancelInner,
  kUnpauseInner,
  kAddToInner,
};

struct Op {
  OpKind kind = OpKind::kAddStep;
  int v = 0;  ///< the value of kFireRoot and kFireInner
  Step step;  ///< kAddStep, kAddToInner
};

struct Program {
  Canceller rootCanceller = Canceller::kNone;
  std::vector<Op> ops;
};

void numberSteps(std::vector<Step>& steps, int& next) {
  for (Step& step : steps) {
    step.id = next++;
    for (Side* side : {&step.cb, &step.eb}) {
      numberSteps(side->sub, next);
      numberSteps(side->later, next);
    }
  }
}

void numberSteps(Program& program) {
  int next = 1;
  for (Op& op : program.ops) {
    if (op.kind == OpKind::kAddStep || op.kind == OpKind::kAddToInner) {
      std::vector<Step> one{std::move(op.step)};
      numberSteps(one, next);
      op.step = std::move(one.front());
    }
  }
}

bool usesCallbackSide(PairKind kind) { return kind != PairKind::kErrback; }
bool usesErrbackSide(PairKind kind) { return kind != PairKind::kCallback; }
bool returnsDeferred(Act act) {
  return act == Act::kReturnFired || act == Act::kReturnPausedFired || act == Act::kReturnUnfired;
}

// ---------------------------------------------------------------------------------------------
// Names, printing and JSON (the JSON lines are replayed on Twisted by deferred_model_check.py).

const char* name(Act a) {
  switch (a) {
    case Act::kValue:
      return "value";
    case Act::kThrow:
      return "throw";
    case Act::kReturnFailure:
      return "returnFailure";
    case Act::kPassFailure:
      return "passFailure";
    case Act::kReturnFired:
      return "returnFired";
    case Act::kReturnPausedFired:
      return "returnPausedFired";
    case Act::kReturnUnfired:
      return "returnUnfired";
    case Act::kReturnSelf:
      return "returnSelf";
  }
  return "?";
}

const char* name(Effect e) {
  switch (e) {
    case Effect::kNone:
      return "none";
    case Effect::kPause:
      return "pause";
    case Effect::kAddLater:
      return "addLater";
    case Effect::kFireInner:
      return "fireInner";
  }
  return "?";
}

const char* name(Canceller c) {
  switch (c) {
    case Canceller::kNone:
      return "none";
    case Canceller::kSilent:
      return "silent";
    case Canceller::kFiresValue:
      return "firesValue";
    case Canceller::kFiresFailure:
      return "firesFailure";
  }
  return "?";
}

const char* name(PairKind k) {
  switch (k) {
    case PairKind::kCallback:
      return "addCallback";
    case PairKind::kErrback:
      return "addErrback";
    case PairKind::kCallbacks:
      return "addCallbacks";
    case PairKind::kBoth:
      return "addBoth";
  }
  return "?";
}

const char* name(OpKind k) {
  switch (k) {
    case OpKind::kAddStep:
      return "addStep";
    case OpKind::kFireRoot:
      return "fireRoot";
    case OpKind::kFailRoot:
      return "failRoot";
    case OpKind::kCancelRoot:
      return "cancelRoot";
    case OpKind::kPauseRoot:
      return "pauseRoot";
    case OpKind::kUnpauseRoot:
      return "unpauseRoot";
    case OpKind::kFireInner:
      return "fireInner";
    case OpKind::kFailInner:
      return "failInner";
    case OpKind::kCancelInner:
      return "cancelInner";
    case OpKind::kUnpauseInner:
      return "unpauseInner";
    case OpKind::kAddToInner:
      return "addToInner";
  }
  return "?";
}

void printSteps(std::ostream& out, const std::vector<Step>& steps, int indent);

void printSide(std::ostream& out, const Side& side, const char* label, int indent) {
  out << std::string(indent, ' ') << label << ": ";
  if (side.effect != Effect::kNone) out << name(side.effect) << ", then ";
  out << name(side.act);
  if (side.act == Act::kValue || returnsDeferred(side.act)) out << " k=" << side.k;
  if (side.act == Act::kReturnFired || side.act == Act::kReturnPausedFired) {
    out << (side.innerFails ? " (failed)" : " (succeeded)");
  }
  if (side.act == Act::kReturnUnfired) out << " (canceller " << name(side.innerCanceller) << ")";
  out << "\n";
  if (!side.sub.empty()) {
    out << std::string(indent + 2, ' ') << "with, added before returning it:\n";
    printSteps(out, side.sub, indent + 4);
  }
  if (side.effect == Effect::kAddLater) {
    out << std::string(indent + 2, ' ') << "adding:\n";
    printSteps(out, side.later, indent + 4);
  }
}

void printSteps(std::ostream& out, const std::vector<Step>& steps, int indent) {
  for (const Step& step : steps) {
    out << std::string(indent, ' ') << "#" << step.id << " " << name(step.kind) << "\n";
    if (usesCallbackSide(step.kind)) printSide(out, step.cb, "cb", indent + 2);
    if (usesErrbackSide(step.kind)) printSide(out, step.eb, "eb", indent + 2);
  }
}

std::string opText(const Op& op) {
  std::string text = name(op.kind);
  if (op.kind == OpKind::kFireRoot || op.kind == OpKind::kFireInner) {
    text += " " + std::to_string(op.v);
  }
  if (op.kind == OpKind::kAddStep || op.kind == OpKind::kAddToInner) {
    text += " #" + std::to_string(op.step.id);
  }
  return text;
}

void printProgram(std::ostream& out, const Program& program) {
  out << "root canceller: " << name(program.rootCanceller) << "\n";
  for (const Op& op : program.ops) {
    out << opText(op) << "\n";
    if (op.kind == OpKind::kAddStep || op.kind == OpKind::kAddToInner) {
      printSteps(out, {op.step}, 2);
    }
  }
}

void jsonSteps(std::ostream& out, const std::vector<Step>& steps);

void jsonSide(std::ostream& out, const Side& side) {
  out << R"({"act":")" << name(side.act) << R"(","effect":")" << name(side.effect) << R"(","k":)"
      << side.k << R"(,"fails":)" << (side.innerFails ? "true" : "false") << R"(,"canceller":")"
      << name(side.innerCanceller) << R"(","sub":)";
  jsonSteps(out, side.sub);
  out << R"(,"later":)";
  jsonSteps(out, side.later);
  out << "}";
}

void jsonSteps(std::ostream& out, const std::vector<Step>& steps) {
  out << "[";
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& step = steps[i];
    out << (i > 0 ? "," : "") << R"({"id":)" << step.id << R"(,"kind":")" << name(step.kind)
        << R"(","cb":)";
    jsonSide(out, step.cb);
    out << R"(,"eb":)";
    jsonSide(out, step.eb);
    out << "}";
  }
  out << "]";
}

void jsonProgram(std::ostream& out, const Program& program, const std::vector<std::string>& trace) {
  out << R"({"rootCanceller":")" << name(program.rootCanceller) << R"(","ops":[)";
  for (std::size_t i = 0; i < program.ops.size(); ++i) {
    const Op& op = program.ops[i];
    out << (i > 0 ? "," : "") << R"({"op":")" << name(op.kind) << R"(","v":)" << op.v
        << R"(,"step":)";
    jsonSteps(out, {op.step});
    out << "}";
  }
  out << R"(],"trace":[)";
  for (std::size_t i = 0; i < trace.size(); ++i) {
    out << (i > 0 ? "," : "") << '"' << trace[i] << '"';  // traces hold no quotes or escapes
  }
  out << "]}\n";
}

// ---------------------------------------------------------------------------------------------
// Generators. Choices shrink towards the first (simplest) alternative; lists shrink by removal.

/// An int in [min, max), uniform whatever the size (gen::inRange narrows with the size, and the
/// lists below are generated with small sizes to keep them short); shrinks towards min.
rc::Gen<int> uniform(int min, int max) { return rc::gen::resize(100, rc::gen::inRange(min, max)); }

/// Picks one of `choices` with the given weights; shrinks towards the first choice.
template <class T>
rc::Gen<T> weighted(std::vector<std::pair<int, T>> choices) {
  int total = 0;
  for (const auto& choice : choices) total += choice.first;
  return rc::gen::map(uniform(0, total), [choices](int r) {
    for (const auto& [weight, value] : choices) {
      if (r < weight) return value;
      r -= weight;
    }
    return choices.back().second;
  });
}

rc::Gen<Canceller> genCanceller() {
  return weighted<Canceller>({{3, Canceller::kNone},
                              {1, Canceller::kSilent},
                              {1, Canceller::kFiresValue},
                              {1, Canceller::kFiresFailure}});
}

rc::Gen<Step> genStep(int depth);

/// A side; `depth` bounds the nesting of Deferreds returned with steps of their own.
rc::Gen<Side> genSide(bool errbackSide, int depth) {
  return rc::gen::exec([errbackSide, depth] {
    Side side;
    side.act = *weighted<Act>({{12, Act::kValue},
                               {4, Act::kThrow},
                               {2, Act::kReturnFailure},
                               {errbackSide ? 4 : 0, Act::kPassFailure},
                               {4, Act::kReturnFired},
                               {2, Act::kReturnPausedFired},
                               {4, Act::kReturnUnfired},
                               {1, Act::kReturnSelf}});
    side.effect = *weighted<Effect>({{20, Effect::kNone},
                                     {4, Effect::kPause},
                                     {depth > 0 ? 2 : 0, Effect::kAddLater},
                                     {2, Effect::kFireInner}});
    side.k = *uniform(1, 100);
    if (side.act == Act::kReturnFired || side.act == Act::kReturnPausedFired) {
      side.innerFails = *uniform(0, 2) == 1;
    }
    if (side.act == Act::kReturnUnfired) side.innerCanceller = *genCanceller();
    if (returnsDeferred(side.act) && depth > 0) {
      side.sub = *rc::gen::resize(2, rc::gen::container<std::vector<Step>>(genStep(depth - 1)));
    }
    if (side.effect == Effect::kAddLater) side.later.push_back(*genStep(depth - 1));
    return side;
  });
}

rc::Gen<Step> genStep(int depth) {
  return rc::gen::exec([depth] {
    Step step;
    step.kind = *weighted<PairKind>({{3, PairKind::kCallback},
                                     {2, PairKind::kErrback},
                                     {2, PairKind::kCallbacks},
                                     {2, PairKind::kBoth}});
    if (usesCallbackSide(step.kind)) step.cb = *genSide(false, depth);
    if (usesErrbackSide(step.kind)) step.eb = *genSide(true, depth);
    return step;
  });
}

rc::Gen<Op> genOp() {
  return rc::gen::exec([] {
    Op op;
    op.kind = *weighted<OpKind>({{10, OpKind::kAddStep},
                                 {4, OpKind::kFireRoot},
                                 {1, OpKind::kFailRoot},
                                 {1, OpKind::kCancelRoot},
                                 {1, OpKind::kPauseRoot},
                                 {2, OpKind::kUnpauseRoot},
                                 {6, OpKind::kFireInner},
                                 {1, OpKind::kFailInner},
                                 {1, OpKind::kCancelInner},
                                 {1, OpKind::kUnpauseInner},
                                 {1, OpKind::kAddToInner}});
    if (op.kind == OpKind::kFireRoot || op.kind == OpKind::kFireInner) {
      op.v = *uniform(0, 1000);
    }
    if (op.kind == OpKind::kAddStep) op.step = *genStep(2);
    if (op.kind == OpKind::kAddToInner) op.step = *genStep(1);
    return op;
  });
}

rc::Gen<Program> genProgram() {
  return rc::gen::exec([] {
    Program program;
    program.rootCanceller = *genCanceller();
    program.ops = *rc::gen::withSize([](int size) {
      return rc::gen::resize(10 + size / 2, rc::gen::container<std::vector<Op>>(genOp()));
    });
    numberSteps(program);
    return program;
  });
}

// =============================================================================================
// The harness: runs a program's operations, whatever the engine (tw or the model), and keeps the
// test's own bookkeeping. Trace lines:
//   "> <op>"                         the test performs an operation
//   "call <id> cb <value>"           a callback of step <id> runs with <value>
//   "call <id> eb <tag>"             an errback runs with a Failure tagged <tag>
//   "canceller <d>"                  Deferred <d>'s canceller runs (0 is the root)
//   "already <d>"                    the test's callback()/errback() on <d> raised AlreadyCalled
//   "pre|end <d> called=.. paused=.. waiting=.. result=.."   state after the ops / after the
//                                    test settled everything (see Harness::run)
// Failure tags: t<id> thrown, r<id> returned, i<id> fired inner, e<d> errback(), c<d> canceller,
// cancelled (CancelledError), already (AlreadyCalledError), self (CallbackReturnedSelfError),
// consumed (ResultConsumedError).
// =============================================================================================

/// An exception tagged so that traces can tell failures apart.
class Tagged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A result handed to callback()/errback().
struct Fire {
  bool fails = false;
  int value = 0;
  std::string tag;
  static Fire success(int v) { return {false, v, {}}; }
  static Fire failure(std::string t) { return {true, 0, std::move(t)}; }
};

/// Runs a Program on an engine (tw or the model) and records its trace; the test's own
/// bookkeeping (its pauses, which Deferreds it fired or cancelled) lives here, shared by both.
class Harness {
 public:
  explicit Harness(const Program& program) : program_(program) {}
  virtual ~Harness() = default;
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  /// Runs the operations and records the states; then settles (undoes the test's pauses, fires
  /// the Deferreds it never fired, oldest first, until nothing is left) and records them again.
  std::vector<std::string> run() {
    create(program_.rootCanceller);
    for (const Op& op : program_.ops) {
      trace_.push_back("> " + opText(op));
      runOp(op);
    }
    recordStates("pre");
    trace_.push_back("> settle");
    for (bool again = true; again;) {
      again = false;
      for (std::size_t j = 0; j < testPauses_.size(); ++j) {
        while (testPauses_[j] > 0) {
          --testPauses_[j];
          unpauseDeferred(static_cast<int>(j));
          again = true;
        }
      }
      if (int j = oldestUnfired(); j > 0) {
        firedByTest_[j] = true;
        fireFromTest(j, Fire::success(700 + j));
        again = true;
      }
    }
    recordStates("end");
    return trace_;
  }

 protected:
  // The engine -------------------------------------------------------------------------------
  virtual void createDeferred(int j, Canceller canceller) = 0;
  /// callback()/errback(); false when it raised AlreadyCalledError.
  virtual bool fire(int j, const Fire& f) = 0;
  /// callback()/errback() from inside a callback: AlreadyCalledError propagates.
  virtual void fireOrThrow(int j, const Fire& f) = 0;
  virtual void cancel(int j) = 0;
  virtual void pauseDeferred(int j) = 0;
  virtual void unpauseDeferred(int j) = 0;
  virtual void attach(int j, const Step& step) = 0;
  virtual std::string state(int j) = 0;

  // Shared by the engines ----------------------------------------------------------------------
  int create(Canceller canceller) {
    int j = static_cast<int>(cancellers_.size());
    cancellers_.push_back(canceller);
    testPauses_.push_back(0);
    firedByTest_.push_back(false);
    cancelledByTest_.push_back(false);
    createDeferred(j, canceller);
    return j;
  }

  void recordCall(const Step& step, bool callbackSide, const std::string& input) {
    trace_.push_back("call " + std::to_string(step.id) + (callbackSide ? " cb " : " eb ") + input);
  }

  /// Records a canceller call and returns what it fires, if anything.
  std::optional<Fire> cancellerCalled(int j) {
    trace_.push_back("canceller " + std::to_string(j));
    switch (cancellers_[j]) {
      case Canceller::kFiresValue:
        return Fire::success(9000 + j);
      case Canceller::kFiresFailure:
        return Fire::failure("c" + std::to_string(j));
      default:
        return std::nullopt;
    }
  }

  void applyEffect(const Side& side, int owner) {
    switch (side.effect) {
      case Effect::kNone:
        break;
      case Effect::kPause:
        pause(owner);
        break;
      case Effect::kAddLater:
        for (const Step& step : side.later) attach(owner, step);
        break;
      case Effect::kFireInner:
        if (int j = oldestUnfired(); j > 0) {
          firedByTest_[j] = true;
          fireOrThrow(j, Fire::success(side.k + 500));
        }
        break;
    }
  }

  /// Makes the Deferred that a kReturn*Fired or kReturnUnfired side returns; its index.
  int makeInner(const Side& side, int value, int id) {
    int j = create(side.act == Act::kReturnUnfired ? side.innerCanceller : Canceller::kNone);
    if (side.act != Act::kReturnUnfired) {
      firedByTest_[j] = true;
      fire(j, side.innerFails ? Fire::failure("i" + std::to_string(id)) : Fire::success(value));
    }
    if (side.act == Act::kReturnPausedFired) pause(j);
    for (const Step& step : side.sub) attach(j, step);
    return j;
  }

  Canceller cancellerOf(int j) const { return cancellers_[j]; }

  std::vector<std::string> trace_;

 private:
  void pause(int j) {
    ++testPauses_[j];
    pauseDeferred(j);
  }

  int oldestUnfired() const {
    for (std::size_t j = 1; j < firedByTest_.size(); ++j) {
      if (!firedByTest_[j]) return static_cast<int>(j);
    }
    return 0;
  }

  void fireFromTest(int j, const Fire& f) {
    if (!fire(j, f)) trace_.push_back("already " + std::to_string(j));
  }

  void runOp(const Op& op) {
    const int count = static_cast<int>(cancellers_.size());
    switch (op.kind) {
      case OpKind::kAddStep:
        attach(0, op.step);
        break;
      case OpKind::kFireRoot:
        fireFromTest(0, Fire::success(op.v));
        break;
      case OpKind::kFailRoot:
        fireFromTest(0, Fire::failure("e0"));
        break;
      case OpKind::kCancelRoot:
        cancel(0);
        break;
      case OpKind::kPauseRoot:
        pause(0);
        break;
      case OpKind::kUnpauseRoot:
        if (testPauses_[0] > 0) {
          --testPauses_[0];
          unpauseDeferred(0);
        }
        break;
      case OpKind::kFireInner:
      case OpKind::kFailInner:
        if (int j = oldestUnfired(); j > 0) {
          firedByTest_[j] = true;
          fireFromTest(j, op.kind == OpKind::kFireInner ? Fire::success(op.v)
                                                        : Fire::failure("e" + std::to_string(j)));
        }
        break;
      case OpKind::kCancelInner:
        for (int j = 1; j < count; ++j) {
          if (!cancelledByTest_[j]) {
            cancelledByTest_[j] = true;
            cancel(j);
            break;
          }
        }
        break;
      case OpKind::kUnpauseInner:
        for (int j = 1; j < count; ++j) {
          if (testPauses_[j] > 0) {
            --testPauses_[j];
            unpauseDeferred(j);
            break;
          }
        }
        break;
      case OpKind::kAddToInner:
        if (count > 1) attach(count - 1, op.step);
        break;
    }
  }

  void recordStates(const char* when) {
    for (std::size_t j = 0; j < cancellers_.size(); ++j) {
      trace_.push_back(std::string(when) + " " + std::to_string(j) + " " +
                       state(static_cast<int>(j)));
    }
  }

  const Program& program_;
  std::vector<Canceller> cancellers_;
  std::vector<int> testPauses_;
  std::vector<bool> firedByTest_;
  std::vector<bool> cancelledByTest_;
};

std::string stateText(bool called, int paused, bool waiting, const std::string& result) {
  return "called=" + std::to_string(called ? 1 : 0) + " paused=" + std::to_string(paused) +
         " waiting=" + std::to_string(waiting ? 1 : 0) + " result=" + result;
}

// ---------------------------------------------------------------------------------------------
// tw

std::string tagOf(const tw::Failure& failure) {
  if (const auto* tagged = failure.value<Tagged>()) return tagged->what();
  if (failure.check<tw::CancelledError>() != nullptr) return "cancelled";
  if (failure.check<tw::AlreadyCalledError>() != nullptr) return "already";
  if (failure.check<tw::CallbackReturnedSelfError>() != nullptr) return "self";
  if (failure.check<tw::ResultConsumedError>() != nullptr) return "consumed";
  return "other:" + failure.typeName();
}

/// Runs a program on tw::Deferred<int>.
class TwRun final : public Harness {
 public:
  using Harness::Harness;

  /// Tags of the Failures that the Deferreds hold now (as tw's public API shows them).
  std::vector<std::string> failuresHeld() const {
    std::vector<std::string> tags;
    for (const tw::Deferred<int>& d : ds_) {
      if (const tw::Failure* f = d.failureResult()) tags.push_back(tagOf(*f));
    }
    return tags;
  }
  /// Drops the test's handles on every Deferred.
  void dropAll() { ds_.clear(); }

 private:
  template <class R>
  struct CallbackFn {
    TwRun* run;
    const Step* step;
    int owner;
    R operator()(int x) const { return run->perform<R>(*step, step->cb, true, owner, x, nullptr); }
  };
  template <class R>
  struct ErrbackFn {
    TwRun* run;
    const Step* step;
    int owner;
    R operator()(const tw::Failure& f) const {
      return run->perform<R>(*step, step->eb, false, owner, 0, &f);
    }
  };
  template <class RC, class RE>
  struct BothFn {
    TwRun* run;
    const Step* step;
    int owner;
    RC operator()(int x) const {
      return run->perform<RC>(*step, step->cb, true, owner, x, nullptr);
    }
    RE operator()(const tw::Failure& f) const {
      return run->perform<RE>(*step, step->eb, false, owner, 0, &f);
    }
  };
  struct CancellerFn {
    TwRun* run;
    int j;
    void operator()(tw::Deferred<int>& d) const {
      if (std::optional<Fire> f = run->cancellerCalled(j)) {
        if (f->fails) {
          d.errback(Tagged(f->tag));
        } else {
          d.callback(f->value);
        }
      }
    }
  };

  /// Calls `f.template operator()<R>()` with R the C++ return type of a side doing `act`.
  template <class F>
  static void withReturn(Act act, F&& f) {
    switch (act) {
      case Act::kValue:
      case Act::kThrow:
        f.template operator()<int>();
        break;
      case Act::kReturnFailure:
      case Act::kPassFailure:
        f.template operator()<tw::Failure>();
        break;
      default:
        f.template operator()<tw::Deferred<int>>();
        break;
    }
  }

  template <class R>
  R perform(const Step& step, const Side& side, bool callbackSide, int owner, int x,
            const tw::Failure* failure) {
    recordCall(step, callbackSide, callbackSide ? std::to_string(x) : tagOf(*failure));
    applyEffect(side, owner);
    const int value = (callbackSide ? x : 0) + side.k;
    const std::string id = std::to_string(step.id);
    if constexpr (std::is_same_v<R, int>) {
      if (side.act == Act::kThrow) throw Tagged("t" + id);
      return value;
    } else if constexpr (std::is_same_v<R, tw::Failure>) {
      if (side.act == Act::kPassFailure) return *failure;
      return tw::Failure(Tagged("r" + id));
    } else {
      return ds_[side.act == Act::kReturnSelf ? owner : makeInner(side, value, step.id)];
    }
  }

  void createDeferred(int j, Canceller canceller) override {
    if (canceller == Canceller::kNone) {
      ds_.emplace_back();
    } else {
      ds_.emplace_back(CancellerFn{this, j});
    }
  }

  bool fire(int j, const Fire& f) override {
    try {
      fireOrThrow(j, f);
    } catch (const tw::AlreadyCalledError&) {
      return false;
    }
    return true;
  }

  void fireOrThrow(int j, const Fire& f) override {
    tw::Deferred<int> d = ds_[j];
    if (f.fails) {
      d.errback(Tagged(f.tag));
    } else {
      d.callback(f.value);
    }
  }

  void cancel(int j) override {
    tw::Deferred<int> d = ds_[j];
    d.cancel();
  }

  void pauseDeferred(int j) override {
    tw::Deferred<int> d = ds_[j];
    d.pause();
  }

  void unpauseDeferred(int j) override {
    tw::Deferred<int> d = ds_[j];
    d.unpause();
  }

  void attach(int j, const Step& step) override {
    tw::Deferred<int> d = ds_[j];
    switch (step.kind) {
      case PairKind::kCallback:
        withReturn(step.cb.act, [&]<class R>() { d.addCallback(CallbackFn<R>{this, &step, j}); });
        break;
      case PairKind::kErrback:
        withReturn(step.eb.act, [&]<class R>() { d.addErrback(ErrbackFn<R>{this, &step, j}); });
        break;
      case PairKind::kCallbacks:
        withReturn(step.cb.act, [&]<class RC>() {
          withReturn(step.eb.act, [&]<class RE>() {
            d.addCallbacks(CallbackFn<RC>{this, &step, j}, ErrbackFn<RE>{this, &step, j});
          });
        });
        break;
      case PairKind::kBoth:
        withReturn(step.cb.act, [&]<class RC>() {
          withReturn(step.eb.act, [&]<class RE>() { d.addBoth(BothFn<RC, RE>{this, &step, j}); });
        });
        break;
    }
  }

  std::string state(int j) override {
    const tw::Deferred<int>& d = ds_[j];
    std::string result = "none";
    if (const int* v = d.valueResult()) {
      result = "v:" + std::to_string(*v);
    } else if (const tw::Failure* f = d.failureResult()) {
      result = "f:" + tagOf(*f);
    } else if (d.isConsumed()) {
      result = "consumed";
    }
    return stateText(d.called(), d.paused(), d.isWaiting(), result);
  }

  std::vector<tw::Deferred<int>> ds_;
};

// ---------------------------------------------------------------------------------------------
// The model: Twisted's rules (defer.py 22.4, Deferred._runCallbacks, cancel, pause), restated on
// plain data, plus tw's documented differences that the programs can reach:
//   - a callback returning its own Deferred fails with CallbackReturnedSelfError ("self");
//   - a callback given a result that chaining already took is not called: the chain fails with
//     ResultConsumedError ("consumed") instead (Twisted passes None).

struct ModelThrow {
  std::string tag;
};

class Model final : public Harness {
 public:
  using Harness::Harness;

  /// Tags of the Failures that the Deferreds hold (what tw reports as unhandled on release).
  std::vector<std::string> failuresHeld() const {
    std::vector<std::string> tags;
    for (const Def& d : ds_) {
      if (d.result.kind == Kind::kFailure) tags.push_back(d.result.tag);
    }
    return tags;
  }

 private:
  enum class Kind : std::uint8_t { kNone, kValue, kFailure, kDeferred, kConsumed };
  struct Result {
    Kind kind = Kind::kNone;
    int value = 0;
    std::string tag;
    int deferred = -1;  ///< kDeferred: the Deferred waited on (or just returned)
  };
  struct Pair {
    const Step* step;  ///< nullptr: the continuation of `chainee`, which waits on this one
    int chainee;
  };
  struct Def {
    bool called = false;
    int paused = 0;
    bool running = false;
    bool suppressAlreadyCalled = false;
    Result result;
    std::deque<Pair> callbacks;
  };

  static Result failure(std::string tag) { return {Kind::kFailure, 0, std::move(tag), -1}; }
  static Result consumed() { return {Kind::kConsumed, 0, {}, -1}; }

  void createDeferred(int, Canceller) override { ds_.emplace_back(); }

  bool fire(int j, const Fire& f) override {
    if (ds_[j].called) {
      if (!ds_[j].suppressAlreadyCalled) return false;
      ds_[j].suppressAlreadyCalled = false;  // the one fire after a canceller-less cancel()
      return true;
    }
    ds_[j].called = true;
    ds_[j].result = f.fails ? failure(f.tag) : Result{Kind::kValue, f.value, {}, -1};
    runCallbacks(j);
    return true;
  }

  void fireOrThrow(int j, const Fire& f) override {
    if (!fire(j, f)) throw ModelThrow{"already"};
  }

  void cancel(int j) override {
    if (!ds_[j].called) {
      if (cancellerOf(j) != Canceller::kNone) {
        if (std::optional<Fire> f = cancellerCalled(j)) fire(j, *f);
      } else {
        ds_[j].suppressAlreadyCalled = true;
      }
      if (!ds_[j].called) fire(j, Fire::failure("cancelled"));
    } else if (ds_[j].result.kind == Kind::kDeferred) {
      cancel(ds_[j].result.deferred);  // waiting: cancel what we wait on instead
    }
  }

  void pauseDeferred(int j) override { ++ds_[j].paused; }

  void unpauseDeferred(int j) override {
    if (--ds_[j].paused == 0 && ds_[j].called) runCallbacks(j);
  }

  void attach(int j, const Step& step) override {
    ds_[j].callbacks.push_back({&step, -1});
    if (ds_[j].called) runCallbacks(j);
  }

  std::string state(int j) override {
    const Def& d = ds_[j];
    std::string result = "none";
    if (d.called && d.paused == 0 && d.result.kind == Kind::kValue) {
      result = "v:" + std::to_string(d.result.value);
    } else if (d.called && d.paused == 0 && d.result.kind == Kind::kFailure) {
      result = "f:" + d.result.tag;
    } else if (d.result.kind == Kind::kConsumed) {
      result = "consumed";
    }
    return stateText(d.called, d.paused, d.result.kind == Kind::kDeferred, result);
  }

  /// The side of `step` that runs on the current result, or nullptr for a pass-through.
  static const Side* chooseSide(const Step& step, bool failing) {
    if (failing) return usesErrbackSide(step.kind) ? &step.eb : nullptr;
    return usesCallbackSide(step.kind) ? &step.cb : nullptr;
  }

  Result perform(const Step& step, const Side& side, bool callbackSide, int owner,
                 const Result& input) {
    recordCall(step, callbackSide, callbackSide ? std::to_string(input.value) : input.tag);
    applyEffect(side, owner);
    const int value = (callbackSide ? input.value : 0) + side.k;
    const std::string id = std::to_string(step.id);
    switch (side.act) {
      case Act::kValue:
        return {Kind::kValue, value, {}, -1};
      case Act::kThrow:
        throw ModelThrow{"t" + id};
      case Act::kReturnFailure:
        return failure("r" + id);
      case Act::kPassFailure:
        return input;
      case Act::kReturnSelf:
        return {Kind::kDeferred, 0, {}, owner};
      default:
        return {Kind::kDeferred, 0, {}, makeInner(side, value, step.id)};
    }
  }

  /// Twisted's loop: pop pairs from the front; a Deferred result is taken at once if it has
  /// one, else this Deferred pauses and waits for it (a continuation on the other Deferred
  /// hands the result back, and the loop goes on with the waiter); a paused Deferred stops.
  void runCallbacks(int self) {
    if (ds_[self].running) return;  // already running above us: it will get to the new pairs
    std::vector<int> chain{self};
    while (!chain.empty()) {
      const int cur = chain.back();
      if (ds_[cur].paused > 0) return;  // those waiting on it keep waiting
      bool finished = true;
      while (!ds_[cur].callbacks.empty()) {
        const Pair item = ds_[cur].callbacks.front();
        ds_[cur].callbacks.pop_front();
        if (item.step == nullptr) {
          ds_[item.chainee].result = ds_[cur].result;
          ds_[cur].result = consumed();
          --ds_[item.chainee].paused;
          chain.push_back(item.chainee);
          finished = false;
          break;
        }
        const bool failing = ds_[cur].result.kind == Kind::kFailure;
        const Side* side = chooseSide(*item.step, failing);
        if (side == nullptr) continue;
        if (ds_[cur].result.kind == Kind::kConsumed) {
          ds_[cur].result = failure("consumed");  // tw: the callback is not called
          continue;
        }
        const Result input = ds_[cur].result;
        Result output;
        ds_[cur].running = true;
        try {
          output = perform(*item.step, *side, !failing, cur, input);
        } catch (const ModelThrow& thrown) {
          output = failure(thrown.tag);
        }
        ds_[cur].running = false;
        if (output.kind == Kind::kDeferred) {
          const int r = output.deferred;
          const Def& returned = ds_[r];
          if (r == cur) {
            output = failure("self");
          } else if (returned.called && returned.paused == 0 &&
                     (returned.result.kind == Kind::kValue ||
                      returned.result.kind == Kind::kFailure)) {
            output = returned.result;  // it has a result: take it
            ds_[r].result = consumed();
          } else if (returned.called && returned.paused == 0 &&
                     returned.result.kind == Kind::kConsumed) {
            output = failure("consumed");
          } else {
            ++ds_[cur].paused;  // wait for it
            ds_[cur].result = output;
            ds_[r].callbacks.push_back({nullptr, cur});
            break;
          }
        }
        ds_[cur].result = output;
      }
      if (finished) chain.pop_back();
    }
  }

  std::vector<Def> ds_;
};

// ---------------------------------------------------------------------------------------------
// Checking

constexpr std::size_t kProgramsPerCase = 20;

/// Several programs per RapidCheck case, so that the default 100 cases run 2000 programs.
struct Batch {
  std::vector<Program> programs;
};

void showValue(const Batch& batch, std::ostream& out) {
  out << batch.programs.size() << " programs (the failing one is printed below)";
}

rc::Gen<Batch> genBatch() {
  return rc::gen::map(rc::gen::container<std::vector<Program>>(kProgramsPerCase, genProgram()),
                      [](std::vector<Program> programs) { return Batch{std::move(programs)}; });
}

const std::string kUnhandled = "Unhandled error in Deferred";

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

/// The tags of the "Unhandled error in Deferred" events captured, sorted.
std::vector<std::string> unhandledTags(const tw::LogCapture& capture) {
  std::vector<std::string> tags;
  for (const tw::LogEvent& event : capture.events()) {
    if (event.text.starts_with(kUnhandled) && event.failure) tags.push_back(tagOf(*event.failure));
  }
  std::sort(tags.begin(), tags.end());
  return tags;
}

/// Error events other than unhandled failures.
std::vector<std::string> otherErrors(const tw::LogCapture& capture) {
  std::vector<std::string> texts;
  for (const tw::LogEvent& event : capture.errors()) {
    if (!event.text.starts_with(kUnhandled)) texts.push_back(event.format());
  }
  return texts;
}

struct Comparison {
  std::vector<std::string> tw;
  std::vector<std::string> model;
  std::vector<std::string> otherErrors;
};

Comparison runBoth(const Program& program) {
  tw::LogCapture capture;  // unhandled failures are expected: keep them off stderr
  Comparison c;
  c.model = Model(program).run();
  {
    TwRun run(program);
    c.tw = run.run();
  }
  c.otherErrors = otherErrors(capture);
  return c;
}

std::string describeMismatch(const Program& program, const Comparison& c) {
  std::ostringstream out;
  out << "tw and the model of Twisted disagree on this program:\n";
  printProgram(out, program);
  out << "trace: tw | model (! marks the first difference)\n";
  const std::size_t lines = std::max(c.tw.size(), c.model.size());
  bool marked = false;
  for (std::size_t i = 0; i < lines; ++i) {
    std::string left = i < c.tw.size() ? c.tw[i] : "";
    std::string right = i < c.model.size() ? c.model[i] : "";
    const bool differs = left != right || i >= c.tw.size() || i >= c.model.size();
    out << (differs && !marked ? "! " : "  ") << left
        << std::string(left.size() < 60 ? 60 - left.size() : 1, ' ') << "| " << right << "\n";
    marked = marked || differs;
  }
  return out.str();
}

/// With TW_DEFERRED_MODEL_DUMP=<file>, every program and the model's trace are appended to
/// <file> as JSON lines, for tests/runtime/tools/deferred_model_check.py.
void dump(const Program& program, const std::vector<std::string>& trace) {
  static const std::unique_ptr<std::ofstream> file = []() -> std::unique_ptr<std::ofstream> {
    const char* path = std::getenv("TW_DEFERRED_MODEL_DUMP");
    if (path == nullptr) return nullptr;
    return std::make_unique<std::ofstream>(path, std::ios::app);
  }();
  if (file) jsonProgram(*file, program, trace);
}

}  // namespace

// Random chains of callbacks, errbacks, chained Deferreds, pauses and cancellations run exactly
// as the model of Twisted's rules predicts, call by call, with the same final states.
RC_GTEST_PROP(DeferredPropertyTests, chainsMatchTwistedModel, ()) {
  const Batch batch = *genBatch();
  for (const Program& program : batch.programs) {
    const Comparison c = runBoth(program);
    dump(program, c.model);
    if (c.tw != c.model) RC_FAIL(describeMismatch(program, c));
    RC_ASSERT(c.otherErrors.empty());
  }
}

// Every Deferred left holding a Failure logs exactly one "Unhandled error in Deferred" when its
// last handle goes away, none before; chains that end with a value log nothing.
RC_GTEST_PROP(DeferredPropertyTests, unhandledFailuresReportedOnce, ()) {
  const Batch batch = *genBatch();
  for (const Program& program : batch.programs) {
    Model model(program);
    model.run();
    std::vector<std::string> expected = model.failuresHeld();
    std::sort(expected.begin(), expected.end());

    tw::LogCapture capture;
    std::vector<std::string> held;
    std::vector<std::string> reportedWhileHeld;
    {
      TwRun run(program);
      run.run();
      held = run.failuresHeld();
      std::sort(held.begin(), held.end());
      reportedWhileHeld = unhandledTags(capture);
      run.dropAll();
    }
    const std::vector<std::string> reported = unhandledTags(capture);
    if (!reportedWhileHeld.empty() || held != expected || reported != expected ||
        !otherErrors(capture).empty()) {
      std::ostringstream text;
      text << "unhandled failures: expected [" << join(expected) << "], held by tw [" << join(held)
           << "], reported before the handles went [" << join(reportedWhileHeld)
           << "], reported in all [" << join(reported) << "], other errors ["
           << join(otherErrors(capture)) << "] for this program:\n";
      printProgram(text, program);
      RC_FAIL(text.str());
    }
  }
}

// =============================================================================================
// Examples hand-checked on Twisted 22.4: `deferred_model_check.py --examples` prints the trace
// Twisted gives for each (quoted above each test). Twisted prints a consumed result as None.
// =============================================================================================

namespace {

using Trace = std::vector<std::string>;

std::string show(int value) { return std::to_string(value); }

/// A Failure as the examples print it: its tag, or its exception's unqualified name.
std::string show(const tw::Failure& failure) {
  if (const auto* tagged = failure.value<Tagged>()) return tagged->what();
  const std::string type = failure.typeName();
  return type.substr(type.rfind(':') + 1);
}

/// `paused=N result=R`, R being the value or Failure, waiting, consumed, (paused) for a result
/// held while paused, or none.
std::string state(const tw::Deferred<int>& d) {
  std::string result = "none";
  if (const int* value = d.valueResult()) {
    result = show(*value);
  } else if (const tw::Failure* failure = d.failureResult()) {
    result = show(*failure);
  } else if (d.isWaiting()) {
    result = "waiting";
  } else if (d.isConsumed()) {
    result = "consumed";
  } else if (d.called()) {
    result = "(paused)";
  }
  return "paused=" + std::to_string(d.paused()) + " result=" + result;
}

/// A callback, errback or both that records `name(input)` and passes its input on.
auto recorder(Trace& trace) {
  return [&trace](const char* name) {
    return [&trace, name](auto input) {
      trace.push_back(std::string(name) + "(" + show(input) + ")");
      return input;
    };
  };
}

}  // namespace

// A callback that pauses its own Deferred does not stop the loop it runs in.
// Twisted 22.4: cb1(1); cb2(2); paused=1 result=3; added cb3; cb3(3); paused=0 result=3
TEST(DeferredTwistedExampleTests, pauseInsideCallbackDoesNotStopLoop) {
  Trace t;
  auto rec = recorder(t);
  tw::Deferred<int> d;
  d.addCallback([&](int x) {
    t.push_back("cb1(" + show(x) + ")");
    d.pause();
    return x + 1;
  });
  d.addCallback([&](int x) { return rec("cb2")(x) + 1; });
  d.callback(1);
  t.push_back(state(d));
  d.addCallback(rec("cb3"));
  t.push_back("added cb3");
  d.unpause();
  t.push_back(state(d));
  EXPECT_EQ(t, (Trace{"cb1(1)", "cb2(2)", "paused=1 result=(paused)", "added cb3", "cb3(3)",
                      "paused=0 result=3"}));
}

// An exception thrown by a callback goes to the next pair's errback, not to its own pair's.
// Twisted 22.4: cb1(1); eb2(t1); cb3(7)
TEST(DeferredTwistedExampleTests, callbackExceptionSkipsItsOwnErrback) {
  Trace t;
  auto rec = recorder(t);
  tw::Deferred<int> d;
  d.addCallbacks(
      [&](int x) -> int {
        rec("cb1")(x);
        throw Tagged("t1");
      },
      rec("eb1"));
  d.addCallbacks(rec("cb2"), [&](const tw::Failure& f) {
    rec("eb2")(f);
    return 7;
  });
  d.addCallback(rec("cb3"));
  d.callback(1);
  EXPECT_EQ(t, (Trace{"cb1(1)", "eb2(t1)", "cb3(7)"}));
}

// An errback returning its Failure keeps the chain failing; returning a value recovers it.
// Twisted 22.4: eb1(e); both3(e); eb4(e); both5(4)
TEST(DeferredTwistedExampleTests, errbackReturningFailureKeepsFailing) {
  Trace t;
  auto rec = recorder(t);
  tw::Deferred<int> d;
  d.addErrback(rec("eb1"));
  d.addCallback(rec("cb2"));
  d.addBoth(rec("both3"));
  d.addErrback([&](const tw::Failure& f) {
    rec("eb4")(f);
    return 4;
  });
  d.addBoth(rec("both5"));
  d.errback(Tagged("e"));
  EXPECT_EQ(t, (Trace{"eb1(e)", "both3(e)", "eb4(e)", "both5(4)"}));
}

// A returned Deferred that already failed hands its Failure over; it is not reported as unhandled.
// Twisted 22.4: cb1(1); eb2(i); inner result=None; paused=0 result=2 (and nothing logged)
TEST(DeferredTwistedExampleTests, returnedFiredDeferredIsTaken) {
  Trace t;
  auto rec = recorder(t);
  tw::LogCapture capture;
  {
    tw::Deferred<int> d;
    tw::Deferred<int> inner = tw::fail<int>(Tagged("i"));
    d.addCallback([&](int x) {
      rec("cb1")(x);
      return inner;
    });
    d.addErrback([&](const tw::Failure& f) {
      rec("eb2")(f);
      return 2;
    });
    d.callback(1);
    t.push_back("inner " + state(inner));
    t.push_back(state(d));
  }
  EXPECT_EQ(t, (Trace{"cb1(1)", "eb2(i)", "inner paused=0 result=consumed", "paused=0 result=2"}));
  EXPECT_TRUE(capture.errors().empty());
}

// A returned Deferred that has a result but is paused is waited on until it is unpaused.
// Twisted 22.4: cb1(1); paused=1 result=waiting; cb2(5); paused=0 result=5
TEST(DeferredTwistedExampleTests, returnedPausedDeferredIsWaitedOn) {
  Trace t;
  auto rec = recorder(t);
  tw::Deferred<int> d;
  tw::Deferred<int> inner = tw::succeed(5);
  inner.pause();
  d.addCallback([&](int x) {
    rec("cb1")(x);
    return inner;
  });
  d.addCallback(rec("cb2"));
  d.callback(1);
  t.push_back(state(d));
  inner.unpause();
  t.push_back(state(d));
  EXPECT_EQ(t, (Trace{"cb1(1)", "paused=1 result=waiting", "cb2(5)", "paused=0 result=5"}));
}

// Callbacks attached to a Deferred before it is returned transform what the waiter receives.
// Twisted 22.4: cb1(1); paused=1 result=waiting; inner1(2); cb2(20); paused=0 result=20
TEST(DeferredTwistedExampleTests, innerCallbacksRunBeforeTheWaiter) {
  Trace t;
  auto rec = recorder(t);
  tw::Deferred<int> d;
  tw::Deferred<int> inner;
  inner.addCallback([&](int x) { return rec("inner1")(x) * 10; });
  d.addCallback([&](int x) {
    rec("cb1")(x);
    return inner;
  });
  d.addCallback(rec("cb2"));
  d.callback(1);
  t.push_back(state(d));
  inner.callback(2);
  t.push_back(state(d));
  EXPECT_EQ(t, (Trace{"cb1(1)", "paused=1 result=waiting", "inner1(2)", "cb2(20)",
                      "paused=0 result=20"}));
}

// When the waiter is paused as the inner Deferred hands it the result, the inner's later
// callbacks stay pending until something runs the inner's chain again (tw: and then they see
// ResultConsumedError where Twisted passes None).
// Twisted 22.4: cb1(1); d paused=1 result=5; inner paused=0 result=None; cb2(5);
// d paused=0 result=5; inner1(None); inner2(None); inner paused=0 result=None
TEST(DeferredTwistedExampleTests, waiterPausedWhenInnerFiresLeavesInnerCallbacksPending) {
  Trace t;
  auto rec = recorder(t);
  tw::LogCapture capture;
  tw::Deferred<int> d;
  tw::Deferred<int> inner;
  d.addCallback([&](int x) {
    rec("cb1")(x);
    return inner;
  });
  d.addCallback(rec("cb2"));
  d.callback(1);
  inner.addCallback(rec("inner1"));  // after the continuation to d
  d.pause();
  inner.callback(5);
  t.push_back("d " + state(d));
  t.push_back("inner " + state(inner));
  d.unpause();
  t.push_back("d " + state(d));
  inner.addBoth(rec("inner2"));
  t.push_back("inner " + state(inner));
  EXPECT_EQ(t, (Trace{"cb1(1)", "d paused=1 result=(paused)", "inner paused=0 result=consumed",
                      "cb2(5)", "d paused=0 result=5", "inner2(ResultConsumedError)",
                      "inner paused=0 result=ResultConsumedError"}));
}

// cancel() without a canceller errbacks with CancelledError and silently ignores one later fire.
// Twisted 22.4: eb1(CancelledError); second fire swallowed; third fire: AlreadyCalledError
TEST(DeferredTwistedExampleTests, cancelWithoutCancellerSwallowsOneFire) {
  Trace t;
  auto rec = recorder(t);
  tw::Deferred<int> d;
  d.addErrback([&](const tw::Failure& f) {
    rec("eb1")(f);
    return 0;
  });
  d.cancel();
  d.callback(1);
  t.push_back("second fire swallowed");
  EXPECT_THROW(d.callback(2), tw::AlreadyCalledError);
  EXPECT_EQ(t, (Trace{"eb1(CancelledError)", "second fire swallowed"}));
}

// With a canceller that does not fire, cancel() calls it once and no later fire is swallowed.
// Twisted 22.4: canceller; eb1(CancelledError); AlreadyCalledError
TEST(DeferredTwistedExampleTests, cancelWithSilentCancellerSwallowsNothing) {
  Trace t;
  auto rec = recorder(t);
  tw::Deferred<int> d([&](tw::Deferred<int>&) { t.push_back("canceller"); });
  d.addErrback([&](const tw::Failure& f) {
    rec("eb1")(f);
    return 0;
  });
  d.cancel();
  d.cancel();
  EXPECT_THROW(d.callback(1), tw::AlreadyCalledError);
  EXPECT_EQ(t, (Trace{"canceller", "eb1(CancelledError)"}));
}

// A canceller that fires the Deferred decides the result: no CancelledError follows.
// Twisted 22.4: canceller; both1(9); paused=0 result=9
TEST(DeferredTwistedExampleTests, cancellerThatFiresWins) {
  Trace t;
  auto rec = recorder(t);
  tw::Deferred<int> d([&](tw::Deferred<int>& self) {
    t.push_back("canceller");
    self.callback(9);
  });
  d.addBoth(rec("both1"));
  d.cancel();
  t.push_back(state(d));
  EXPECT_EQ(t, (Trace{"canceller", "both1(9)", "paused=0 result=9"}));
}

// Cancelling a Deferred that waits on another cancels that one; its own canceller is not called.
// Twisted 22.4: cb1(1); inner canceller; both2(CancelledError); paused=0 result=CancelledError;
// second cancel: nothing
TEST(DeferredTwistedExampleTests, cancelWhileWaitingCancelsTheInner) {
  Trace t;
  auto rec = recorder(t);
  tw::LogCapture capture;
  tw::Deferred<int> d([&](tw::Deferred<int>&) { t.push_back("outer canceller"); });
  tw::Deferred<int> inner([&](tw::Deferred<int>&) { t.push_back("inner canceller"); });
  d.addCallback([&](int x) {
    rec("cb1")(x);
    return inner;
  });
  d.addBoth(rec("both2"));
  d.callback(1);
  d.cancel();
  t.push_back(state(d));
  d.cancel();
  t.push_back("second cancel: nothing");
  EXPECT_EQ(t, (Trace{"cb1(1)", "inner canceller", "both2(CancelledError)",
                      "paused=0 result=CancelledError", "second cancel: nothing"}));
}

// A cancel() forwarded to a canceller-less inner Deferred swallows that inner's next fire.
// Twisted 22.4: cb1(1); both2(CancelledError); inner fire swallowed; AlreadyCalledError
TEST(DeferredTwistedExampleTests, forwardedCancelSwallowsTheInnersNextFire) {
  Trace t;
  auto rec = recorder(t);
  tw::LogCapture capture;
  tw::Deferred<int> d;
  tw::Deferred<int> inner;
  d.addCallback([&](int x) {
    rec("cb1")(x);
    return inner;
  });
  d.addBoth(rec("both2"));
  d.callback(1);
  d.cancel();
  inner.callback(5);
  t.push_back("inner fire swallowed");
  EXPECT_THROW(inner.callback(6), tw::AlreadyCalledError);
  EXPECT_EQ(t, (Trace{"cb1(1)", "both2(CancelledError)", "inner fire swallowed"}));
}

// A callback added by a running callback goes to the end and runs in the same loop.
// Twisted 22.4: cb1(1); cb2(2); added(3)
TEST(DeferredTwistedExampleTests, callbackAddedByACallbackRunsLast) {
  Trace t;
  auto rec = recorder(t);
  tw::Deferred<int> d;
  d.addCallback([&](int x) {
    rec("cb1")(x);
    d.addCallback(rec("added"));
    return x + 1;
  });
  d.addCallback([&](int x) { return rec("cb2")(x) + 1; });
  d.callback(1);
  EXPECT_EQ(t, (Trace{"cb1(1)", "cb2(2)", "added(3)"}));
}

// Firing a paused Deferred runs nothing until the last unpause().
// Twisted 22.4: fired: paused=1 result=1; one unpause: paused=1 result=1; cb1(1);
// paused=0 result=1
TEST(DeferredTwistedExampleTests, firingWhilePausedWaitsForUnpause) {
  Trace t;
  auto rec = recorder(t);
  tw::Deferred<int> d;
  d.pause();
  d.addCallback(rec("cb1"));
  d.callback(1);
  t.push_back("fired: " + state(d));
  d.pause();
  d.unpause();
  t.push_back("one unpause: " + state(d));
  d.unpause();
  t.push_back(state(d));
  EXPECT_EQ(t, (Trace{"fired: paused=1 result=(paused)", "one unpause: paused=1 result=(paused)",
                      "cb1(1)", "paused=0 result=1"}));
}

// A waits on B which waits on C: when C fires, B's chain finishes first, then A's.
// Twisted 22.4: a1(0); b1(0); a paused=1 result=waiting, b paused=1 result=waiting; b2(10);
// a2(11); a paused=0 result=11, b paused=0 result=None, c paused=0 result=None
TEST(DeferredTwistedExampleTests, chainsOfWaitingDeferredsUnwindInOrder) {
  Trace t;
  auto rec = recorder(t);
  tw::Deferred<int> a;
  tw::Deferred<int> b;
  tw::Deferred<int> c;
  a.addCallback([&](int x) {
    rec("a1")(x);
    return b;
  });
  a.addCallback(rec("a2"));
  b.addCallback([&](int x) {
    rec("b1")(x);
    return c;
  });
  b.addCallback([&](int x) { return rec("b2")(x) + 1; });
  a.callback(0);
  b.callback(0);
  t.push_back("a " + state(a) + ", b " + state(b));
  c.callback(10);
  t.push_back("a " + state(a) + ", b " + state(b) + ", c " + state(c));
  EXPECT_EQ(t, (Trace{"a1(0)", "b1(0)", "a paused=1 result=waiting, b paused=1 result=waiting",
                      "b2(10)", "a2(11)",
                      "a paused=0 result=11, b paused=0 result=consumed, c paused=0 "
                      "result=consumed"}));
}

// A callback that fires a Deferred someone waits on runs the waiter's chain before going on.
// Twisted 22.4: w1(0); o1(3); w2(6); o2(4)
TEST(DeferredTwistedExampleTests, firingAnInnerFromACallbackRunsItsWaiterFirst) {
  Trace t;
  auto rec = recorder(t);
  tw::Deferred<int> waiter;
  tw::Deferred<int> inner;
  tw::Deferred<int> other;
  waiter.addCallback([&](int x) {
    rec("w1")(x);
    return inner;
  });
  waiter.addCallback(rec("w2"));
  waiter.callback(0);
  other.addCallback([&](int x) {
    rec("o1")(x);
    inner.callback(x * 2);
    return x + 1;
  });
  other.addCallback(rec("o2"));
  other.callback(3);
  EXPECT_EQ(t, (Trace{"w1(0)", "o1(3)", "w2(6)", "o2(4)"}));
}

// Differs from Twisted: a callback returning its own Deferred fails the chain with
// CallbackReturnedSelfError; Twisted warns and waits on itself forever.
// Twisted 22.4: cb1(1); paused=1 waiting on itself=True
TEST(DeferredTwistedExampleTests, returningItselfFails) {
  Trace t;
  auto rec = recorder(t);
  tw::LogCapture capture;
  tw::Deferred<int> d;
  d.addCallback([&](int x) {
    rec("cb1")(x);
    return d;
  });
  d.addBoth(rec("both2"));
  d.callback(1);
  t.push_back(state(d));
  EXPECT_EQ(t, (Trace{"cb1(1)", "both2(CallbackReturnedSelfError)",
                      "paused=0 result=CallbackReturnedSelfError"}));
}

// Differs from Twisted: a pair added after chaining took the result does not run; the chain
// fails with ResultConsumedError, seen by the next pair (Twisted passes None to the callbacks).
// Twisted 22.4: cb1(1); late1(None); late2(None); d paused=0 result=5
TEST(DeferredTwistedExampleTests, callbacksAfterChainingTookTheResult) {
  Trace t;
  auto rec = recorder(t);
  tw::LogCapture capture;
  tw::Deferred<int> d;
  tw::Deferred<int> inner;
  d.addCallback([&](int x) {
    rec("cb1")(x);
    return inner;
  });
  d.callback(1);
  inner.callback(5);
  inner.addBoth(rec("late1"));
  inner.addBoth(rec("late2"));
  t.push_back("d " + state(d));
  EXPECT_EQ(t, (Trace{"cb1(1)", "late2(ResultConsumedError)", "d paused=0 result=5"}));
}

// Differs from Twisted: a returned Deferred that is running its callbacks (it fired the
// Deferred whose callback returned it) is waited on, so the waiter gets its final result.
// Twisted steals the value its running callback received, then keeps running its own chain.
// Twisted 22.4: y1(1); x1(1); x2(1); y2(101); x paused=0 result=1, y paused=0 result=101
TEST(DeferredTwistedExampleTests, returnedDeferredRunningItsCallbacksIsWaitedOn) {
  Trace t;
  auto rec = recorder(t);
  tw::Deferred<int> x;
  tw::Deferred<int> y;
  x.addCallback([&](int v) {
    rec("x1")(v);
    return y;
  });
  x.addCallback(rec("x2"));
  y.addCallback([&](int v) {
    rec("y1")(v);
    x.callback(v);
    return v + 100;
  });
  y.addCallback(rec("y2"));
  y.callback(1);
  t.push_back("x " + state(x) + ", y " + state(y));
  EXPECT_EQ(t, (Trace{"y1(1)", "x1(1)", "y2(101)", "x2(101)",
                      "x paused=0 result=101, y paused=0 result=consumed"}));
}

namespace {

/// The tags of the "Unhandled error in Deferred" events that `build` causes.
template <class F>
std::vector<std::string> unhandledAfter(F build) {
  tw::LogCapture capture;
  build();
  std::vector<std::string> tags;
  for (const tw::LogEvent& event : capture.events()) {
    EXPECT_EQ(event.level, tw::LogLevel::critical);
    if (event.text.starts_with(kUnhandled) && event.failure) tags.push_back(show(*event.failure));
  }
  return tags;
}

}  // namespace

// A chain that ends with a Failure logs it once when the last handle goes away.
// Twisted 22.4: critical: Unhandled error in Deferred:; critical: (the Failure) - one report
TEST(DeferredTwistedExampleTests, failureLeftInAChainIsLoggedOnce) {
  EXPECT_EQ(unhandledAfter([] {
              tw::Deferred<int> d;
              d.addErrback([](const tw::Failure& f) { return f; });
              d.errback(Tagged("e"));
            }),
            (Trace{"e"}));
}

// A chain whose errback recovers logs nothing.
// Twisted 22.4: (nothing logged)
TEST(DeferredTwistedExampleTests, recoveredFailureIsNotLogged) {
  EXPECT_EQ(unhandledAfter([] {
              tw::Deferred<int> d;
              d.addErrback([](const tw::Failure&) { return 0; });
              d.errback(Tagged("e"));
            }),
            Trace{});
}

// A Failure taken from a returned Deferred is reported once, by the chain that took it.
// Twisted 22.4: critical: Unhandled error in Deferred:; critical: (the Failure) - one report
TEST(DeferredTwistedExampleTests, failureTakenByChainingIsLoggedOnlyByTheWaiter) {
  EXPECT_EQ(unhandledAfter([] {
              tw::Deferred<int> d;
              d.addCallback([](int) { return tw::fail<int>(Tagged("i")); });
              d.callback(1);
            }),
            (Trace{"i"}));
}

// Differs from Twisted: a Deferred paused before it failed still reports its Failure (Twisted
// only records failures when a callback loop finishes, so it logs nothing).
// Twisted 22.4: (nothing logged)
TEST(DeferredTwistedExampleTests, failureOfADeferredPausedBeforeFiringIsLogged) {
  EXPECT_EQ(unhandledAfter([] {
              tw::Deferred<int> d;
              d.pause();
              d.errback(Tagged("e"));
            }),
            (Trace{"e"}));
}
