// Per-row change stamps (Version::RowChangedAt) and BACKING's mode/owner through the engine.
#include "core/row_stamps.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/env.h"
#include "tests/unit/engine_test_util.h"

using csvfs::core::ChangeStamp;
using csvfs::core::RowStamps;
namespace core = csvfs::core;
namespace testing = csvfs::testing;

namespace {

struct Opened {
  std::unique_ptr<core::Env> env = core::NewMemEnv();
  std::unique_ptr<core::Engine> engine;
  explicit Opened(const std::string& content, const std::string& key = "") {
    testing::PutFile(env.get(), "/d", "t.csv", content);
    core::EngineOptions o;
    o.env = env.get();
    o.backing_path = "/d/t.csv";
    o.key_column = key;
    o.start_threads = false;
    auto e = core::Engine::Open(o);
    REQUIRE(e.ok());
    engine = std::move(e.value());
  }
  core::FileInfo Backing() {
    auto d = env->OpenDirectory("/d");
    REQUIRE(d.ok());
    auto st = d.value()->Stat("t.csv");
    REQUIRE(st.ok());
    return st.value();
  }
};

ChangeStamp StampOf(const core::CommitResult& r) {
  return ChangeStamp{r.version->number(), r.version->mtime_ns()};
}

}  // namespace

TEST_CASE("RowStamps: persistent set, erase and find", "[stamps]") {
  RowStamps a;
  RowStamps b = a.Set("7", {3, 30}).Set("10", {4, 40}).Set("2", {5, 50});
  RowStamps c = b.Set("7", {6, 60}).Erase("2").Erase("missing");
  CHECK(a.size() == 0);
  REQUIRE(b.size() == 3);
  CHECK(*b.Find("7") == ChangeStamp{3, 30});
  CHECK(*b.Find("2") == ChangeStamp{5, 50});
  REQUIRE(c.size() == 2);
  CHECK(*c.Find("7") == ChangeStamp{6, 60});
  CHECK(c.Find("2") == nullptr);
  CHECK(*c.Find("10") == ChangeStamp{4, 40});
  std::string order;
  c.ForEach([&](std::string_view id, ChangeStamp) {
    order += std::string(id) + ";";
    return true;
  });
  CHECK(order == "10;7;");
  RowStamps big;
  for (int i = 0; i < 2000; ++i) big = big.Set(std::to_string(i), {uint64_t(i), i});
  for (int i = 0; i < 2000; i += 2) big = big.Erase(std::to_string(i));
  CHECK(big.size() == 1000);
  CHECK(big.Find("1998") == nullptr);
  CHECK(*big.Find("1999") == ChangeStamp{1999, 1999});
}

TEST_CASE("stamps: only the rows a commit changes get its number and time", "[stamps]") {
  Opened t("id,v\n1,a\n2,b\n3,c\n");
  const ChangeStamp base = t.engine->Current()->RowChangedAt("1");
  CHECK(base.number == t.engine->Current()->number());
  CHECK(base.time_ns == t.Backing().mtime_ns);

  auto put = t.engine->PutRow("2", "2,B\n", false, false, 1);
  REQUIRE(put.ok());
  core::Snapshot v = t.engine->Current();
  CHECK(v->RowChangedAt("2") == StampOf(*put));
  CHECK(v->RowChangedAt("1") == base);
  CHECK(v->RowChangedAt("3") == base);
  CHECK(v->changed_rows() == 1);

  auto app = t.engine->Append("4,d\n5,e\n", 1);
  REQUIRE(app.ok());
  v = t.engine->Current();
  CHECK(v->RowChangedAt("4") == StampOf(*app));
  CHECK(v->RowChangedAt("5") == StampOf(*app));
  CHECK(v->RowChangedAt("2") == StampOf(*put));

  // Writing a row's own bytes again changes nothing it shows.
  auto same = t.engine->PutRow("3", "3,c\n", false, false, 1);
  REQUIRE(same.ok());
  CHECK(t.engine->Current()->RowChangedAt("3") == base);

  CHECK(t.engine->Current()->changed_rows() == 1);  // 2; the appended rows are one run
  CHECK(t.engine->Current()->append_runs() == 1);
  auto del = t.engine->DeleteRow("4", 1);
  REQUIRE(del.ok());
  CHECK(t.engine->Current()->RowChangedAt("5") == StampOf(*app));

  // A rewrite that changes one row (and keeps, reorders nothing else) stamps that row only.
  v = t.engine->Current();
  auto rw = t.engine->Rewrite(v, "id,v\n1,a\n2,B\n3,C\n5,e\n", 1);
  REQUIRE(rw.ok());
  v = t.engine->Current();
  CHECK(v->RowChangedAt("3") == StampOf(*rw));
  CHECK(v->RowChangedAt("1") == base);
  CHECK(v->RowChangedAt("2") == StampOf(*put));
  CHECK(v->RowChangedAt("5") == StampOf(*app));
  // Editing an appended row stamps it by itself.
  auto put5 = t.engine->PutRow("5", "5,E\n", false, false, 1);
  REQUIRE(put5.ok());
  v = t.engine->Current();
  CHECK(v->RowChangedAt("5") == StampOf(*put5));
  // A rewrite that drops a row forgets its stamp.
  auto rw2 = t.engine->Rewrite(v, "id,v\n1,a\n2,B\n3,C\n", 1);
  REQUIRE(rw2.ok());
  CHECK(t.engine->Current()->changed_rows() == 2);  // 2 and 3

  // Checkpoints keep every stamp.
  v = t.engine->Current();
  REQUIRE(t.engine->Checkpoint().ok());
  core::Snapshot after = t.engine->Current();
  for (const char* id : {"1", "2", "3"}) CHECK(after->RowChangedAt(id) == v->RowChangedAt(id));
}

