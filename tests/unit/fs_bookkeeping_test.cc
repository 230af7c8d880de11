// Unit tests of the adapter's FUSE-free bookkeeping: inodes, handles, sidecar files,
// per-pid snapshots, key reservations, names, errno mapping and the status text.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <cerrno>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "core/engine.h"
#include "core/env.h"
#include "fs/handle_table.h"
#include "fs/inode_table.h"
#include "fs/key_reservations.h"
#include "fs/names.h"
#include "fs/pid_snapshots.h"
#include "fs/sidecar.h"
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

TEST_CASE("fs: inode table: one inode per lineage, kept by appends", "[fs]") {
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

}

namespace {
// A fresh directory under the build's temp dir, removed at scope exit.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/csvfs-sidecar-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};
}  // namespace

TEST_CASE("fs: sidecar: real files, hard links share one inode, nodes freed on forget", "[fs]") {
  TempDir dir;
  std::unique_ptr<fs::Sidecar> side;
  std::string why;
  REQUIRE(fs::Sidecar::Open(dir.path + "/t.csv", &side, &why) == 0);
  struct stat st;
  REQUIRE(lstat((dir.path + "/.t.csv.csvfs-files").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  fs::UniqueFd fd;
  bool created = false;
  REQUIRE(fs::Sidecar::CreateFile(side->root_fd(), "a", O_WRONLY, 0640, getuid(), getgid(), &fd,
                                  &created) == 0);
  CHECK(created);
  REQUIRE(write(fd.get(), "x,y\n", 4) == 4);
  CHECK(fs::Sidecar::CreateFile(side->root_fd(), "a", O_WRONLY | O_EXCL, 0640, 0, 0, &fd,
                                &created) == EEXIST);
  InodeTable t;
  fs::UniqueFd pa;
  REQUIRE(fs::Sidecar::OpenPath(side->root_fd(), "a", &pa, &st) == 0);
  auto na = t.SidecarNodeFor(std::move(pa), st, true);
  REQUIRE(fs::Sidecar::MakeLink(*na, side->root_fd(), "b") == 0);
  fs::UniqueFd pb;
  REQUIRE(fs::Sidecar::OpenPath(side->root_fd(), "b", &pb, &st) == 0);
  auto nb = t.SidecarNodeFor(std::move(pb), st, true);
  CHECK(nb == na);  // one object, one inode
  CHECK(t.Get(na->ino)->side == na);
  CHECK(st.st_nlink == 2);
  std::vector<fs::SidecarEntry> names;
  REQUIRE(fs::Sidecar::List(side->root_fd(), &names) == 0);
  CHECK(names.size() == 2);
  // Symlinks are kept as symlinks, never followed.
  REQUIRE(fs::Sidecar::MakeSymlink(side->root_fd(), "l", "/etc/passwd", getuid(), getgid()) == 0);
  fs::UniqueFd pl;
  REQUIRE(fs::Sidecar::OpenPath(side->root_fd(), "l", &pl, &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  auto nl = t.SidecarNodeFor(std::move(pl), st, true);
  std::string target;
  REQUIRE(fs::Sidecar::ReadLink(*nl, &target) == 0);
  CHECK(target == "/etc/passwd");
  fs::UniqueFd ro;
  uint64_t size = 0;
  CHECK(fs::Sidecar::OpenRegular(side->root_fd(), "l", &ro, &size, &st) == EINVAL);
  REQUIRE(fs::Sidecar::OpenRegular(side->root_fd(), "b", &ro, &size, &st) == 0);
  fs::MappedFile m;
  REQUIRE(m.Map(ro.get(), size) == 0);
  CHECK(m.view() == "x,y\n");
  const uint64_t ino = na->ino;
  t.Forget(ino, 2);
  CHECK_FALSE(t.Get(ino).has_value());
  // After the node is gone the same object gets a new number (numbers are never reused).
  REQUIRE(fs::Sidecar::OpenPath(side->root_fd(), "a", &pa, &st) == 0);
  CHECK(t.SidecarNodeFor(std::move(pa), st, true)->ino != ino);
  REQUIRE(fs::Sidecar::Remove(side->root_fd(), "a", false) == 0);
  CHECK(fs::Sidecar::Remove(side->root_fd(), "a", false) == ENOENT);
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

namespace {
// A fake process table for PidSnapshots: pid -> start time (absent: exited).
struct FakeProcs {
  std::map<uint32_t, uint64_t> start;
  fs::PidSnapshots::StartTimeFn Fn() {
    return [this](uint32_t pid) {
      auto it = start.find(pid);
      return it == start.end() ? uint64_t{0} : it->second;
    };
  }
};
}  // namespace

TEST_CASE("fs: pid snapshots: bounded, most recent kept", "[fs]") {
  TestEngine te;
  FakeProcs procs;
  procs.start = {{1, 11}, {2, 12}, {3, 13}};
  fs::PidSnapshots p(2, procs.Fn());
  auto v = te.engine->Current();
  p.NoteRead(1, v);
  p.NoteRead(2, v);
  p.NoteRead(1, v);  // 1 is now the most recent
  p.NoteRead(3, v);  // evicts 2
  CHECK(p.Lookup(2) == nullptr);
  CHECK(p.Lookup(1) == v);
  CHECK(p.Lookup(3) == v);
  CHECK(p.size() == 2);
}

TEST_CASE("fs: pid snapshots: the earliest read since the last commit is the base", "[fs]") {
  TestEngine te;
  FakeProcs procs;
  procs.start = {{1, 100}, {2, 200}};
  fs::PidSnapshots p(16, procs.Fn());
  auto older = te.engine->Current();
  REQUIRE(te.engine->Append("3,c\n", 1).ok());
  auto newer = te.engine->Current();
  REQUIRE(older != newer);
  p.NoteRead(1, older);
  p.NoteRead(1, newer);  // a re-open to check the header: the base stays the first read
  CHECK(p.Lookup(1) == older);
  p.NoteRead(2, newer);
  p.NoteRead(2, older);  // an older snapshot read later (a handle opened earlier)
  CHECK(p.Lookup(2) == older);
  REQUIRE(te.engine->Append("4,d\n", 1).ok());
  auto committed = te.engine->Current();
  p.NoteCommit(1, committed);  // its commit restarts the base
  CHECK(p.Lookup(1) == committed);
  p.NoteRead(1, committed);
  CHECK(p.Lookup(1) == committed);
}

TEST_CASE("fs: pid snapshots: reading through appended rows grows the base, only by appends",
          "[fs]") {
  TestEngine te;
  FakeProcs procs;
  procs.start = {{1, 100}};
  fs::PidSnapshots p(16, procs.Fn());
  auto first = te.engine->Current();
  p.NoteRead(1, first);
  REQUIRE(te.engine->Append("3,c\n", 2).ok());
  auto appended = te.engine->Current();
  p.NoteRead(1, appended);  // a second open: not a read of those rows
  CHECK(p.Lookup(1) == first);
  p.NoteReadThrough(1, appended);  // it read on to the end, through row 3 (sed -i does)
  CHECK(p.Lookup(1) == appended);
  p.NoteReadThrough(1, first);  // never shrinks
  CHECK(p.Lookup(1) == appended);
  REQUIRE(te.engine->DeleteRow("1", 2).ok());  // a new lineage: not rows it read past its base
  p.NoteReadThrough(1, te.engine->Current());
  CHECK(p.Lookup(1) == appended);
}

TEST_CASE("fs: pid snapshots: a recycled pid inherits nothing, exited processes are swept",
          "[fs]") {
  TestEngine te;
  FakeProcs procs;
  procs.start = {{7, 1000}, {8, 2000}};
  fs::PidSnapshots p(16, procs.Fn(), std::chrono::hours(1));
  auto v = te.engine->Current();
  p.NoteRead(7, v);
  p.NoteRead(8, v);
  procs.start[7] = 5000;  // pid 7 exited and was given to a new process
  CHECK(p.Lookup(7) == nullptr);
  CHECK(p.size() == 1);
  procs.start.erase(8);  // pid 8 exited
  CHECK(p.size() == 1);
  p.Sweep();
  CHECK(p.size() == 0);
  procs.start[8] = 6000;  // reused: still nothing
  CHECK(p.Lookup(8) == nullptr);
  // A read by the new owner of pid 7 after another's leaves only its own read.
  procs.start[7] = 7000;
  p.NoteRead(7, v);
  CHECK(p.Lookup(7) == v);
}

TEST_CASE("fs: pid snapshots: NoteRead sweeps exited processes periodically", "[fs]") {
  TestEngine te;
  FakeProcs procs;
  procs.start = {{1, 1}, {2, 2}};
  fs::PidSnapshots p(16, procs.Fn(), std::chrono::seconds(0));
  auto v = te.engine->Current();
  p.NoteRead(1, v);
  procs.start.erase(1);
  p.NoteRead(2, v);  // sweeps: 1 is gone
  CHECK(p.size() == 1);
  CHECK(p.Lookup(2) == v);
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
  a.other_files = 4;
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

TEST_CASE("fs: pid snapshots: after a checkpoint, bases hold the reloaded version, not the old one", "[fs]") {
  TestEngine te;
  FakeProcs procs;
  procs.start = {{1, 100}, {2, 200}};
  fs::PidSnapshots p(16, procs.Fn());
  REQUIRE(te.engine->Append("3,c\n", 1).ok());
  auto before = te.engine->Current();
  p.NoteRead(1, before);
  auto older = before;
  REQUIRE(te.engine->Append("4,d\n", 1).ok());
  p.NoteRead(2, te.engine->Current());
  REQUIRE(te.engine->Checkpoint().ok());
  auto reloaded = te.engine->Current();
  REQUIRE(reloaded != p.Lookup(2));
  REQUIRE(reloaded->number() == p.Lookup(2)->number());
  std::weak_ptr<const core::Version> old_object = p.Lookup(2);
  p.Rebind(reloaded);
  CHECK(p.Lookup(2) == reloaded);  // same version, the new object
  CHECK(old_object.expired());
  CHECK(p.Lookup(1) == older);     // an older version is still a base: kept as it is
}
