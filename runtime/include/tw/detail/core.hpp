/// @file
/// The untyped state shared by every handle to one Deferred: its result, its callback chain,
/// its pause count, and the loop that runs the chain. Internal: use <tw/deferred.hpp>.
///
/// Result states (the `kind_` field):
///
/// ```
///            callback()/errback()            callback returns Deferred r
///   Empty ──────────────────────────► Value ◄──────────────┐ (r ready: its result is stolen)
///                                     Failure  ────────────┤
///                                       │                  ▼
///                                       │        Returned (r held in pending_) ──► paused,
///                                       │                      chainedTo_ = r, continuation on r
///                                       ▼
///            a Deferred waiting on this one, or a coroutine awaiting it, took the result:
///                                    Consumed
/// ```
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <source_location>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "tw/deferred_errors.hpp"
#include "tw/failure.hpp"

namespace tw {
template <class T>
class Deferred;
}

namespace tw::detail {

/// The value held by a fired Deferred<void>.
struct VoidValue {};

/// What a Deferred<T> stores: T, or VoidValue for void.
template <class T>
using Stored = std::conditional_t<std::is_void_v<T>, VoidValue, T>;

class Core;

// ---------------------------------------------------------------------------------------------
// Box: one value of any type, inline when small.

inline constexpr std::size_t kBoxInline = 32;

struct BoxOps {
  const std::type_info* type;
  void (*destroy)(void* buffer) noexcept;
  void (*relocate)(void* from, void* to) noexcept;  // move into raw `to`, destroy `from`
  void* (*address)(void* buffer) noexcept;
};

template <class T>
inline constexpr bool kFitsInline =
    sizeof(T) <= kBoxInline &&
    alignof(T) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<T>;

template <class T>
struct BoxOpsFor {
  static void* address(void* b) noexcept {
    if constexpr (kFitsInline<T>) {
      return std::launder(reinterpret_cast<T*>(b));
    } else {
      return *reinterpret_cast<T**>(b);
    }
  }
  static void destroy(void* b) noexcept {
    if constexpr (kFitsInline<T>) {
      std::launder(reinterpret_cast<T*>(b))->~T();
    } else {
      delete *reinterpret_cast<T**>(b);
    }
  }
  static void relocate(void* from, void* to) noexcept {
    if constexpr (kFitsInline<T>) {
      T* source = std::launder(reinterpret_cast<T*>(from));
      ::new (to) T(std::move(*source));
      source->~T();
    } else {
      std::memcpy(to, from, sizeof(T*));
    }
  }
  static constexpr bool kTrivial = kFitsInline<T> && std::is_trivially_copyable_v<T>;
  static inline const BoxOps ops{&typeid(T), kTrivial ? nullptr : &destroy,
                                 kTrivial ? nullptr : &relocate, &address};
};

/// A type-erased value with small-buffer storage.
class Box {
 public:
  Box() noexcept = default;
  Box(const Box&) = delete;
  Box& operator=(const Box&) = delete;
  Box(Box&& other) noexcept { take(other); }
  Box& operator=(Box&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  ~Box() { reset(); }

  template <class T, class... A>
  void emplace(A&&... args) {
    reset();
    if constexpr (kFitsInline<T>) {
      ::new (static_cast<void*>(buffer_)) T(std::forward<A>(args)...);
    } else {
      T* heap = new T(std::forward<A>(args)...);
      std::memcpy(buffer_, &heap, sizeof heap);
    }
    ops_ = &BoxOpsFor<T>::ops;
  }

  /// The value if it is a T, else nullptr.
  template <class T>
  [[nodiscard]] T* get() noexcept {
    if (ops_ == &BoxOpsFor<T>::ops) return static_cast<T*>(BoxOpsFor<T>::address(buffer_));
    if (ops_ != nullptr && *ops_->type == typeid(T)) {
      return static_cast<T*>(ops_->address(buffer_));
    }
    return nullptr;
  }

  void reset() noexcept {
    if (ops_ != nullptr) {
      const BoxOps* ops = ops_;
      ops_ = nullptr;
      if (ops->destroy != nullptr) ops->destroy(buffer_);
    }
  }

  [[nodiscard]] bool empty() const noexcept { return ops_ == nullptr; }
  [[nodiscard]] const std::type_info* type() const noexcept {
    return ops_ != nullptr ? ops_->type : nullptr;
  }

 private:
  void take(Box& other) noexcept {
    if (other.ops_ != nullptr) {
      if (other.ops_->relocate != nullptr) {
        other.ops_->relocate(other.buffer_, buffer_);
      } else {
        std::memcpy(buffer_, other.buffer_, kBoxInline);
      }
      ops_ = other.ops_;
      other.ops_ = nullptr;
    }
  }

  const BoxOps* ops_ = nullptr;
  alignas(std::max_align_t) unsigned char buffer_[kBoxInline];
};

// ---------------------------------------------------------------------------------------------
// Step: one callback/errback pair of the chain (or a canceller), a type-erased callable
// `void(void* self, Core&)`, inline when small.

inline constexpr std::size_t kStepInline = 48;

struct StepOps {
  void (*invoke)(void* self, Core& core);
  void (*destroy)(void* self) noexcept;
  void (*relocate)(void* from, void* to) noexcept;
};

template <class F>
inline constexpr bool kStepFitsInline =
    sizeof(F) <= kStepInline &&
    alignof(F) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<F>;

/// F must have `static void run(F& self, Core& core)`.
template <class F>
struct StepOpsFor {
  static F& self(void* b) noexcept {
    if constexpr (kStepFitsInline<F>) {
      return *std::launder(reinterpret_cast<F*>(b));
    } else {
      return **reinterpret_cast<F**>(b);
    }
  }
  static void invoke(void* b, Core& core) { F::run(self(b), core); }
  static void destroy(void* b) noexcept {
    if constexpr (kStepFitsInline<F>) {
      std::launder(reinterpret_cast<F*>(b))->~F();
    } else {
      delete *reinterpret_cast<F**>(b);
    }
  }
  static void relocate(void* from, void* to) noexcept {
    if constexpr (kStepFitsInline<F>) {
      F* source = std::launder(reinterpret_cast<F*>(from));
      ::new (to) F(std::move(*source));
      source->~F();
    } else {
      std::memcpy(to, from, sizeof(F*));
    }
  }
  static constexpr bool kTrivialRelocate = !kStepFitsInline<F> || std::is_trivially_copyable_v<F>;
  static constexpr bool kTrivialDestroy = kStepFitsInline<F> && std::is_trivially_destructible_v<F>;
  static inline const StepOps ops{&invoke, kTrivialDestroy ? nullptr : &destroy,
                                  kTrivialRelocate ? nullptr : &relocate};
};

class Step {
 public:
  Step() noexcept = default;
  template <class F>
  Step(F&& f, std::source_location where) : where_(where) {
    using D = std::decay_t<F>;
    if constexpr (kStepFitsInline<D>) {
      ::new (static_cast<void*>(buffer_)) D(std::forward<F>(f));
    } else {
      D* heap = new D(std::forward<F>(f));
      std::memcpy(buffer_, &heap, sizeof heap);
    }
    ops_ = &StepOpsFor<D>::ops;
  }
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;
  Step(Step&& other) noexcept { take(other); }
  Step& operator=(Step&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  ~Step() { reset(); }

  void invoke(Core& core) { ops_->invoke(buffer_, core); }
  void reset() noexcept {
    if (ops_ != nullptr) {
      const StepOps* ops = ops_;
      ops_ = nullptr;
      if (ops->destroy != nullptr) ops->destroy(buffer_);
    }
  }
  [[nodiscard]] bool empty() const noexcept { return ops_ == nullptr; }
  [[nodiscard]] const StepOps* ops() const noexcept { return ops_; }
  [[nodiscard]] const std::source_location& where() const noexcept { return where_; }
  [[nodiscard]] void* buffer() noexcept { return buffer_; }

 private:
  void take(Step& other) noexcept {
    where_ = other.where_;
    if (other.ops_ != nullptr) {
      if (other.ops_->relocate != nullptr) {
        other.ops_->relocate(other.buffer_, buffer_);
      } else {
        std::memcpy(buffer_, other.buffer_, kStepInline);
      }
      ops_ = other.ops_;
      other.ops_ = nullptr;
    }
  }

  const StepOps* ops_ = nullptr;
  std::source_location where_;
  alignas(std::max_align_t) unsigned char buffer_[kStepInline];
};

/// A FIFO of steps with room for a few inline; consumed from the front.
class StepQueue {
 public:
  static constexpr std::uint32_t kInline = 3;

