/// @file
/// DeferredList, gatherResults and race: one Deferred for the results of several.
/// Twisted: twisted.internet.defer.DeferredList, gatherResults, race (trunk), FailureGroup (trunk).
/// Tests: tests/runtime/deferred_list_test.cpp, tests/runtime/deferred_list_property_test.cpp
///
/// All three attach one callback/errback pair to each input, in input order (inputs that
/// already have a result are processed at once, while attaching), and fire a Deferred of their
/// own. Cancelling that Deferred before it fired cancels every input whose result has not
/// arrived yet, in input order.
///
/// Differs from Twisted (all three):
/// 1. Values are copied into the combined result when their type can be copied (Twisted shares
///    one object between the input's chain and the list); a move-only value is moved, and the
///    input's own chain is left consumed: a callback added to it afterwards fails with
///    ResultConsumedError (see <tw/deferred.hpp>, difference 3).
/// 2. Where Twisted's per-input callback returns `None` (a consumed failure, or any result taken
///    by `race`), a `Deferred<void>` input continues with success and any other input is left
///    consumed as above: a later errback does not run, a later callback fails with
///    ResultConsumedError instead of receiving `None`.
/// 3. When cancelling the inputs leaves a DeferredList (or gatherResults) unfired, it keeps
///    waiting as in Twisted (an input's canceller threw, or an input is paused) while some input
///    may still fire it; when none can (every input without a result was dropped unfired, or
///    there is none, as for an empty fireOnOneCallback list) it fails with CancelledError, where
///    Twisted's waits forever. Inputs that already delivered their result are not cancelled
///    again (Twisted calls their no-op `cancel()`).
/// 4. An exception thrown by an input's canceller is logged ("Exception raised from user
///    supplied canceller", namespace "tw.deferred", critical) and the remaining inputs are still
///    cancelled, for `race` too: trunk's `race` lets it propagate out of `cancel()` (leaving the
///    race unfired), tw's race then fails with CancelledError like any cancelled Deferred.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <source_location>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tw/deferred.hpp"
#include "tw/deferred_errors.hpp"
#include "tw/detail/core.hpp"
#include "tw/failure.hpp"
#include "tw/outcome.hpp"

namespace tw {

/// Every input of `race` failed (or a `DeferredList::fireOnOneCallback` saw no success): their
/// failures, by input index.
/// Twisted: twisted.internet.defer.FailureGroup (trunk).
class FailureGroup : public std::runtime_error {
 public:
  /// Holds `failures`; what() lists their reprs: `FailureGroup[#0 <tw::Failure ...>, ...]`.
  explicit FailureGroup(std::vector<Failure> failures);

  /// The failures, in input order.
  [[nodiscard]] const std::vector<Failure>& failures() const noexcept { return failures_; }

 private:
  std::vector<Failure> failures_;
};

/// The flags of a DeferredList besides fireOnOneCallback (see DeferredList::fireOnOneCallback).
struct DeferredListOptions {
  /// Fail with `FirstError(failure, index)` as soon as an input fails.
  bool fireOnOneErrback = false;
  /// An input's failure does not go on down that input's own chain after the list saw it (no
  /// "Unhandled error in Deferred" for it); see the file comment, difference 2.
  bool consumeErrors = false;
};

namespace detail {

/// The untyped engine behind DeferredList, gatherResults and race (deferred_list.cpp): counts
/// results, decides when the combined Deferred (the target) fires, cancels the inputs.
///
/// Ownership: each input holds the collector through the step attached to it, the collector
/// holds the target, the target's canceller holds the collector weakly and the collector knows
/// the inputs without owning them (an input that dies unfired is forgotten). No cycle.
class Collector {
 public:
  /// "No input".
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  /// DeferredList, DeferredList::fireOnOneCallback, gatherResults, race.
  enum class Kind : std::uint8_t { kList, kFirstSuccess, kGather, kRace };

  /// A collector of the given kind; start() connects it.
  Collector(Kind kind, DeferredListOptions options, std::source_location where) noexcept
      : where_(where), kind_(kind), options_(options) {}
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;
  virtual ~Collector();

