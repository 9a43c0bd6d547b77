/// @file
/// DelayedCall and TimerQueue.  Tests: tests/runtime/delayed_call_test.cpp
#include "tw/delayed_call.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <new>
#include <stdexcept>

#include "tw/error.hpp"

namespace tw {

// ---------------------------------------------------------------------------------------------
// Memory.  A page fault costs microseconds (16 us each on the project's VM): a million timers
// in 4 KiB pages is tens of thousands of them, on every run, since glibc returns freed memory
// at the top of its heap to the system.  So big arrays and the DelayedCall objects live in
// 2 MiB-aligned chunks marked for transparent huge pages (a no-op where THP is off).

namespace detail {

namespace {
constexpr std::size_t kHuge = std::size_t{2} << 20;

std::size_t hugeRounded(std::size_t bytes) { return (bytes + kHuge - 1) / kHuge * kHuge; }

/// `bytes` (rounded up to 2 MiB) of fresh memory, 2 MiB-aligned, straight from mmap.
void* hugeChunk(std::size_t bytes) {
  const std::size_t size = hugeRounded(bytes);
  void* raw =
      mmap(nullptr, size + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kHuge - 1) & ~(kHuge - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const std::uintptr_t end = start + size + kHuge;
  if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - aligned - size);
  void* p = reinterpret_cast<void*>(aligned);
#if defined(MADV_HUGEPAGE)
  (void)madvise(p, size, MADV_HUGEPAGE);
#endif
  return p;
}

void freeHugeChunk(void* p, std::size_t bytes) noexcept { munmap(p, hugeRounded(bytes)); }
}  // namespace

void* bigAllocate(std::size_t bytes) {
  if (bytes >= kHuge) return hugeChunk(bytes);
  return ::operator new(bytes);
}

void bigDeallocate(void* p, std::size_t bytes) noexcept {
  if (bytes >= kHuge) {
    freeHugeChunk(p, bytes);
  } else {
    ::operator delete(p);
  }
}

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kPooling = false;  // AddressSanitizer must see every object on its own
#else
constexpr bool kPooling = true;
#endif

/// Fixed-size blocks for DelayedCall objects (with their shared_ptr control block), carved from
/// 2 MiB chunks.  A chunk whose blocks are all free goes back to the system, except the last
/// one, kept for the next burst.  One mutex: a handle may be dropped on another thread.
class BlockPool {
 public:
  static constexpr std::size_t kBlock = 128;

  void* allocate() {
    std::lock_guard<std::mutex> lock(mutex_);
    Chunk* c = partial_;
    if (c == nullptr) c = newChunk();
    void* p;
    if (c->free != nullptr) {
      p = c->free;
      c->free = c->free->next;
    } else {
      p = reinterpret_cast<char*>(c) + c->bump;
      c->bump += kBlock;
    }
    ++c->live;
    if (c->free == nullptr && c->bump + kBlock > kHuge) unlink(c);  // full
    return p;
  }

  void deallocate(void* p) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    Chunk* c = chunkOf(p);
    const bool wasFull = c->free == nullptr && c->bump + kBlock > kHuge;
    auto* b = static_cast<FreeBlock*>(p);
    b->next = c->free;
    c->free = b;
    --c->live;
    if (wasFull) link(c);
    if (c->live == 0 && chunks_ > 1) {
      unlink(c);
      --chunks_;
      freeHugeChunk(c, kHuge);
    }
  }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  struct Chunk {
    Chunk* prev;
    Chunk* next;
    FreeBlock* free;
    std::size_t bump;
    std::size_t live;
  };
  static Chunk* chunkOf(void* p) noexcept {
    return reinterpret_cast<Chunk*>(reinterpret_cast<std::uintptr_t>(p) & ~(kHuge - 1));
  }
  Chunk* newChunk() {
    auto* c = static_cast<Chunk*>(hugeChunk(kHuge));
    c->prev = c->next = nullptr;
    c->free = nullptr;
    c->bump = (sizeof(Chunk) + kBlock - 1) / kBlock * kBlock;
    c->live = 0;
    ++chunks_;
    link(c);
    return c;
  }
  void link(Chunk* c) noexcept {
    c->prev = nullptr;
    c->next = partial_;
    if (partial_ != nullptr) partial_->prev = c;
    partial_ = c;
  }
  void unlink(Chunk* c) noexcept {
    if (c->prev != nullptr) c->prev->next = c->next;
    if (c->next != nullptr) c->next->prev = c->prev;
    if (partial_ == c) partial_ = c->next;
    c->prev = c->next = nullptr;
  }

