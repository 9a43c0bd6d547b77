/// @file
/// Deferred::waitChain: what a Deferred waits on, link by link.
/// Tests: tests/runtime/deferred_wait_chain_test.cpp, tests/trial/test_case_test.cpp (stalls)
#include <sstream>
#include <string>
#include <vector>

#include "tw/deferred.hpp"

namespace tw::detail {

namespace {

std::string at(const std::source_location& where) {
  if (where.file_name() == nullptr || where.file_name()[0] == '\0') return "an unknown place";
  return std::string(where.file_name()) + ":" + std::to_string(where.line());
}

std::string callbacks(const Core& c) {
  std::uint32_t n = c.steps_.size();
  if (n == 0) return "no callback waits on it";
  std::string text = std::to_string(n) + (n == 1 ? " callback waits" : " callbacks wait");
  return text + " on it (the first added at " + at(c.steps_.front().where()) + ")";
}

}  // namespace

PromiseState* coroutineOf(Core& core) noexcept {
  if (core.canceller_.ops() != &StepOpsFor<CoroutineCanceller>::ops) return nullptr;
  return StepOpsFor<CoroutineCanceller>::self(core.canceller_.buffer()).promise;
}

std::string describeWaitChain(const Core* first) {
  std::ostringstream out;
  std::vector<const Core*> seen;
  const Core* c = first;
  for (int n = 1; c != nullptr; ++n) {
    if (n > 1) out << "\n";
    out << n << ". ";
    for (std::size_t i = 0; i < seen.size(); ++i) {
      if (seen[i] == c) {
        out << "the Deferred of link " << i + 1 << " again (a cycle)";
        return out.str();
      }
    }
    if (n > 32) {
      out << "... (the chain goes on)";
      break;
    }
    seen.push_back(c);
    Core& core = const_cast<Core&>(*c);  // coroutineOf only reads the canceller
    const Core* next = nullptr;
    if (PromiseState* promise = coroutineOf(core); promise != nullptr && !c->called_) {
      if (promise->awaiting_ != nullptr) {
        out << "a coroutine's Deferred, suspended at the co_await at " << at(promise->awaitingAt_)
            << ", waiting on:";
        next = promise->awaiting_;
      } else {
        out << "a coroutine's Deferred, whose coroutine is running";
      }
    } else if (c->chainedTo_ != nullptr) {
      out << "the Deferred created at " << at(c->created_)
          << ", waiting on the Deferred one of its callbacks returned:";
      next = c->chainedTo_;
    } else if (!c->called_) {
      out << "the Deferred created at " << at(c->created_)
          << ", which has no result: nothing has fired it; " << callbacks(*c);
    } else if (c->paused_ > 0) {
      out << "the Deferred created at " << at(c->created_)
          << ", fired but paused (pause() without unpause()); " << callbacks(*c);
    } else {
      out << "the Deferred created at " << at(c->created_) << ", which has a result";
    }
    c = next;
  }
  return out.str();
}

}  // namespace tw::detail
