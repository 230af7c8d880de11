// Storage faults (README "Durability"): ENOSPC on a journal append, ENOSPC during a checkpoint,
// and a failed fsync, each injected with FaultEnv.
#include <catch2/catch.hpp>

#include "core/engine.h"
#include "tests/unit/engine_test_util.h"
#include "tests/unit/fault_env.h"

namespace csvfs::testing {
namespace {

using core::Code;
using core::Engine;
using core::Status;

core::EngineOptions Opts(core::Env* env) {
  core::EngineOptions o;
  o.env = env;
  o.backing_path = "/d/t.csv";
  o.start_threads = false;
  return o;
}

std::unique_ptr<Engine> OpenOk(FaultEnv* env) {
  auto e = Engine::Open(Opts(env));
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return std::move(e.value());
}

void Durable(Engine& e, std::string_view rows) {
  auto r = e.Append(rows, 1);
  REQUIRE(r.ok());
  REQUIRE(e.WaitDurable(r->lsn).ok());
}

}  // namespace

TEST_CASE("fault: ENOSPC on a journal append fails that commit only") {
  FaultEnv env;
  PutFile(&env, "/d", "t.csv", "h\na\n");
  auto e = OpenOk(&env);
  Durable(*e, "b\n");
  env.FailAt(OpKind::kAppend, 1, Code::kNoSpace, /*append_prefix=*/7);
  auto r = e->Append("c\n", 1);
  REQUIRE(r.status().code() == Code::kNoSpace);
  REQUIRE(r.status().os_error() == 28);
  REQUIRE(Render(*e->Current()) == "h\na\nb\n");
  REQUIRE(e->DeleteRow("1", 1).ok());  // space is back: later commits work
  Durable(*e, "d\n");
  env.SimulateCrash(CrashMode::kDropUnsynced);
  e.reset();
  auto again = OpenOk(&env);  // the partial frame was cut away: no mid-log corruption
  REQUIRE(Render(*again->Current()) == "h\nb\nd\n");
  // Id 3 was never visible, so "d" may take it.
  REQUIRE(Ids(*again->Current()) == std::vector<std::string>{"2", "3"});
}

TEST_CASE("fault: ENOSPC during a checkpoint leaves BACKING intact and retries later") {
  FaultEnv env;
  PutFile(&env, "/d", "t.csv", "h\na\n");
  auto e = OpenOk(&env);
  Durable(*e, "b\nc\n");
  env.FailAt(OpKind::kAppend, 1, Code::kNoSpace, 3);  // the temp file's first write
  Status s = e->Checkpoint();
  REQUIRE(s.code() == Code::kNoSpace);
  REQUIRE(GetFile(&env, "/d", "t.csv") == "h\na\n");
  REQUIRE(GetFile(&env, "/d", ".t.csv.csvfs-tmp") == "<missing>");
  REQUIRE_FALSE(e->Stats().read_only);
  Durable(*e, "d\n");  // still writable
  REQUIRE(e->Checkpoint().ok());  // the retry works
  REQUIRE(GetFile(&env, "/d", "t.csv") == "h\na\nb\nc\nd\n");
  env.SimulateCrash(CrashMode::kDropUnsynced);
  e.reset();
  auto again = OpenOk(&env);
  REQUIRE(Render(*again->Current()) == "h\na\nb\nc\nd\n");
}

TEST_CASE("fault: a failed fsync makes the store read-only and reads go on") {
  FaultEnv env;
  PutFile(&env, "/d", "t.csv", "h\na\n");
  auto e = OpenOk(&env);
  Durable(*e, "b\n");
  auto snap = e->Current();
  env.FailAt(OpKind::kSync, 1, Code::kIoError);
  auto r = e->Append("c\n", 1);
  REQUIRE(r.ok());  // visible at once (sync=close) ...
  Status s = e->WaitDurable(r->lsn);
  REQUIRE(s.code() == Code::kIoError);  // ... but the close that waits for it fails: EIO
  REQUIRE(s.os_error() == 5);
  REQUIRE(e->Stats().read_only);
  REQUIRE(e->Append("d\n", 1).status().code() == Code::kReadOnly);
  REQUIRE(e->DeleteRow("1", 1).status().code() == Code::kReadOnly);
  REQUIRE(e->Rewrite(snap, "h\n", 1).status().code() == Code::kReadOnly);
  REQUIRE(Render(*e->Current()) == "h\na\nb\nc\n");  // reads go on
  REQUIRE(Render(*snap) == "h\na\nb\n");
  REQUIRE(e->Checkpoint().code() == Code::kReadOnly);  // never retried: state unknown
  REQUIRE(GetFile(&env, "/d", "t.csv") == "h\na\n");
}

TEST_CASE("fault: an fsync error during a checkpoint makes the store read-only") {
  FaultEnv env;
  PutFile(&env, "/d", "t.csv", "h\na\n");
  auto e = OpenOk(&env);
  Durable(*e, "b\n");
  env.FailAt(OpKind::kSync, 1, Code::kIoError);  // the temp file's fsync
  REQUIRE_FALSE(e->Checkpoint().ok());
  REQUIRE(GetFile(&env, "/d", "t.csv") == "h\na\n");
  REQUIRE(e->Append("c\n", 1).status().code() == Code::kReadOnly);
}

// REVIEW defect 1: a commit whose journal record recovery could not read was acknowledged and
// then dropped as a "torn tail". With a small record limit, such commits are refused (EFBIG)
// before anything is written, change nothing, and everything acknowledged survives a crash;
// a record of exactly the limit is accepted and recovered.
TEST_CASE("fault: a change over the journal record limit is refused before it is acknowledged") {
  FaultEnv env;
  PutFile(&env, "/d", "t.csv", "h\na\n");
  core::EngineOptions o = Opts(&env);
  o.max_journal_record = 4096;
  auto opened = Engine::Open(o);
  REQUIRE(opened.ok());
  auto e = std::move(opened.value());
  Durable(*e, "b\n");
  const std::string journal_before = GetFile(&env, "/d", ".t.csv.csvfs-journal");
  const std::string big_row = std::string(5000, 'x') + "\n";
  auto base = e->Current();
  auto rw = e->Rewrite(base, "h\na\nb\n" + big_row, 1);
  REQUIRE(rw.status().code() == Code::kTooBig);
  auto ap = e->Append(big_row, 1);
  REQUIRE(ap.status().code() == Code::kTooBig);
  REQUIRE(Render(*e->Current()) == "h\na\nb\n");
  REQUIRE(GetFile(&env, "/d", ".t.csv.csvfs-journal") == journal_before);
  REQUIRE(e->Stats().refused == 2);
  REQUIRE_FALSE(e->Stats().read_only);
  // Find the largest row whose append fits, and check it is acknowledged and recovered.
  std::string fits;
  for (size_t n = 4096; n > 0; --n) {
    std::string row = std::string(n, 'y') + "\n";
    auto r = e->Append(row, 1);
    if (r.ok()) {
      REQUIRE(e->WaitDurable(r->lsn).ok());
      fits = row;
      break;
    }
    REQUIRE(r.status().code() == Code::kTooBig);
  }
  REQUIRE(fits.size() > 3000);
  env.SimulateCrash(CrashMode::kDropUnsynced);
  e.reset();
  auto again = Engine::Open(o);
  REQUIRE(again.ok());
  REQUIRE(Render(*again.value()->Current()) == "h\na\nb\n" + fits);
}

}  // namespace csvfs::testing