  std::mutex mutex_;
  Chunk* partial_ = nullptr;  // chunks with room
  std::size_t chunks_ = 0;
};

BlockPool& blockPool() {
  static BlockPool* pool = new BlockPool;  // never destroyed: handles may outlive statics
  return *pool;
}

/// The allocator of DelayedCall's shared_ptr blocks.
template <class T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() noexcept = default;
  template <class U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}  // NOLINT
  T* allocate(std::size_t n) {
    if (kPooling && n == 1 && sizeof(T) <= BlockPool::kBlock &&
        alignof(T) <= alignof(std::max_align_t)) {
      return static_cast<T*>(blockPool().allocate());
    }
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (kPooling && n == 1 && sizeof(T) <= BlockPool::kBlock &&
        alignof(T) <= alignof(std::max_align_t)) {
      blockPool().deallocate(p);
    } else {
      ::operator delete(p);
    }
  }
  friend bool operator==(const PoolAllocator&, const PoolAllocator&) noexcept { return true; }
};

}  // namespace
}  // namespace detail

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
  while (!empty()) {
    std::vector<std::shared_ptr<DelayedCall>> calls;
    calls.reserve(size());
    auto detach = [&calls](DelayedCall* call) {
      call->queue_ = nullptr;
      call->cancelled_ = true;
      calls.push_back(std::move(call->self_));
    };
    for (const Entry& e : heap_) detach(e.call);
    for (std::size_t i = batchHead_; i < batch_.size(); ++i) {
      if (batch_[i].call != nullptr) detach(batch_[i].call);
    }
    heap_.clear();
    batch_.clear();
    batchHead_ = 0;
    batchLive_ = 0;
    pos_.clear();
    freeSlots_.clear();
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
  // Reserve everything first: once the call exists, nothing below may throw.
  std::uint32_t slot;
  if (freeSlots_.empty()) {
    if (pos_.size() >= kInBatch) {
      throw std::length_error("TimerQueue: too many pending calls");
    }
    const std::size_t n = pos_.size();
    if (n == pos_.capacity() || n >= freeSlots_.capacity()) {
      // Grown together, so that freeSlots_ can take every slot back without allocating
      // (releaseSlot is noexcept).
      const std::size_t capacity = n < 8 ? 16 : 2 * n;
      pos_.reserve(capacity);
      freeSlots_.reserve(capacity);
    }
    slot = static_cast<std::uint32_t>(n);
    pos_.push_back(0);
  } else {
    slot = freeSlots_.back();
    freeSlots_.pop_back();
  }
  std::shared_ptr<DelayedCall> call;
  try {
    if (heap_.size() == heap_.capacity()) heap_.reserve(heap_.empty() ? 16 : heap_.capacity() * 2);
    call = std::allocate_shared<DelayedCall>(detail::PoolAllocator<DelayedCall>{}, *this, time,
                                             std::move(f), where);
  } catch (...) {
    freeSlots_.push_back(slot);
    throw;
  }
  call->self_ = call;
  call->slot_ = slot;
  heap_.push_back(Entry{time, nextSeq_++, call.get(), slot});
  pos_[slot] = static_cast<std::uint32_t>(heap_.size() - 1);
  siftUp(heap_.size() - 1);
  return call;
}

