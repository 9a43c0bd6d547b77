/// @file
/// LineReceiver parsing throughput over a StringTransport: the bodies of
/// /work/shared/anchors/linereceiver_twisted.py, printing the same RESULT lines
/// (`RESULT linereceiver.<case> <lines/s> lines/s mib_per_s=.. ns_per_line=..`) so that
/// anchors/compare.py joins both outputs.  Twisted: twisted.protocols.basic.LineReceiver.
///
/// Input: 40-byte lines (38 payload bytes + "\r\n"), --mib MiB in total, pre-split into chunks
/// fed to dataReceived one by one; the protocol is connected to tw::fakes::StringTransport.
/// Cases (as the anchor's):
///   count_chunk4096   lineReceived counts lines; 4096-byte chunks
///   count_chunk65536  the same with 65536-byte chunks
///   echo_chunk4096    lineReceived calls sendLine(line) (writes into the StringTransport)
///   count_chunk1      1-byte chunks on a smaller input (--small-kib, default 256); its line also
///                     reports ns_per_call, the cost of one 1-byte dataReceived
/// Reported: lines/s and MiB/s of input, the median of --repeats runs (default 15: a run of the
/// C++ code lasts milliseconds, so more runs than the anchor's 5 steady the median).
///
///   build/release/tests/benchmarks/linereceiver_benchmark [--mib 10] [--small-kib 256]
///       [--repeats 15] [--only count_chunk4096,echo]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <tw/fakes/string_transport.hpp>
#include <tw/line_receiver.hpp>

namespace {

constexpr std::size_t kLine = 40;

/// Counts lines and their bytes.  Twisted: the anchor's Counter.
class Counter : public tw::LineReceiver {
 public:
  void lineReceived(std::string_view line) override {
    ++lines;
    nbytes += line.size();
  }
  std::size_t lines = 0;
  std::size_t nbytes = 0;
};

/// Echoes each line with sendLine.  Twisted: the anchor's Echo.
class Echo : public tw::LineReceiver {
 public:
  void lineReceived(std::string_view line) override {
    ++lines;
    sendLine(line);
  }
  std::size_t lines = 0;
};

/// n lines "line %010d " padded with 'x' to 38 bytes, then "\r\n".
std::string makeInput(std::size_t totalBytes, std::size_t& lines) {
  lines = totalBytes / kLine;
  std::string data;
  data.reserve(lines * kLine);
  char head[32];
  for (std::size_t i = 0; i < lines; ++i) {
    const int n = std::snprintf(head, sizeof head, "line %010zu ", i);
    std::string line(head, static_cast<std::size_t>(n));
    line.resize(kLine - 2, 'x');
    data += line;
    data += "\r\n";
  }
  return data;
}

std::vector<std::string_view> chunks(std::string_view data, std::size_t size) {
  std::vector<std::string_view> out;
  out.reserve(data.size() / size + 1);
  for (std::size_t i = 0; i < data.size(); i += size) out.push_back(data.substr(i, size));
  return out;
}

template <class Proto>
double runOnce(const std::vector<std::string_view>& pieces, std::size_t nlines,
               std::size_t total) {
  Proto p;
  tw::fakes::StringTransport t;
  p.makeConnection(t);
  const auto t0 = std::chrono::steady_clock::now();
  for (std::string_view c : pieces) p.dataReceived(c);
  const auto t1 = std::chrono::steady_clock::now();
  if (p.lines != nlines) {
    std::fprintf(stderr, "wrong line count: %zu != %zu\n", p.lines, nlines);
    std::exit(1);
  }
  if constexpr (std::is_same_v<Proto, Echo>) {
    if (t.view().size() != total) {
      std::fprintf(stderr, "wrong echo size: %zu != %zu\n", t.view().size(), total);
      std::exit(1);
    }
  }
  return std::chrono::duration<double>(t1 - t0).count();
}

/// The anchors' number format (benchlib._fmt).
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

}  // namespace

int main(int argc, char** argv) {
  double mib = 10.0;
  std::size_t smallKib = 256;
  int repeats = 15;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    if (key == "--mib") {
      mib = std::atof(argv[i + 1]);
    } else if (key == "--small-kib") {
      smallKib = static_cast<std::size_t>(std::atol(argv[i + 1]));
    } else if (key == "--repeats") {
      repeats = std::max(1, std::atoi(argv[i + 1]));
    } else if (key == "--only") {
      only = argv[i + 1];
    } else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  std::printf("# LineReceiver over StringTransport  (tw C++20, repeats=%d)\n", repeats);

  std::size_t nbig = 0;
  std::size_t nsmall = 0;
  const std::string big = makeInput(static_cast<std::size_t>(mib * 1024 * 1024), nbig);
  const std::string small = makeInput(smallKib * 1024, nsmall);

  struct Case {
    const char* name;
    bool echo;
    const std::string* data;
    std::size_t nlines;
    std::size_t chunk;
  };
  const Case cases[] = {
      {"count_chunk4096", false, &big, nbig, 4096},
      {"count_chunk65536", false, &big, nbig, 65536},
      {"echo_chunk4096", true, &big, nbig, 4096},
      {"count_chunk1", false, &small, nsmall, 1},
  };
  for (const Case& c : cases) {
    if (!only.empty()) {
      bool selected = false;
      std::size_t start = 0;
      while (start <= only.size()) {
        std::size_t end = only.find(',', start);
        if (end == std::string::npos) end = only.size();
        const std::string prefix = only.substr(start, end - start);
        if (!prefix.empty() && std::string_view(c.name).starts_with(prefix)) selected = true;
        start = end + 1;
      }
      if (!selected) continue;
    }
    const auto pieces = chunks(*c.data, c.chunk);
    std::vector<double> runs;
    // One unmeasured run warms the caches and the allocator.
    (void)(c.echo ? runOnce<Echo>(pieces, c.nlines, c.data->size())
                  : runOnce<Counter>(pieces, c.nlines, c.data->size()));
    for (int r = 0; r < repeats; ++r) {
      runs.push_back(c.echo ? runOnce<Echo>(pieces, c.nlines, c.data->size())
                            : runOnce<Counter>(pieces, c.nlines, c.data->size()));
    }
    std::vector<double> sorted = runs;
    std::sort(sorted.begin(), sorted.end());
    const double dt = sorted.size() % 2 == 1
                          ? sorted[sorted.size() / 2]
                          : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;
    const double lps = static_cast<double>(c.nlines) / dt;
    const double mibs = static_cast<double>(c.data->size()) / dt / (1 << 20);
    std::string runList;
    for (double r : runs) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%.4f", runList.empty() ? "" : "/", r);
      runList += buf;
    }
    std::printf(
        "RESULT linereceiver.%s %s lines/s mib_per_s=%.2f ns_per_line=%.1f input_bytes=%zu "
        "chunk=%zu lines=%zu",
        c.name, fmt(lps).c_str(), mibs, dt / static_cast<double>(c.nlines) * 1e9,
        c.data->size(), c.chunk, c.nlines);
    if (c.chunk == 1) {
      std::printf(" ns_per_call=%.2f", dt / static_cast<double>(c.data->size()) * 1e9);
    }
    std::printf(" runs=%s\n", runList.c_str());
    std::fflush(stdout);
  }
  return 0;
}
