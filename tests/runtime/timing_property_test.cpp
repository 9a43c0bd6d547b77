/// @file
/// Property tests for the time-based helpers: addTimeout racing a result, LoopingCall.withCount
/// counting every interval exactly once, deferLater firing in (time, call order) order.
/// Twisted: Deferred.addTimeout, twisted.internet.task.LoopingCall, deferLater.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "result_helpers.hpp"
#include "tw/defer_later.hpp"
#include "tw/deferred.hpp"
#include "tw/deferred_errors.hpp"
#include "tw/fakes/clock.hpp"
#include "tw/looping_call.hpp"

namespace {

using tw::Deferred;
using tw::Failure;
using tw::fakes::Clock;

// A Deferred with a timeout gets its result if the result comes strictly first (or at the same
// time, scheduled before the timer), and TimeoutError otherwise; no call is left pending.
RC_GTEST_PROP(TimingPropertyTests, addTimeoutRacesResult, ()) {
  const int timeoutQ = *rc::gen::inRange(0, 12);  // quarter-seconds
  const int fireQ = *rc::gen::inRange(0, 12);
  const bool resultScheduledFirst = *rc::gen::arbitrary<bool>();
  const auto steps = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 5));
  Clock clock;
  Deferred<int> d;
  auto fire = [&] { clock.callLater(tw::Seconds(fireQ * 0.25), [d]() mutable { d.callback(7); }); };
  if (resultScheduledFirst) fire();
  auto out = d.addTimeout(tw::Seconds(timeoutQ * 0.25), clock);
  if (!resultScheduledFirst) fire();
  std::optional<int> value;
  std::optional<Failure> failure;
  out.addCallbacks([&](int v) { value = v; }, [&](Failure f) { failure = f; });
  for (int q : steps) clock.advance(tw::Seconds(q * 0.25));
  clock.advance(tw::Seconds(10));
  const bool resultWins = fireQ < timeoutQ || (fireQ == timeoutQ && resultScheduledFirst);
  if (resultWins) {
    RC_ASSERT(value == 7);
  } else {
    RC_ASSERT(failure.has_value());
    RC_ASSERT(failure->check<tw::TimeoutError>() != nullptr);
  }
  RC_ASSERT(clock.pendingCount() == 0u);
}

// LoopingCall.withCount: after any sequence of advances, the counts passed so far add up to the
// number of whole intervals elapsed (plus one for the call at start with now = true), and no
// count is ever 0.  Times are exact binary fractions, so no rounding is involved.
RC_GTEST_PROP(TimingPropertyTests, withCountCountsEveryIntervalOnce, ()) {
  const int intervalQ = *rc::gen::inRange(1, 9);  // quarter-seconds
  const bool now = *rc::gen::arbitrary<bool>();
  const auto steps = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 20));
  Clock clock;
  std::vector<std::int64_t> counts;
  auto lc = tw::LoopingCall::withCount(clock, [&](std::int64_t n) { counts.push_back(n); });
  auto d = lc.start(tw::Seconds(intervalQ * 0.25), now);
  int elapsedQ = 0;
  for (int q : steps) {
    clock.advance(tw::Seconds(q * 0.25));
    elapsedQ += q;
    std::int64_t sum = 0;
    for (std::int64_t n : counts) {
      RC_ASSERT(n >= 1);
      sum += n;
    }
    RC_ASSERT(sum == elapsedQ / intervalQ + (now ? 1 : 0));
    RC_ASSERT(clock.pendingCount() == 1u);
  }
  lc.stop();
  RC_ASSERT(tw::test::successResultOf(d) == &lc);
  RC_ASSERT(clock.pendingCount() == 0u);
}

// deferLater Deferreds fire in order of their time, ties in the order deferLater was called;
// cancelled ones never run their function.
RC_GTEST_PROP(TimingPropertyTests, deferLaterFiresInOrder, ()) {
  const auto spec = *rc::gen::container<std::vector<std::pair<int, bool>>>(
      rc::gen::pair(rc::gen::inRange(0, 6), rc::gen::arbitrary<bool>()));
  Clock clock;
  std::vector<int> ran;
  std::vector<Deferred<int>> ds;
  for (int i = 0; i < static_cast<int>(spec.size()); ++i) {
    ds.push_back(tw::deferLater(clock, tw::Seconds(spec[i].first), [&ran, i] {
      ran.push_back(i);
      return i;
    }));
  }
  std::vector<int> expected;
  for (int i = 0; i < static_cast<int>(spec.size()); ++i) {
    if (spec[i].second) {
      ds[i].cancel();
      tw::test::failureResultOf<tw::CancelledError>(ds[i]);
    } else {
      expected.push_back(i);
    }
  }
  std::stable_sort(expected.begin(), expected.end(),
                   [&](int a, int b) { return spec[a].first < spec[b].first; });
  clock.advance(tw::Seconds(10));
  RC_ASSERT(ran == expected);
  for (int i : expected) RC_ASSERT(tw::test::successResultOf(ds[i]) == i);
}

}  // namespace
