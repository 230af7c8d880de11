// Empty lines (a bare line ending) are not records (README "Appending"): they keep their
// bytes where they are, are never rows, never count against the field count, and appending
// one changes nothing. A table with empty lines anywhere loads and reads back byte for byte.
#include <catch2/catch.hpp>

#include "core/csv.h"
#include "core/engine.h"
#include "tests/unit/engine_test_util.h"

using csvfs::core::Engine;
using csvfs::core::EngineOptions;
using csvfs::core::RecordOnly;
using csvfs::core::RecordSpan;
using csvfs::core::ScanRecordsFolded;
using csvfs::testing::Ids;
using csvfs::testing::PutFile;
using csvfs::testing::Render;

namespace {

struct Fixture {
  std::unique_ptr<csvfs::core::Env> env = csvfs::core::NewMemEnv();
  std::unique_ptr<Engine> e;
  EngineOptions o;
  explicit Fixture(const std::string& content, const std::string& key = "", bool header = true) {
    PutFile(env.get(), "/d", "t.csv", content);
    o.env = env.get();
    o.backing_path = "/d/t.csv";
    o.key_column = key;
    o.header = header;
    Open();
  }
  void Open() {
    auto r = Engine::Open(o);
    REQUIRE(r.ok());
    e = std::move(r.value());
  }
  std::string Table() const { return Render(*e->Current()); }
  void Remount() {
    const std::string before = Table();
    const auto ids = Ids(*e->Current());
    REQUIRE(e->Close().ok());
    e.reset();
    Open();
    REQUIRE(Table() == before);
    REQUIRE(Ids(*e->Current()) == ids);
  }
};

}  // namespace

TEST_CASE("blank lines: folded scan attaches runs to the next record, the last run to the last") {
  std::vector<RecordSpan> s;
  const std::string buf = "\r\na,b\n\n\nc,d\r\n\n";
  REQUIRE(ScanRecordsFolded(buf, &s).ok());
  REQUIRE(s.size() == 2);
  REQUIRE(buf.substr(s[0].begin, s[0].next - s[0].begin) == "\r\na,b\n");
  REQUIRE(buf.substr(s[1].begin, s[1].next - s[1].begin) == "\n\nc,d\r\n\n");
  REQUIRE(s[1].eol() == csvfs::core::LineEnding::kCRLF);
  REQUIRE(s[1].fields == 2);
  REQUIRE(RecordOnly("\n\nc,d\r\n\n") == "c,d\r\n");
  REQUIRE(RecordOnly("\n\"x\n\"") == "\"x\n\"");
  s.clear();
  REQUIRE(ScanRecordsFolded("\n\r\n", &s).ok());
  REQUIRE(s.empty());
}

TEST_CASE("blank lines: a table with empty lines anywhere loads and reads byte for byte") {
  const std::string t = "\nid,v\n\n1,a\n\n\n2,\"b\n\nc\"\n3,c\n\n";
  Fixture f(t);
  REQUIRE(f.Table() == t);
  REQUIRE(Ids(*f.e->Current()) == std::vector<std::string>{"1", "2", "3"});
  REQUIRE(f.e->Current()->row_count() == 3);
  REQUIRE(*f.e->RowContent("1") == "1,a\n");
  REQUIRE(*f.e->RowContent("2") == "2,\"b\n\nc\"\n");
  REQUIRE(*f.e->RowContent("3") == "3,c\n");
  f.Remount();
}

TEST_CASE("blank lines: key mode and noheader mode") {
  Fixture k("k,v\n\nx,1\n\ny,2\n\n", "k");
  REQUIRE(Ids(*k.e->Current()) == std::vector<std::string>{"x", "y"});
  REQUIRE(*k.e->RowContent("y") == "y,2\n");
  k.Remount();
  Fixture n("\n1,a\n\n2,b\n", "", /*header=*/false);
  REQUIRE(n.Table() == "\n1,a\n\n2,b\n");
  REQUIRE(n.e->Current()->field_count() == 2);
  REQUIRE(*n.e->RowContent("1") == "1,a\n");
  n.Remount();
}

TEST_CASE("blank lines: appending one changes nothing, rows appended after a trailing run") {
  Fixture f("id,v\n1,a\n\n");
  const uint64_t version = f.e->Current()->number();
  auto r = f.e->Append("\n", 1);
  REQUIRE(r.ok());
  REQUIRE(f.e->Current()->number() == version);
  REQUIRE(f.e->Append("\r\n\n", 1).ok());
  REQUIRE(f.Table() == "id,v\n1,a\n\n");
  REQUIRE(f.e->Append("2,b\n\n3,c\n", 1).ok());  // empty lines inside an append: dropped
  REQUIRE(f.Table() == "id,v\n1,a\n\n2,b\n3,c\n");
  REQUIRE(*f.e->RowContent("1") == "1,a\n");
  REQUIRE(*f.e->RowContent("2") == "2,b\n");
  f.Remount();
  REQUIRE(f.e->Append("4,d\n", 1).ok());
  REQUIRE(f.Table() == "id,v\n1,a\n\n2,b\n3,c\n4,d\n");
}

