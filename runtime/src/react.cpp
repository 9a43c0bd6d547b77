/// @file
/// react and SystemExit (react.hpp).
#include "tw/react.hpp"

#include <memory>
#include <optional>
#include <string>

#include "tw/error.hpp"
#include "tw/logger.hpp"

namespace tw {

SystemExit::SystemExit(int code)
    : std::runtime_error("SystemExit: " + std::to_string(code)), code_(code) {}

namespace detail {

int reactImpl(IReactorCore& reactor, std::function<Deferred<void>()> main) {
  struct State {
    int code = 0;
    bool stopping = false;
  };
  auto state = std::make_shared<State>();
  Deferred<void> finished = maybeDeferred(main);
  TriggerId trigger =
      reactor.addSystemEventTrigger("before", "shutdown", [state] { state->stopping = true; });

  auto stop = [state, &reactor](const std::optional<Failure>& result, bool stopReactor) {
    if (stopReactor) {
      try {
        reactor.stop();
      } catch (const error::ReactorNotRunning&) {
      }
    }
    if (result) {
      if (const auto* exit = result->value<SystemExit>()) {
        state->code = exit->code();
      } else {
        static const Logger log("tw.task");
        log.failure("main function encountered error", *result);
        state->code = 1;
      }
    }
  };
  auto finish = [state, stop, &reactor](std::optional<Failure> result) {
    if (state->stopping) {
      stop(result, false);
    } else {
      reactor.callWhenRunning([stop, result] { stop(result, true); });
    }
  };
  finished.addCallbacks([finish] { finish(std::nullopt); },
                        [finish](Failure f) { finish(std::move(f)); });
  reactor.run();
  try {
    reactor.removeSystemEventTrigger(trigger);
  } catch (const std::exception&) {
    // Already run (and consumed) by the shutdown.
  }
  return state->code;
}

}  // namespace detail
}  // namespace tw