  StepQueue() noexcept = default;
  StepQueue(const StepQueue&) = delete;
  StepQueue& operator=(const StepQueue&) = delete;
  ~StepQueue();

  void push(Step&& step);
  /// Moves the front step out. Precondition: !empty().
  Step pop() noexcept;
  [[nodiscard]] bool empty() const noexcept { return head_ == size_; }
  [[nodiscard]] std::uint32_t size() const noexcept { return size_ - head_; }
  /// The front step.  Precondition: !empty().
  [[nodiscard]] const Step& front() const noexcept {
    return (heap_ != nullptr ? heap_ : std::launder(reinterpret_cast<const Step*>(inline_)))[head_];
  }
  /// Destroys every pending step (front first).
  void clear() noexcept;

 private:
  Step* data() noexcept { return heap_ != nullptr ? heap_ : inlineData(); }
  Step* inlineData() noexcept { return std::launder(reinterpret_cast<Step*>(inline_)); }
  void grow();

  Step* heap_ = nullptr;
  std::uint32_t head_ = 0;
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = kInline;
  alignas(Step) unsigned char inline_[sizeof(Step) * kInline];
};

// ---------------------------------------------------------------------------------------------
// Core.

enum class ResultKind : std::uint8_t { Empty, Value, Failure, Returned, Consumed };

/// The state of one Deferred. Reference counted (non-atomic: one thread per reactor).
class Core {
 public:
  explicit Core(std::source_location created) noexcept : created_(created) {}
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;
  ~Core();

