// A rewrite that keeps the table's rows in order (sed -i changing a row, a delete, rows added
// at the end) is applied as overrides of the rows it changed: the new version shares every
// block with the old one, so the work under the writer lock and the memory it leaves behind
// grow with the difference, not with the table. Measured by the version's shape (blocks,
// overridden rows), never by time; checked byte for byte, and again after a crash replays it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/engine.h"
#include "tests/unit/engine_test_util.h"
#include "tests/unit/fault_env.h"

namespace csvfs::testing {
namespace {

std::string Row(size_t i) { return std::to_string(i) + ",v" + std::to_string(i % 31) + "\n"; }
std::string KeyRow(size_t i) { return "k" + std::to_string(i) + ",v" + std::to_string(i % 31) + "\n"; }

core::EngineOptions Opts(core::Env* env, bool key) {
  core::EngineOptions o;
  o.env = env;
  o.backing_path = "/d/t.csv";
  o.start_threads = false;
  o.checkpoint_bytes = uint64_t(1) << 40;
  if (key) o.key_column = "id";
  return o;
}

struct Shape {
  size_t blocks_before = 0, blocks_after = 0;
  uint64_t overridden = 0;
};

// A `rows`-row table; the writer reads it, an appender adds a row, the writer commits its
// image: row mid changed, row mid+1 deleted, one row of its own at the end.
Shape EditMiddle(size_t rows, bool key) {
  FaultEnv env;
  auto row = [&](size_t i) { return key ? KeyRow(i) : Row(i); };
  std::string csv = "id,v\n";
  for (size_t i = 1; i <= rows; ++i) csv += row(i);
  PutFile(&env, "/d", "t.csv", csv);
  auto opened = core::Engine::Open(Opts(&env, key));
  REQUIRE(opened.ok());
  auto e = std::move(opened.value());
  auto base = e->Current();
  REQUIRE(e->WaitDurable(e->Append(key ? "x1,appended\n" : "900000000,appended\n", 7)->lsn).ok());
  Shape shape;
  shape.blocks_before = e->Current()->block_count();
  const size_t mid = rows / 2;
  std::string image = "id,v\n";
  for (size_t i = 1; i <= rows; ++i) {
    if (i == mid) {
      image += (key ? "k" : "") + std::to_string(i) + ",CHANGED\n";
    } else if (i != mid + 1) {
      image += row(i);
    }
  }
  image += key ? "mine,new\n" : "mine,new\n";
  auto r = e->Rewrite(base, image, 8);
  REQUIRE(r.ok());
  REQUIRE(r->conflicts.empty());
  REQUIRE(e->WaitDurable(r->lsn).ok());
  const std::string appended = key ? "x1,appended\n" : "900000000,appended\n";
  const std::string expected = image + appended;
  // The image's rows in its order, then the row appended that the writer never saw.
  const std::string got = Render(*e->Current());
  CHECK(got == expected);
  shape.blocks_after = e->Current()->block_count();
  shape.overridden = e->Current()->overridden_rows();
  const auto ids = Ids(*e->Current());
  REQUIRE(ids.size() == rows + 1);
  if (!key) CHECK(ids[mid - 1] == std::to_string(mid));  // the changed row keeps its id
  env.SimulateCrash(CrashMode::kDropUnsynced);
  e.reset();
  auto again = core::Engine::Open(Opts(&env, key));
  REQUIRE(again.ok());
  CHECK(Render(*again.value()->Current()) == expected);
  CHECK(Ids(*again.value()->Current()) == ids);
  return shape;
}

}  // namespace

TEST_CASE("rewrite in place: editing one row of a big table overrides only the rows it touched, whatever its size") {
  for (bool key : {false, true}) {
    INFO("key mode: " << key);
    const Shape small = EditMiddle(2000, key);
    const Shape big = EditMiddle(200000, key);
    // The changed and the deleted row, and the row appended meanwhile: the merge puts it
    // after the writer's new row, so it moves (deleted where it was, appended again).
    CHECK(small.overridden == 3);
    CHECK(big.overridden == 3);
    // No block of the whole table was built: at most one block for appended rows.
    CHECK(small.blocks_after <= small.blocks_before + 1);
    CHECK(big.blocks_after <= big.blocks_before + 1);
  }
}

TEST_CASE("rewrite prepared ahead: appends landing between prepare and commit are kept, a crash before the commit changes nothing") {
  FaultEnv env;
  std::string csv = "id,v\n";
  for (size_t i = 1; i <= 5000; ++i) csv += Row(i);
  PutFile(&env, "/d", "t.csv", csv);
  auto opened = core::Engine::Open(Opts(&env, false));
  REQUIRE(opened.ok());
  auto e = std::move(opened.value());
  auto base = e->Current();
  std::string image = csv;
  const std::string old_row = Row(2500), new_row = "2500,EDITED\n";
  image.replace(image.find("\n" + old_row) + 1, old_row.size(), new_row);
  auto prepared = e->PrepareRewrite(base, image);
  REQUIRE(prepared != nullptr);
  SECTION("committed after appends") {
    REQUIRE(e->WaitDurable(e->Append("9001,late\n", 7)->lsn).ok());
    auto r = e->Rewrite(base, image, 8, prepared);
    REQUIRE(r.ok());
    REQUIRE(e->WaitDurable(r->lsn).ok());
    const std::string expected = image + "9001,late\n";
    CHECK(Render(*e->Current()) == expected);
    CHECK(e->Current()->overridden_rows() == 1);
    env.SimulateCrash(CrashMode::kDropUnsynced);
    e.reset();
    auto again = core::Engine::Open(Opts(&env, false));
    REQUIRE(again.ok());
    CHECK(Render(*again.value()->Current()) == expected);
  }
  SECTION("a plan made for another base is not used") {
    auto other = e->Current();
    REQUIRE(e->WaitDurable(e->Append("9001,late\n", 7)->lsn).ok());
    auto later_base = e->Current();
    // The writer's base is now the later version: it saw the appended row and left it out,
    // so the merge deletes it; the stale plan (which would keep it) must not be used.
    auto r = e->Rewrite(later_base, image, 8, prepared);
    REQUIRE(r.ok());
    CHECK(Render(*e->Current()) == image);
    (void)other;
  }
  SECTION("a crash between prepare and commit") {
    REQUIRE(e->WaitDurable(e->Append("9001,late\n", 7)->lsn).ok());
    env.SimulateCrash(CrashMode::kDropUnsynced);
    e.reset();
    auto again = core::Engine::Open(Opts(&env, false));
    REQUIRE(again.ok());
    CHECK(Render(*again.value()->Current()) == csv + "9001,late\n");
  }
}

}  // namespace csvfs::testing
