/// @file
/// Property tests for DeferredList, gatherResults and race: random inputs, some fired before the
/// combinator is built, the rest fired in a random order, with random success or failure and an
/// optional cancellation at a random point; the result is compared with a small model of
/// Twisted's rules written here. Also checked: input failures are reported as unhandled exactly
/// when consumeErrors is off; race's losers are cancelled once (when they had no result), every
/// input ends fired and consumed, and nothing is reported as unhandled.
/// Twisted: twisted.internet.defer.DeferredList, gatherResults, race (trunk).
#include "tw/deferred_list.hpp"

#include <rapidcheck.h>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "result_helpers.hpp"
#include "tw/deferred.hpp"
#include "tw/deferred_errors.hpp"
#include "tw/failure.hpp"
#include "tw/logger.hpp"

namespace {

using tw::test::assertNoResult;
using tw::test::failureResultOf;
using tw::test::successResultOf;

/// What an input's canceller does (race only; DeferredList and gatherResults inputs have none).
enum class Canceller { kNone, kSilent, kFiresValue, kFiresFailure };

/// One generated run.
struct Scenario {
  std::vector<bool> fails;  ///< input i fails (else succeeds with values[i])
  std::vector<int> values;
  std::vector<bool> preFired;              ///< input i fires before the combinator exists
  std::vector<std::size_t> order;          ///< the other inputs, in the order the test fires them
  std::optional<std::size_t> cancelAfter;  ///< cancel the combinator after that many of `order`
  std::vector<Canceller> cancellers;

  [[nodiscard]] std::size_t size() const { return fails.size(); }
};

Scenario genScenario(bool withCancellers) {
  Scenario s;
  const auto n = *rc::gen::inRange<std::size_t>(0, 8);
  s.fails = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  s.values = *rc::gen::container<std::vector<int>>(n, rc::gen::inRange(0, 1000));
  s.preFired = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  const auto keys = *rc::gen::container<std::vector<int>>(n, rc::gen::arbitrary<int>());
  for (std::size_t i = 0; i < n; ++i) {
    if (!s.preFired[i]) s.order.push_back(i);
  }
  std::stable_sort(s.order.begin(), s.order.end(),
                   [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  if (*rc::gen::arbitrary<bool>()) {
    s.cancelAfter = *rc::gen::inRange<std::size_t>(0, s.order.size() + 1);
  }
  s.cancellers.assign(n, Canceller::kNone);
  if (withCancellers) {
    s.cancellers = *rc::gen::container<std::vector<Canceller>>(
        n, rc::gen::element(Canceller::kNone, Canceller::kSilent, Canceller::kFiresValue,
                            Canceller::kFiresFailure));
  }
  return s;
}

/// The inputs of a run, and the failures they fire with (compared by identity).
struct Inputs {
  explicit Inputs(const Scenario& s) : cancelled(s.size(), 0) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      failures.emplace_back(std::runtime_error("failure " + std::to_string(i)));
      cancelFailures.emplace_back(std::runtime_error("cancel failure " + std::to_string(i)));
      switch (s.cancellers[i]) {
        case Canceller::kNone:
          ds.emplace_back();
          break;
        default:
          ds.emplace_back([this, i, kind = s.cancellers[i]](tw::Deferred<int>& d) {
            ++cancelled[i];
            if (kind == Canceller::kFiresValue) d.callback(kCancelValue + static_cast<int>(i));
            if (kind == Canceller::kFiresFailure) d.errback(cancelFailures[i]);
          });
      }
    }
  }
  void fire(const Scenario& s, std::size_t i) {
    if (s.fails[i]) {
      ds[i].errback(failures[i]);
    } else {
      ds[i].callback(s.values[i]);
    }
  }

  static constexpr int kCancelValue = 2000;
  std::vector<tw::Deferred<int>> ds;
  std::vector<tw::Failure> failures;
  std::vector<tw::Failure> cancelFailures;
  std::vector<int> cancelled;  ///< canceller calls, by input
};

/// Fires the inputs as the scenario says around `build()` (which builds the combinator and
/// returns a way to cancel it).
template <class Build>
void drive(const Scenario& s, Inputs& in, Build build) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.preFired[i]) in.fire(s, i);
  }
  auto cancel = build();
  for (std::size_t k = 0; k <= s.order.size(); ++k) {
    if (s.cancelAfter == k) cancel();
    // A cancelled input without a canceller swallows one fire; one with a canceller does not.
    if (k < s.order.size() &&
        (!in.ds[s.order[k]].called() || s.cancellers[s.order[k]] == Canceller::kNone)) {
      in.fire(s, s.order[k]);
    }
  }
}

