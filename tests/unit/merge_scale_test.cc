// The rewrite merge at scale: a rewrite that races only appends (sed -i while `>>` loops run)
// is merged from the bytes it changed. Its journal record must not grow with the table, its
// result must be what the writer wrote plus the rows appended that it never saw, and it must
// replay after a crash. Measured by bytes, never by time.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <random>
#include <thread>
#include <string>
#include <vector>

#include "core/engine.h"
#include "tests/unit/engine_test_util.h"
#include "tests/unit/fault_env.h"

namespace csvfs::testing {
namespace {

std::string Row(size_t i) { return std::to_string(i) + ",name" + std::to_string(i % 977) + ",12345\n"; }

core::EngineOptions Opts(core::Env* env) {
  core::EngineOptions o;
  o.env = env;
  o.backing_path = "/d/t.csv";
  o.start_threads = false;
  o.checkpoint_bytes = uint64_t(1) << 40;
  return o;
}

// Journal bytes written by a sed-like rewrite of a `rows`-row table racing 3 appends; the
// table after it is checked against the model, before and after a crash.
uint64_t JournalBytesOfEdit(size_t rows) {
  FaultEnv env;
  std::string csv = "id,name,value\n";
  for (size_t i = 1; i <= rows; ++i) csv += Row(i);
  PutFile(&env, "/d", "t.csv", csv);
  auto opened = core::Engine::Open(Opts(&env));
  REQUIRE(opened.ok());
  auto e = std::move(opened.value());
  REQUIRE(e->WaitDurable(e->Append("a1,x,y\n", 7)->lsn).ok());
  // The writer read on through the first appended row (its base grew to include it), then
  // two more rows were appended.
  auto base = e->Current();
  REQUIRE(e->WaitDurable(e->Append("a2,x,y\na3,x,y\n", 7)->lsn).ok());
  // The writer changed the middle row, deleted the one after it, inserted a row near the
  // start, and kept the appended row it read.
  const size_t mid = rows / 2;
  std::string image = "id,name,value\n";
  for (size_t i = 1; i <= rows; ++i) {
    if (i == 3) image += "new,row,1\n";
    if (i == mid) image += std::to_string(i) + ",CHANGED,1\n";
    else if (i != mid + 1) image += Row(i);
  }
  image += "a1,x,y\n";
  const std::string expected = image + "a2,x,y\na3,x,y\n";
  const uint64_t before = e->Stats().journal_bytes;
  auto r = e->Rewrite(base, image, 8);
  REQUIRE(r.ok());
  REQUIRE(r->conflicts.empty());
  REQUIRE(e->WaitDurable(r->lsn).ok());
  const uint64_t grown = e->Stats().journal_bytes - before;
  REQUIRE(Render(*e->Current()) == expected);
  std::vector<std::string> ids = Ids(*e->Current());
  REQUIRE(ids.size() == rows + 3);
  CHECK(ids[0] == "1");
  CHECK(ids[2] == std::to_string(rows + 4));  // the inserted row: a fresh id
  CHECK(ids[mid] == std::to_string(mid));     // the changed row keeps its id
  CHECK(ids[mid + 1] == std::to_string(mid + 2));
  CHECK(ids.back() == std::to_string(rows + 3));
  env.SimulateCrash(CrashMode::kDropUnsynced);
  e.reset();
  auto again = core::Engine::Open(Opts(&env));
  REQUIRE(again.ok());
  REQUIRE(Render(*again.value()->Current()) == expected);
  REQUIRE(Ids(*again.value()->Current()) == ids);
  return grown;
}

}  // namespace

TEST_CASE("merge scale: a rewrite racing appends journals only what it changed") {
  const uint64_t small = JournalBytesOfEdit(2000);
  const uint64_t large = JournalBytesOfEdit(200000);
  INFO("journal bytes: " << small << " at 2k rows, " << large << " at 200k rows");
  CHECK(large < 1024);                 // the table is ~5 MB: the record holds the change only
  CHECK(large <= small + 64);          // ids grow by a few digits, nothing else
}

// Random edits of a small table racing random appends, of which the writer read a random
// prefix: the result is the writer's image followed by the appends it never saw.
TEST_CASE("merge scale: random edits racing appends give the image plus unseen appends") {
  std::mt19937 rng(12345);
  for (int round = 0; round < 300; ++round) {
    auto env = core::NewMemEnv();
    const size_t rows = 1 + rng() % 40;
    std::vector<std::string> table;
    for (size_t i = 1; i <= rows; ++i) table.push_back(std::to_string(i) + ",v" + std::to_string(rng() % 5) + "\n");
    std::string csv = "id,v\n";
    for (const auto& r : table) csv += r;
    PutFile(env.get(), "/d", "t.csv", csv);
    auto opened = core::Engine::Open(Opts(env.get()));
    REQUIRE(opened.ok());
    auto e = std::move(opened.value());
    // Rows others append; the writer read on through the first `seen` of them, so its base
    // holds those (fs/pid_snapshots.h: a read past the snapshot grows the base).
    std::vector<std::string> appended;
    const size_t n_app = rng() % 4;
    const size_t seen = n_app == 0 ? 0 : rng() % (n_app + 1);
    core::Snapshot base;
    for (size_t k = 0; k <= n_app; ++k) {
      if (k == seen) base = e->Current();
      if (k == n_app) break;
      appended.push_back("app" + std::to_string(k) + ",w\n");
      REQUIRE(e->Append(appended.back(), 1).ok());
    }
    std::vector<std::string> writer = table;
    const int edits = int(rng() % 4);
    for (int k = 0; k < edits && !writer.empty(); ++k) {
      const size_t at = rng() % writer.size();
      switch (rng() % 3) {
        case 0: writer[at] = "u" + std::to_string(round) + "_" + std::to_string(k) + ",U\n"; break;
        case 1: writer.erase(writer.begin() + long(at)); break;
        default: writer.insert(writer.begin() + long(at), "n" + std::to_string(k) + ",N\n"); break;
      }
    }
    std::string image = "id,v\n";
    for (const auto& r : writer) image += r;
    for (size_t k = 0; k < seen; ++k) image += appended[k];
    std::string expected = image;
    for (size_t k = seen; k < n_app; ++k) expected += appended[k];
    auto r = e->Rewrite(base, image, 2);
    INFO("round " << round << "\nimage:\n" << image);
    REQUIRE(r.ok());
    REQUIRE(Render(*e->Current()) == expected);
  }
}

}  // namespace csvfs::testing

