/// @file
/// Deferred micro-benchmarks (a)-(f): the C++ side of the Twisted anchor
/// /work/shared/anchors/deferred_twisted.py, with the same bodies and the same RESULT lines
/// (`RESULT deferred.<name> <ns> ns/op ...`), so that anchors/compare.py can join both outputs.
/// How to build and run: tests/benchmarks/README.md.
///
/// Besides time, every benchmark reports per operation (as Google Benchmark counters and as
/// RESULT extras):
/// - `allocs_per_op`, `alloc_bytes_per_op`: calls of the global operator new (replaced below with
///   a counting one). Exception objects (`__cxa_allocate_exception`, malloc) are not counted.
/// - `throws_per_op`: exceptions raised, counted by interposing the unwinder's entry points
///   (`_Unwind_RaiseException`, reached by every `throw` and `std::rethrow_exception`, and
///   `_Unwind_Resume_or_Rethrow`, reached by `throw;`). A self-check at start-up verifies that
///   the interposition works; if it does not, the counter is -1 and the RESULT extra `n/a`.
///   (d2) must show 0: passing a Failure on never rethrows.
///
/// Checks printed at the end (`# check ...`): the throw-counting self-check, and that `co_await`
/// of an already-fired Deferred does not suspend (also as extras of the coroutine lines).
#include <dlfcn.h>
#include <unistd.h>
#include <unwind.h>

#include <algorithm>
#include <cinttypes>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "tw/deferred.hpp"
#include "tw/deferred_list.hpp"
#include "tw/failure.hpp"

// -------------------------------------------------------------------------------------------
// Counting heap allocations: the global operator new/delete, replaced for this binary.

namespace {
thread_local std::uint64_t tAllocs = 0;
thread_local std::uint64_t tAllocBytes = 0;
thread_local std::uint64_t tThrows = 0;
thread_local bool tInRethrow = false;

void* countedAlloc(std::size_t size) {
  ++tAllocs;
  tAllocBytes += size;
  if (size == 0) size = 1;
  return std::malloc(size);
}

void* countedAlignedAlloc(std::size_t size, std::align_val_t alignment) {
  ++tAllocs;
  tAllocBytes += size;
  void* p = nullptr;
  std::size_t a = std::max(static_cast<std::size_t>(alignment), sizeof(void*));
  if (posix_memalign(&p, a, size == 0 ? 1 : size) != 0) return nullptr;
  return p;
}

// Out of line: inlined into a caller, free() after operator new trips -Wmismatched-new-delete.
[[gnu::noinline]] void countedFree(void* p) noexcept { std::free(p); }
}  // namespace

