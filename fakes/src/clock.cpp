/// @file
/// Clock.  Tests: tests/fakes/clock_test.cpp
#include "tw/fakes/clock.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace tw::fakes {

namespace {
void checkAmount(const char* what, double amount) {
  if (!std::isfinite(amount) || amount < 0) {
    throw std::invalid_argument(std::string(what) +
                                ": the amount must be finite and not negative, got " +
                                std::to_string(amount));
  }
}
}  // namespace

DelayedCallPtr Clock::doCallLater(Seconds delay, std::function<void()> f,
                                  const std::source_location& where) {
  checkAmount("callLater", delay.count());
  return queue_.schedule(now_ + delay.count(), std::move(f), where);
}

void Clock::advance(Seconds amount) {
  checkAmount("advance", amount.count());
  now_ += amount.count();
  queue_.prepareDue(now_);
  while (!queue_.empty() && queue_.nextTime() <= now_) {
    std::shared_ptr<DelayedCall> call = queue_.popNext();
    queue_.prefetchNext();  // its object loads while this one runs
    TimerQueue::run(call);
  }
}

void Clock::pump(std::span<const Seconds> timings) {
  for (Seconds amount : timings) advance(amount);
}

bool Clock::step() {
  if (queue_.empty()) return false;
  if (queue_.nextTime() > now_) now_ = queue_.nextTime();
  TimerQueue::run(queue_.popNext());
  return true;
}

void Clock::advanceStepwise(Seconds amount) {
  checkAmount("advanceStepwise", amount.count());
  const double target = now_ + amount.count();
  while (!queue_.empty() && queue_.nextTime() <= target) step();
  now_ = target;
}

}  // namespace tw::fakes
