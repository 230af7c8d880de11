// A rewrite image without a final line ending keeps it that way while its last record is the
// table's last (truncate -s in the middle of a record adds no byte); rows others appended
// meanwhile get it supplied so that nothing is glued.
#include <catch2/catch.hpp>

#include "core/engine.h"
#include "tests/unit/engine_test_util.h"

using csvfs::core::Engine;
using csvfs::core::EngineOptions;
using csvfs::testing::PutFile;
using csvfs::testing::Render;

namespace {

std::unique_ptr<Engine> OpenTable(csvfs::core::Env* env, const std::string& content) {
  PutFile(env, "/d", "t.csv", content);
  EngineOptions o;
  o.env = env;
  o.backing_path = "/d/t.csv";
  auto r = Engine::Open(o);
  REQUIRE(r.ok());
  return std::move(r.value());
}

}  // namespace

TEST_CASE("image tail: a truncation mid-record keeps the size it was given") {
  auto env = csvfs::core::NewMemEnv();
  auto e = OpenTable(env.get(), "id,v\n1,abc\n2,def\n");
  const std::string table = Render(*e->Current());
  const std::string cut = table.substr(0, table.size() - 3);  // "...2,d"
  REQUIRE(e->Rewrite(e->Current(), cut, 1).ok());
  REQUIRE(Render(*e->Current()) == cut);
  REQUIRE(e->Current()->size() == cut.size());
  // An unchanged image without its final newline is no change at all.
  const uint64_t version = e->Current()->number();
  REQUIRE(e->Rewrite(e->Current(), cut, 1).ok());
  REQUIRE(e->Current()->number() == version);
  // Appends after it get their own line.
  REQUIRE(e->Append("3,x\n", 2).ok());
  REQUIRE(Render(*e->Current()) == cut + "\n3,x\n");
}

TEST_CASE("image tail: with rows appended meanwhile the line ending is supplied") {
  auto env = csvfs::core::NewMemEnv();
  auto e = OpenTable(env.get(), "id,v\n1,a\n");
  auto base = e->Current();
  REQUIRE(e->Append("2,b\n", 2).ok());
  REQUIRE(e->Rewrite(base, "id,v\n1,A", 1).ok());
  REQUIRE(Render(*e->Current()) == "id,v\n1,A\n2,b\n");
}

TEST_CASE("image tail: a header-only image without newline") {
  auto env = csvfs::core::NewMemEnv();
  auto e = OpenTable(env.get(), "id,v\n1,a\n");
  REQUIRE(e->Rewrite(e->Current(), "id,v", 1).ok());
  REQUIRE(Render(*e->Current()) == "id,v");
  REQUIRE(e->Append("1,b\n", 1).ok());
  REQUIRE(Render(*e->Current()) == "id,v\n1,b\n");
}
