// Tests of the fault-injecting, crash-simulating FaultEnv used by the crash tests.
#include "tests/unit/fault_env.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cerrno>
#include <set>
#include <stdexcept>

namespace csvfs::testing {
namespace {

using core::Code;
using core::Directory;
using core::WritableFile;

constexpr char kDir[] = "/data";

std::unique_ptr<Directory> OpenDir(FaultEnv* env) {
  auto dir = env->OpenDirectory(kDir);
  REQUIRE(dir.ok());
  return std::move(dir).value();
}

std::unique_ptr<WritableFile> Create(Directory* dir, const std::string& name) {
  auto file = dir->CreateExclusive(name);
  REQUIRE(file.ok());
  return std::move(file).value();
}

// Creates `name` holding `bytes`, synced, with the directory entry synced too.
void DurableFile(Directory* dir, const std::string& name, const std::string& bytes) {
  auto file = Create(dir, name);
  REQUIRE(file->Append(bytes).ok());
  REQUIRE(file->Sync().ok());
  REQUIRE(dir->Sync().ok());
}

// The file's contents after a reboot, or "<missing>".
std::string Contents(FaultEnv* env, const std::string& name) {
  auto dir = OpenDir(env);
  auto file = dir->OpenReadOnly(name);
  if (file.status().code() == Code::kNotFound) return "<missing>";
  REQUIRE(file.ok());
  return std::string((*file)->data());
}

TEST_CASE("faultenv: unsynced bytes are dropped", "[faultenv]") {
  FaultEnv env;
  auto dir = OpenDir(&env);
  DurableFile(dir.get(), "log", "abc");
  auto file = dir->OpenAppend("log");
  REQUIRE(file.ok());
  REQUIRE((*file)->Append("def").ok());
  CHECK(env.SyncedLength(kDir, "log") == 3);
  env.SimulateCrash(CrashMode::kDropUnsynced);
  CHECK(Contents(&env, "log") == "abc");
}

TEST_CASE("faultenv: a torn tail keeps a prefix of the unsynced bytes", "[faultenv]") {
  std::set<size_t> lengths;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    FaultEnv env(seed);
    auto dir = OpenDir(&env);
    auto file = Create(dir.get(), "log");
    REQUIRE(dir->Sync().ok());
    REQUIRE(file->Append("abc").ok());
    REQUIRE(file->Sync().ok());
    REQUIRE(file->Append("defghij").ok());
    env.SimulateCrash(CrashMode::kTornTail);
    const std::string after = Contents(&env, "log");
    REQUIRE(after.size() >= 3);
    CHECK(std::string("abcdefghij").substr(0, after.size()) == after);
    lengths.insert(after.size());
  }
  CHECK(lengths.size() > 3);  // the cut point varies with the seed
}

TEST_CASE("faultenv: a garbage tail replaces the unsynced bytes", "[faultenv]") {
  FaultEnv env(9);
  auto dir = OpenDir(&env);
  DurableFile(dir.get(), "log", "synced|");
  auto file = dir->OpenAppend("log");
  REQUIRE((*file)->Append("unsynced bytes here").ok());
  env.SimulateCrash(CrashMode::kGarbageTail);
  const std::string after = Contents(&env, "log");
  REQUIRE(after.size() == 7 + 19);
  CHECK(after.substr(0, 7) == "synced|");
  CHECK(after.substr(7) != "unsynced bytes here");
}

TEST_CASE("faultenv: preallocated zeros are durable and appends overwrite them", "[faultenv]") {
  FaultEnv env;
  auto dir = OpenDir(&env);
  auto file = Create(dir.get(), "log");
  REQUIRE(dir->Sync().ok());
  REQUIRE(file->Append("abc").ok());
  REQUIRE(file->Preallocate(100).ok());  // syncs, as PosixEnv's fdatasync does
  CHECK(env.SyncedLength(kDir, "log") == 103);
  CHECK(file->Size() == 3);
  REQUIRE(file->Append("def").ok());
  CHECK(Contents(&env, "log") == "abcdef" + std::string(97, '\0'));
  SECTION("a crash drops the unsynced bytes back to zeros") {
    env.SimulateCrash(CrashMode::kDropUnsynced);
    CHECK(Contents(&env, "log") == "abc" + std::string(100, '\0'));
  }
  SECTION("truncate zeroes the dropped bytes and keeps the length") {
    REQUIRE(file->Truncate(4).ok());
    CHECK(file->Size() == 4);
    CHECK(Contents(&env, "log") == "abcd" + std::string(99, '\0'));
  }
  SECTION("appending past the zeros grows them") {
    REQUIRE(file->Append(std::string(200, 'x')).ok());
    CHECK(file->Size() == 206);
    CHECK(Contents(&env, "log").substr(0, 206) == "abcdef" + std::string(200, 'x'));
  }
}

TEST_CASE("faultenv: reordered sectors keep or revert each sector whole", "[faultenv]") {
  // "abc" is durable; 1500 new bytes follow it, unsynced, over preallocated zeros: sector 0
  // holds both, sectors 1 and 2 only new bytes.
  const std::string fresh = "abc" + std::string(1500, 'n');
  bool later_kept_earlier_lost = false;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    FaultEnv env(seed);
    auto dir = OpenDir(&env);
    auto file = Create(dir.get(), "log");
    REQUIRE(dir->Sync().ok());
    REQUIRE(file->Append("abc").ok());
    REQUIRE(file->Preallocate(4096).ok());
    REQUIRE(file->Append(fresh.substr(3)).ok());
    env.SimulateCrash(CrashMode::kReorderSectors);
    const std::string after = Contents(&env, "log");
    REQUIRE(after.size() == 3 + 4096);  // the preallocated length stays
    bool kept[3];
    for (size_t i = 0; i < 3; ++i) {
      const size_t end = std::min<size_t>(512 * (i + 1), fresh.size());
      const std::string got = after.substr(512 * i, end - 512 * i);
      std::string old(got.size(), '\0');  // what the sector held before: the zeros...
      if (i == 0) old.replace(0, 3, "abc");  // ...after the durable bytes
      kept[i] = got == fresh.substr(512 * i, end - 512 * i);
      CHECK((kept[i] || got == old));
    }
    CHECK(after.substr(fresh.size()) == std::string(3 + 4096 - fresh.size(), '\0'));
    if (!kept[0] && kept[1]) later_kept_earlier_lost = true;
  }
  CHECK(later_kept_earlier_lost);
}