  /// Makes `target` (new, unfired) the output, gives it a canceller, and attaches a step to each
  /// input in order. The caller keeps the inputs alive during the call.
  static void start(const std::shared_ptr<Collector>& self, Core* target,
                    std::vector<Core*> inputs);
  /// Cancels, in order, every input whose result has not arrived, except `except`.
  void cancelInputs(std::size_t except);
  /// Input `index` produced its result (the step's run).
  void deliver(std::size_t index, Core& input);
  /// Input `index` died without a result, or its step ran.
  void forget(std::size_t index) noexcept { inputs_[index] = nullptr; }
  /// How many inputs produced a result.
  [[nodiscard]] std::size_t finishedCount() const noexcept { return finished_; }
  /// After cancelInputs() left the target unfired: true when it should keep waiting (a
  /// DeferredList whose inputs may still fire it), false when it fails with CancelledError.
  [[nodiscard]] bool keepsWaitingAfterCancel() const noexcept;

 protected:
  /// Stores input `index`'s value (see takeValueOf).
  virtual void takeValue(std::size_t index, Core& input) = 0;
  /// Stores input `index`'s failure (kList only).
  virtual void keepFailure(std::size_t, const Failure&) {}
  /// Fires the target with the complete result (kList, kGather).
  virtual void fireComplete(Core&) {}
  /// Fires the target with the stored value of input `index` (kFirstSuccess, kRace).
  virtual void fireWinner(Core&, std::size_t) {}
  /// True when input `index` is a Deferred<void>.
  [[nodiscard]] virtual bool voidInput(std::size_t index) const noexcept = 0;

  /// What this collector is for.
  [[nodiscard]] Kind kind() const noexcept { return kind_; }

  /// Fires `target` with a value of type R (the target is a Deferred<R>, unfired).
  template <class R>
  void fireTarget(Core& target, R&& value) {
    if (!target.startFire(where_)) return;
    target.setValue<std::remove_cvref_t<R>>(std::forward<R>(value));
    target.fireValue(where_);
  }

  /// Where the combinator was created (the target's creation, its fires' location).
  std::source_location where_;

 private:
  void failTarget(Failure failure);
  void consume(std::size_t index, Core& input);
  [[nodiscard]] std::vector<Failure> allFailures() const;

  std::vector<Core*> inputs_;                     ///< not owned; null once delivered or dead
  std::vector<std::optional<Failure>> failures_;  ///< kFirstSuccess, kRace
  Core* target_ = nullptr;                        ///< owned
  std::size_t finished_ = 0;
  std::size_t failed_ = 0;
  std::size_t winner_ = kNone;
  Kind kind_;
  DeferredListOptions options_;
};

/// The value of an input: copied when V can be copied (the input keeps it, as in Twisted), else
/// moved out, leaving the input consumed.
template <class V>
V takeValueOf(Core& input) {
  V& value = input.valueAs<V>();
  if constexpr (std::is_copy_constructible_v<V>) {
    return value;
  } else {
    V out(std::move(value));
    input.markConsumed();
    return out;
  }
}

/// The cores of `deferreds`, in order (not owned: the caller keeps the handles alive).
template <class T>
std::vector<Core*> coresOf(const std::vector<Deferred<T>>& deferreds) {
  std::vector<Core*> cores;
  cores.reserve(deferreds.size());
  for (const Deferred<T>& d : deferreds) cores.push_back(CoreAccess::core(d));
  return cores;
}

/// DeferredList's collector: every `(success, result)` pair, by input index.
template <class T>
class ListCollector final : public Collector {
 public:
  using Item = std::pair<bool, Outcome<T>>;
  /// A collector for `count` inputs.
  ListCollector(std::size_t count, DeferredListOptions options, std::source_location where)
      : Collector(Kind::kList, options, where), results_(count) {}
  /// DeferredList::resultList().
  std::vector<std::optional<Item>> results_;

