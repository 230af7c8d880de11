// The rewrite merge (README "Rewrites", doc/internals.md): base snapshot + writer's image + current table.
#include <catch2/catch.hpp>

#include "core/engine.h"
#include "tests/unit/engine_test_util.h"

using csvfs::core::Code;
using csvfs::core::Engine;
using csvfs::core::EngineOptions;
using csvfs::testing::Ids;
using csvfs::testing::PutFile;
using csvfs::testing::Render;

namespace {

struct Fixture {
  std::unique_ptr<csvfs::core::Env> env = csvfs::core::NewMemEnv();
  std::unique_ptr<Engine> e;
  explicit Fixture(const std::string& content, const std::string& key = "") {
    PutFile(env.get(), "/d", "t.csv", content);
    EngineOptions o;
    o.env = env.get();
    o.backing_path = "/d/t.csv";
    o.key_column = key;
    auto r = Engine::Open(o);
    REQUIRE(r.ok());
    e = std::move(r.value());
  }
  std::string Table() const { return Render(*e->Current()); }
};

}  // namespace

TEST_CASE("merge: a rewrite with no concurrent change is exactly the image") {
  Fixture f("h\na\nb\nc\n");
  auto base = f.e->Current();
  auto r = f.e->Rewrite(base, "h\nc\nx\na\n", 1);
  REQUIRE(r.ok());
  REQUIRE(f.Table() == "h\nc\nx\na\n");
  REQUIRE(r->conflicts.empty());
  REQUIRE(Ids(*f.e->Current()) == std::vector<std::string>{"3", "4", "1"});
}

TEST_CASE("merge: rows appended concurrently are kept (sed -i while appending)") {
  Fixture f("n,f\n1,apple\n2,banana\n3,cherry\n");
  auto base = f.e->Current();
  REQUIRE(f.e->Append("d,x\ne,y\n", 1).ok());
  // The writer deleted banana, changed cherry.
  auto r = f.e->Rewrite(base, "n,f\n1,apple\n3,CHERRY\n", 2);
  REQUIRE(r.ok());
  REQUIRE(f.Table() == "n,f\n1,apple\n3,CHERRY\nd,x\ne,y\n");
  REQUIRE(Ids(*f.e->Current()) == std::vector<std::string>{"1", "3", "4", "5"});
}

TEST_CASE("merge: the same row changed on both sides: the later commit wins, conflict") {
  Fixture f("h\na\nb\nc\n");
  auto base = f.e->Current();
  REQUIRE(f.e->PutRow("2", "theirs\n", false, false, 1).ok());
  auto r = f.e->Rewrite(base, "h\na\nours\nc\n", 2);
  REQUIRE(r.ok());
  REQUIRE(f.Table() == "h\na\nours\nc\n");
  REQUIRE(r->conflicts.size() == 1);
  REQUIRE(r->conflicts[0].id == "2");
  REQUIRE(r->conflicts[0].theirs == "theirs\n");
  REQUIRE(r->conflicts[0].ours == "ours\n");
  REQUIRE(f.e->Stats().conflicts == 1);
}

TEST_CASE("merge: others' change to a row the writer left alone is kept") {
  Fixture f("h\na\nb\nc\n");
  auto base = f.e->Current();
  REQUIRE(f.e->PutRow("1", "A\n", false, false, 1).ok());
  REQUIRE(f.e->Rewrite(base, "h\na\nb\nC\n", 2).ok());
  REQUIRE(f.Table() == "h\nA\nb\nC\n");
}

TEST_CASE("merge: deletes on both sides") {
  Fixture f("h\na\nb\nc\nd\n");
  auto base = f.e->Current();
  REQUIRE(f.e->DeleteRow("2", 1).ok());  // they delete b
  REQUIRE(f.e->DeleteRow("4", 1).ok());  // and d
  auto r = f.e->Rewrite(base, "h\na\nc\nd\n", 2);  // the writer deletes b too, keeps d
  REQUIRE(r.ok());
  REQUIRE(f.Table() == "h\na\nc\n");
  REQUIRE(r->conflicts.empty());
}

TEST_CASE("merge: a writer deleting a row others changed wins, with a conflict") {
  Fixture f("h\na\nb\n");
  auto base = f.e->Current();
  REQUIRE(f.e->PutRow("2", "B\n", false, false, 1).ok());
  auto r = f.e->Rewrite(base, "h\na\n", 2);
  REQUIRE(r.ok());
  REQUIRE(f.Table() == "h\na\n");
  REQUIRE(r->conflicts.size() == 1);
  REQUIRE(r->conflicts[0].ours.empty());
}