TEST_CASE("faultenv: reordered sectors of an appended file leave zeros in its holes",
          "[faultenv]") {
  bool hole = false;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    FaultEnv env(seed);
    auto dir = OpenDir(&env);
    DurableFile(dir.get(), "log", "abc");
    auto file = dir->OpenAppend("log");
    REQUIRE(file.ok());
    REQUIRE((*file)->Append(std::string(1021, 'n')).ok());  // to exactly 1024 bytes
    env.SimulateCrash(CrashMode::kReorderSectors);
    const std::string after = Contents(&env, "log");
    const std::string first = "abc" + std::string(509, 'n');
    // Either sector may be lost; the file ends after the last one kept.
    REQUIRE((after.size() == 3 || after.size() == 512 || after.size() == 1024));
    if (after.size() >= 512) {
      CHECK((after.substr(0, 512) == first ||
             after.substr(0, 512) == "abc" + std::string(509, '\0')));
    }
    if (after.size() == 1024) {
      CHECK(after.substr(512) == std::string(512, 'n'));
      if (after[3] == '\0') hole = true;
    }
    if (after.size() == 3) CHECK(after == "abc");
  }
  CHECK(hole);
}

TEST_CASE("faultenv: files never made durable in their directory vanish", "[faultenv]") {
  FaultEnv env;
  auto dir = OpenDir(&env);
  auto file = Create(dir.get(), "new");
  REQUIRE(file->Append("data").ok());
  REQUIRE(file->Sync().ok());  // the bytes are durable, the name is not
  env.SimulateCrash(CrashMode::kDropUnsynced);
  CHECK(Contents(&env, "new") == "<missing>");
}

