/// @file
/// The untyped Deferred machinery: firing, the iterative callback loop, pause, cancel, and the
/// report of unhandled failures.
#include <cstdio>
#include <sstream>
#include <vector>

#include "tw/deferred.hpp"
#include "tw/detail/core.hpp"
#include "tw/logger.hpp"

namespace tw::detail {

// ---------------------------------------------------------------------------------------------
// StepQueue

namespace {

// Per-thread caches (see Core::operator new and StepQueue::grow): free Core blocks, and one
// spare step array. Plain data, usable until the thread's very end; CacheOwner empties them when
// the thread exits. None under AddressSanitizer, which must see every block freed.
struct FreeBlock {
  FreeBlock* next;
};
struct ThreadCache {
  FreeBlock* cores;
  std::size_t coreCount;
  Step* spare;
  std::uint32_t spareCapacity;
  bool closed;
};
thread_local ThreadCache cache{nullptr, 0, nullptr, 0, false};

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCaching = false;
#else
constexpr bool kCaching = true;
#endif
/// At most this many free Cores are kept per thread (about 1.8 MB).
constexpr std::size_t kMaxCachedCores = 4096;
/// The spare step array is kept only up to this many steps (256 KB).
constexpr std::uint32_t kMaxSpareSteps = 4096;

struct CacheOwner {
  ~CacheOwner() {
    cache.closed = true;
    while (cache.cores != nullptr) {
      FreeBlock* b = cache.cores;
      cache.cores = b->next;
      ::operator delete(b);
    }
    cache.coreCount = 0;
    if (cache.spare != nullptr) ::operator delete(cache.spare);
    cache.spare = nullptr;
    cache.spareCapacity = 0;
  }
};

/// True when this thread may keep a block: registers the cleanup on first use.
bool mayCache() noexcept {
  if (!kCaching || cache.closed) return false;
  thread_local CacheOwner owner;
  (void)owner;
  return true;
}

/// Frees a step array, or keeps it as the spare when it is the largest seen (bounded).
void releaseArray(Step* array, std::uint32_t capacity) noexcept {
  if (capacity <= kMaxSpareSteps && capacity > cache.spareCapacity && mayCache()) {
    if (cache.spare != nullptr) ::operator delete(cache.spare);
    cache.spare = array;
    cache.spareCapacity = capacity;
  } else {
    ::operator delete(array);
  }
}

}  // namespace

StepQueue::~StepQueue() {
  clear();
  if (heap_ != nullptr) releaseArray(heap_, capacity_);
}

void StepQueue::clear() noexcept {
  // Destroying a step may run arbitrary destructors that add steps to this very queue; take
  // one at a time from the front.
  while (head_ != size_) {
    Step s = pop();
  }
}

void StepQueue::grow() {
  std::uint32_t live = size_ - head_;
  std::uint32_t capacity = live * 2 + 4 > capacity_ ? live * 2 + 4 : capacity_;
  Step* fresh;
  if (cache.spare != nullptr && cache.spareCapacity >= capacity) {
    fresh = std::exchange(cache.spare, nullptr);
    capacity = std::exchange(cache.spareCapacity, 0);
  } else {
    fresh = static_cast<Step*>(::operator new(sizeof(Step) * capacity));
  }
  Step* old = data();
  for (std::uint32_t i = 0; i < live; ++i) {
    ::new (&fresh[i]) Step(std::move(old[head_ + i]));
    old[head_ + i].~Step();
  }
  if (heap_ != nullptr) releaseArray(heap_, capacity_);
  heap_ = fresh;
  capacity_ = capacity;
  head_ = 0;
  size_ = live;
}

void StepQueue::push(Step&& step) {
  if (head_ == size_) {
    head_ = size_ = 0;  // empty: reuse the storage from the start
  }
  if (size_ == capacity_) {
    if (head_ > 0 && head_ >= capacity_ / 2) {
      // Compact in place: more than half of the storage is consumed.
      Step* d = data();
      std::uint32_t live = size_ - head_;
      for (std::uint32_t i = 0; i < live; ++i) {
        ::new (&d[i]) Step(std::move(d[head_ + i]));
        d[head_ + i].~Step();
      }
      head_ = 0;
      size_ = live;
    } else {
      grow();
    }
  }
  ::new (&data()[size_]) Step(std::move(step));
  ++size_;
}

Step StepQueue::pop() noexcept {
  Step* slot = &data()[head_];
  Step out(std::move(*slot));
  slot->~Step();
  ++head_;
  if (head_ == size_) head_ = size_ = 0;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Destruction: iterative, so that dropping a long chain of Deferreds does not recurse.

namespace {
thread_local Core* deadList = nullptr;
thread_local bool destroying = false;
}  // namespace

// Cores come from the per-thread cache above.
void* Core::operator new(std::size_t size) {
  if (size == sizeof(Core) && cache.cores != nullptr) {
    FreeBlock* b = cache.cores;
    cache.cores = b->next;
    --cache.coreCount;
    return b;
  }
  return ::operator new(size);
}

void Core::operator delete(void* block, std::size_t size) noexcept {
  if (size == sizeof(Core) && cache.coreCount < kMaxCachedCores && mayCache()) {
    auto* b = static_cast<FreeBlock*>(block);
    b->next = cache.cores;
    cache.cores = b;
    ++cache.coreCount;
    return;
  }
  ::operator delete(block);
}

void Core::destroy(Core* core) noexcept {
  core->nextDead_ = deadList;
  deadList = core;
  if (destroying) return;
  destroying = true;
  while (deadList != nullptr) {
    Core* c = deadList;
    deadList = c->nextDead_;
    delete c;
  }
  destroying = false;
}

Core::~Core() {
  if (kind_ == ResultKind::Failure) reportUnhandled();
  if (pending_ != nullptr) pending_->release();
}

void Core::reportUnhandled() noexcept {
  try {
    std::ostringstream text;
    text << "Unhandled error in Deferred: " << failure_->repr() << " (Deferred created at "
         << created_.file_name() << ":" << created_.line() << ")";
    static const Logger logger("tw.deferred");
    logger.failure(text.str(), *failure_, LogLevel::critical);
  } catch (...) {
    std::fputs("tw: Unhandled error in Deferred (and reporting it failed)\n", stderr);
  }
}

// ---------------------------------------------------------------------------------------------
// Firing

bool Core::startFireAgain(std::source_location where) {
  if (suppressAlreadyCalled_) {
    suppressAlreadyCalled_ = false;
    return false;
  }
  std::ostringstream what;
  what << "Deferred already fired (first at " << firedAt_.file_name() << ":" << firedAt_.line()
       << ", again at " << where.file_name() << ":" << where.line() << ")";
  throw AlreadyCalledError(what.str());
}

void Core::fireValue(std::source_location) {
  canceller_.reset();
  runCallbacks();
}

void Core::fireFailure(Failure failure, std::source_location) {
  setFailure(std::move(failure));
  canceller_.reset();
  runCallbacks();
}

void Core::addStep(Step&& step) {
  steps_.push(std::move(step));
  if (called_) runCallbacks();
}

void Core::unpause() {
  if (paused_ == 0) throw NotPausedError();
  --paused_;
  if (paused_ != 0) return;
  if (called_) runCallbacks();
}

void Core::moveResultTo(Core& to) noexcept {
  to.value_ = std::move(value_);
  to.failure_ = std::move(failure_);
  to.kind_ = kind_;
  markConsumed();
}

void Core::throwWrongResult(const std::type_info& wanted) const {
  if (kind_ == ResultKind::Consumed) throw ResultConsumedError();
  std::string have = value_.type() != nullptr ? demangle(*value_.type()) : "no value";
  throw ResultTypeError("a callback expected a result of type " + demangle(wanted) +
                        " but the Deferred's result is of type " + have);
}

// ---------------------------------------------------------------------------------------------
// The loop. A port of Twisted's Deferred._runCallbacks: a stack of Deferreds replaces
// recursion when one Deferred's result flows into another that waits on it.

namespace {

/// A small stack of owned Core references.
class ChainStack {
 public:
  ~ChainStack() {
    for (std::size_t i = 0; i < size_; ++i) at(i)->release();
  }
  void push(Core* c) {  // takes over one reference
    if (size_ < kInline) {
      inline_[size_++] = c;
      return;
    }
    if (size_ == kInline) spill_.assign(inline_, inline_ + kInline);
    spill_.push_back(c);
    ++size_;
  }
  Core* back() noexcept { return at(size_ - 1); }
  void popAndRelease() noexcept {
    Core* c = back();
    --size_;
    if (size_ >= kInline) spill_.pop_back();
    c->release();
  }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

 private:
  static constexpr std::size_t kInline = 8;
  Core* at(std::size_t i) noexcept { return size_ > kInline ? spill_[i] : inline_[i]; }
  Core* inline_[kInline];
  std::vector<Core*> spill_;
  std::size_t size_ = 0;
};

}  // namespace

void Core::runCallbacks() {
  if (running_) return;  // already running above us: new steps are picked up there

  ChainStack chain;
  addRef();
  chain.push(this);

  while (!chain.empty()) {
    Core* current = chain.back();
    if (current->paused_ != 0) {
      // This Deferred will not produce a result now; those waiting on it keep waiting.
      return;
    }
    bool finished = true;
    current->chainedTo_ = nullptr;
    while (!current->steps_.empty()) {
      Step step = current->steps_.pop();
      if (step.ops() == &StepOpsFor<Continuation>::ops) {
        // Give the waiting Deferred our result, then deal with it before going on with ours.
        auto* cont = std::launder(reinterpret_cast<Continuation*>(step.buffer()));
        Core* outer = std::exchange(cont->outer, nullptr);  // its reference moves to `chain`
        current->moveResultTo(*outer);
        outer->chainedTo_ = nullptr;
        --outer->paused_;
        chain.push(outer);
        finished = false;
        break;
      }
      current->running_ = true;
      try {
        step.invoke(*current);
      } catch (...) {
        current->setFailure(Failure(std::current_exception(), step.where()));
      }
      current->running_ = false;

      if (current->kind_ == ResultKind::Returned) {
        Core* returned = std::exchange(current->pending_, nullptr);  // owned here
        if (returned == current) {
          returned->release();
          current->setFailure(Failure(CallbackReturnedSelfError(), step.where()));
        } else if (returned->called_ && returned->paused_ == 0 &&
                   returned->kind_ == ResultKind::Consumed) {
          // Another consumer already took its result (Twisted would hand us None).
          returned->release();
          current->setFailure(Failure(ResultConsumedError(), step.where()));
        } else if (returned->called_ && returned->paused_ == 0 && !returned->running_ &&
                   (returned->kind_ == ResultKind::Value ||
                    returned->kind_ == ResultKind::Failure)) {
          // It has a result: steal it and keep going.
          returned->moveResultTo(*current);
          returned->release();
        } else {
          // Not yet: pause and wait for it.
          current->kind_ = ResultKind::Empty;
          ++current->paused_;
          current->chainedTo_ = returned;
          returned->steps_.push(Step(Continuation(current), step.where()));
          returned->release();  // the waiter does not own what it waits on
          break;
        }
      }
    }
    if (finished) chain.popAndRelease();
  }
}

// ---------------------------------------------------------------------------------------------
// Cancellation

void Core::cancel() {
  if (cancelling_) {
    // A canceller led back here: stop the cycle (Twisted recurses until RecursionError).
    static const Logger logger("tw.deferred");
    logger.error("cancel() re-entered a Deferred that is already being cancelled (created at " +
                 std::string(created_.file_name()) + ":" + std::to_string(created_.line()) +
                 "); the cycle was cut here");
    return;
  }
  addRef();
  struct Guard {
    Core* c;
    ~Guard() {
      c->cancelling_ = false;
      c->release();
    }
  } guard{this};
  cancelling_ = true;

  if (!called_) {
    if (!canceller_.empty()) {
      Step canceller = std::move(canceller_);
      try {
        canceller.invoke(*this);
      } catch (...) {
        // Twisted keeps a canceller that raised: the next cancel() calls it again.
        if (!called_ && canceller_.empty()) canceller_ = std::move(canceller);
        throw;
      }
    } else {
      suppressAlreadyCalled_ = true;
    }
    if (!called_ && canceller_.empty()) {  // a canceller that re-armed itself keeps it pending
      called_ = true;
      firedAt_ = std::source_location::current();
      fireFailure(Failure(CancelledError()), firedAt_);
    }
  } else if (chainedTo_ != nullptr) {
    chainedTo_->cancel();
  } else if (paused_ > 0 && kind_ == ResultKind::Empty && !running_) {
    // Waiting on a Deferred that no longer exists (nobody could fire it): fail with
    // CancelledError as Twisted does after the inner Deferred's own cancel.
    setFailure(Failure(CancelledError()));
    --paused_;
    if (paused_ == 0) runCallbacks();
  }
}

void reportLateFinish(Core* core) noexcept {
  try {
    static const Logger logger("tw.deferred");
    logger.error("a coroutine finished after its Deferred (created at " +
                 std::string(core->created_.file_name()) + ":" +
                 std::to_string(core->created_.line()) +
                 ") had already been fired through another handle; its result was dropped");
  } catch (...) {
  }
}

void reportAbandoned(const PromiseState* promise, const std::source_location& awaited) noexcept {
  try {
    std::string text = "A coroutine was abandoned";
    std::source_location where = awaited;
    if (promise != nullptr && promise->awaitingAt_.file_name()[0] != '\0') {
      where = promise->awaitingAt_;
      text += " at the co_await at " + std::string(promise->awaitingAt_.file_name()) + ":" +
              std::to_string(promise->awaitingAt_.line());
    }
    text += ": the Deferred it awaited (created at " + std::string(awaited.file_name()) + ":" +
            std::to_string(awaited.line()) +
            ") went away without a result, so the code after that co_await never ran and the "
            "coroutine's own Deferred never fires";
    static const Logger logger("tw.deferred");
    logger.failure("Abandoned coroutine:", Failure(AbandonedCoroutineError(text), where),
                   LogLevel::error);
  } catch (...) {
  }
}

std::string Core::repr() const {
  std::ostringstream out;
  out << "<Deferred at " << static_cast<const void*>(this);
  if (chainedTo_ != nullptr) {
    out << " waiting on Deferred at " << static_cast<const void*>(chainedTo_);
  } else if (called_) {
    switch (kind_) {
      case ResultKind::Value:
        out << " current result: "
            << (value_.type() != nullptr ? demangle(*value_.type()) : std::string("?"));
        break;
      case ResultKind::Failure:
        out << " current result: " << failure_->repr();
        break;
      case ResultKind::Consumed:
        out << " result consumed";
        break;
      default:
        break;
    }
  }
  out << ">";
  return out.str();
}

}  // namespace tw::detail
