/// @file
/// Real-reactor timer benchmark (tw issue #5): N callLater with splitmix64-seeded delays in
/// [0, 100) ms on an EpollReactor, every second call cancelled, then run() until the last call
/// has run (it stops the reactor).  Prints one RESULT line per N with the wall time of each
/// phase and the process CPU time; the run phase includes up to 100 ms of waiting for the
/// latest timer.  Own main; build and run from a release build:
///
///     reactor_timers_benchmark [--ns 10000,100000,1000000]
#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tw/posix_reactor.hpp"

namespace {

std::vector<double> delays(std::size_t n, std::uint64_t seed = 42) {
  std::vector<double> out;
  out.reserve(n);
  std::uint64_t x = seed;
  const double scale = 0.1 / static_cast<double>(std::uint64_t{1} << 53);
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

double cpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void runOnce(std::size_t n) {
  const std::vector<double> ds = delays(n);
  tw::EpollReactor reactor;
  std::size_t ran = 0;
  const double cpu0 = cpuSeconds();
  const double t0 = now();
  std::vector<tw::DelayedCallPtr> calls;
  calls.reserve(n);
  for (double d : ds) calls.push_back(reactor.callLater(tw::Seconds(d), [&ran] { ++ran; }));
  const double t1 = now();
  for (std::size_t i = 0; i < n; i += 2) calls[i]->cancel();
  calls.clear();
  const double t2 = now();
  reactor.callLater(tw::Seconds(0.1), [&reactor] { reactor.stop(); });
  reactor.run(false);
  const double t3 = now();
  const double cpu = cpuSeconds() - cpu0;
  std::printf(
      "RESULT reactor_timers.cancel_half.N%zu %.6f s schedule=%.6f cancel=%.6f run=%.6f "
      "cpu=%.6f ran=%zu\n",
      n, t3 - t0, t1 - t0, t2 - t1, t3 - t2, cpu, ran);
  if (ran != n / 2) std::printf("ERROR: %zu calls ran, expected %zu\n", ran, n / 2);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> ns = {10000, 100000, 1000000};
  if (argc == 3 && std::strcmp(argv[1], "--ns") == 0) {
    ns.clear();
    for (char* p = std::strtok(argv[2], ","); p != nullptr; p = std::strtok(nullptr, ",")) {
      ns.push_back(static_cast<std::size_t>(std::atof(p)));
    }
  }
  for (std::size_t n : ns) runOnce(n);
  return 0;
}