TEST_CASE("faultenv: un-synced directory operations are reverted", "[faultenv]") {
  FaultEnv env;
  auto dir = OpenDir(&env);
  DurableFile(dir.get(), "a", "old a");
  DurableFile(dir.get(), "b", "old b");
  DurableFile(dir.get(), "gone", "removed");
  REQUIRE(dir->Rename("a", "b").ok());
  REQUIRE(dir->Remove("gone").ok());
  CHECK(Contents(&env, "a") == "<missing>");
  CHECK(Contents(&env, "b") == "old a");

  SECTION("reverted by default") {
    env.SimulateCrash(CrashMode::kDropUnsynced);
    CHECK(Contents(&env, "a") == "old a");
    CHECK(Contents(&env, "b") == "old b");
    CHECK(Contents(&env, "gone") == "removed");
  }
  SECTION("kept with DirCrash::kKeep") {
    env.SimulateCrash(CrashMode::kDropUnsynced, DirCrash::kKeep);
    CHECK(Contents(&env, "a") == "<missing>");
    CHECK(Contents(&env, "b") == "old a");
    CHECK(Contents(&env, "gone") == "<missing>");
  }
}

TEST_CASE("faultenv: a checkpoint-style rename made durable is kept", "[faultenv]") {
  FaultEnv env;
  auto dir = OpenDir(&env);
  DurableFile(dir.get(), "table.csv", "old table");
  auto tmp = Create(dir.get(), "table.csv.tmp");
  REQUIRE(tmp->Append("new table").ok());
  REQUIRE(tmp->Sync().ok());
  REQUIRE(dir->Rename("table.csv.tmp", "table.csv").ok());
  REQUIRE(dir->Sync().ok());
  env.SimulateCrash(CrashMode::kTornTail);
  CHECK(Contents(&env, "table.csv") == "new table");
  CHECK(Contents(&env, "table.csv.tmp") == "<missing>");
}

TEST_CASE("faultenv: handles die and locks are released by a crash", "[faultenv]") {
  FaultEnv env;
  auto dir = OpenDir(&env);
  DurableFile(dir.get(), "log", "x");
  auto file = dir->OpenAppend("log");
  REQUIRE(file.ok());
  auto lock = dir->Lock("LOCK");
  REQUIRE(lock.ok());
  CHECK(dir->Lock("LOCK").status().code() == Code::kBusy);

  env.SimulateCrash(CrashMode::kDropUnsynced);
  CHECK((*file)->Append("y").code() == Code::kIoError);
  CHECK((*file)->Sync().code() == Code::kIoError);
  CHECK(dir->Stat("log").status().code() == Code::kIoError);
  CHECK(dir->Sync().code() == Code::kIoError);
  CHECK(dir->CreateExclusive("z").status().code() == Code::kIoError);

  auto rebooted = OpenDir(&env);
  auto relock = rebooted->Lock("LOCK");
  REQUIRE(relock.ok());
  lock->reset();  // the dead lock must not release the new one
  CHECK(rebooted->Lock("LOCK").status().code() == Code::kBusy);
  CHECK(Contents(&env, "log") == "x");
}