TEST_CASE("stamps: appended rows cost one run per commit, not one entry per row", "[stamps]") {
  Opened t("id,v\n1,a\n");
  const ChangeStamp base = t.engine->Current()->RowChangedAt("1");
  std::string batch;
  for (int i = 2; i <= 1001; ++i) batch += std::to_string(i) + ",x\n";
  auto big = t.engine->Append(batch, 1);
  REQUIRE(big.ok());
  std::vector<core::CommitResult> singles;
  for (int i = 1002; i <= 1101; ++i) {
    auto r = t.engine->Append(std::to_string(i) + ",y\n", 1);
    REQUIRE(r.ok());
    singles.push_back(r.value());
  }
  core::Snapshot v = t.engine->Current();
  CHECK(v->changed_rows() == 0);
  CHECK(v->append_runs() == 101);
  CHECK(v->RowChangedAt("1") == base);
  CHECK(v->RowChangedAt("2") == StampOf(*big));
  CHECK(v->RowChangedAt("1001") == StampOf(*big));
  for (int i = 0; i < 100; ++i) {
    CHECK(v->RowChangedAt(std::to_string(1002 + i)) == StampOf(singles[size_t(i)]));
  }
  // A checkpoint that replays commits made meanwhile keeps both views right.
  REQUIRE(t.engine->Checkpoint().ok());
  auto more = t.engine->Append("1102,z\n", 1);
  REQUIRE(more.ok());
  v = t.engine->Current();
  CHECK(v->RowChangedAt("1102") == StampOf(*more));
  CHECK(v->RowChangedAt("1101") == StampOf(singles.back()));
  CHECK(v->RowChangedAt("500") == StampOf(*big));
}

TEST_CASE("stamps: a key change stamps the new key and forgets the old", "[stamps]") {
  Opened t("k,v\na,1\nb,2\n", "k");
  auto mv = t.engine->RenameRow("a", "z", false, 1);
  REQUIRE(mv.ok());
  core::Snapshot v = t.engine->Current();
  CHECK(v->RowChangedAt("z") == StampOf(*mv));
  CHECK(v->changed_rows() == 1);
  CHECK(v->RowChangedAt("b").number == 0);
}

TEST_CASE("engine: chmod/chown of BACKING shows at once and survives checkpoints", "[stamps]") {
  Opened t("id,v\n1,a\n");
  CHECK(t.engine->BackingOwnership().mode == t.Backing().mode);
  REQUIRE(t.engine->SetBackingModeOwner(0640, UINT32_MAX, 1234).ok());
  CHECK(t.engine->BackingOwnership().mode == 0640);
  CHECK(t.engine->BackingOwnership().gid == 1234);
  CHECK(t.Backing().mode == 0640);
  REQUIRE(t.engine->Append("2,b\n", 1).ok());
  REQUIRE(t.engine->Checkpoint().ok());
  CHECK(testing::GetFile(t.env.get(), "/d", "t.csv") == "id,v\n1,a\n2,b\n");  // a new file
  CHECK(t.Backing().mode == 0640);
  CHECK(t.Backing().gid == 1234);
  CHECK(t.engine->BackingOwnership().mode == 0640);
  // A chmod of BACKING itself (not through the engine) shows after the next checkpoint.
  auto d = t.env->OpenDirectory("/d");
  REQUIRE(d.ok());
  REQUIRE(d.value()->SetModeOwner("t.csv", 0600, UINT32_MAX, UINT32_MAX).ok());
  CHECK(t.engine->BackingOwnership().mode == 0640);
  REQUIRE(t.engine->Append("3,c\n", 1).ok());
  REQUIRE(t.engine->Checkpoint().ok());
  CHECK(t.engine->BackingOwnership().mode == 0600);
  CHECK(t.Backing().mode == 0600);
}
