/// @file
/// Clock scaling benchmark: the C++ side of the Twisted anchor
/// /work/shared/anchors/clock_twisted.py, with the same body (N callLater with splitmix64-seeded
/// delays in [0, 100) s, then one advance(100); and the cancel_half variant, which cancels every
/// second call first) and the same RESULT lines (`RESULT clock.all.N1000 <seconds> s schedule=..
/// cancel=.. advance=.. us_per_call=.. reps=.. growth_exp=..`), so that anchors/compare.py joins
/// both outputs. Plain std::chrono timing with its own main (one measurement is one whole run, as
/// in Python). How to build and run: tests/benchmarks/README.md.
///
///     clock_benchmark [--ns 1000,3000,10000,100000,1000000] [--repeats 3]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tw/fakes/clock.hpp"

namespace {

/// splitmix64 seeded with 42, as the anchor: delay_i = (next() >> 11) * 2^-53 * 100.
std::vector<double> delays(std::size_t n, std::uint64_t seed = 42) {
  std::vector<double> out;
  out.reserve(n);
  std::uint64_t x = seed;
  const double scale = 100.0 / static_cast<double>(std::uint64_t{1} << 53);
  for (std::size_t i = 0; i < n; ++i) {
    x += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    out.push_back(static_cast<double>(z >> 11) * scale);
  }
  return out;
}

struct Run {
  double schedule;
  double cancel;
  double advance;
  double cpu;  ///< process CPU time of the three phases (wall time minus preemption)
  double total() const { return schedule + cancel + advance; }
};

using SteadyClock = std::chrono::steady_clock;

double cpuNow() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double since(SteadyClock::time_point t0, SteadyClock::time_point t1) {
  return std::chrono::duration<double>(t1 - t0).count();
}

Run runOnce(const std::vector<double>& ds, bool cancel) {
  std::size_t count = 0;
  tw::fakes::Clock clock;
  std::vector<tw::DelayedCallPtr> calls;
  calls.reserve(ds.size());
  const double c0 = cpuNow();
  auto t0 = SteadyClock::now();
  for (double d : ds) calls.push_back(clock.callLater(tw::Seconds(d), [&count] { ++count; }));
  auto t1 = SteadyClock::now();
  std::size_t cancelled = 0;
  if (cancel) {
    for (std::size_t i = 0; i < calls.size(); i += 2) {
      calls[i]->cancel();
      ++cancelled;
    }
  }
  auto t2 = SteadyClock::now();
  clock.advance(tw::Seconds(100.0));
  auto t3 = SteadyClock::now();
  const double c1 = cpuNow();
  if (count != ds.size() - cancelled || clock.pendingCount() != 0) {
    std::fprintf(stderr, "clock_benchmark: wrong count %zu (expected %zu)\n", count,
                 ds.size() - cancelled);
    std::exit(1);
  }
  return Run{since(t0, t1), since(t1, t2), since(t2, t3), c1 - c0};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<std::size_t> parseNs(const std::string& text) {
  std::vector<std::size_t> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) {
      out.push_back(static_cast<std::size_t>(std::stod(text.substr(start, comma - start))));
    }
    start = comma + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string ns = "1000,3000,10000,100000,1000000";
  int repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--ns") {
      ns = argv[i + 1];
    } else if (flag == "--repeats") {
      repeats = std::max(1, std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr, "usage: %s [--ns 1000,3000,...] [--repeats 3]\n", argv[0]);
      return 2;
    }
  }
  std::printf(
      "# tw::fakes::Clock callLater+advance scaling (TimerQueue: 4-ary heap, due calls sorted in "
      "bulk)\n");
  for (bool cancel : {false, true}) {
    const char* variant = cancel ? "cancel_half" : "all";
    bool havePrev = false;
    std::size_t prevN = 0;
    double prevTotal = 0;
    std::size_t firstN = 0;
    double firstTotal = 0;
    for (std::size_t n : parseNs(ns)) {
      const std::vector<double> ds = delays(n);
      runOnce(ds, cancel);  // warm-up: page in the allocator's memory
      std::vector<double> total, schedule, cancelT, advance, cpu;
      for (int r = 0; r < repeats; ++r) {
        Run run = runOnce(ds, cancel);
        total.push_back(run.total());
        schedule.push_back(run.schedule);
        cancelT.push_back(run.cancel);
        advance.push_back(run.advance);
        cpu.push_back(run.cpu);
      }
      const double tot = median(total);
      std::string grow;
      if (havePrev) {
        char text[48];
        std::snprintf(text, sizeof text, " growth_exp=%.2f",
                      std::log(tot / prevTotal) /
                          std::log(static_cast<double>(n) / static_cast<double>(prevN)));
        grow = text;
      } else {
        firstN = n;
        firstTotal = tot;
      }
      std::printf(
          "RESULT clock.%s.N%zu %.6f s schedule=%.6f cancel=%.6f advance=%.6f us_per_call=%.3f "
          "reps=%d cpu=%.6f%s\n",
          variant, n, tot, median(schedule), median(cancelT), median(advance),
          tot / static_cast<double>(n) * 1e6, repeats, median(cpu), grow.c_str());
      std::fflush(stdout);
      havePrev = true;
      prevN = n;
      prevTotal = tot;
    }
    if (havePrev && prevN != firstN) {
      std::printf("# clock.%s growth exponent N%zu -> N%zu: %.3f\n", variant, firstN, prevN,
                  std::log(prevTotal / firstTotal) /
                      std::log(static_cast<double>(prevN) / static_cast<double>(firstN)));
    }
  }
  return 0;
}
