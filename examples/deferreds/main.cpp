/// @file
/// A short tour of Deferreds, each step printing what happens: chains, errbacks, Deferreds
/// returned from callbacks, cancellation, DeferredList and gatherResults, coroutines, a timeout
/// and unhandled failures.
/// Twisted: the Deferred examples of Twisted's documentation ("Deferred Reference").
/// Run: build/debug/examples/deferreds/deferreds_demo
#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>

#include "tw/deferred.hpp"
#include "tw/deferred_list.hpp"
#include "tw/fakes/clock.hpp"
#include "tw/logger.hpp"

using namespace std::chrono_literals;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "   ok: " : "   FAILED: ") << what << "\n";
  if (!ok) ++failures;
}

void section(const std::string& title) { std::cout << "\n== " << title << "\n"; }

/// A pretend asynchronous lookup: the caller gets a Deferred now, the answer comes later.
struct Directory {
  tw::Deferred<std::string> pending;
  tw::Deferred<std::string> lookup(const std::string& name) {
    std::cout << "   lookup(" << name << ") sent, result pending\n";
    return pending;
  }
};

/// A coroutine in place of @inlineCallbacks: awaits two lookups, returns the joined answer.
tw::Deferred<std::string> greet(Directory& first, Directory& second) {
  std::string a = co_await first.lookup("alice");
  std::cout << "   coroutine resumed with " << a << "\n";
  std::string b = co_await second.lookup("bob");
  std::cout << "   coroutine resumed with " << b << "\n";
  co_return a + " & " + b;
}

}  // namespace

int main() {
  section("1. A chain of callbacks: each receives the previous result");
  tw::Deferred<int> d;
  auto text = d.addCallback([](int x) {
                 std::cout << "   callback 1 got " << x << ", returns " << x * 2 << "\n";
                 return x * 2;
               }).addCallback([](int x) {
    std::cout << "   callback 2 got " << x << ", returns \"" << x << "!\"\n";
    return std::to_string(x) + "!";
  });
  std::cout << "   firing d.callback(21)\n";
  d.callback(21);
  check(text.valueResult() && *text.valueResult() == "42!", "the chain's result is \"42!\"");

  section("2. An exception switches to the errback track; an errback recovers");
  tw::Deferred<int> e;
  auto recovered = e.addCallback([](int x) -> int {
                      std::cout << "   callback got " << x << " and throws\n";
                      throw std::runtime_error("disk full");
                    })
                       .addCallback([](int) {
                         std::cout << "   (never runs: the result is a Failure)\n";
                         return 0;
                       })
                       .addErrback([](tw::Failure f) {
                         std::cout << "   errback got " << f.repr() << "\n";
                         f.trap<std::runtime_error>();
                         return -1;
                       });
  e.callback(7);
  check(recovered.valueResult() && *recovered.valueResult() == -1, "recovered with -1");

  section("3. A callback returning a Deferred: the chain waits for it");
  Directory directory;
  tw::Deferred<int> request;
  auto answer = request.addCallback([&](int id) {
    std::cout << "   request " << id << " needs a lookup first\n";
    return directory.lookup("carol");
  });
  request.callback(1);
  check(!answer.hasResult() && request.paused() == 1, "the outer Deferred is paused, waiting");
  std::cout << "   the lookup answers\n";
  directory.pending.callback("carol@example.org");
  check(answer.valueResult() && *answer.valueResult() == "carol@example.org",
        "the outer chain resumed with the lookup's result");

  section("4. Cancellation: a canceller stops the work, the chain sees CancelledError");
  bool stopped = false;
  tw::Deferred<int> slow([&](tw::Deferred<int>&) {
    std::cout << "   canceller: stopping the slow operation\n";
    stopped = true;
  });
  auto outcome = slow.addErrback([](tw::Failure f) {
    std::cout << "   errback got " << f.repr() << "\n";
    f.trap<tw::CancelledError>();
    return 0;
  });
  slow.cancel();
  check(stopped && outcome.valueResult() && *outcome.valueResult() == 0, "cancelled cleanly");

  section("5. Waiting for several: gatherResults and DeferredList");
  tw::Deferred<int> left;
  tw::Deferred<int> right;
  auto both = tw::gatherResults(std::vector<tw::Deferred<int>>{left, right});
  std::cout << "   right answers 2 first, then left answers 1\n";
  right.callback(2);
  check(!both.called(), "gatherResults waits for every input");
  left.callback(1);
  const std::vector<int>* sum = both.valueResult();
  check(sum && *sum == std::vector<int>{1, 2}, "the values arrive in input order: [1, 2]");
  tw::Deferred<int> good;
  tw::Deferred<int> bad;
  tw::DeferredList<int> list({good, bad}, {.consumeErrors = true});
  good.callback(10);
  bad.errback(std::runtime_error("timeout"));
  const auto* entries = list.valueResult();
  if (entries) {
    for (const auto& [success, result] : *entries) {
      std::cout << "   (" << (success ? "SUCCESS" : "FAILURE") << ", "
                << (success ? std::to_string(result.value()) : result.failure().repr()) << ")\n";
    }
  }
  check(entries && entries->size() == 2 && (*entries)[0].first && !(*entries)[1].first,
        "DeferredList reports each outcome, success or failure");

  section("6. Coroutines instead of @inlineCallbacks");
  Directory first;
  Directory second;
  tw::Deferred<std::string> greeting = greet(first, second);
  check(!greeting.called(), "the coroutine is suspended on the first lookup");
  first.pending.callback("alice@example.org");
  second.pending.callback("bob@example.org");
  check(greeting.valueResult() && *greeting.valueResult() == "alice@example.org & bob@example.org",
        "the coroutine's Deferred fired with both answers");

  section("7. A timeout: addTimeout cancels a Deferred that takes too long");
  {
    tw::fakes::Clock clock;  // time moves only when we say so
    tw::Deferred<std::string> reply;
    reply.addTimeout(30s, clock);
    std::cout << "   waiting for a reply, at most 30 s\n";
    clock.advance(29s);
    check(!reply.called(), "after 29 s the reply may still come");
    clock.advance(1s);
    bool timedOut = false;
    reply.addErrback([&](const tw::Failure& f) {
      std::cout << "   errback got " << f.repr() << "\n";
      timedOut = f.check<tw::TimeoutError>() != nullptr;
      return std::string("no reply");
    });
    check(timedOut, "after 30 s the Deferred failed with TimeoutError");
  }

  section("8. An unhandled failure is reported when the last handle goes away");
  {
    tw::LogCapture capture;
    {
      tw::Deferred<int> forgotten;
      forgotten.errback(std::runtime_error("nobody handled me"));
      std::cout << "   the Deferred failed; dropping the last handle...\n";
    }
    auto errors = capture.errors();
    for (const auto& event : errors) std::cout << "   logged: " << event.text << "\n";
    check(errors.size() == 1, "exactly one \"Unhandled error in Deferred\" was logged");
  }

  std::cout << "\n"
            << (failures == 0 ? "All steps behaved as described." : "Some steps FAILED.") << "\n";
  return failures == 0 ? 0 : 1;
}