TEST_CASE("blank lines: a header followed only by empty lines takes appends after them") {
  Fixture f("id,v\n\n");
  REQUIRE(f.e->Append("1,a\n", 1).ok());
  REQUIRE(f.Table() == "id,v\n\n1,a\n");
  REQUIRE(*f.e->RowContent("1") == "1,a\n");
  f.Remount();
}

TEST_CASE("blank lines: replacing or renaming a row keeps the empty lines around it") {
  Fixture f("k,v\n\nx,1\n\n", "k");
  REQUIRE(f.e->PutRow("x", "x,2\n", false, false, 1).ok());
  REQUIRE(f.Table() == "k,v\n\nx,2\n\n");
  REQUIRE(f.e->RenameRow("x", "z", false, 1).ok());
  REQUIRE(f.Table() == "k,v\n\nz,2\n\n");
  REQUIRE(*f.e->RowContent("z") == "z,2\n");
  f.Remount();
}

TEST_CASE("blank lines: rewrites (editor saves) with empty lines commit byte for byte") {
  Fixture f("id,v\n1,a\n2,b\n");
  auto base = f.e->Current();
  REQUIRE(f.e->Rewrite(base, "id,v\n1,a\n\n2,B\n\n", 1).ok());  // a trailing empty line
  REQUIRE(f.Table() == "id,v\n1,a\n\n2,B\n\n");
  REQUIRE(Ids(*f.e->Current()) == std::vector<std::string>{"1", "2"});
  auto same = f.e->Rewrite(f.e->Current(), f.Table(), 1);
  REQUIRE(same.ok());
  REQUIRE(same->conflicts.empty());
  f.Remount();
  // An edit next to empty lines keeps them; others' appends are kept.
  base = f.e->Current();
  REQUIRE(f.e->Append("3,c\n", 2).ok());
  REQUIRE(f.e->Rewrite(base, "id,v\n1,A\n\n2,B\n\n", 1).ok());
  REQUIRE(f.Table() == "id,v\n1,A\n\n2,B\n\n3,c\n");
  REQUIRE(Ids(*f.e->Current()) == std::vector<std::string>{"1", "2", "3"});
  f.Remount();
}

TEST_CASE("blank lines: a rewrite's trailing empty line followed by others' rows moves before them") {
  Fixture f("id,v\n1,a\n");
  auto base = f.e->Current();
  REQUIRE(f.e->Append("2,b\n", 2).ok());
  REQUIRE(f.e->Rewrite(base, "id,v\n1,A\n\n", 1).ok());
  REQUIRE(f.Table() == "id,v\n1,A\n\n2,b\n");
  // Deleting row 1 now keeps the empty line (it is row 2's), as after a fresh load.
  REQUIRE(f.e->DeleteRow("1", 3).ok());
  REQUIRE(f.Table() == "id,v\n\n2,b\n");
  REQUIRE(*f.e->RowContent("2") == "2,b\n");
  f.Remount();
}

#include "tests/unit/fault_env.h"

TEST_CASE("blank lines: recovery after a crash rebuilds exactly the acknowledged table") {
  using csvfs::testing::CrashMode;
  csvfs::testing::FaultEnv env;
  PutFile(&env, "/d", "t.csv", "id,v\n\n1,a\n2,b\n\n");
  EngineOptions o;
  o.env = &env;
  o.backing_path = "/d/t.csv";
  o.start_threads = false;
  std::string want;
  std::vector<std::string> ids;
  {
    auto e = Engine::Open(o);
    REQUIRE(e.ok());
    Engine& en = **e;
    auto base = en.Current();
    REQUIRE(en.WaitDurable(en.Append("3,c\n", 2)->lsn).ok());
    auto r = en.Rewrite(base, "id,v\n\n1,A\n2,b\n\n", 1);  // keeps a trailing empty line
    REQUIRE(r.ok());
    REQUIRE(en.WaitDurable(r->lsn).ok());
    REQUIRE(en.WaitDurable(en.PutRow("1", "1,AA\n", false, false, 3)->lsn).ok());
    REQUIRE(en.WaitDurable(en.DeleteRow("2", 3)->lsn).ok());
    REQUIRE(en.WaitDurable(en.Append("\n", 3)->lsn).ok());
    want = Render(*en.Current());
    ids = Ids(*en.Current());
    env.SimulateCrash(CrashMode::kDropUnsynced);
  }
  REQUIRE(want == "id,v\n\n1,AA\n\n3,c\n");
  auto e = Engine::Open(o);
  REQUIRE(e.ok());
  REQUIRE(Render(*(*e)->Current()) == want);
  REQUIRE(Ids(*(*e)->Current()) == ids);
}
