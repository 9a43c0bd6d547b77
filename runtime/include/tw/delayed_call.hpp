/// @file
/// DelayedCall and TimerQueue: a call scheduled for later, and the heap that orders such calls
/// for every IReactorTime implementation (the fake Clock and the real reactors).
/// Twisted: twisted.internet.base.DelayedCall.  Tests: tests/runtime/delayed_call_test.cpp
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <source_location>
#include <string>
#include <vector>

#include "tw/interfaces/i_reactor_time.hpp"

namespace tw {

class TimerQueue;

namespace detail {
/// Memory for large arrays (a TimerQueue's heap): blocks of 2 MiB and more are 2 MiB-aligned
/// and marked for transparent huge pages, so that a million timers cost a few page faults
/// rather than tens of thousands.  Smaller blocks come from operator new.
void* bigAllocate(std::size_t bytes);
void bigDeallocate(void* p, std::size_t bytes) noexcept;

/// A std::allocator-like allocator on bigAllocate.
template <class T>
struct BigAllocator {
  using value_type = T;
  BigAllocator() noexcept = default;
  template <class U>
  BigAllocator(const BigAllocator<U>&) noexcept {}  // NOLINT
  T* allocate(std::size_t n) { return static_cast<T*>(bigAllocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { bigDeallocate(p, n * sizeof(T)); }
  friend bool operator==(const BigAllocator&, const BigAllocator&) noexcept { return true; }
};
}  // namespace detail

/// A call scheduled on a TimerQueue: IDelayedCall's implementation.
///
/// States:
/// @verbatim
///   pending --run()-------------> called
///   pending --cancel()----------> cancelled
///   pending --queue destroyed---> cancelled (the call will never run)
/// @endverbatim
/// `cancel`, `reset` and `delay` throw tw::error::AlreadyCalled / AlreadyCancelled outside the
/// pending state.  The function (and what it captured) is released as soon as the call runs or
/// is cancelled.
///
/// Thread safety: none; a DelayedCall belongs to its reactor's thread.
///
/// Differs from Twisted: `reset` and `delay` count as scheduling anew for the order of equal-time
/// calls (the call runs after those already due at its new time); Twisted's Clock keeps a
/// re-sorted list in which a delayed call may run before calls scheduled at that time earlier.
class DelayedCall final : public IDelayedCall {
 public:
  /// Use TimerQueue::schedule.
  DelayedCall(TimerQueue& queue, double time, std::function<void()> f,
              const std::source_location& where);
  DelayedCall(const DelayedCall&) = delete;
  DelayedCall& operator=(const DelayedCall&) = delete;

  double getTime() const override { return time_; }
  void cancel() override;
  void delay(Seconds secondsLater) override;
  void reset(Seconds secondsFromNow) override;
  bool active() const override { return !called_ && !cancelled_; }
  bool called() const override { return called_; }
  bool cancelled() const override { return cancelled_; }
  const std::source_location& where() const override { return where_; }

  /// "<DelayedCall 0x... [2.5s] called=0 cancelled=0 scheduled at file.cpp:42 in fn>", the
  /// time being relative to the queue's clock now.
  std::string repr() const override;

 private:
  friend class TimerQueue;
  void checkActive() const;

  TimerQueue* queue_;
  double time_;
  std::uint32_t slot_ = 0;  // the queue's slot for this call while pending
  std::function<void()> f_;
  std::source_location where_;
  std::shared_ptr<DelayedCall> self_;  // the queue's reference while pending
  bool called_ = false;
  bool cancelled_ = false;
};

/// A heap of DelayedCalls ordered by (time, scheduling order): O(log n) to schedule, cancel,
/// reset or run one.  The engine behind tw::fakes::Clock and the reactors' timers.
///
/// Layout, for a million pending calls: a 4-ary heap of 32-byte entries (time, sequence, call,
/// slot) holding everything a comparison needs, and a dense slot -> heap position array updated
/// as entries move, so sifting never touches the DelayedCall objects themselves.  Many calls
/// due at once (prepareDue) are sorted into a batch that popNext merges with the heap.
///
/// Thread safety: none.
class TimerQueue {
 public:
  /// @param clock  the clock whose `seconds()` reset() and repr() measure from; it must outlive
  ///               the queue.
  explicit TimerQueue(const IReactorTime& clock) : clock_(clock) {}
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;
  /// Marks every pending call cancelled (it will never run) and detaches it.
  ~TimerQueue();