  /// Cores come from a small per-thread cache of blocks (deferred_core.cpp), so creating and
  /// dropping Deferreds in a loop neither calls malloc each time nor makes it give memory back
  /// to the system and fault it in again.
  static void* operator new(std::size_t size);
  static void operator delete(void* block, std::size_t size) noexcept;

  void addRef() noexcept { ++refs_; }
  /// Drops a reference; the last one destroys the Core (iteratively, never recursively).
  void release() noexcept {
    if (--refs_ == 0) destroy(this);
  }

  // Firing --------------------------------------------------------------------------------
  /// Fires with the value already placed in value_ (kind_ must be Value).
  void fireValue(std::source_location where);
  void fireFailure(Failure failure, std::source_location where);
  /// Marks the Deferred called, or throws AlreadyCalledError (or swallows the one fire that
  /// follows a canceller-less cancel()). Returns false when the fire is swallowed.
  bool startFire(std::source_location where) {
    if (called_) [[unlikely]]
      return startFireAgain(where);
    called_ = true;
    firedAt_ = where;
    return true;
  }

  // The chain ------------------------------------------------------------------------------
  void addStep(Step&& step);
  void runCallbacks();
  void pause() noexcept { ++paused_; }
  void unpause();
  void cancel();

  // Results, for the typed layer -----------------------------------------------------------
  /// The value as a Stored<T>; throws ResultConsumedError or ResultTypeError.
  template <class T>
  T& valueAs() {
    if (kind_ == ResultKind::Value) {
      if (T* v = value_.get<T>()) return *v;
    }
    throwWrongResult(typeid(T));
  }
  template <class T, class... A>
  void setValue(A&&... args) {
    value_.emplace<T>(std::forward<A>(args)...);
    failure_.reset();
    kind_ = ResultKind::Value;
  }
  void setFailure(Failure failure) noexcept {
    value_.reset();
    failure_.emplace(std::move(failure));
    kind_ = ResultKind::Failure;
  }
  /// Takes the failure out (kind_ must be Failure); the result becomes Empty until reset.
  Failure takeFailure() noexcept {
    Failure f = std::move(*failure_);
    failure_.reset();
    kind_ = ResultKind::Empty;
    return f;
  }
  /// Records the Deferred a callback returned; the loop decides to steal its result or wait.
  void setReturned(Core* other) noexcept {
    value_.reset();
    failure_.reset();
    other->addRef();
    pending_ = other;
    kind_ = ResultKind::Returned;
  }
  /// Marks the result as taken (chaining, co_await).
  void markConsumed() noexcept {
    value_.reset();
    failure_.reset();
    kind_ = ResultKind::Consumed;
  }
  /// Moves this Core's result into `to` and marks this one consumed.
  void moveResultTo(Core& to) noexcept;

  /// True when a consumer may take the result now: fired, not paused, not running callbacks,
  /// nothing left in the chain, and the result is a value or a failure.
  [[nodiscard]] bool ready() const noexcept {
    return called_ && paused_ == 0 && !running_ && steps_.empty() &&
           (kind_ == ResultKind::Value || kind_ == ResultKind::Failure);
  }

  void setCanceller(Step&& canceller) noexcept { canceller_ = std::move(canceller); }
  [[nodiscard]] std::string repr() const;

  // State, read by the typed layer and the tests through Deferred's accessors.
  std::uint32_t refs_ = 1;
  std::int32_t paused_ = 0;
  ResultKind kind_ = ResultKind::Empty;
  bool called_ = false;
  bool running_ = false;
  bool suppressAlreadyCalled_ = false;
  bool cancelling_ = false;
  Box value_;
  std::optional<Failure> failure_;
  Core* chainedTo_ = nullptr;  ///< the Deferred this one waits on (not owned)
  Core* pending_ = nullptr;    ///< the Deferred a callback returned (owned while Returned)
  Step canceller_;
  StepQueue steps_;
  std::source_location created_;
  std::source_location firedAt_;
  Core* nextDead_ = nullptr;

 private:
  [[noreturn]] void throwWrongResult(const std::type_info& wanted) const;
  [[gnu::cold]] bool startFireAgain(std::source_location where);
  static void destroy(Core* core) noexcept;
  void reportUnhandled() noexcept;
};

/// A continuation: appended to the Deferred `inner` that `outer` waits on; when `inner`'s
/// chain reaches it, the loop hands inner's result to `outer` (see Core::runCallbacks).
/// Holds a reference to `outer`. Recognised by the loop through its ops.
struct Continuation {
  Core* outer;
  explicit Continuation(Core* o) noexcept : outer(o) { outer->addRef(); }
  Continuation(Continuation&& other) noexcept : outer(std::exchange(other.outer, nullptr)) {}
  Continuation(const Continuation&) = delete;
  ~Continuation() {
    if (outer != nullptr) {
      // `inner` died without firing: `outer` is no longer waiting on a live Deferred.
      outer->chainedTo_ = nullptr;
      outer->release();
    }
  }
  static void run(Continuation&, Core&) {}  // never invoked: the loop handles continuations
};

/// Deferred::waitChain (deferred_wait_chain.cpp).
std::string describeWaitChain(const Core* core);

}  // namespace tw::detail
