// Schema changes (README "Schema changes"): rows others commit while a rewrite changes the
// header are carried into the new header by column name, byte for byte; where names cannot
// map the rewrite fails with kBusy and changes nothing; no commit leaves a table that a fresh
// load would refuse.
#include <catch2/catch.hpp>

#include "core/engine.h"
#include "core/schema_map.h"
#include "tests/unit/engine_test_util.h"

using csvfs::core::CarryRecord;
using csvfs::core::Code;
using csvfs::core::ColumnMap;
using csvfs::core::Engine;
using csvfs::core::EngineOptions;
using csvfs::core::FieldSpans;
using csvfs::core::MapColumns;
using csvfs::testing::Ids;
using csvfs::testing::PutFile;
using csvfs::testing::Render;

namespace {

struct Fixture {
  std::unique_ptr<csvfs::core::Env> env = csvfs::core::NewMemEnv();
  std::unique_ptr<Engine> e;
  EngineOptions o;
  explicit Fixture(const std::string& content, const std::string& key = "", bool header = true,
                   bool ragged = false) {
    PutFile(env.get(), "/d", "t.csv", content);
    o.env = env.get();
    o.backing_path = "/d/t.csv";
    o.key_column = key;
    o.header = header;
    o.ragged = ragged;
    Open();
  }
  void Open() {
    auto r = Engine::Open(o);
    REQUIRE(r.ok());
    e = std::move(r.value());
  }
  std::string Table() const { return Render(*e->Current()); }
  // Closes (checkpoint) and mounts again: the table must load and read the same.
  void Remount() {
    const std::string before = Table();
    REQUIRE(e->Close().ok());
    e.reset();
    Open();
    REQUIRE(Table() == before);
  }
};

}  // namespace

TEST_CASE("schema map: by name, added columns -1, identity only for the same names in order") {
  auto m = MapColumns("a,b\n", "b,c,a\r\n");
  REQUIRE(m.ok());
  REQUIRE(m->source == std::vector<int>{1, -1, 0});
  REQUIRE_FALSE(m->identity);
  auto same = MapColumns("a,\"b\"\n", "a,b\n");  // quoting differs, names do not
  REQUIRE(same.ok());
  REQUIRE(same->identity);
  auto renamed = MapColumns("a,b,c\n", "A,b,C,d\n");  // 2 gone, 3 new: no pairing
  REQUIRE(renamed.ok());
  REQUIRE(renamed->source == std::vector<int>{-1, 1, -1, -1});
  auto paired = MapColumns("a,b,c\n", "c,x,y\n");  // a, b gone; x, y new: renames in order
  REQUIRE(paired.ok());
  REQUIRE(paired->source == std::vector<int>{2, 0, 1});
  auto bom = MapColumns("\xEF\xBB\xBFid,v\n", "id,v,w\n");
  REQUIRE(bom.ok());
  REQUIRE(bom->source == std::vector<int>{0, 1, -1});
}

TEST_CASE("schema map: no header, empty or duplicate names are kBusy") {
  REQUIRE(MapColumns("", "a,b\n").status().code() == Code::kBusy);
  REQUIRE(MapColumns("a,b\n", "").status().code() == Code::kBusy);
  REQUIRE(MapColumns("a,,b\n", "a,b\n").status().code() == Code::kBusy);
  REQUIRE(MapColumns("a,b\n", "a,b,a\n").status().code() == Code::kBusy);
  REQUIRE(MapColumns("a,a\n", "a\n").status().code() == Code::kBusy);
}

TEST_CASE("schema map: field spans keep quotes, carrying keeps each field's bytes") {
  using Spans = std::vector<std::pair<size_t, size_t>>;
  REQUIRE(FieldSpans("a,\"x,\"\"y\",") == Spans{{0, 1}, {2, 9}, {10, 10}});
  REQUIRE(FieldSpans("") == Spans{{0, 0}});
  ColumnMap m;
  m.source = {2, -1, 0};
  REQUIRE(CarryRecord("1,\"a\nb\",\"q\"\"\"\r\n", m) == "\"q\"\"\",,1\r\n");
  REQUIRE(CarryRecord("7,x", m) == ",,7");  // a missing field is empty; no terminator kept
  m.source = {-1};
  REQUIRE(CarryRecord("1,2\n", m) == "\"\"\n");  // never an empty line
}