  /// Schedules `f` at absolute time `time`.
  /// @throws std::invalid_argument if `time` is not finite.
  std::shared_ptr<DelayedCall> schedule(double time, std::function<void()> f,
                                        const std::source_location& where);

  /// The number of pending calls.
  std::size_t size() const noexcept { return heap_.size() + batchLive_; }
  bool empty() const noexcept { return heap_.empty() && batchLive_ == 0; }

  /// The time of the earliest pending call.  Preconditions: !empty().
  double nextTime() const noexcept {
    if (batchLive_ == 0) return heap_.front().time;
    const double b = batch_[batchHead_].time;
    return heap_.empty() || b <= heap_.front().time ? b : heap_.front().time;
  }

  /// Prepares to run every call due at or before `now` (the reactor or Clock calls it before
  /// popping them): when there are many, they leave the heap and are sorted once, so that
  /// popping them costs O(1) each instead of a sift through a heap too big for the caches.
  /// Changes nothing observable: the order stays (time, scheduling order), and the calls stay
  /// pending, cancellable and reschedulable.
  void prepareDue(double now);

  /// The scheduling sequence number that the next schedule, reset or delay will take: calls
  /// scheduled from now on have a sequence number at least this.  The reactors use it to run,
  /// in one iteration, only the calls scheduled before the iteration began.
  std::uint64_t nextSequence() const noexcept { return nextSeq_; }

  /// The scheduling sequence number of the earliest pending call.  Preconditions: !empty().
  std::uint64_t nextCallSequence() const noexcept {
    if (batchLive_ != 0 && (heap_.empty() || before(batch_[batchHead_], heap_.front()))) {
      return batch_[batchHead_].seq;
    }
    return heap_.front().seq;
  }

  /// Removes the earliest pending call, marks it called and returns it (the caller then runs it
  /// with `run`).  Preconditions: !empty().
  std::shared_ptr<DelayedCall> popNext();

  /// Runs a call returned by popNext: releases its function after the call, even if it throws.
  static void run(const std::shared_ptr<DelayedCall>& call);

  /// Hints the processor to load the call that popNext will return next (a cache miss of its
  /// own otherwise: calls run in time order, not in allocation order).
  void prefetchNext() const noexcept {
    if (!heap_.empty()) __builtin_prefetch(heap_.front().call);
    if (batchLive_ != 0) {
      const std::size_t ahead = batchHead_ + 8 < batch_.size() ? batchHead_ + 8 : batchHead_;
      __builtin_prefetch(batch_[ahead].call);
    }
  }

  /// Every pending call, in heap order.
  std::vector<DelayedCallPtr> pending() const;

  /// The clock's current time.
  double now() const { return clock_.seconds(); }

 private:
  friend class DelayedCall;
  struct Entry {
    double time;
    std::uint64_t seq;
    DelayedCall* call;
    std::uint32_t slot;
  };
  static constexpr std::size_t kArity = 4;
  static bool before(const Entry& a, const Entry& b) noexcept {
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
  }
  void place(std::size_t i, const Entry& e) noexcept {
    heap_[i] = e;
    pos_[e.slot] = static_cast<std::uint32_t>(i);
  }
  void siftUp(std::size_t i) noexcept;
  void siftDown(std::size_t i) noexcept;
  void fix(std::size_t i) noexcept;
  void remove(DelayedCall& call) noexcept;
  void reschedule(DelayedCall& call, double time);
  void releaseSlot(std::uint32_t slot) noexcept;
  void skipDeadBatch() noexcept;
  void rebuildHeap() noexcept;
  std::shared_ptr<DelayedCall> take(DelayedCall* top) noexcept;

  /// pos_ values with this bit index batch_ rather than heap_.
  static constexpr std::uint32_t kInBatch = 0x80000000u;
  /// prepareDue sorts the due calls only when there are at least this many.
  static constexpr std::size_t kMinBatch = 256;

  const IReactorTime& clock_;
  std::vector<Entry, detail::BigAllocator<Entry>> heap_;
  std::vector<std::uint32_t, detail::BigAllocator<std::uint32_t>> pos_;  // slot -> index in heap_
  std::vector<std::uint32_t, detail::BigAllocator<std::uint32_t>> freeSlots_;
  /// Due calls taken out of the heap by prepareDue, sorted; entries before batchHead_ are
  /// consumed, and a cancelled or rescheduled entry has call == nullptr.
  std::vector<Entry, detail::BigAllocator<Entry>> batch_;
  std::size_t batchHead_ = 0;
  std::size_t batchLive_ = 0;
  std::uint64_t nextSeq_ = 0;
};

}  // namespace tw
