/// @file
/// SystemEvents.  Twisted: twisted.internet.base._ThreePhaseEvent.
#include "tw/detail/system_events.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <utility>

namespace tw::detail {

TriggerId SystemEvents::add(std::string_view phase, std::string_view eventType,
                            std::function<Deferred<void>()> trigger) {
  if (phase != "before" && phase != "during" && phase != "after") {
    throw std::invalid_argument("addSystemEventTrigger: unknown phase '" + std::string(phase) +
                                "' (expected before, during or after)");
  }
  TriggerId id = newId();
  table_[std::string(phase)][std::string(eventType)].push_back({id, std::move(trigger)});
  return id;
}

void SystemEvents::remove(TriggerId id) {
  for (auto& [phase, events] : table_) {
    for (auto& [event, list] : events) {
      auto it = std::find_if(list.begin(), list.end(),
                             [&](const SystemEventTrigger& t) { return t.id == id; });
      if (it != list.end()) {
        list.erase(it);
        return;
      }
    }
  }
  throw std::invalid_argument("removeSystemEventTrigger: no trigger with id " +
                              std::to_string(id.value));
}

bool SystemEvents::takeFirst(std::string_view phase, const std::string& eventType,
                             SystemEventTrigger& out) {
  auto p = table_.find(phase);
  if (p == table_.end()) return false;
  auto e = p->second.find(eventType);
  if (e == p->second.end() || e->second.empty()) return false;
  out = std::move(e->second.front());
  e->second.erase(e->second.begin());
  return true;
}

void SystemEvents::fire(std::string_view eventType) {
  const std::string name(eventType);
  std::vector<Deferred<void>> waits;
  SystemEventTrigger t;
  while (takeFirst("before", name, t)) {
    try {
      waits.push_back(t.trigger());
    } catch (...) {
      log_.failure("Error in a 'before' system event trigger", Failure::fromCurrentException(),
                   LogLevel::error);
    }
  }
  auto pending = std::make_shared<std::size_t>(waits.size() + 1);
  auto rest = [this, name, pending] {
    if (--*pending == 0) continueFiring(name);
  };
  for (auto& d : waits) {
    d.addCallbacks([rest] { rest(); },
                   [rest, this](Failure f) {
                     log_.failure("Error in a 'before' system event trigger", std::move(f),
                                  LogLevel::error);
                     rest();
                   });
  }
  rest();
}

void SystemEvents::continueFiring(const std::string& eventType) {
  for (std::string_view phase : {"during", "after"}) {
    SystemEventTrigger t;
    while (takeFirst(phase, eventType, t)) {
      try {
        t.trigger().addErrback([this](Failure f) {
          log_.failure("Error in a system event trigger", std::move(f), LogLevel::error);
        });
      } catch (...) {
        log_.failure("Error in a system event trigger", Failure::fromCurrentException(),
                     LogLevel::error);
      }
    }
  }
}

}  // namespace tw::detail
