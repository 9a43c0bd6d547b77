/// @file
/// Tests of Deferred::waitChain: each kind of link (a coroutine at its co_await, a Deferred
/// waiting on one a callback returned, an unfired one, a paused one) and where each was made.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tw/deferred.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string here(int line) { return std::string(__FILE__) + ":" + std::to_string(line); }

TEST(DeferredWaitChainTests, unfiredDeferredNamesWhereItWasCreated) {
  tw::Deferred<int> d;
  const int created = __LINE__ - 1;
  d.addCallback([](int x) { return x; });
  const int added = __LINE__ - 1;
  EXPECT_EQ(d.waitChain(), "1. the Deferred created at " + here(created) +
                               ", which has no result: nothing has fired it; 1 callback waits on "
                               "it (the first added at " +
                               here(added) + ")");
}

TEST(DeferredWaitChainTests, chainedDeferredLeadsToTheReturnedOne) {
  tw::Deferred<int> outer;
  tw::Deferred<int> inner;
  const int innerCreated = __LINE__ - 1;
  outer.addCallback([inner](int) { return inner; });
  outer.callback(1);
  std::string chain = outer.waitChain();
  EXPECT_THAT(chain, StartsWith("1. the Deferred created at "));
  EXPECT_THAT(chain, HasSubstr("waiting on the Deferred one of its callbacks returned:\n2. the "
                               "Deferred created at " +
                               here(innerCreated) + ", which has no result"));
  inner.callback(2);
  EXPECT_THAT(outer.waitChain(), HasSubstr("which has a result"));
}

tw::Deferred<int> awaitsTwice(tw::Deferred<int> first, tw::Deferred<int> second, int* line) {
  int a = co_await first;
  *line = __LINE__ + 1;
  int b = co_await second;
  co_return a + b;
}

tw::Deferred<int> awaitsACoroutine(tw::Deferred<int> first, tw::Deferred<int> second, int* line,
                                   int* innerLine) {
  *line = __LINE__ + 1;
  int r = co_await awaitsTwice(first, second, innerLine);
  co_return r;
}

TEST(DeferredWaitChainTests, coroutineNamesItsCoAwait) {
  tw::Deferred<int> first;
  tw::Deferred<int> second;
  const int secondCreated = __LINE__ - 1;
  int outerLine = 0;
  int innerLine = 0;
  tw::Deferred<int> d = awaitsACoroutine(first, second, &outerLine, &innerLine);
  first.callback(1);  // the inner coroutine moves on to its second co_await
  EXPECT_EQ(d.waitChain(), "1. a coroutine's Deferred, suspended at the co_await at " +
                               here(outerLine) + ", waiting on:\n2. a coroutine's Deferred, " +
                               "suspended at the co_await at " + here(innerLine) +
                               ", waiting on:\n3. the Deferred created at " + here(secondCreated) +
                               ", which has no result: nothing has fired it; 1 callback waits on "
                               "it (the first added at " +
                               here(secondCreated) + ")");
  second.callback(2);
  EXPECT_THAT(d.waitChain(), HasSubstr("which has a result"));
}

TEST(DeferredWaitChainTests, pausedDeferredSaysSo) {
  tw::Deferred<int> d;
  d.pause();
  d.callback(1);
  EXPECT_THAT(d.waitChain(), HasSubstr("fired but paused (pause() without unpause())"));
  d.unpause();
  EXPECT_THAT(d.waitChain(), HasSubstr("which has a result"));
}

}  // namespace