 protected:
  void takeValue(std::size_t index, Core& input) override {
    results_[index].emplace(true, Outcome<T>(takeValueOf<Stored<T>>(input)));
  }
  void keepFailure(std::size_t index, const Failure& failure) override {
    results_[index].emplace(false, Outcome<T>(failure));
  }
  void fireComplete(Core& target) override {
    std::vector<Item> out;
    out.reserve(results_.size());
    for (std::optional<Item>& item : results_) out.push_back(std::move(*item));
    results_.clear();
    fireTarget(target, std::move(out));
  }
  [[nodiscard]] bool voidInput(std::size_t) const noexcept override { return std::is_void_v<T>; }
};

/// The collector of `race` and DeferredList::fireOnOneCallback: the first success wins.
template <class T>
class WinnerCollector final : public Collector {
 public:
  using Collector::Collector;  ///< Kind kFirstSuccess or kRace

 protected:
  void takeValue(std::size_t, Core& input) override {
    if (kind() == Kind::kRace) {
      // race takes every result: move, never copy.
      value_.emplace(std::move(input.valueAs<Stored<T>>()));
      input.markConsumed();
    } else {
      value_.emplace(takeValueOf<Stored<T>>(input));
    }
  }
  void fireWinner(Core& target, std::size_t index) override {
    Stored<T> value(std::move(*value_));
    value_.reset();
    if (kind() == Kind::kRace) {
      fireTarget(target, std::pair<std::size_t, Stored<T>>(index, std::move(value)));
    } else {
      fireTarget(target, std::pair<Stored<T>, std::size_t>(std::move(value), index));
    }
  }
  [[nodiscard]] bool voidInput(std::size_t) const noexcept override { return std::is_void_v<T>; }

 private:
  std::optional<Stored<T>> value_;
};

/// gatherResults' collector: the values, by input index.
template <class T>
class GatherCollector final : public Collector {
 public:
  /// A collector for `count` inputs.
  GatherCollector(std::size_t count, bool consumeErrors, std::source_location where)
      : Collector(Kind::kGather, {.fireOnOneErrback = true, .consumeErrors = consumeErrors},
                  where) {
    if constexpr (!std::is_void_v<T>) values_.resize(count);
  }

 protected:
  void takeValue(std::size_t index, Core& input) override {
    if constexpr (!std::is_void_v<T>) values_[index].emplace(takeValueOf<T>(input));
  }
  void fireComplete(Core& target) override {
    if constexpr (std::is_void_v<T>) {
      fireTarget(target, VoidValue{});
    } else {
      std::vector<T> out;
      out.reserve(values_.size());
      for (std::optional<T>& value : values_) out.push_back(std::move(*value));
      values_.clear();
      fireTarget(target, std::move(out));
    }
  }
  [[nodiscard]] bool voidInput(std::size_t) const noexcept override { return std::is_void_v<T>; }

 private:
  std::vector<std::optional<Stored<T>>> values_;
};

/// The collector of gatherResults over Deferreds of different types.
template <class... A>
class TupleCollector final : public Collector {
 public:
  /// A collector for one input per type in `A...`.
  TupleCollector(bool consumeErrors, std::source_location where)
      : Collector(Kind::kGather, {.fireOnOneErrback = true, .consumeErrors = consumeErrors},
                  where) {}

 protected:
  void takeValue(std::size_t index, Core& input) override {
    takeAt(index, input, std::index_sequence_for<A...>{});
  }
  void fireComplete(Core& target) override {
    fireTarget(target, std::apply(
                           [](std::optional<Stored<A>>&... value) {
                             return std::tuple<Stored<A>...>(std::move(*value)...);
                           },
                           values_));
  }
  [[nodiscard]] bool voidInput(std::size_t index) const noexcept override {
    static constexpr bool kVoid[] = {std::is_void_v<A>...};
    return kVoid[index];
  }

 private:
  template <std::size_t... I>
  void takeAt(std::size_t index, Core& input, std::index_sequence<I...>) {
    ((index == I ? (void)std::get<I>(values_).emplace(
                       takeValueOf<Stored<std::tuple_element_t<I, std::tuple<A...>>>>(input))
                 : (void)0),
     ...);
  }