TEST_CASE("faultenv: FailAt fails the nth call of a kind", "[faultenv]") {
  FaultEnv env;
  auto dir = OpenDir(&env);
  auto file = Create(dir.get(), "log");
  CHECK(env.Count(OpKind::kCreate) == 1);

  SECTION("sync fails with ENOSPC and stays failed") {
    env.FailAt(OpKind::kSync, 2, Code::kNoSpace);
    REQUIRE(file->Append("a").ok());
    REQUIRE(file->Sync().ok());
    REQUIRE(file->Append("b").ok());
    core::Status s = file->Sync();
    CHECK(s.code() == Code::kNoSpace);
    CHECK(s.os_error() == ENOSPC);
    CHECK(file->Sync().code() == Code::kNoSpace);  // sticky on this handle
    CHECK(file->Append("c").code() == Code::kNoSpace);
    CHECK(env.SyncedLength(kDir, "log") == 1);
    CHECK(env.Count(OpKind::kSync) == 3);
  }
  SECTION("append fails after writing a prefix") {
    env.FailAt(OpKind::kAppend, 1, Code::kNoSpace, /*append_prefix=*/2);
    CHECK(file->Append("abcdef").code() == Code::kNoSpace);
    CHECK(file->Size() == 2);
    REQUIRE(file->Append("X").ok());
    CHECK(Contents(&env, "log") == "abX");
  }
  SECTION("rename, create, remove and dir sync fail with EIO and have no effect") {
    REQUIRE(dir->Sync().ok());
    env.FailAt(OpKind::kRename, 1, Code::kIoError);
    env.FailAt(OpKind::kCreate, 1, Code::kIoError);
    env.FailAt(OpKind::kRemove, 1, Code::kIoError);
    env.FailAt(OpKind::kDirSync, 1, Code::kIoError);
    core::Status s = dir->Rename("log", "moved");
    CHECK(s.code() == Code::kIoError);
    CHECK(s.os_error() == EIO);
    CHECK(dir->Stat("log").ok());
    CHECK(dir->CreateExclusive("other").status().code() == Code::kIoError);
    CHECK(dir->Stat("other").status().code() == Code::kNotFound);
    CHECK(dir->Remove("log").code() == Code::kIoError);
    CHECK(dir->Stat("log").ok());
    CHECK(dir->Sync().code() == Code::kIoError);
    // Each fault fired once.
    CHECK(dir->Rename("log", "moved").ok());
    CHECK(dir->Sync().ok());
  }
}

TEST_CASE("faultenv: truncate cuts the synced length too", "[faultenv]") {
  FaultEnv env;
  auto dir = OpenDir(&env);
  DurableFile(dir.get(), "log", "abcdef");
  auto file = dir->OpenAppend("log");
  REQUIRE((*file)->Truncate(2).ok());
  CHECK(env.SyncedLength(kDir, "log") == 2);
  REQUIRE((*file)->Append("XY").ok());
  env.SimulateCrash(CrashMode::kDropUnsynced);
  CHECK(Contents(&env, "log") == "ab");
}

TEST_CASE("faultenv: FailAllOps fails every counted call until cleared", "[faultenv]") {
  FaultEnv env;
  auto dir = OpenDir(&env);
  auto file = Create(dir.get(), "log");
  env.FailAllOps();
  CHECK(file->Append("a").code() == Code::kIoError);
  CHECK(dir->Sync().code() == Code::kIoError);
  CHECK(dir->Stat("log").ok());  // reads go on
  env.ClearFaults();
  CHECK(file->Append("a").ok());
}

TEST_CASE("faultenv: on_op can crash at the nth call", "[faultenv]") {
  FaultEnv env;
  auto dir = OpenDir(&env);
  DurableFile(dir.get(), "log", "");
  auto file = dir->OpenAppend("log");
  REQUIRE(file.ok());
  const int64_t base = env.Count(OpKind::kAppend);
  env.on_op = [&env, base](OpKind kind, int64_t n) {
    if (kind == OpKind::kAppend && n == base + 3) env.SimulateCrash(CrashMode::kDropUnsynced);
  };
  CHECK((*file)->Append("1").ok());
  CHECK((*file)->Sync().ok());
  CHECK((*file)->Append("2").ok());
  CHECK((*file)->Append("3").code() == Code::kIoError);  // crashed before it took effect
  env.on_op = nullptr;
  CHECK(Contents(&env, "log") == "1");

  env.on_op = [](OpKind kind, int64_t) {
    if (kind == OpKind::kRename) throw std::runtime_error("crash");
  };
  auto rebooted = OpenDir(&env);
  CHECK_THROWS_AS(rebooted->Rename("log", "x"), std::runtime_error);
  env.on_op = nullptr;
  CHECK(rebooted->Stat("log").ok());
}

}  // namespace
}  // namespace csvfs::testing
