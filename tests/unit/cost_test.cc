// Cost growth: appending and deleting one row must not get dearer as the table grows
// (doc/internals.md, "Cost model"). Timed in one run for a 10k-row and a 1M-row table, best of three, with a
// generous bound: an O(n) step per operation would be ~100x slower at 1M rows.
#include <catch2/catch.hpp>

#include <chrono>

#include "core/engine.h"
#include "tests/unit/engine_test_util.h"

namespace csvfs::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct Costs {
  double append_us, delete_us;
};

Costs Measure(size_t rows) {
  auto env = core::NewMemEnv();
  std::string csv = "id,name,value\n";
  csv.reserve(rows * 24);
  for (size_t i = 1; i <= rows; ++i) {
    csv += std::to_string(i) + ",name" + std::to_string(i % 977) + ",12345\n";
  }
  PutFile(env.get(), "/d", "t.csv", csv);
  core::EngineOptions o;
  o.env = env.get();
  o.backing_path = "/d/t.csv";
  o.sync = core::SyncMode::kOff;
  o.start_threads = false;
  o.checkpoint_bytes = uint64_t(1) << 40;
  auto e = core::Engine::Open(o);
  REQUIRE(e.ok());
  constexpr int kOps = 2000;
  Costs best{1e9, 1e9};
  for (int rep = 0; rep < 3; ++rep) {
    auto t0 = Clock::now();
    for (int i = 0; i < kOps; ++i) REQUIRE(e.value()->Append("x,y,z\n", 1).ok());
    auto t1 = Clock::now();
    for (int i = 0; i < kOps; ++i) {
      size_t id = 1 + (size_t(rep * kOps + i) * 7919) % rows;
      REQUIRE(e.value()->DeleteRow(std::to_string(id), 1).ok());
    }
    auto t2 = Clock::now();
    best.append_us = std::min(best.append_us,
                              std::chrono::duration<double, std::micro>(t1 - t0).count() / kOps);
    best.delete_us = std::min(best.delete_us,
                              std::chrono::duration<double, std::micro>(t2 - t1).count() / kOps);
  }
  return best;
}

}  // namespace

TEST_CASE("cost: append and delete cost does not grow from 10k to 1M rows") {
  Costs small = Measure(10'000);
  Costs large = Measure(1'000'000);
  WARN("per op at 10k rows: append " << small.append_us << " us, delete " << small.delete_us
                                     << " us; at 1M rows: append " << large.append_us
                                     << " us, delete " << large.delete_us << " us");
  CHECK(large.append_us < 4 * small.append_us + 20);
  CHECK(large.delete_us < 4 * small.delete_us + 20);
}

}  // namespace csvfs::testing
