/// @file
/// Tests of TW_PROP: a fresh reactor per case, and the per-case janitor failing (and shrinking)
/// a case that leaves a delayed call or logs an error.
#include "tw/trial/prop.hpp"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "tw/defer_later.hpp"
#include "tw/trial/assertions.hpp"

namespace {

using namespace std::chrono_literals;

// Each case gets its own reactor: its clock starts at 0 and a deferLater of n seconds fires
// after advancing n seconds.
TW_PROP(PropPropertyTests, eachCaseHasAFreshClock, (std::uint8_t n)) {
  auto& reactor = tw::trial::propReactor();
  RC_ASSERT(reactor.seconds() == 0.0);
  RC_ASSERT(reactor.getDelayedCalls().empty());
  auto d = tw::deferLater(reactor, tw::Seconds(n), [n] { return int{n}; });
  reactor.advance(tw::Seconds(n));
  RC_ASSERT(tw::trial::successResultOf(d) == int{n});
}

// A case leaving a delayed call behind fails, naming the call; RapidCheck shrinks it.
void leavesACallBehind(std::uint8_t n) {
  if (n > 3) tw::trial::propReactor().callLater(1s, [] {});
}

// A case logging an unhandled error fails, naming it.
void logsAnUnhandledError(bool fail) {
  if (fail) auto d = tw::fail<int>(std::runtime_error("dropped on the floor"));
}

TEST(PropPropertyTests, janitorFailsUncleanCases) {
  EXPECT_FATAL_FAILURE(tw::trial::detail::checkProp(&leavesACallBehind),
                       "pending delayed call: <DelayedCall");
  EXPECT_FATAL_FAILURE(tw::trial::detail::checkProp(&logsAnUnhandledError), "dropped on the floor");
}

// propReactor outside a case is a clear error.
TEST(PropPropertyTests, propReactorOutsideACaseThrows) {
  EXPECT_THROW(tw::trial::propReactor(), std::logic_error);
}

}  // namespace
