/// @file
/// DelayedCall and TimerQueue.  Tests: tests/runtime/delayed_call_test.cpp
#include "tw/delayed_call.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "tw/error.hpp"

namespace tw {

DelayedCall::DelayedCall(TimerQueue& queue, double time, std::function<void()> f,
                         const std::source_location& where)
    : queue_(&queue), time_(time), f_(std::move(f)), where_(where) {}

void DelayedCall::checkActive() const {
  if (cancelled_) throw error::AlreadyCancelled();
  if (called_) throw error::AlreadyCalled();
}

void DelayedCall::cancel() {
  checkActive();
  cancelled_ = true;
  std::shared_ptr<DelayedCall> keep = std::move(self_);  // destroyed last
  std::function<void()> f = std::move(f_);
  f_ = nullptr;
  if (queue_ != nullptr) {
    queue_->remove(*this);
    queue_ = nullptr;
  }
  // `f` (and what it captured) is destroyed here, after the queue no longer refers to us.
}

void DelayedCall::delay(Seconds secondsLater) {
  checkActive();
  double t = time_ + secondsLater.count();
  if (queue_ != nullptr) {
    queue_->reschedule(*this, t);
  } else {
    time_ = t;
  }
}

void DelayedCall::reset(Seconds secondsFromNow) {
  checkActive();
  if (queue_ != nullptr) {
    queue_->reschedule(*this, queue_->now() + secondsFromNow.count());
  }
}

std::string DelayedCall::repr() const {
  char head[96];
  double left = queue_ != nullptr ? time_ - queue_->now() : 0.0;
  std::snprintf(head, sizeof head, "<DelayedCall %p [%gs] called=%d cancelled=%d",
                static_cast<const void*>(this), left, called_ ? 1 : 0, cancelled_ ? 1 : 0);
  std::string out = head;
  out += " scheduled at ";
  out += where_.file_name();
  out += ':';
  out += std::to_string(where_.line());
  if (where_.function_name()[0] != '\0') {
    out += " in ";
    out += where_.function_name();
  }
  out += '>';
  return out;
}

TimerQueue::~TimerQueue() {
  // Detach every pending call first, then release the functions: a function's destructor may
  // run arbitrary code (cancel another call of this queue, schedule a new one), which must find
  // the queue consistent.  Calls scheduled meanwhile are detached in the next round.
  while (!heap_.empty()) {
    std::vector<Entry> heap = std::move(heap_);
    heap_.clear();
    std::vector<std::shared_ptr<DelayedCall>> calls;
    calls.reserve(heap.size());
    for (Entry& e : heap) {
      DelayedCall* call = e.call;
      call->queue_ = nullptr;
      call->cancelled_ = true;
      calls.push_back(std::move(call->self_));
    }
    for (std::shared_ptr<DelayedCall>& call : calls) {
      std::function<void()> f = std::move(call->f_);
      call->f_ = nullptr;
    }
  }
}

std::shared_ptr<DelayedCall> TimerQueue::schedule(double time, std::function<void()> f,
                                                  const std::source_location& where) {
  if (!std::isfinite(time)) {
    throw std::invalid_argument("callLater: the time of a call must be finite");
  }
  if (heap_.size() == heap_.capacity()) {
    heap_.reserve(heap_.empty() ? 16 : heap_.capacity() * 2);  // the push below cannot throw
  }
  auto call = std::make_shared<DelayedCall>(*this, time, std::move(f), where);
  call->self_ = call;
  call->seq_ = nextSeq_++;
  heap_.push_back(Entry{time, call->seq_, call.get()});
  call->heapIndex_ = heap_.size() - 1;
  siftUp(heap_.size() - 1);
  return call;
}

void TimerQueue::place(std::size_t i, const Entry& e) noexcept {
  heap_[i] = e;
  e.call->heapIndex_ = i;
}

void TimerQueue::siftUp(std::size_t i) noexcept {
  Entry e = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!before(e, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void TimerQueue::siftDown(std::size_t i) noexcept {
  const std::size_t n = heap_.size();
  Entry e = heap_[i];
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], e)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, e);
}

void TimerQueue::remove(DelayedCall& call) noexcept {
  std::size_t i = call.heapIndex_;
  std::size_t last = heap_.size() - 1;
  if (i != last) {
    Entry moved = heap_[last];
    heap_.pop_back();
    place(i, moved);
    if (i > 0 && before(heap_[i], heap_[(i - 1) / 2])) {
      siftUp(i);
    } else {
      siftDown(i);
    }
  } else {
    heap_.pop_back();
  }
}

void TimerQueue::reschedule(DelayedCall& call, double time) {
  if (!std::isfinite(time)) {
    throw std::invalid_argument("DelayedCall: the time of a call must be finite");
  }
  std::size_t i = call.heapIndex_;
  call.time_ = time;
  call.seq_ = nextSeq_++;
  heap_[i].time = time;
  heap_[i].seq = call.seq_;
  if (i > 0 && before(heap_[i], heap_[(i - 1) / 2])) {
    siftUp(i);
  } else {
    siftDown(i);
  }
}

std::shared_ptr<DelayedCall> TimerQueue::popNext() {
  DelayedCall* top = heap_.front().call;
  std::shared_ptr<DelayedCall> call = std::move(top->self_);
  remove(*top);
  call->queue_ = nullptr;
  call->called_ = true;
  return call;
}

void TimerQueue::run(const std::shared_ptr<DelayedCall>& call) {
  std::function<void()> f = std::move(call->f_);
  call->f_ = nullptr;
  if (f) f();
}

std::vector<DelayedCallPtr> TimerQueue::pending() const {
  std::vector<DelayedCallPtr> out;
  out.reserve(heap_.size());
  for (const Entry& e : heap_) out.push_back(e.call->self_);
  return out;
}

}  // namespace tw
