/// @file
/// deferLater.  Twisted: twisted.internet.task.deferLater.
/// Tests: tests/runtime/defer_later_test.cpp
#include "tw/defer_later.hpp"

#include <memory>

namespace tw {

Deferred<void> deferLater(IReactorTime& clock, Seconds delay, std::source_location where) {
  // The canceller needs the call, which needs the Deferred: share the call through a slot.
  auto slot = std::make_shared<DelayedCallPtr>();
  Deferred<void> d(
      [slot](Deferred<void>&) {
        if (*slot != nullptr && (*slot)->active()) (*slot)->cancel();
      },
      where);
  *slot = clock.callLater(
      delay, [d]() mutable { d.callback(); }, where);
  return d;
}

}  // namespace tw
