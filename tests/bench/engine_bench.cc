// Engine benchmark: load time and memory for a large table, and the cost of one append and
// one delete at two table sizes, on the real file system (PosixEnv).
//
//   engine_bench [--rows N] [--dir DIR]      (default: 10M rows, ~1 GiB, in /tmp)
//
// Prints: file size, load (mount-time) seconds and MB/s, RssAnon/RssFile after load, and
// microseconds per append/delete (engine only, sync=off) and per durable append (fdatasync
// through group commit, one writer) at 10k rows and at N rows.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "core/engine.h"

namespace {

using Clock = std::chrono::steady_clock;
using csvfs::core::Engine;

// Removes a table and csvfs's files beside it.
void RemoveTable(const std::string& dir, const std::string& name) {
  for (const char* suffix :
       {".csvfs-journal", ".csvfs-journal.new", ".csvfs-lock", ".csvfs-tmp", ".csvfs-ids"}) {
    unlink((dir + "/." + name + suffix).c_str());
  }
  unlink((dir + "/" + name).c_str());
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size() + 1));
  }
  return -1;
}

// ~100-byte rows, 8 fields, some quoted.
void WriteTable(const std::string& path, size_t rows) {
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("id,name,city,amount,date,flag,comment,code\n", f);
  for (size_t i = 1; i <= rows; ++i) {
    if (i % 10 == 0) {
      std::fprintf(f, "%zu,\"Name, %zu\",Springfield,%zu.%02zu,2026-11-%02zu,Y,\"said \"\"hi\"\"\",C%07zu\n",
                   i, i % 10007, i % 100000, i % 100, 1 + i % 28, i);
    } else {
      std::fprintf(f, "%zu,name%zu,Shelbyville,%zu.%02zu,2026-11-%02zu,N,plain comment text,C%07zu\n",
                   i, i % 10007, i % 100000, i % 100, 1 + i % 28, i);
    }
  }
  std::fclose(f);
}

std::unique_ptr<Engine> Open(const std::string& path, csvfs::core::SyncMode sync) {
  csvfs::core::EngineOptions o;
  o.backing_path = path;
  o.sync = sync;
  o.checkpoint_bytes = uint64_t(1) << 40;
  auto e = Engine::Open(o);
  if (!e.ok()) {
    std::fprintf(stderr, "open: %s\n", e.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(e.value());
}

void PerOp(const std::string& dir, size_t rows, const char* label) {
  std::string path = dir + "/ops.csv";
  RemoveTable(dir, "ops.csv");
  WriteTable(path, rows);
  auto e = Open(path, csvfs::core::SyncMode::kOff);
  constexpr int kOps = 5000;
  auto t0 = Clock::now();
  for (int i = 0; i < kOps; ++i) (void)e->Append("1,a,b,1.00,2026-11-01,N,x,C1\n", 1);
  auto t1 = Clock::now();
  int failed = 0;
  for (int i = 0; i < kOps; ++i) {
    failed += !e->DeleteRow(std::to_string(1 + (size_t(i) * 7919) % rows), 1).ok();
  }
  auto t2 = Clock::now();
  e.reset();
  auto d = Open(path, csvfs::core::SyncMode::kClose);
  constexpr int kDurable = 500;
  auto t3 = Clock::now();
  for (int i = 0; i < kDurable; ++i) {
    auto r = d->Append("1,a,b,1.00,2026-11-01,N,x,C1\n", 1);
    (void)d->WaitDurable(r->lsn);
  }
  auto t4 = Clock::now();
  std::printf("%-10s append %.2f us  delete %.2f us  durable append %.1f us\n", label,
              Seconds(t0, t1) * 1e6 / kOps, Seconds(t1, t2) * 1e6 / kOps,
              Seconds(t3, t4) * 1e6 / kDurable);
  d.reset();
  RemoveTable(dir, "ops.csv");
  if (failed) std::printf("  (%d deletes failed)\n", failed);
}

}  // namespace

int main(int argc, char** argv) {
  size_t rows = 10'000'000;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--rows") rows = std::stoul(argv[i + 1]);
    if (a == "--dir") dir = argv[i + 1];
  }
  if (argc == 3 && std::string(argv[1]) == "--load") {  // time mounting an existing file
    std::string file = argv[2];
    size_t slash = file.rfind('/');
    std::string d = slash == std::string::npos ? "." : file.substr(0, slash);
    std::string name = file.substr(slash + 1);
    for (int i = 0; i < 3; ++i) {
      for (const char* suffix : {".csvfs-journal", ".csvfs-ids"}) {
        unlink((d + "/." + name + suffix).c_str());
      }
      auto t0 = Clock::now();
      auto e = Open(file, csvfs::core::SyncMode::kClose);
      auto t1 = Clock::now();
      std::printf("load: %.3f s, RssAnon %ld MiB\n", Seconds(t0, t1), StatusKb("RssAnon:") / 1024);
    }
    return 0;
  }
  std::string path = dir + "/engine_bench.csv";
  RemoveTable(dir, "engine_bench.csv");
  WriteTable(path, rows);
  {
    // Warm the page cache as a mount after a write would find it.
    std::ifstream in(path, std::ios::binary);
    std::string buf(1 << 20, '\0');
    while (in.read(buf.data(), buf.size())) {
    }
  }
  long anon0 = StatusKb("RssAnon:"), file0 = StatusKb("RssFile:");
  auto t0 = Clock::now();
  auto e = Open(path, csvfs::core::SyncMode::kClose);
  auto t1 = Clock::now();
  double mb = double(e->Current()->size()) / 1e6;
  std::printf("table: %zu rows, %.1f MB\n", size_t(e->Current()->row_count()), mb);
  std::printf("load: %.2f s (%.0f MB/s)\n", Seconds(t0, t1), mb / Seconds(t0, t1));
  std::printf("memory after load: RssAnon +%ld MiB, RssFile +%ld MiB (%.2fx of the table)\n",
              (StatusKb("RssAnon:") - anon0) / 1024, (StatusKb("RssFile:") - file0) / 1024,
              (StatusKb("RssAnon:") - anon0) * 1024.0 / (mb * 1e6));
  e.reset();
  RemoveTable(dir, "engine_bench.csv");
  PerOp(dir, 10'000, "10k rows");
  PerOp(dir, rows < 1'000'000 ? rows : 1'000'000, "1M rows");
  return 0;
}
