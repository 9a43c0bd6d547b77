/// @file
/// TestClock: a manual IReactorTime for the runtime's own tests, which cannot link tw::fakes
/// (tw::fakes::Clock is the product; this is the same few lines on the same TimerQueue).
/// Twisted: twisted.internet.task.Clock.
#pragma once

#include <functional>
#include <initializer_list>
#include <source_location>
#include <vector>

#include "tw/delayed_call.hpp"
#include "tw/interfaces/i_reactor_time.hpp"

namespace tw::test {

/// A clock whose time moves only through advance/pump, with Twisted's Clock ordering (time is
/// set first, then every due call runs, including those scheduled meanwhile).
class TestClock : public IReactorTime {
 public:
  TestClock() : queue_(*this) {}
  double seconds() const override { return now_; }
  std::vector<DelayedCallPtr> getDelayedCalls() const override { return queue_.pending(); }

  void advance(Seconds amount) {
    now_ += amount.count();
    while (!queue_.empty() && queue_.nextTime() <= now_) TimerQueue::run(queue_.popNext());
  }
  void pump(std::initializer_list<Seconds> timings) {
    for (Seconds t : timings) advance(t);
  }
  std::size_t pendingCount() const { return queue_.size(); }

 protected:
  DelayedCallPtr doCallLater(Seconds delay, std::function<void()> f,
                             const std::source_location& where) override {
    return queue_.schedule(now_ + delay.count(), std::move(f), where);
  }

 private:
  double now_ = 0;
  TimerQueue queue_;
};

}  // namespace tw::test