void* operator new(std::size_t size) {
  if (void* p = countedAlloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = countedAlloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return countedAlloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return countedAlloc(size);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  if (void* p = countedAlignedAlloc(size, alignment)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  if (void* p = countedAlignedAlloc(size, alignment)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return countedAlignedAlloc(size, alignment);
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return countedAlignedAlloc(size, alignment);
}
void operator delete(void* p) noexcept { countedFree(p); }
void operator delete[](void* p) noexcept { countedFree(p); }
void operator delete(void* p, std::size_t) noexcept { countedFree(p); }
void operator delete[](void* p, std::size_t) noexcept { countedFree(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { countedFree(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { countedFree(p); }
void operator delete(void* p, std::align_val_t) noexcept { countedFree(p); }
void operator delete[](void* p, std::align_val_t) noexcept { countedFree(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { countedFree(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { countedFree(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { countedFree(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  countedFree(p);
}

// -------------------------------------------------------------------------------------------
// Counting throws: every throw (__cxa_throw) and every std::rethrow_exception enters the
// unwinder through _Unwind_RaiseException; `throw;` (__cxa_rethrow) through
// _Unwind_Resume_or_Rethrow. This binary's definitions interpose libgcc_s's and forward to them.

extern "C" {
_Unwind_Reason_Code _Unwind_RaiseException(struct _Unwind_Exception* exception) {
  using Fn = _Unwind_Reason_Code (*)(struct _Unwind_Exception*);
  static const Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "_Unwind_RaiseException"));
  if (tInRethrow) {
    tInRethrow = false;  // libgcc's _Unwind_Resume_or_Rethrow calls us: counted there
  } else {
    ++tThrows;
  }
  return real(exception);
}

_Unwind_Reason_Code _Unwind_Resume_or_Rethrow(struct _Unwind_Exception* exception) {
  using Fn = _Unwind_Reason_Code (*)(struct _Unwind_Exception*);
  static const Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "_Unwind_Resume_or_Rethrow"));
  ++tThrows;
  tInRethrow = true;
  _Unwind_Reason_Code code = real(exception);
  tInRethrow = false;
  return code;
}
}

namespace {

bool gThrowCountingWorks = false;

/// Verifies the interposition: one throw and one rethrow_exception must count 2.
bool checkThrowCounting() {
  std::uint64_t before = tThrows;
  try {
    throw std::runtime_error("probe");
  } catch (const std::exception&) {
  }
  try {
    std::rethrow_exception(std::make_exception_ptr(std::runtime_error("probe")));
  } catch (const std::exception&) {
  }
  try {
    try {
      throw 1;
    } catch (int) {
      throw;
    }
  } catch (int) {
  }
  return tThrows - before == 4;
}

/// Per-op counters over one timed loop: construct before `for (auto _ : state)`, call report()
/// after it.
class OpCounters {
 public:
  explicit OpCounters(benchmark::State& state)
      : state_(state), allocs_(tAllocs), bytes_(tAllocBytes), throws_(tThrows) {}
  void report() {
    double n = static_cast<double>(state_.iterations());
    if (n == 0) return;
    state_.counters["allocs_per_op"] = static_cast<double>(tAllocs - allocs_) / n;
    state_.counters["alloc_bytes_per_op"] = static_cast<double>(tAllocBytes - bytes_) / n;
    state_.counters["throws_per_op"] =
        gThrowCountingWorks ? static_cast<double>(tThrows - throws_) / n : -1.0;
  }

 private:
  benchmark::State& state_;
  std::uint64_t allocs_;
  std::uint64_t bytes_;
  std::uint64_t throws_;
};

// -------------------------------------------------------------------------------------------
// The callables of deferred_twisted.py.

struct Boom : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr auto inc = [](int x) { return x + 1; };
constexpr auto retFired = [](int x) { return tw::succeed(x + 1); };
constexpr auto reraise = [](const tw::Failure& f) -> tw::Failure { f.raiseException(); };
constexpr auto passthru = [](tw::Failure f) { return f; };
constexpr auto recover = [](const tw::Failure& f) {
  f.trap<Boom>();
  return 42;
};

/// Keeps `value` computed. Not benchmark::DoNotOptimize(T&): with GCC 12 at -O2 its "+m,r"
/// in/out operand made the compiler drop the store of the result (the checks below read a stale
/// value; see google/benchmark#903, GCC PR 92597). The input-only const& overload is fine.
template <class T>
void keep(const T& value) {
  benchmark::DoNotOptimize(value);
}

void fail(benchmark::State& state, const char* what, long long got) {
  state.SkipWithError((std::string(what) + ": got " + std::to_string(got)).c_str());
}

// -------------------------------------------------------------------------------------------
// The benchmarks.

/// (a) Deferred(), 3 x addCallback(x+1), callback(0), read the result.
void benchCreate3cbFire(benchmark::State& state) {
  int r = 0;
  OpCounters counters(state);
  for (auto _ : state) {
    tw::Deferred<int> d;
    d.addCallback(inc);
    d.addCallback(inc);
    d.addCallback(inc);
    d.callback(0);
    r = *d.valueResult();
    keep(r);
  }
  counters.report();
  if (r != 3) fail(state, "a: result", r);
}

/// (a2) succeed(0), then 3 x addCallback(x+1) on the fired Deferred.
void benchSucceed3cb(benchmark::State& state) {
  int r = 0;
  OpCounters counters(state);
  for (auto _ : state) {
    tw::Deferred<int> d = tw::succeed(0);
    d.addCallback(inc);
    d.addCallback(inc);
    d.addCallback(inc);
    r = *d.valueResult();
    keep(r);
  }
  counters.report();
  if (r != 3) fail(state, "a2: result", r);
}

/// (b) one Deferred, 1000 x addCallback(x+1), fired once.
void benchChain1000(benchmark::State& state) {
  int r = 0;
  OpCounters counters(state);
  for (auto _ : state) {
    tw::Deferred<int> d;
    for (int i = 0; i < 1000; ++i) d.addCallback(inc);
    d.callback(0);
    r = *d.valueResult();
    keep(r);
  }
  counters.report();
  if (r != 1000) fail(state, "b: result", r);
}

/// (c) 1000 callbacks each returning succeed(x+1): the chain takes each returned result.
void benchReturnFired1000(benchmark::State& state) {
  int r = 0;
  OpCounters counters(state);
  for (auto _ : state) {
    tw::Deferred<int> d;
    for (int i = 0; i < 1000; ++i) d.addCallback(retFired);
    d.callback(0);
    r = *d.valueResult();
    keep(r);
  }
  counters.report();
  if (r != 1000) fail(state, "c: result", r);
}

/// (d) errback(Boom("x")); 3 errbacks rethrow (f.raiseException()), one traps and recovers.
void benchErrback3raise1rec(benchmark::State& state) {
  int r = 0;
  OpCounters counters(state);
  for (auto _ : state) {
    tw::Deferred<int> d;
    d.addErrback(reraise);
    d.addErrback(reraise);
    d.addErrback(reraise);
    d.addErrback(recover);
    d.errback(Boom("x"));
    r = *d.valueResult();
    keep(r);
  }
  counters.report();
  if (r != 42) fail(state, "d: result", r);
}

/// (d2) same, but the 3 errbacks pass the Failure on (`return f;`).
void benchErrback3pass1rec(benchmark::State& state) {
  int r = 0;
  OpCounters counters(state);
  for (auto _ : state) {
    tw::Deferred<int> d;
    d.addErrback(passthru);
    d.addErrback(passthru);
    d.addErrback(passthru);
    d.addErrback(recover);
    d.errback(Boom("x"));
    r = *d.valueResult();
    keep(r);
  }
  counters.report();
  if (r != 42) fail(state, "d2: result", r);
}

/// (e0) control: create 1000 succeed(i) into a list.
void bench1000Succeed(benchmark::State& state) {
  std::size_t size = 0;
  OpCounters counters(state);
  for (auto _ : state) {
    std::vector<tw::Deferred<int>> ds;
    ds.reserve(1000);
    for (int i = 0; i < 1000; ++i) ds.push_back(tw::succeed(i));
    size = ds.size();
    benchmark::DoNotOptimize(ds.data());
  }
  counters.report();
  if (size != 1000) fail(state, "e0: size", static_cast<long long>(size));
}

/// (e) DeferredList of 1000 fired Deferreds, including creating them; reads the result.
void benchDeferredList1000(benchmark::State& state) {
  bool ok = false;
  OpCounters counters(state);
  for (auto _ : state) {
    std::vector<tw::Deferred<int>> ds;
    ds.reserve(1000);
    for (int i = 0; i < 1000; ++i) ds.push_back(tw::succeed(i));
    tw::DeferredList<int> dl(std::move(ds));
    const auto* r = dl.valueResult();
    ok = r != nullptr && r->size() == 1000 && (*r)[999].first && (*r)[999].second.value() == 999;
    keep(ok);
  }
  counters.report();
  if (!ok) fail(state, "e: result is not 1000 pairs ending (true, 999)", 0);
}

/// (f2) a coroutine awaiting 1000 succeed(i); C++ has one mechanism, so (f), Twisted's
/// @inlineCallbacks, runs the same coroutine.
tw::Deferred<int> sum1000() {
  int total = 0;
  for (int i = 0; i < 1000; ++i) total += co_await tw::succeed(i);
  co_return total;
}

void benchCoroutine1000(benchmark::State& state) {
  int r = 0;
  OpCounters counters(state);
  for (auto _ : state) {
    tw::Deferred<int> d = sum1000();
    r = *d.valueResult();
    keep(r);
  }
  counters.report();
  if (r != 499500) fail(state, "f: result", r);
}

// -------------------------------------------------------------------------------------------
// Check: co_await of an already-fired Deferred does not suspend.

int gSuspends = 0;

/// Wraps the Deferred awaiter and counts the suspensions it causes.
template <class U>
struct CountingAwaiter {
  tw::detail::DeferredAwaiter<U> inner;
  bool await_ready() const noexcept { return inner.await_ready(); }
  template <class P>
  void await_suspend(std::coroutine_handle<P> handle) {
    ++gSuspends;
    inner.await_suspend(handle);
  }
  auto await_resume() { return inner.await_resume(); }
};

template <class U>
CountingAwaiter<U> counted(tw::Deferred<U> d) {
  return {tw::operator co_await(std::move(d))};
}

struct StackSpan {
  std::uintptr_t low = UINTPTR_MAX;
  std::uintptr_t high = 0;
  void see(const void* frame) {
    auto a = reinterpret_cast<std::uintptr_t>(frame);
    low = std::min(low, a);
    high = std::max(high, a);
  }
};

/// sum1000 with counted awaits, recording the span of stack frames its body ran in.
tw::Deferred<int> countedSum1000(StackSpan& span) {
  int total = 0;
  for (int i = 0; i < 1000; ++i) {
    span.see(__builtin_frame_address(0));
    total += co_await counted(tw::succeed(i));
  }
  co_return total;
}

/// Control: awaiting a Deferred without a result must suspend exactly once.
tw::Deferred<int> countedAwaitOne(tw::Deferred<int> d) { co_return co_await counted(std::move(d)); }

struct AwaitCheck {
  int suspendsFired = -1;    // suspensions over 1000 awaits of fired Deferreds
  long stackSpan = -1;       // bytes between the lowest and highest frame of the loop body
  int suspendsUnfired = -1;  // suspensions awaiting one unfired Deferred (control, must be 1)
  bool resultsOk = false;
};

AwaitCheck checkAwaitFired() {
  AwaitCheck check;
  gSuspends = 0;
  StackSpan span;
  tw::Deferred<int> d = countedSum1000(span);
  check.suspendsFired = gSuspends;
  check.stackSpan = static_cast<long>(span.high - span.low);
  bool firedOk = d.valueResult() != nullptr && *d.valueResult() == 499500;

  gSuspends = 0;
  tw::Deferred<int> later;
  tw::Deferred<int> waiting = countedAwaitOne(later);
  bool pending = !waiting.called();
  later.callback(7);
  check.suspendsUnfired = gSuspends;
  check.resultsOk =
      firedOk && pending && waiting.valueResult() != nullptr && *waiting.valueResult() == 7;
  return check;
}

// -------------------------------------------------------------------------------------------
// RESULT lines, in the format of anchors/benchlib.py.

struct Spec {
  const char* name;
  void (*fn)(benchmark::State&);
  const char* op;
  int inner;
  const char* innerUnit;
};

/// benchlib._fmt: >= 100 without decimals, >= 1 with two, else 4 significant digits.
std::string fmt(double v) {
  char buf[64];
  if (v >= 100) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else if (v >= 1) {
    std::snprintf(buf, sizeof buf, "%.2f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", v);
  }
  return buf;
}

std::string fmtCount(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

/// The console reporter, also keeping every repetition's run for the RESULT lines.
class AnchorReporter : public benchmark::ConsoleReporter {
 public:
  using ConsoleReporter::ConsoleReporter;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && !run.error_occurred && run.iterations > 0) {
        runs_[run.run_name.function_name].push_back(run);
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  const std::vector<Run>* runsOf(const std::string& name) const {
    auto it = runs_.find(name);
    return it == runs_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, std::vector<Run>> runs_;
};

double counterOf(const benchmark::BenchmarkReporter::Run& run, const char* name) {
  auto it = run.counters.find(name);
  return it == run.counters.end() ? 0.0 : static_cast<double>(it->second);
}

void printResult(const Spec& spec, const std::vector<benchmark::BenchmarkReporter::Run>& runs,
                 const std::string& more) {
  using Run = benchmark::BenchmarkReporter::Run;
  std::vector<double> ns;
  for (const Run& run : runs) {
    ns.push_back(run.real_accumulated_time * 1e9 / static_cast<double>(run.iterations));
  }
  // The median run (the lower middle one for an even count), as benchlib's statistics.median.
  std::vector<std::size_t> order(runs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return ns[a] < ns[b]; });
  double median = ns.size() % 2 == 1
                      ? ns[order[ns.size() / 2]]
                      : (ns[order[ns.size() / 2 - 1]] + ns[order[ns.size() / 2]]) / 2;
  const Run& mid = runs[order[(ns.size() - 1) / 2]];
  std::string joined;
  for (double v : ns) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.1f", joined.empty() ? "" : "/", v);
    joined += buf;
  }
  double throws = counterOf(mid, "throws_per_op");
  std::printf(
      "RESULT deferred.%s %s ns/op op=%s ops_per_s=%s per_inner_ns=%s inner_unit=%s "
      "iters=%" PRId64 " runs=%s allocs_per_op=%s alloc_bytes_per_op=%s throws_per_op=%s%s\n",
      spec.name, fmt(median).c_str(), spec.op, fmt(1e9 / median).c_str(),
      fmt(median / spec.inner).c_str(), spec.innerUnit, static_cast<std::int64_t>(mid.iterations),
      joined.c_str(), fmtCount(counterOf(mid, "allocs_per_op")).c_str(),
      fmtCount(counterOf(mid, "alloc_bytes_per_op")).c_str(),
      throws < 0 ? "n/a" : fmtCount(throws).c_str(), more.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  // Three repetitions unless told otherwise, as deferred_twisted.py's default --repeats 3.
  std::vector<char*> args(argv, argv + argc);
  bool repetitionsGiven = std::any_of(args.begin() + 1, args.end(), [](const char* a) {
    return std::string(a).rfind("--benchmark_repetitions", 0) == 0;
  });
  static char defaultRepetitions[] = "--benchmark_repetitions=3";
  if (!repetitionsGiven) args.push_back(defaultRepetitions);
  int count = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;

  gThrowCountingWorks = checkThrowCounting();
  AwaitCheck await = checkAwaitFired();

  // name, body, description of one op, inner count, inner unit: as BENCHES in the Python.
  const std::vector<Spec> specs = {
      {"a_create_3cb_fire", benchCreate3cbFire, "deferred", 3, "callback"},
      {"a2_succeed_3cb", benchSucceed3cb, "deferred", 3, "callback"},
      {"b_chain_1000", benchChain1000, "chain", 1000, "callback"},
      {"c_return_fired_1000", benchReturnFired1000, "chain", 1000, "callback"},
      {"d_errback_3raise_1rec", benchErrback3raise1rec, "deferred", 4, "errback"},
      {"d2_errback_3pass_1rec", benchErrback3pass1rec, "deferred", 4, "errback"},
      {"e0_1000_succeed", bench1000Succeed, "batch", 1000, "deferred"},
      {"e_deferredlist_1000", benchDeferredList1000, "list", 1000, "deferred"},
      {"f_inlinecb_1000", benchCoroutine1000, "coroutine", 1000, "await"},
      {"f2_coroutine_1000", benchCoroutine1000, "coroutine", 1000, "await"},
  };
  for (const Spec& spec : specs) benchmark::RegisterBenchmark(spec.name, spec.fn);

  AnchorReporter reporter(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_ColorTabular
                                                : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);

  std::printf("# Deferred micro-benchmarks  (tw C++20, Google Benchmark, %s)\n",
#ifdef NDEBUG
              "NDEBUG"
#else
              "assertions on"
#endif
  );
  char awaitExtras[160];
  std::snprintf(awaitExtras, sizeof awaitExtras,
                " suspends_per_fired_await=%g await_stack_span_bytes=%ld",
                await.suspendsFired / 1000.0, await.stackSpan);
  for (const Spec& spec : specs) {
    const auto* runs = reporter.runsOf(spec.name);
    if (runs == nullptr || runs->empty()) continue;
    bool coroutine = std::string(spec.op) == "coroutine";
    printResult(spec, *runs, coroutine ? awaitExtras : "");
  }
  std::printf("# check throw counting (interposed _Unwind_RaiseException): %s\n",
              gThrowCountingWorks ? "works" : "DOES NOT WORK, throws_per_op=n/a");
  std::printf(
      "# check co_await of fired Deferreds: %d suspensions in 1000 awaits, stack span %ld bytes "
      "(control: %d suspension awaiting an unfired one), results %s\n",
      await.suspendsFired, await.stackSpan, await.suspendsUnfired,
      await.resultsOk ? "ok" : "WRONG");
  benchmark::Shutdown();
  return 0;
}