  std::tuple<std::optional<Stored<A>>...> values_;
};

}  // namespace detail

/// Collects the results of several Deferreds: fires with one `(success, result)` pair per input,
/// in INPUT order, once every input has a result.
///
/// ```cpp
/// tw::DeferredList<int> dl({d1, d2});
/// dl.addCallback([](std::vector<std::pair<bool, tw::Outcome<int>>> results) { ... });
/// ```
///
/// A DeferredList is a `Deferred<std::vector<std::pair<bool, Outcome<T>>>>` (it derives from
/// it; a copy of the base is a handle on the same chain) plus access to the results so far.
/// Semantics, as Twisted's:
/// 1. A step is attached to each input in input order; inputs that already have a result are
///    processed while constructing. An empty input list fires at once with `[]`.
/// 2. An input's failure goes on down that input's own chain unless `consumeErrors`: without it,
///    an input failure nobody handles is still reported ("Unhandled error in Deferred") when the
///    input's last handle goes away, even though the list saw it.
/// 3. With `fireOnOneErrback`, the first failure fails the list with
///    `Failure(FirstError(failure, index))`. Results arriving after the list fired are still
///    recorded (resultList(), finishedCount(), consumeErrors) but the list does not fire again.
/// 4. `cancel()` before the list fired cancels every input whose result has not arrived, in
///    order, logging what their cancellers throw; after it fired it does nothing. The list then
///    fires with what the cancelled inputs produced (usually CancelledError failures), or keeps
///    waiting for those that did not fire (see the file comment, difference 3).
/// 5. The list does NOT cancel the inputs that are still running once it has fired
///    (fireOnOneErrback, fireOnOneCallback): that is twisted#9329, kept for compatibility. Use
///    `race` to get the first success and cancel the rest.
///
/// Differs from Twisted: besides the file comment's list,
/// 1. `fireOnOneCallback` fires with `(result, index)`, a different type: it is the separate
///    entry point `DeferredList<T>::fireOnOneCallback`, and DeferredListOptions has no such flag.
/// 2. Once the list fires with the complete result, the results move into it and resultList()
///    is empty from then on (Twisted's `resultList` is the very list it fired with).
template <class T>
class DeferredList : public Deferred<std::vector<std::pair<bool, Outcome<T>>>> {
 public:
  /// One input's result: Twisted's `(success, result)`.
  using Item = std::pair<bool, Outcome<T>>;
  /// The list's result.
  using Result = std::vector<Item>;

  /// Tracks `deferreds` (the list is copied: later changes to the caller's vector do not
  /// matter).
  explicit DeferredList(std::vector<Deferred<T>> deferreds, DeferredListOptions options = {},
                        std::source_location where = std::source_location::current())
      : Deferred<Result>(where),
        state_(std::make_shared<detail::ListCollector<T>>(deferreds.size(), options, where)) {
    detail::Collector::start(state_, detail::CoreAccess::core(*this), detail::coresOf(deferreds));
  }

  /// Twisted's `DeferredList(deferreds, fireOnOneCallback=True, ...)`: fires with
  /// `(result, index)` of the first input that succeeds (never, for an empty list). With
  /// `options.fireOnOneErrback`, a failure that comes before any success fails it with
  /// FirstError. Cancelling it cancels the inputs that have no result yet.
  ///
  /// Differs from Twisted: when every input failed (and fireOnOneErrback is off), Twisted fires
  /// with the list of `(False, failure)` pairs; this Deferred fails with FailureGroup holding
  /// those failures by index.
  static Deferred<std::pair<detail::Stored<T>, std::size_t>> fireOnOneCallback(
      std::vector<Deferred<T>> deferreds, DeferredListOptions options = {},
      std::source_location where = std::source_location::current()) {
    Deferred<std::pair<detail::Stored<T>, std::size_t>> target(where);
    auto state = std::make_shared<detail::WinnerCollector<T>>(
        detail::Collector::Kind::kFirstSuccess, options, where);
    detail::Collector::start(state, detail::CoreAccess::core(target), detail::coresOf(deferreds));
    return target;
  }

  /// The results received so far, by input index (an empty optional until that input fires).
  /// Twisted: `DeferredList.resultList`.
  [[nodiscard]] const std::vector<std::optional<Item>>& resultList() const noexcept {
    return state_->results_;
  }
  /// How many inputs produced a result. Twisted: `DeferredList.finishedCount`.
  [[nodiscard]] std::size_t finishedCount() const noexcept { return state_->finishedCount(); }

