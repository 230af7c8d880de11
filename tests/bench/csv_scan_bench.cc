// csv_scan_bench [MiB [LEVEL]]: throughput of the CSV scanner on a generated in-memory table.
//
// Builds a deterministic CSV buffer (~100-byte rows, 8 fields, ~10% quoted fields holding
// commas and doubled quotes, LF endings), then times, best of 3 each:
//   - ScanRecords into a pre-reserved span vector,
//   - CsvScanner fed the whole buffer at once, counting records (no spans stored),
//   - CsvScanner fed 64 KiB chunks, counting records,
//   - memchr counting '\n' (the floor: what any line-based reader costs).
// LEVEL picks the block scanner (0: scalar, 1: SSE2, 2: AVX2); default: the best available.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/csv.h"
#include "core/csv_internal.h"

namespace {

using csvfs::core::CsvScanner;
using csvfs::core::RecordSpan;

struct Rng {
  uint64_t x;
  uint64_t Next() {  // splitmix64
    uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
};

const char* const kWords[] = {"alpha", "bravo", "charlie", "delta",  "echo", "foxtrot",
                              "golf",  "hotel", "india",   "juliet", "kilo", "lima"};
const char* const kCities[] = {"Paris", "Berlin", "Lisbon", "Oslo", "Rome", "Vienna"};

void AppendWords(Rng& rng, size_t n, std::string* out) {
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out->push_back(' ');
    out->append(kWords[rng.Below(12)]);
  }
}

// A field that needs quoting: text with commas and doubled quotes.
void AppendQuoted(Rng& rng, std::string* out) {
  out->append("\"");
  AppendWords(rng, 1, out);
  out->append(", \"\"");
  AppendWords(rng, 1 + rng.Below(2), out);
  out->append("\"\", ");
  AppendWords(rng, 1, out);
  out->append("\"");
}

void AppendRow(Rng& rng, uint64_t id, std::string* out) {
  char buf[96];
  const int n =
      std::snprintf(buf, sizeof buf, "%llu,%s%llu@example.com,%llu.%02llu,2023-%02llu-%02llu,",
                    static_cast<unsigned long long>(id), kWords[rng.Below(12)],
                    static_cast<unsigned long long>(rng.Below(1000)),
                    static_cast<unsigned long long>(rng.Below(100000)),
                    static_cast<unsigned long long>(rng.Below(100)),
                    static_cast<unsigned long long>(1 + rng.Below(12)),
                    static_cast<unsigned long long>(1 + rng.Below(28)));
  out->append(buf, static_cast<size_t>(n));
  for (int f = 0; f < 4; ++f) {  // four text fields, ~10% of all fields quoted
    if (rng.Below(5) == 0) {
      AppendQuoted(rng, out);
    } else {
      AppendWords(rng, 1 + rng.Below(2), out);
    }
    out->push_back(',');
  }
  out->append(kCities[rng.Below(6)]);
  out->push_back('\n');
}

std::string MakeTable(size_t bytes) {
  std::string s;
  s.reserve(bytes + 256);
  s.append("id,email,amount,date,title,note,tags,city\n");
  Rng rng{2024};
  for (uint64_t id = 1; s.size() < bytes; ++id) AppendRow(rng, id, &s);
  return s;
}

struct Timing {
  double wall = 1e30;  // seconds, best of 3
  double cpu = 1e30;   // thread CPU seconds, best of 3 (robust on a busy machine)
};

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Times 3 runs of fn; fn returns a count kept as a checksum.
Timing BestOf3(const std::function<size_t()>& fn, size_t* count) {
  Timing best;
  for (int i = 0; i < 3; ++i) {
    const double c0 = ThreadCpuSeconds();
    const auto t0 = std::chrono::steady_clock::now();
    *count = fn();
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    best.wall = std::min(best.wall, dt.count());
    best.cpu = std::min(best.cpu, ThreadCpuSeconds() - c0);
  }
  return best;
}

size_t CountNewlines(const std::string& s) {
  size_t n = 0;
  const char* p = s.data();
  const char* end = p + s.size();
  while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p))))) {
    ++n;
    ++p;
  }
  return n;
}

size_t ScanChunked(const std::string& s, size_t chunk) {
  CsvScanner scanner;
  size_t n = 0;
  const CsvScanner::RecordFn fn = [&n](std::string_view, const RecordSpan&) { ++n; };
  for (size_t at = 0; at < s.size(); at += chunk) {
    if (!scanner.Feed(std::string_view(s).substr(at, chunk), fn).ok()) std::abort();
  }
  if (!scanner.Finish(fn).ok()) std::abort();
  return n;
}

void Report(const char* what, size_t bytes, const Timing& t, size_t count) {
  std::printf("%-34s %6.0f MB/s cpu %6.0f MB/s wall  (%zu records)\n", what, bytes / t.cpu / 1e6,
              bytes / t.wall / 1e6, count);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1024;
  if (mib == 0) {
    std::fprintf(stderr, "usage: csv_scan_bench [MiB [LEVEL]]\n");
    return 2;
  }
  const int level = csvfs::core::csv_internal::SetSimdLevel(argc > 2 ? std::atoi(argv[2]) : -1);
  const std::string table = MakeTable(mib << 20);
  static const char* const kLevels[] = {"scalar", "SSE2", "AVX2"};
  std::printf("table: %zu bytes; block scanner: %s\n", table.size(), kLevels[level]);
  std::vector<RecordSpan> spans;
  spans.reserve(table.size() / 64);
  size_t n_scan = 0, n_whole = 0, n_chunk = 0, n_lf = 0;
  const Timing t_scan = BestOf3(
      [&] {
        spans.clear();
        if (!csvfs::core::ScanRecords(table, &spans).ok()) std::abort();
        return spans.size();
      },
      &n_scan);
  const Timing t_whole = BestOf3([&] { return ScanChunked(table, table.size()); }, &n_whole);
  const Timing t_chunk = BestOf3([&] { return ScanChunked(table, 64 << 10); }, &n_chunk);
  const Timing t_lf = BestOf3([&] { return CountNewlines(table); }, &n_lf);
  Report("ScanRecords (spans stored)", table.size(), t_scan, n_scan);
  Report("CsvScanner, one Feed (count only)", table.size(), t_whole, n_whole);
  Report("CsvScanner, 64 KiB chunks", table.size(), t_chunk, n_chunk);
  Report("memchr '\\n' count", table.size(), t_lf, n_lf);
  std::printf("ratio ScanRecords / memchr (cpu): %.2f\n", t_lf.cpu / t_scan.cpu);
  if (n_scan != n_lf || n_whole != n_lf || n_chunk != n_lf) {
    std::fprintf(stderr, "record counts disagree\n");
    return 1;
  }
  return 0;
}