/// One result as a combinator sees it.
struct Delivery {
  std::size_t index;
  bool fails;
  bool fromCancel;  ///< produced by cancelling the input
  int value;
};

/// The model: the results a combinator receives, in order, and when it fires.
class Model {
 public:
  enum class Kind { kList, kRace };
  Model(const Scenario& s, Kind kind, bool fireOnOneErrback)
      : s_(s),
        kind_(kind),
        fireOnOneErrback_(fireOnOneErrback),
        delivered_(s.size(), false),
        cancelled_(s.size(), 0) {
    if (kind_ == Kind::kList && s.size() == 0) fired_ = true;
    // Attaching: the inputs fired beforehand deliver in index order.
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s.preFired[i] && !delivered_[i]) deliver({i, s.fails[i], false, s.values[i]});
    }
    for (std::size_t k = 0; k <= s.order.size(); ++k) {
      if (s.cancelAfter == k && !fired_) {
        cancelCombinator_ = true;
        cancelAllExcept(s.size());
      }
      if (k < s.order.size() && !delivered_[s.order[k]]) {
        std::size_t i = s.order[k];
        deliver({i, s.fails[i], false, s.values[i]});
      }
    }
  }

  std::vector<Delivery> deliveries;
  std::optional<std::size_t> winner;  ///< race: index into deliveries
  std::optional<std::size_t> firstFailure;
  bool cancelCombinator_ = false;

  [[nodiscard]] bool fired() const { return fired_; }
  [[nodiscard]] int cancelledCount(std::size_t i) const { return cancelled_[i]; }
  /// The delivery of input i.
  [[nodiscard]] const Delivery& of(std::size_t i) const {
    return *std::find_if(deliveries.begin(), deliveries.end(),
                         [i](const Delivery& d) { return d.index == i; });
  }

 private:
  void deliver(Delivery d) {
    delivered_[d.index] = true;
    deliveries.push_back(d);
    ++finished_;
    if (d.fails) ++failed_;
    if (kind_ == Kind::kRace) {
      if (!d.fails && !winner) {
        winner = deliveries.size() - 1;
        cancelAllExcept(d.index);
        fired_ = true;
      } else if (d.fails && failed_ == s_.size()) {
        fired_ = true;
      }
      return;
    }
    if (d.fails && !firstFailure) firstFailure = deliveries.size() - 1;
    if (!fired_ && ((d.fails && fireOnOneErrback_) || finished_ == s_.size())) fired_ = true;
  }

  void cancelAllExcept(std::size_t except) {
    for (std::size_t j = 0; j < s_.size(); ++j) {
      // Cancelling an input that already fired (not attached yet) does nothing.
      if (j == except || delivered_[j] || s_.preFired[j]) continue;
      Canceller c = s_.cancellers[j];
      if (c != Canceller::kNone) ++cancelled_[j];
      bool fails = c != Canceller::kFiresValue;
      deliver({j, fails, true, Inputs::kCancelValue + static_cast<int>(j)});
    }
  }

  const Scenario& s_;
  Kind kind_;
  bool fireOnOneErrback_;
  bool fired_ = false;
  std::vector<bool> delivered_;
  std::vector<int> cancelled_;
  std::size_t finished_ = 0;
  std::size_t failed_ = 0;
};

/// Checks that `f` is the failure of delivery `d`.
void checkFailure(const tw::Failure& f, const Delivery& d, const Scenario& s, const Inputs& in) {
  if (!d.fromCancel) {
    RC_ASSERT(f == in.failures[d.index]);
  } else if (s.cancellers[d.index] == Canceller::kFiresFailure) {
    RC_ASSERT(f == in.cancelFailures[d.index]);
  } else {
    RC_ASSERT(f.check<tw::CancelledError>() != nullptr);
  }
}

std::size_t countUnhandled(const tw::LogCapture& log) {
  std::size_t n = 0;
  for (const tw::LogEvent& e : log.errors()) {
    if (e.text.rfind("Unhandled error in Deferred", 0) == 0) ++n;
  }
  return n;
}

std::size_t countFailed(const Model& m) {
  return static_cast<std::size_t>(std::count_if(m.deliveries.begin(), m.deliveries.end(),
                                                [](const Delivery& d) { return d.fails; }));
}

}  // namespace

