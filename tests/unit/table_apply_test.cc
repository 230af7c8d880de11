// Table::Apply is all or nothing (an op that does not fit the table changes nothing), so that
// a commit loop may catch up and retry.
#include <catch2/catch.hpp>

#include "core/env.h"
#include "core/table.h"
#include "tests/unit/engine_test_util.h"

namespace csvfs::testing {
namespace {

std::unique_ptr<core::Table> Loaded(core::Env* env, const std::string& csv, const std::string& key) {
  core::Status st;
  auto t = LoadTable(env, csv, key, &st);
  REQUIRE(st.ok());
  return t;
}

}  // namespace

TEST_CASE("table: a failing change op leaves the table as it was") {
  auto env = core::NewMemEnv();
  auto t = Loaded(env.get(), "id,v\n1,a\n2,b\n3,c\n", "id");
  const core::Snapshot before = t->current();
  core::Op bad;
  bad.deletes = {"1", "nope"};             // the first delete would succeed alone
  bad.updates = {{"2", "2,B\n"}};
  bad.appends = {{"4", "4,d\n"}};
  REQUIRE(t->Apply(bad).code() == core::Code::kCorruption);
  CHECK(t->current() == before);
  CHECK(t->Find("1").has_value());         // the key index kept row 1
  CHECK(*t->RowBytes("2") == "2,b\n");
  CHECK_FALSE(t->Find("4").has_value());

  core::Op bad_key;                        // an update whose new key is not a valid name
  bad_key.deletes = {"3"};
  bad_key.updates = {{"2", "/,x\n"}};
  REQUIRE(t->Apply(bad_key).code() == core::Code::kCorruption);
  CHECK(t->current() == before);
  CHECK(t->Find("3").has_value());

  core::Op good;                           // and the table still takes a good op
  good.deletes = {"1"};
  good.appends = {{"4", "4,d\n"}};
  REQUIRE(t->Apply(good).ok());
  CHECK(Render(*t->current()) == "id,v\n2,b\n3,c\n4,d\n");
}

TEST_CASE("table: a failing rewrite op leaves the table and its id counter as they were") {
  auto env = core::NewMemEnv();
  auto t = Loaded(env.get(), "h\na\nb\n", "");
  const core::Snapshot before = t->current();
  const uint64_t next = t->next_id();
  core::Op bad;
  bad.type = core::Op::Type::kRewrite;
  bad.entries = {{false, "9", "new\n"}, {true, "1", "", 5}};  // only 2 rows to keep
  REQUIRE(t->Apply(bad).code() == core::Code::kCorruption);
  CHECK(t->current() == before);
  CHECK(t->next_id() == next);
  core::Op good;
  good.type = core::Op::Type::kRewrite;
  good.entries = {{false, "9", "new\n"}, {true, "1", "", 2}};
  REQUIRE(t->Apply(good).ok());
  CHECK(Render(*t->current()) == "h\nnew\na\nb\n");
  CHECK(t->next_id() == 10);
}

}  // namespace csvfs::testing
