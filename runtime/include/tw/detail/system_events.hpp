/// @file
/// SystemEvents: the system event triggers of a reactor, and firing them in three phases.
/// Internal: shared by PosixReactorBase and tw::fakes::MemoryReactor.
/// Twisted: twisted.internet.base._ThreePhaseEvent (one per event type in ReactorBase).
/// Tests: tests/integration/reactor_test.cpp, tests/fakes/memory_reactor_test.cpp
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_reactor_core.hpp"
#include "tw/logger.hpp"

namespace tw {

/// A system event trigger: its id and what it calls.
struct SystemEventTrigger {
  TriggerId id;
  std::function<Deferred<void>()> trigger;
};

namespace detail {

/// The triggers of every system event ("startup", "shutdown", or any name), by phase.
///
/// fire(eventType), as Twisted's _ThreePhaseEvent.fireEvent:
///  1. takes the "before" triggers one by one, in the order added (a trigger added meanwhile runs
///     too), calling each and keeping the Deferred it returns;
///  2. once every one of those Deferreds has a result (a failure is logged), takes the "during"
///     triggers, then the "after" triggers, one by one, in order.
/// Each trigger runs once: firing consumes it (fire the event again and only triggers added
/// since run).  A trigger that throws, or whose Deferred fails, is logged to `log` at level
/// error and does not stop the others.
class SystemEvents {
 public:
  /// triggers()[phase][eventType]: the triggers added and neither removed nor run, in order.
  using Table =
      std::map<std::string, std::map<std::string, std::vector<SystemEventTrigger>>, std::less<>>;

  /// Errors of triggers are logged to `log`.
  explicit SystemEvents(Logger log) : log_(std::move(log)) {}

  /// @throws std::invalid_argument for a phase other than before, during or after.
  TriggerId add(std::string_view phase, std::string_view eventType,
                std::function<Deferred<void>()> trigger);
  /// @throws std::invalid_argument if no trigger waiting to run has this id.
  void remove(TriggerId id);
  /// Fires `eventType` (see the class comment).
  void fire(std::string_view eventType);
  /// A fresh id, from the same sequence as the triggers' (for callWhenRunning's own ids).
  TriggerId newId() noexcept { return TriggerId{nextId_++}; }

  [[nodiscard]] const Table& triggers() const noexcept { return table_; }

 private:
  /// Takes the first trigger of (phase, eventType); false when there is none.
  bool takeFirst(std::string_view phase, const std::string& eventType, SystemEventTrigger& out);
  void continueFiring(const std::string& eventType);

  Logger log_;
  Table table_;
  std::uint64_t nextId_ = 1;
};

}  // namespace detail
}  // namespace tw