// DeferredList gives the inputs' outcomes in input order (or the first FirstError), any order.
RC_GTEST_PROP(DeferredListPropertyTests, outcomesInInputOrder, ()) {
  const Scenario s = genScenario(false);
  const tw::DeferredListOptions options{.fireOnOneErrback = *rc::gen::arbitrary<bool>(),
                                        .consumeErrors = *rc::gen::arbitrary<bool>()};
  const Model model(s, Model::Kind::kList, options.fireOnOneErrback);
  tw::LogCapture log;
  {
    Inputs in(s);
    std::optional<tw::DeferredList<int>> dl;
    drive(s, in, [&] {
      dl.emplace(in.ds, options);
      return [&] { dl->cancel(); };
    });
    RC_ASSERT(dl->finishedCount() == s.size());
    if (options.fireOnOneErrback && model.firstFailure) {
      tw::Failure f = failureResultOf<tw::FirstError>(*dl);
      const Delivery& first = model.deliveries[*model.firstFailure];
      RC_ASSERT(f.value<tw::FirstError>()->index() == first.index);
      checkFailure(f.value<tw::FirstError>()->subFailure(), first, s, in);
    } else {
      auto result = successResultOf(*dl);
      RC_ASSERT(result.size() == s.size());
      for (std::size_t i = 0; i < s.size(); ++i) {
        const Delivery& d = model.of(i);
        RC_ASSERT(result[i].first == !d.fails);
        RC_ASSERT(result[i].second.succeeded() == !d.fails);
        if (d.fails) {
          checkFailure(result[i].second.failure(), d, s, in);
        } else {
          RC_ASSERT(result[i].second.value() == s.values[i]);
        }
      }
    }
  }
  RC_ASSERT(countUnhandled(log) == (options.consumeErrors ? 0 : countFailed(model)));
}

// gatherResults gives the values in input order, or FirstError of the first failure to arrive.
RC_GTEST_PROP(DeferredListPropertyTests, gatherResultsValuesOrFirstError, ()) {
  const Scenario s = genScenario(false);
  const bool consumeErrors = *rc::gen::arbitrary<bool>();
  const Model model(s, Model::Kind::kList, true);
  tw::LogCapture log;
  {
    Inputs in(s);
    std::optional<tw::Deferred<std::vector<int>>> gathered;
    drive(s, in, [&] {
      gathered = tw::gatherResults(in.ds, consumeErrors);
      return [&] { gathered->cancel(); };
    });
    if (model.firstFailure) {
      tw::Failure f = failureResultOf<tw::FirstError>(*gathered);
      const Delivery& first = model.deliveries[*model.firstFailure];
      RC_ASSERT(f.value<tw::FirstError>()->index() == first.index);
      checkFailure(f.value<tw::FirstError>()->subFailure(), first, s, in);
    } else {
      std::vector<int> values = successResultOf(*gathered);
      RC_ASSERT(values == s.values);
    }
  }
  RC_ASSERT(countUnhandled(log) == (consumeErrors ? 0 : countFailed(model)));
}

// race gives the first success to arrive; every other input ends cancelled or fired, consumed.
RC_GTEST_PROP(DeferredListPropertyTests, raceFirstSuccessOthersCancelled, ()) {
  const Scenario s = genScenario(true);
  const Model model(s, Model::Kind::kRace, false);
  tw::LogCapture log;
  {
    Inputs in(s);
    std::optional<tw::Deferred<std::pair<std::size_t, int>>> raced;
    drive(s, in, [&] {
      raced = tw::race(in.ds);
      return [&] { raced->cancel(); };
    });
    if (model.winner) {
      const Delivery& w = model.deliveries[*model.winner];
      RC_ASSERT(successResultOf(*raced) == std::make_pair(w.index, w.value));
    } else if (s.size() > 0) {
      tw::Failure f = failureResultOf<tw::FailureGroup>(*raced);
      const auto& failures = f.value<tw::FailureGroup>()->failures();
      RC_ASSERT(failures.size() == s.size());
      for (std::size_t i = 0; i < s.size(); ++i) checkFailure(failures[i], model.of(i), s, in);
    } else if (model.cancelCombinator_) {
      failureResultOf<tw::CancelledError>(*raced);
    } else {
      assertNoResult(*raced);
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
      RC_ASSERT(in.ds[i].called());
      RC_ASSERT(in.ds[i].isConsumed());
      RC_ASSERT(in.cancelled[i] == model.cancelledCount(i));
    }
  }
  RC_ASSERT(log.errors().empty());
}