namespace csvfs::testing {

// Rewrites prepared outside the writer lock while another thread appends: every appended row
// is kept exactly once (rebased onto the table at commit) and every edit lands.
TEST_CASE("merge scale: rewrites prepared while appends land keep every appended row") {
  auto env = core::NewMemEnv();
  std::string csv = "id,v\n";
  for (size_t i = 1; i <= 5000; ++i) csv += std::to_string(i) + ",v\n";
  PutFile(env.get(), "/d", "t.csv", csv);
  auto opened = core::Engine::Open(Opts(env.get()));
  REQUIRE(opened.ok());
  core::Engine& e = *opened.value();
  constexpr int kAppends = 1000, kEdits = 20;
  std::atomic<int> failed_appends{0};  // Catch's assertions are not for other threads
  std::thread appender([&] {
    for (int i = 0; i < kAppends; ++i) {
      if (!e.Append("a" + std::to_string(i) + ",w\n", 1).ok()) ++failed_appends;
    }
  });
  for (int k = 1; k <= kEdits; ++k) {
    auto base = e.Current();
    std::string image = Render(*base);
    const std::string from = "\n" + std::to_string(k * 200) + ",v\n";
    const size_t at = image.find(from);
    REQUIRE(at != std::string::npos);
    image.replace(at, from.size(), "\n" + std::to_string(k * 200) + ",EDITED\n");
    REQUIRE(e.Rewrite(base, image, 2).ok());
  }
  appender.join();
  REQUIRE(failed_appends == 0);
  std::map<std::string, int> count;
  const std::string table = Render(*e.Current());
  for (size_t p = 0, q; p < table.size(); p = q + 1) {
    q = table.find('\n', p);
    ++count[table.substr(p, q - p)];
  }
  for (int i = 0; i < kAppends; ++i) {
    INFO("row a" << i);
    REQUIRE(count["a" + std::to_string(i) + ",w"] == 1);
  }
  for (int k = 1; k <= kEdits; ++k) REQUIRE(count[std::to_string(k * 200) + ",EDITED"] == 1);
  REQUIRE(e.Current()->row_count() == 5000 + kAppends);
}

}  // namespace csvfs::testing