 private:
  std::shared_ptr<detail::ListCollector<T>> state_;
};

/// The result of `gatherResults` over Deferred<T>s: the values, or nothing for void.
template <class T>
using GatherResult = std::conditional_t<std::is_void_v<T>, void, std::vector<T>>;

/// The values of `deferreds`, in input order, once all of them succeeded; the first failure (in
/// the order failures arrive) fails it with `FirstError(failure, index)`. Cancelling it
/// cancels every input that has no result yet. Equivalent to Twisted's
/// `DeferredList(deferreds, fireOnOneErrback=True, consumeErrors=consumeErrors)` plus a callback
/// keeping the values. Twisted: defer.gatherResults.
///
/// Differs from Twisted: for `Deferred<void>` inputs the result is a `Deferred<void>` (Twisted
/// gives a list of `None`s).
template <class T>
Deferred<GatherResult<T>> gatherResults(
    std::vector<Deferred<T>> deferreds, bool consumeErrors = false,
    std::source_location where = std::source_location::current()) {
  Deferred<GatherResult<T>> target(where);
  auto state = std::make_shared<detail::GatherCollector<T>>(deferreds.size(), consumeErrors, where);
  detail::Collector::start(state, detail::CoreAccess::core(target), detail::coresOf(deferreds));
  return target;
}

/// gatherResults for Deferreds of different types: a tuple of their values, in order; the
/// index in FirstError is the position in the tuple.
///
/// Differs from Twisted (which has only the list form): a `Deferred<void>` member gives a
/// `detail::VoidValue` in the tuple, so that positions match the inputs' indices.
template <class... A>
Deferred<std::tuple<detail::Stored<A>...>> gatherResults(
    std::tuple<Deferred<A>...> deferreds, bool consumeErrors = false,
    std::source_location where = std::source_location::current()) {
  static_assert(sizeof...(A) > 0, "gatherResults needs at least one Deferred");
  Deferred<std::tuple<detail::Stored<A>...>> target(where);
  auto state = std::make_shared<detail::TupleCollector<A...>>(consumeErrors, where);
  std::vector<detail::Core*> cores = std::apply(
      [](const Deferred<A>&... d) {
        return std::vector<detail::Core*>{detail::CoreAccess::core(d)...};
      },
      deferreds);
  detail::Collector::start(state, detail::CoreAccess::core(target), std::move(cores));
  return target;
}

/// `gatherResults(std::tuple{first, rest...})`: `gatherResults(dInt, dString)` fires with a
/// `std::tuple<int, std::string>`.
template <class A, class... B>
Deferred<std::tuple<detail::Stored<A>, detail::Stored<B>...>> gatherResults(Deferred<A> first,
                                                                            Deferred<B>... rest) {
  return gatherResults(
      std::tuple<Deferred<A>, Deferred<B>...>(std::move(first), std::move(rest)...));
}

/// The first input to succeed, as `(index, value)`; every other input is then cancelled (in
/// input order, before this Deferred fires). When all of them fail, fails with FailureGroup
/// holding their failures by index; an empty list never fires. Cancelling it cancels every
/// input that has no result yet; if that does not fire it (an input's canceller threw, an input
/// is paused, or there is no input), it fails with CancelledError, as any Deferred with a
/// canceller does. The inputs' results are all taken: each input's own chain
/// continues with nothing (see the file comment, difference 2), so losers' CancelledErrors are
/// never reported as unhandled. Twisted: defer.race (trunk).
template <class T>
Deferred<std::pair<std::size_t, detail::Stored<T>>> race(
    std::vector<Deferred<T>> deferreds,
    std::source_location where = std::source_location::current()) {
  Deferred<std::pair<std::size_t, detail::Stored<T>>> target(where);
  auto state = std::make_shared<detail::WinnerCollector<T>>(detail::Collector::Kind::kRace,
                                                            DeferredListOptions{}, where);
  detail::Collector::start(state, detail::CoreAccess::core(target), detail::coresOf(deferreds));
  return target;
}

}  // namespace tw
