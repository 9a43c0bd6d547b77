/// @file
/// IReactorCore: running and stopping the event loop, and system event triggers.
/// Twisted: twisted.internet.interfaces.IReactorCore.  Tests: tests/fakes/memory_reactor_test.cpp
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_reactor_time.hpp"

namespace tw {

/// The identity of a system event trigger, for removeSystemEventTrigger.
struct TriggerId {
  std::uint64_t value = 0;
  friend bool operator==(TriggerId, TriggerId) = default;
};

/// The core of an event loop.
///
/// System events ("startup", "shutdown", or a user's own names) run their triggers in three
/// phases: every "before" trigger (a trigger may return a Deferred; the event waits for all of
/// them), then every "during" trigger, then every "after" trigger.
class IReactorCore {
 public:
  virtual ~IReactorCore() = default;

  /// True while the loop is running.
  virtual bool running() const = 0;

  /// Resolves a host name to an IPv4 address; fails with tw::error::DNSLookupError.
  virtual Deferred<std::string> resolve(std::string_view name, Seconds timeout) = 0;

  /// Fires "startup", runs the loop until stop(), then fires "shutdown".
  /// @throws tw::error::ReactorAlreadyRunning, tw::error::ReactorNotRestartable.
  virtual void run() = 0;

  /// Fires "shutdown" and stops the loop once its triggers are done.
  /// @throws tw::error::ReactorNotRunning if it is not running.
  virtual void stop() = 0;

  /// Stops the loop at once, without the shutdown event.
  virtual void crash() = 0;

  /// Runs one iteration of the loop, waiting at most `delay` for I/O.
  virtual void iterate(Seconds delay = Seconds(0)) = 0;

  /// Runs the triggers of `eventType`.
  virtual void fireSystemEvent(std::string_view eventType) = 0;

  /// Adds a trigger for `phase` ("before", "during" or "after") of `eventType`.  `trigger`
  /// returns void or a Deferred<void>; a "before" trigger's unfired Deferred makes the event's
  /// later phases wait for it.
  /// @throws std::invalid_argument for an unknown phase.
  template <class F>
  requires std::invocable<F&> TriggerId addSystemEventTrigger(std::string_view phase,
                                                              std::string_view eventType,
                                                              F trigger) {
    if constexpr (std::is_same_v<std::invoke_result_t<F&>, Deferred<void>>) {
      return doAddSystemEventTrigger(phase, eventType, std::move(trigger));
    } else {
      return doAddSystemEventTrigger(phase, eventType, [f = std::move(trigger)]() mutable {
        f();
        return succeed();
      });
    }
  }

  /// Removes a trigger added by addSystemEventTrigger.
  /// @throws std::invalid_argument if there is no such trigger.
  virtual void removeSystemEventTrigger(TriggerId id) = 0;

  /// Runs `f` when the loop starts (at once if it is running already).  Returns the id of the
  /// startup trigger, or nothing if `f` ran at once.
  virtual std::optional<TriggerId> callWhenRunning(std::function<void()> f) = 0;

 protected:
  /// Implements addSystemEventTrigger.
  virtual TriggerId doAddSystemEventTrigger(std::string_view phase, std::string_view eventType,
                                            std::function<Deferred<void>()> trigger) = 0;
};

}  // namespace tw
