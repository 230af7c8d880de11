// Unit tests of fs/follow_view: what a reader of a replaced lineage sees past its end.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "core/engine.h"
#include "fs/follow_view.h"
#include "tests/unit/engine_test_util.h"

using namespace csvfs;  // NOLINT: test brevity

namespace {

struct Table {
  std::unique_ptr<core::Env> env = core::NewMemEnv();
  std::unique_ptr<core::Engine> engine;
  fs::LineageLog log{4};
  Table() {
    testing::PutFile(env.get(), "/d", "t.csv", "id,v\n1,a\n2,b\n");
    core::EngineOptions eo;
    eo.backing_path = "/d/t.csv";
    eo.sync = core::SyncMode::kOff;
    eo.env = env.get();
    auto e = core::Engine::Open(eo);
    REQUIRE(e.ok());
    engine = std::move(e.value());
  }
  void Note(const core::Result<core::CommitResult>& r) {
    REQUIRE(r.ok());
    log.NoteCommit(r->version, r->append_only);
  }
  std::string View(const core::Snapshot& head) {
    std::string out;
    auto after = log.After(head->lineage());
    ReadFollowing(head, after, 0, 1 << 20, [&out](std::string_view p) { out.append(p); });
    CHECK(out.size() == head->size() + log.BytesAfter(head->lineage()));
    return out;
  }
};

}  // namespace

TEST_CASE("fs: follow view: appends after deletes and rewrites, nothing else", "[fs]") {
  Table t;
  core::Snapshot reader = t.engine->Current();
  t.Note(t.engine->Append("3,c\n", 1));
  core::Snapshot head0 = t.engine->Current();  // the reader's lineage, final
  t.Note(t.engine->DeleteRow("1", 1));
  t.Note(t.engine->Append("4,d\n", 1));
  CHECK(t.View(head0) == "id,v\n1,a\n2,b\n3,c\n4,d\n");
  t.Note(t.engine->Rewrite(t.engine->Current(), "id,v\n2,B\n3,c\n4,d\n", 1));
  t.Note(t.engine->Append("5,e\n", 1));
  t.Note(t.engine->Append("6,f\n", 1));
  CHECK(t.View(head0) == "id,v\n1,a\n2,b\n3,c\n4,d\n5,e\n6,f\n");
  // A partial read in the middle of the appended rows.
  std::string part;
  ReadFollowing(head0, t.log.After(head0->lineage()), 18, 8,
                [&part](std::string_view p) { part.append(p); });
  CHECK(part == ",d\n5,e\n6");
  CHECK(t.log.After(t.engine->Current()->lineage()).empty());
  (void)reader;
}

TEST_CASE("fs: follow view: a rewrite with nothing appended shows nothing", "[fs]") {
  Table t;
  core::Snapshot head0 = t.engine->Current();
  t.Note(t.engine->DeleteRow("2", 1));
  t.Note(t.engine->DeleteRow("1", 1));
  CHECK(t.View(head0) == "id,v\n1,a\n2,b\n");
}

TEST_CASE("fs: follow view: a replaced lineage's versions are released, its appended bytes kept", "[fs]") {
  Table t;
  core::Snapshot head0 = t.engine->Current();
  t.log.NoteCommit(head0, true);  // the mount's first lineage: its start is unknown
  t.Note(t.engine->DeleteRow("1", 1));  // lineage 2 starts
  std::weak_ptr<const core::Version> first = t.engine->Current();
  t.Note(t.engine->Append("3,c\n", 1));
  std::weak_ptr<const core::Version> appended = t.engine->Current();
  t.Note(t.engine->DeleteRow("2", 1));  // lineage 3: lineage 2 is replaced
  std::weak_ptr<const core::Version> mount_head = head0;
  head0.reset();
  // Nothing but the test held them: the log keeps none of these versions.
  CHECK(mount_head.expired());
  CHECK(first.expired());
  CHECK(appended.expired());
  // The bytes appended to lineage 2 are still what its readers see past its end.
  CHECK(t.log.BytesAfter(1) == 4);
  REQUIRE(t.log.After(1).size() == 1);
  CHECK(t.log.After(1)[0].copy != nullptr);
  CHECK(*t.log.After(1)[0].copy == "3,c\n");
}
