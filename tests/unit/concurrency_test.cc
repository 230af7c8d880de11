// Concurrency: many committers, a deleter, readers of snapshots and background checkpoints
// at once, on the real file system (PosixEnv). Exact counts; every snapshot a reader takes
// is a complete, valid table. Run under TSan in CI.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "core/csv.h"
#include "core/engine.h"
#include "tests/unit/engine_test_util.h"

namespace csvfs::testing {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/csvfs-conc.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("concurrency: committers, a deleter, readers and checkpoints at once") {
  TempDir dir;
  const std::string backing = dir.path + "/t.csv";
  {
    std::ofstream out(backing);
    out << "w,seq,pad\n";
    for (int i = 0; i < 200; ++i) out << "init," << i << ",x\n";
  }
  core::EngineOptions o;
  o.backing_path = backing;
  o.checkpoint_bytes = 32 << 10;  // several background checkpoints during the run
  auto opened = core::Engine::Open(o);
  REQUIRE(opened.ok());
  core::Engine& e = *opened.value();

  constexpr int kWriters = 6, kRows = 150;
  std::atomic<bool> failed{false}, done{false};
  std::atomic<int> snapshots{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kRows; ++i) {
        std::string row = "w" + std::to_string(w) + "," + std::to_string(i) + ",\"p,\"\"q\"\"\"\n";
        auto r = e.Append(row, uint32_t(100 + w));
        if (!r.ok() || !e.WaitDurable(r->lsn).ok()) failed = true;
      }
    });
  }
  threads.emplace_back([&] {  // deleter: every other initial row
    for (int id = 1; id <= 200; id += 2) {
      if (!e.DeleteRow(std::to_string(id), 7).ok()) failed = true;
    }
  });
  threads.emplace_back([&] {  // reader: each snapshot is a whole, valid, stable table
    while (!done) {
      auto v = e.Current();
      std::string a = Render(*v), b = Render(*v);
      std::vector<core::RecordSpan> spans;
      if (a != b || a.size() != v->size() || !core::ScanRecords(a, &spans).ok() ||
          spans.size() != v->row_count() + 1) {
        failed = true;
      }
      ++snapshots;
    }
  });
  for (int i = 0; i < kWriters + 1; ++i) threads[size_t(i)].join();
  done = true;
  threads.back().join();
  REQUIRE_FALSE(failed);

  auto check = [&](const core::Version& v) {
    REQUIRE(v.row_count() == 100 + kWriters * kRows);
    std::set<std::string> seen;
    v.ForEachRow([&](std::string_view, std::string_view bytes, core::RowRef) {
      REQUIRE(seen.insert(std::string(bytes)).second);  // no row twice
      return true;
    });
    for (int w = 0; w < kWriters; ++w) {
      for (int i = 0; i < kRows; ++i) {
        REQUIRE(seen.count("w" + std::to_string(w) + "," + std::to_string(i) +
                           ",\"p,\"\"q\"\"\"\n") == 1);
      }
    }
  };
  check(*e.Current());
  auto st = e.Stats();
  WARN("commits " << st.commits << ", fsyncs " << st.fsyncs << ", checkpoints "
                  << st.checkpoints << ", reader snapshots " << snapshots.load());
  REQUIRE(st.commits == uint64_t(kWriters * kRows + 100));
  REQUIRE(e.Close().ok());
  opened.value().reset();
  auto again = core::Engine::Open(o);
  REQUIRE(again.ok());
  check(*again.value()->Current());
}

}  // namespace csvfs::testing
