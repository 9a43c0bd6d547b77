/// @file
/// The untyped engine of DeferredList, gatherResults and race: the step attached to each input,
/// the canceller of the combined Deferred, and the rules deciding when it fires.
#include "tw/deferred_list.hpp"

#include <algorithm>
#include <exception>
#include <string>

#include "tw/logger.hpp"

namespace tw {

namespace {

std::string describe(const std::vector<Failure>& failures) {
  std::string text = "FailureGroup[";
  for (std::size_t i = 0; i < failures.size(); ++i) {
    if (i != 0) text += ", ";
    text += "#" + std::to_string(i) + " " + failures[i].repr();
  }
  return text + "]";
}

}  // namespace

FailureGroup::FailureGroup(std::vector<Failure> failures)
    : std::runtime_error(describe(failures)), failures_(std::move(failures)) {}

namespace detail {

namespace {

/// The step attached to input `index`: hands the input's result to the collector.
struct CollectorStep {
  std::shared_ptr<Collector> collector;
  std::size_t index;

  CollectorStep(std::shared_ptr<Collector> c, std::size_t i) noexcept
      : collector(std::move(c)), index(i) {}
  CollectorStep(CollectorStep&&) noexcept = default;
  CollectorStep(const CollectorStep&) = delete;
  ~CollectorStep() {
    if (collector != nullptr) collector->forget(index);
  }
  static void run(CollectorStep& s, Core& input) { s.collector->deliver(s.index, input); }
};

/// The canceller of the combined Deferred.
struct CollectorCanceller {
  std::weak_ptr<Collector> collector;
  static void run(CollectorCanceller& s, Core& target) {
    std::shared_ptr<Collector> c = s.collector.lock();
    if (c == nullptr) return;  // no input left: nothing can fire the target
    c->cancelInputs(Collector::kNone);
    if (!target.called_ && c->keepsWaitingAfterCancel()) {
      // Twisted's DeferredList.cancel() only cancels the inputs: while one of them may still
      // fire the list, stay armed, so that Core::cancel() does not fail it with CancelledError.
      target.setCanceller(Step(CollectorCanceller{s.collector}, target.created_));
    }
  }
};

}  // namespace

Collector::~Collector() {
  if (target_ != nullptr) target_->release();
}

void Collector::start(const std::shared_ptr<Collector>& self, Core* target,
                      std::vector<Core*> inputs) {
  Collector& c = *self;
  target->addRef();
  c.target_ = target;
  c.inputs_ = std::move(inputs);
  if (c.kind_ == Kind::kFirstSuccess || c.kind_ == Kind::kRace) {
    c.failures_.resize(c.inputs_.size());
  }
  target->setCanceller(Step(CollectorCanceller{self}, c.where_));
  if (c.inputs_.empty()) {
    if (c.kind_ == Kind::kList || c.kind_ == Kind::kGather) c.fireComplete(*target);
    return;
  }
  // Attaching may run steps (inputs that already fired) and so cancel inputs: work on a copy,
  // since cancelling forgets entries of inputs_. The caller keeps every input alive.
  std::vector<Core*> order = c.inputs_;
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i]->addStep(Step(CollectorStep(self, i), c.where_));
  }
}

void Collector::cancelInputs(std::size_t except) {
  // Entries are re-read on every turn: a cancel may deliver (or destroy) other inputs.
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    Core* input = inputs_[i];
    if (i == except || input == nullptr) continue;
    try {
      input->cancel();
    } catch (...) {
      static const Logger logger("tw.deferred");
      logger.failure("Exception raised from user supplied canceller",
                     Failure::fromCurrentException(where_));
    }
  }
}

bool Collector::keepsWaitingAfterCancel() const noexcept {
  if (kind_ == Kind::kRace) return false;  // race's canceller is an ordinary one
  return std::any_of(inputs_.begin(), inputs_.end(), [](Core* in) { return in != nullptr; });
}

void Collector::deliver(std::size_t index, Core& input) {
  inputs_[index] = nullptr;
  ++finished_;

  std::optional<Failure> failure;
  if (input.kind_ == ResultKind::Failure) {
    failure = *input.failure_;
  } else {
    bool wanted = kind_ == Kind::kList   ? true
                  : kind_ == Kind::kRace ? winner_ == kNone
                                         : !target_->called_;
    if (wanted) {
      try {
        takeValue(index, input);
      } catch (...) {
        // The input holds no value of its type (consumed by another consumer): a failure.
        failure.emplace(std::current_exception(), where_);
        input.setFailure(*failure);
      }
    }
  }

  if (kind_ == Kind::kRace) {
    if (!failure) {
      if (winner_ == kNone) {
        winner_ = index;
        cancelInputs(index);
        if (!target_->called_) fireWinner(*target_, index);
      }
    } else {
      failures_[index] = std::move(*failure);
      if (++failed_ == inputs_.size() && !target_->called_) {
        failTarget(Failure(FailureGroup(allFailures()), where_));
      }
    }
    consume(index, input);
    return;
  }

  if (failure) {
    if (kind_ == Kind::kFirstSuccess) {
      failures_[index] = *failure;
    } else {
      keepFailure(index, *failure);
    }
  }
  if (!target_->called_) {
    if (!failure && kind_ == Kind::kFirstSuccess) {
      fireWinner(*target_, index);
    } else if (failure && options_.fireOnOneErrback) {
      failTarget(Failure(FirstError(*failure, index), where_));
    } else if (finished_ == inputs_.size()) {
      if (kind_ == Kind::kFirstSuccess) {
        failTarget(Failure(FailureGroup(allFailures()), where_));
      } else {
        fireComplete(*target_);
      }
    }
  }
  if (failure && options_.consumeErrors) consume(index, input);
}

void Collector::failTarget(Failure failure) {
  if (target_->startFire(where_)) target_->fireFailure(std::move(failure), where_);
}

void Collector::consume(std::size_t index, Core& input) {
  if (voidInput(index)) {
    input.setValue<VoidValue>();
  } else {
    input.markConsumed();
  }
}

std::vector<Failure> Collector::allFailures() const {
  std::vector<Failure> all;
  all.reserve(failures_.size());
  for (const std::optional<Failure>& f : failures_) {
    if (f) all.push_back(*f);
  }
  return all;
}

}  // namespace detail

}  // namespace tw
