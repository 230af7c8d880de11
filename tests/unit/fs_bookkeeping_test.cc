// Unit tests of the adapter's FUSE-free bookkeeping: inodes, handles, scratch files,
// per-pid snapshots, key reservations, names, errno mapping and the status text.
#include <catch2/catch.hpp>
#include <cerrno>
#include <memory>
#include <string>

#include "core/engine.h"
#include "core/env.h"
#include "fs/handle_table.h"
#include "fs/inode_table.h"
#include "fs/key_reservations.h"
#include "fs/names.h"
#include "fs/pid_snapshots.h"
#include "fs/scratch_store.h"
#include "fs/status_errno.h"
#include "fs/status_render.h"
#include "tests/unit/engine_test_util.h"

using namespace csvfs;  // NOLINT: test brevity
using fs::InodeTable;
using fs::NodeKind;

namespace {

struct TestEngine {
  std::unique_ptr<core::Env> env = core::NewMemEnv();
  std::unique_ptr<core::Engine> engine;
  TestEngine() {
    testing::PutFile(env.get(), "/d", "t.csv", "id,name\n1,a\n2,b\n");
    core::EngineOptions o;
    o.env = env.get();
    o.backing_path = "/d/t.csv";
    o.start_threads = false;
    auto e = core::Engine::Open(o);
    REQUIRE(e.ok());
    engine = std::move(e.value());
  }
};

}  // namespace

TEST_CASE("fs: inode table: fixed inodes", "[fs]") {
  InodeTable t;
  CHECK(t.Get(fs::kRootIno)->kind == NodeKind::kRoot);
  CHECK(t.Get(fs::kRowsIno)->kind == NodeKind::kRowsDir);
  CHECK(t.Get(fs::kStatusIno)->kind == NodeKind::kStatus);
  CHECK_FALSE(t.Get(12345).has_value());
  t.Forget(fs::kRootIno, 100);  // never freed
  CHECK(t.Get(fs::kRootIno).has_value());
}

TEST_CASE("fs: inode table: one inode per lineage; appends keep it", "[fs]") {
  TestEngine te;
  InodeTable t;
  core::Snapshot v0 = te.engine->Current();
  uint64_t ino0 = t.TableIno(v0, true);
  CHECK(t.TableIno(v0, true) == ino0);

  auto a = te.engine->Append("3,c\n", 1);
  REQUIRE(a.ok());
  REQUIRE(a->append_only);
  CHECK(t.TableIno(a->version, true) == ino0);  // same lineage, same inode
  CHECK(t.Get(ino0)->head->number() == a->version->number());

  auto d = te.engine->DeleteRow("1", 1);
  REQUIRE(d.ok());
  REQUIRE(d->version->lineage() != v0->lineage());
  uint64_t ino1 = t.TableIno(d->version, true);
  CHECK(ino1 != ino0);
  // The old lineage keeps its frozen head.
  CHECK(t.Get(ino0)->head->number() == a->version->number());

  // Freed after the kernel forgets every lookup.
  t.Forget(ino0, 2);
  CHECK(t.Get(ino0).has_value());
  t.Forget(ino0, 1);
  CHECK_FALSE(t.Get(ino0).has_value());
  CHECK_FALSE(t.FindTableIno(v0->lineage()).has_value());
  CHECK(t.FindTableIno(d->version->lineage()) == ino1);
}

TEST_CASE("fs: inode table: rows and scratch files", "[fs]") {
  InodeTable t;
  uint64_t r1 = t.RowIno("1", true);
  CHECK(t.RowIno("1", true) == r1);
  CHECK(t.RowIno("2", true) != r1);
  CHECK(t.Get(r1)->row_id == "1");
  t.Forget(r1, 2);
  CHECK_FALSE(t.Get(r1).has_value());
  uint64_t r1b = t.RowIno("1", true);
  CHECK(r1b != r1);  // numbers are never reused

  auto f = std::make_shared<fs::ScratchFile>(t.NewIno());
  t.AddScratch(f, true);
  t.AddScratch(f, true);
  CHECK(t.Get(f->ino)->scratch == f);
  t.Forget(f->ino, 2);
  CHECK_FALSE(t.Get(f->ino).has_value());
}

TEST_CASE("fs: handle table", "[fs]") {
  fs::HandleTable h;
  auto a = std::make_shared<fs::Handle>(fs::HandleKind::kStatus, 3, 0, 1);
  auto b = std::make_shared<fs::Handle>(fs::HandleKind::kStatus, 3, 0, 1);
  uint64_t fa = h.Add(a), fb = h.Add(b);
  CHECK(fa != 0);
  CHECK(fa != fb);
  CHECK(h.Get(fa) == a);
  CHECK(h.size() == 2);
  CHECK(h.Remove(fa) == a);
  CHECK(h.Get(fa) == nullptr);
  CHECK(h.Remove(fa) == nullptr);
  CHECK(h.size() == 1);
}

TEST_CASE("fs: scratch store: create, rename, replace, unlink", "[fs]") {
  fs::ScratchStore s;
  auto a = std::make_shared<fs::ScratchFile>(20);
  auto b = std::make_shared<fs::ScratchFile>(21);
  CHECK(s.PutIfAbsent("x", a));
  CHECK_FALSE(s.PutIfAbsent("x", b));  // O_EXCL
  CHECK(s.Find("x") == a);
  CHECK(s.Rename("x", "y", false) == fs::ScratchStore::RenameOutcome::kOk);
  CHECK(s.Find("x") == nullptr);
  CHECK(s.PutIfAbsent("x", b));
  CHECK(s.Rename("x", "y", true) == fs::ScratchStore::RenameOutcome::kExists);
  CHECK(s.Rename("x", "y", false) == fs::ScratchStore::RenameOutcome::kOk);
  CHECK(a->unlinked);  // replaced
  CHECK(s.Find("y") == b);
  CHECK(s.Rename("nope", "z", false) == fs::ScratchStore::RenameOutcome::kNotFound);
  CHECK(s.Remove("y") == b);
  CHECK(b->unlinked);
  CHECK(s.count() == 0);
}