TEST_CASE("schema change: a column added while others append: their rows carried, conflicts") {
  Fixture f("id,v\n1,a\n2,b\n");
  auto base = f.e->Current();
  REQUIRE(f.e->Append("3,c\n4,\"d,e\"\n", 1).ok());
  auto r = f.e->Rewrite(base, "id,v,c\n1,a,x\n2,b,x\n", 2);
  REQUIRE(r.ok());
  REQUIRE(f.Table() == "id,v,c\n1,a,x\n2,b,x\n3,c,\n4,\"d,e\",\n");
  REQUIRE(Ids(*f.e->Current()) == std::vector<std::string>{"1", "2", "3", "4"});
  REQUIRE(r->conflicts.size() == 2);
  REQUIRE(r->conflicts[0].id == "3");
  REQUIRE(r->conflicts[0].theirs == "3,c\n");
  REQUIRE(r->conflicts[0].ours == "3,c,\n");
  REQUIRE(f.e->Stats().conflicts == 2);
  // Appends after the change are checked against the new header.
  REQUIRE(f.e->Append("5,e\n", 3).status().code() == Code::kInvalid);
  REQUIRE(f.e->Append("5,e,y\n", 3).ok());
  f.Remount();
}

TEST_CASE("schema change: removed and reordered columns, others' edits carried too") {
  Fixture f("id,v,w\n1,a,p\n2,b,q\n3,c,r\n");
  auto base = f.e->Current();
  REQUIRE(f.e->PutRow("3", "3,C,R\n", false, false, 1).ok());
  REQUIRE(f.e->Append("4,\"d\"\"\",s\n", 1).ok());
  auto r = f.e->Rewrite(base, "w,id\np,1\nq,2\nr,3\n", 2);
  REQUIRE(r.ok());
  // Row 3: both changed it; the writer left it alone in its own shape? No: it rewrote every
  // row, so its version wins (a plain conflict); row 4 is carried.
  REQUIRE(f.Table() == "w,id\np,1\nq,2\nr,3\ns,4\n");
  f.Remount();
}

TEST_CASE("schema change: the writer's rows carried into a header others changed meanwhile") {
  Fixture f("id,v\n1,a\n2,b\n");
  auto base = f.e->Current();
  auto other = f.e->Rewrite(base, "id,v,c\n1,a,x\n2,b,y\n", 1);
  REQUIRE(other.ok());
  // This writer edited row 2 under the old header.
  auto r = f.e->Rewrite(base, "id,v\n1,a\n2,B\n", 2);
  REQUIRE(r.ok());
  REQUIRE(f.Table() == "id,v,c\n1,a,x\n2,B,\n");
  f.Remount();
}

TEST_CASE("schema change: names that cannot map refuse the rewrite with kBusy, nothing changes") {
  Fixture f("id,v\n1,a\n");
  auto base = f.e->Current();
  REQUIRE(f.e->Append("2,b\n", 1).ok());
  const std::string before = f.Table();
  const uint64_t version = f.e->Current()->number();
  for (const char* image : {"id,v,v\n1,a,x\n", "id,,c\n1,a,x\n", ""}) {
    auto r = f.e->Rewrite(base, image, 2);
    INFO(image);
    REQUIRE(r.status().code() == Code::kBusy);
    REQUIRE(f.Table() == before);
    REQUIRE(f.e->Current()->number() == version);
  }
  // Without concurrent rows the same rewrites are fine.
  auto fresh = f.e->Current();
  REQUIRE(f.e->Rewrite(fresh, "id,v,v\n1,a,x\n2,b,y\n", 3).ok());
  f.Remount();
}

TEST_CASE("schema change: without a header, a new column count under others' rows is kBusy") {
  Fixture f("1,a\n2,b\n", "", /*header=*/false);
  auto base = f.e->Current();
  REQUIRE(f.e->Append("3,c\n", 1).ok());
  auto r = f.e->Rewrite(base, "1,a,x\n2,b,x\n", 2);
  REQUIRE(r.status().code() == Code::kBusy);
  REQUIRE(f.Table() == "1,a\n2,b\n3,c\n");
  REQUIRE(f.e->Rewrite(base, "1,A\n2,b\n", 2).ok());  // same count: an ordinary merge
  REQUIRE(f.Table() == "1,A\n2,b\n3,c\n");
  f.Remount();
}

TEST_CASE("schema change: ragged tables keep others' rows as they are") {
  Fixture f("id,v\n1,a\n", "", true, /*ragged=*/true);
  auto base = f.e->Current();
  REQUIRE(f.e->Append("2,b\n", 1).ok());
  auto r = f.e->Rewrite(base, "id,v,c\n1,a,x\n", 2);
  REQUIRE(r.ok());
  REQUIRE(r->conflicts.empty());
  REQUIRE(f.Table() == "id,v,c\n1,a,x\n2,b\n");
  f.Remount();
}

TEST_CASE("schema change: key mode carries by name and keeps the keys") {
  Fixture f("k,v\nx,1\ny,2\n", "k");
  auto base = f.e->Current();
  REQUIRE(f.e->Append("z,3\n", 1).ok());
  auto r = f.e->Rewrite(base, "v,k,n\n1,x,\n2,y,\n", 2);
  REQUIRE(r.ok());
  REQUIRE(f.Table() == "v,k,n\n1,x,\n2,y,\n3,z,\n");
  REQUIRE(Ids(*f.e->Current()) == std::vector<std::string>{"x", "y", "z"});
  f.Remount();
}