void TimerQueue::siftUp(std::size_t i) noexcept {
  const Entry e = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!before(e, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void TimerQueue::siftDown(std::size_t i) noexcept {
  const std::size_t n = heap_.size();
  const Entry e = heap_[i];
  for (;;) {
    const std::size_t first = kArity * i + 1;
    if (first >= n) break;
    const std::size_t end = first + kArity < n ? first + kArity : n;
    std::size_t best = first;
    for (std::size_t c = first + 1; c < end; ++c) {
      if (before(heap_[c], heap_[best])) best = c;
    }
    if (!before(heap_[best], e)) break;
    place(i, heap_[best]);
    i = best;
  }
  place(i, e);
}

void TimerQueue::fix(std::size_t i) noexcept {
  if (i > 0 && before(heap_[i], heap_[(i - 1) / kArity])) {
    siftUp(i);
  } else {
    siftDown(i);
  }
}

void TimerQueue::releaseSlot(std::uint32_t slot) noexcept {
  freeSlots_.push_back(slot);  // cannot throw: capacity grows with pos_ (see schedule)
}

void TimerQueue::skipDeadBatch() noexcept {
  while (batchHead_ < batch_.size() && batch_[batchHead_].call == nullptr) ++batchHead_;
  if (batchLive_ == 0) {
    batch_.clear();
    batchHead_ = 0;
  }
}

void TimerQueue::remove(DelayedCall& call) noexcept {
  const std::uint32_t p = pos_[call.slot_];
  if ((p & kInBatch) != 0) {
    batch_[p & ~kInBatch].call = nullptr;
    --batchLive_;
    skipDeadBatch();
    releaseSlot(call.slot_);
    return;
  }
  const std::size_t i = p;
  const std::size_t last = heap_.size() - 1;
  if (i != last) {
    const Entry moved = heap_[last];
    heap_.pop_back();
    place(i, moved);
    fix(i);
  } else {
    heap_.pop_back();
  }
  releaseSlot(call.slot_);
}

void TimerQueue::reschedule(DelayedCall& call, double time) {
  if (!std::isfinite(time)) {
    throw std::invalid_argument("DelayedCall: the time of a call must be finite");
  }
  const std::uint32_t p = pos_[call.slot_];
  if ((p & kInBatch) != 0) {
    // Leaves the batch for the heap, with its new time and a new place in the order.
    if (heap_.size() == heap_.capacity()) heap_.reserve(heap_.empty() ? 16 : heap_.capacity() * 2);
    batch_[p & ~kInBatch].call = nullptr;
    --batchLive_;
    call.time_ = time;
    heap_.push_back(Entry{time, nextSeq_++, &call, call.slot_});
    pos_[call.slot_] = static_cast<std::uint32_t>(heap_.size() - 1);
    siftUp(heap_.size() - 1);
    skipDeadBatch();
    return;
  }
  const std::size_t i = p;
  call.time_ = time;
  heap_[i].time = time;
  heap_[i].seq = nextSeq_++;
  fix(i);
}

void TimerQueue::prepareDue(double now) {
  if (batchLive_ != 0 || heap_.size() < kMinBatch) return;
  // Worth it only when at least an eighth of the heap is due (the O(n) partition is then paid
  // for by the pops it saves).  Count the due calls from the root down, stopping at that many:
  // a due node's children may be due, a later node's never are.  This costs about as much as
  // popping the due calls would, so small advances stay cheap.
  const std::size_t wanted = std::max(kMinBatch, heap_.size() / 8);
  std::size_t due = 0;
  {
    std::vector<std::size_t> stack;
    if (heap_.front().time <= now) stack.push_back(0);
    while (!stack.empty() && due < wanted) {
      const std::size_t i = stack.back();
      stack.pop_back();
      ++due;
      const std::size_t first = kArity * i + 1;
      const std::size_t end = std::min(first + kArity, heap_.size());
      for (std::size_t c = first; c < end; ++c) {
        if (heap_[c].time <= now) stack.push_back(c);
      }
    }
  }
  if (due < wanted) return;
  auto split =
      std::partition(heap_.begin(), heap_.end(), [now](const Entry& e) { return e.time <= now; });
  if (split == heap_.end()) {
    batch_.clear();
    batch_.swap(heap_);  // all due: the heap's array becomes the batch, no copy
  } else {
    try {
      batch_.reserve(static_cast<std::size_t>(split - heap_.begin()));
    } catch (const std::bad_alloc&) {
      rebuildHeap();  // an optimisation only: go on without it
      return;
    }
    batch_.assign(heap_.begin(), split);
    heap_.erase(heap_.begin(), split);
  }
  std::sort(batch_.begin(), batch_.end(),
            [](const Entry& a, const Entry& b) { return before(a, b); });
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    pos_[batch_[i].slot] = static_cast<std::uint32_t>(i) | kInBatch;
  }
  batchHead_ = 0;
  batchLive_ = batch_.size();
  rebuildHeap();
}

void TimerQueue::rebuildHeap() noexcept {
  // Floyd: record every position, then sift every parent down, the last one first.
  for (std::size_t i = 0; i < heap_.size(); ++i)
    pos_[heap_[i].slot] = static_cast<std::uint32_t>(i);
  if (heap_.size() > 1) {
    for (std::size_t i = (heap_.size() - 2) / kArity + 1; i-- > 0;) siftDown(i);
  }
}

std::shared_ptr<DelayedCall> TimerQueue::take(DelayedCall* top) noexcept {
  std::shared_ptr<DelayedCall> call = std::move(top->self_);
  remove(*top);
  call->queue_ = nullptr;
  call->called_ = true;
  return call;
}

std::shared_ptr<DelayedCall> TimerQueue::popNext() {
  if (batchLive_ != 0 && (heap_.empty() || before(batch_[batchHead_], heap_.front()))) {
    // The batch's head: its position is known, no need to look it up as remove() would.
    Entry& head = batch_[batchHead_];
    DelayedCall* top = head.call;
    std::shared_ptr<DelayedCall> call = std::move(top->self_);
    head.call = nullptr;
    --batchLive_;
    skipDeadBatch();
    releaseSlot(top->slot_);
    call->queue_ = nullptr;
    call->called_ = true;
    return call;
  }
  return take(heap_.front().call);
}

void TimerQueue::run(const std::shared_ptr<DelayedCall>& call) {
  std::function<void()> f = std::move(call->f_);
  call->f_ = nullptr;
  if (f) f();
}

std::vector<DelayedCallPtr> TimerQueue::pending() const {
  std::vector<DelayedCallPtr> out;
  out.reserve(size());
  for (std::size_t i = batchHead_; i < batch_.size(); ++i) {
    if (batch_[i].call != nullptr) out.push_back(batch_[i].call->self_);
  }
  for (const Entry& e : heap_) out.push_back(e.call->self_);
  return out;
}

}  // namespace tw