TEST_CASE("merge: reordering (sort -o) keeps concurrent appends at the end") {
  Fixture f("h\nc\na\nb\n");
  auto base = f.e->Current();
  REQUIRE(f.e->Append("z\n", 1).ok());
  REQUIRE(f.e->Rewrite(base, "h\na\nb\nc\n", 2).ok());
  REQUIRE(f.Table() == "h\na\nb\nc\nz\n");
  REQUIRE(Ids(*f.e->Current()) == std::vector<std::string>{"2", "3", "1", "4"});
}

TEST_CASE("merge: duplicate rows are matched one to one") {
  Fixture f("h\nx\nx\ny\n");
  auto base = f.e->Current();
  REQUIRE(f.e->Rewrite(base, "h\nx\ny\n", 1).ok());
  REQUIRE(f.Table() == "h\nx\ny\n");
  REQUIRE(f.e->Current()->row_count() == 2);
}

TEST_CASE("merge: header changes") {
  Fixture f("a,b\n1,2\n");
  auto base = f.e->Current();
  REQUIRE(f.e->Append("3,4\n", 1).ok());
  REQUIRE(f.e->Rewrite(base, "A,B\n1,2\n", 2).ok());
  REQUIRE(f.Table() == "A,B\n1,2\n3,4\n");
  // A rewrite whose rows do not fit its header is refused and changes nothing.
  REQUIRE(f.e->Rewrite(f.e->Current(), "A,B\n1,2,3\n", 2).status().code() == Code::kInvalid);
  REQUIRE(f.Table() == "A,B\n1,2\n3,4\n");
}

TEST_CASE("merge: key mode matches rows by key") {
  Fixture f("k,v\na,1\nb,2\nc,3\n", "k");
  auto base = f.e->Current();
  REQUIRE(f.e->Append("d,4\n", 1).ok());
  REQUIRE(f.e->PutRow("c", "c,30\n", false, false, 1).ok());
  auto r = f.e->Rewrite(base, "k,v\nb,20\na,1\ne,5\n", 2);  // reorder, change b, delete c, add e
  REQUIRE(r.ok());
  REQUIRE(f.Table() == "k,v\nb,20\na,1\ne,5\nd,4\n");
  REQUIRE(r->conflicts.size() == 1);  // c: they changed it, the writer deleted it
  REQUIRE(f.e->Rewrite(f.e->Current(), "k,v\nx,1\nx,2\n", 2).status().code() == Code::kExists);
}

TEST_CASE("merge: an unchanged image commits nothing") {
  Fixture f("h\na\n");
  auto v = f.e->Current();
  auto r = f.e->Rewrite(v, "h\na\n", 1);
  REQUIRE(r.ok());
  REQUIRE(f.e->Current()->number() == v->number());
  REQUIRE(f.e->Current()->mtime_ns() == v->mtime_ns());
}

TEST_CASE("merge: rewrites survive reopen with ids") {
  Fixture f("h\na\nb\n");
  REQUIRE(f.e->Rewrite(f.e->Current(), "h\nb\nnew\n", 1).ok());
  REQUIRE(f.e->Append("tail\n", 1).ok());
  auto ids = Ids(*f.e->Current());
  REQUIRE(ids == std::vector<std::string>{"2", "3", "4"});
  f.e.reset();
  EngineOptions o;
  o.env = f.env.get();
  o.backing_path = "/d/t.csv";
  auto e = Engine::Open(o);
  REQUIRE(e.ok());
  REQUIRE(Render(*e.value()->Current()) == "h\nb\nnew\ntail\n");
  REQUIRE(Ids(*e.value()->Current()) == ids);
}

TEST_CASE("merge: rows others appended that the writer read past its base count once") {
  Fixture f("h\na\nb\n");
  auto base = f.e->Current();
  REQUIRE(f.e->Append("c\nd\n", 1).ok());
  // The writer saw c (read beyond its snapshot) but not d, and deleted a.
  REQUIRE(f.e->Rewrite(base, "h\nb\nc\n", 2).ok());
  REQUIRE(f.Table() == "h\nb\nc\nd\n");
  REQUIRE(Ids(*f.e->Current()) == std::vector<std::string>{"2", "3", "4"});
}

TEST_CASE("merge: the image's line endings are kept, the header's too (fuzz_merge-1/2)") {
  Fixture f("k\na\n");
  REQUIRE(f.e->Rewrite(f.e->Current(), "k\r\na\r\n", 1).ok());
  REQUIRE(f.Table() == "k\r\na\r\n");
}