TEST_CASE("fs: pid snapshots: bounded, most recent kept", "[fs]") {
  TestEngine te;
  fs::PidSnapshots p(2);
  auto v = te.engine->Current();
  p.Remember(1, v);
  p.Remember(2, v);
  p.Remember(1, v);  // 1 is now the most recent
  p.Remember(3, v);  // evicts 2
  CHECK(p.Lookup(2) == nullptr);
  CHECK(p.Lookup(1) == v);
  CHECK(p.Lookup(3) == v);
  CHECK(p.size() == 2);
}

TEST_CASE("fs: pid snapshots: RememberIfAbsent keeps an existing snapshot", "[fs]") {
  TestEngine te;
  fs::PidSnapshots p;
  auto older = te.engine->Current();
  REQUIRE(te.engine->Append("3,c\n", 1).ok());
  auto newer = te.engine->Current();
  REQUIRE(older != newer);
  p.Remember(1, older);
  p.RememberIfAbsent(1, newer);  // sed -i.bak: its own read stays the base
  CHECK(p.Lookup(1) == older);
  p.RememberIfAbsent(2, newer);  // fileinput: the backup copy counts as its read
  CHECK(p.Lookup(2) == newer);
}

TEST_CASE("fs: key reservations: exactly one creator wins", "[fs]") {
  fs::KeyReservations k;
  CHECK(k.TryReserve("alice"));
  CHECK_FALSE(k.TryReserve("alice"));
  CHECK(k.IsReserved("alice"));
  k.Release("alice");
  CHECK_FALSE(k.IsReserved("alice"));
  CHECK(k.TryReserve("alice"));
}

TEST_CASE("fs: names", "[fs]") {
  CHECK(fs::CheckName("table.csv") == 0);
  CHECK(fs::CheckName("") == EINVAL);
  CHECK(fs::CheckName(".") == EINVAL);
  CHECK(fs::CheckName("..") == EINVAL);
  CHECK(fs::CheckName("a/b") == EINVAL);
  CHECK(fs::CheckName(std::string("a\0b", 3)) == EINVAL);
  CHECK(fs::CheckName(std::string(255, 'x')) == 0);
  CHECK(fs::CheckName(std::string(256, 'x')) == ENAMETOOLONG);
}

TEST_CASE("fs: status to errno", "[fs]") {
  using core::Status;
  CHECK(fs::StatusToErrno(Status::Ok()) == 0);
  CHECK(fs::StatusToErrno(Status::Invalid("x")) == EINVAL);
  CHECK(fs::StatusToErrno(Status::Exists("x")) == EEXIST);
  CHECK(fs::StatusToErrno(Status::NotFound("x")) == ENOENT);
  CHECK(fs::StatusToErrno(Status::TooBig("x")) == EFBIG);
  CHECK(fs::StatusToErrno(Status::NoSpace("x")) == ENOSPC);
  CHECK(fs::StatusToErrno(Status::IoError("x")) == EIO);
  CHECK(fs::StatusToErrno(Status::IoError("x", EDQUOT)) == EDQUOT);
  CHECK(fs::StatusToErrno(Status::ReadOnly("x")) == EROFS);
  CHECK(fs::StatusToErrno(Status::NotPermitted("x")) == EPERM);
  CHECK(fs::StatusToErrno(Status::Busy("x")) == EBUSY);
  CHECK(fs::StatusToErrno(Status::Corruption("x")) == EIO);
  CHECK(fs::StatusToErrno(Status(core::Code::kNotSupported, "x")) == EOPNOTSUPP);
}

TEST_CASE("fs: status rendering", "[fs]") {
  core::EngineStats e;
  e.rows = 12;
  e.version = 7;
  e.size = 345;
  e.journal_bytes = 99;
  e.commits = 6;
  e.conflicts = 1;
  e.refused = 2;
  e.last_checkpoint_ns = 1700000000123456789;
  e.read_only = true;
  e.read_only_reason = "fsync failed";
  fs::AdapterStats a;
  a.refused = 3;
  a.scratch_files = 4;
  a.pid = 4321;
  a.locked_files = 2;
  a.lock_waiters = 1;
  std::string text = fs::RenderStatus(e, a, "/data/t.csv", "close");
  CHECK(text.find("locked_files: 2\nlock_waiters: 1\n") != std::string::npos);
  CHECK(text.find("pid: 4321\n") != std::string::npos);
  CHECK(text.find("rows: 12\n") != std::string::npos);
  CHECK(text.find("version: 7\n") != std::string::npos);
  CHECK(text.find("size: 345\n") != std::string::npos);
  CHECK(text.find("journal_bytes: 99\n") != std::string::npos);
  CHECK(text.find("commits: 6\n") != std::string::npos);
  CHECK(text.find("conflicts: 1\n") != std::string::npos);
  CHECK(text.find("refused_writes: 5\n") != std::string::npos);
  CHECK(text.find("last_checkpoint: 2023-11-14T22:13:20.123Z\n") != std::string::npos);
  CHECK(text.find("read_only: yes (fsync failed)\n") != std::string::npos);
  CHECK(fs::FormatTimeNs(0) == "never");
}
