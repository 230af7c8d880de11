// Tests of PosixEnv and MemEnv. The behaviours every Env must share run against both.
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <string>
#include <thread>

#include "core/env.h"

namespace csvfs::core {
namespace {

// A fresh directory under the system temp dir, removed with its contents at the end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "csvfs_env_XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<Directory> MustOpenDir(Env* env, const std::string& path) {
  auto dir = env->OpenDirectory(path);
  REQUIRE(dir.ok());
  return std::move(dir).value();
}

void WriteFile(Directory* dir, const std::string& name, std::string_view bytes) {
  auto file = dir->OpenAppend(name);
  REQUIRE(file.ok());
  REQUIRE((*file)->Append(bytes).ok());
  REQUIRE((*file)->Sync().ok());
  REQUIRE((*file)->Close().ok());
}

std::string ReadFile(Directory* dir, const std::string& name) {
  auto file = dir->OpenReadOnly(name);
  REQUIRE(file.ok());
  return std::string((*file)->data());
}

void CheckCreateExclusive(Directory* dir) {
  auto first = dir->CreateExclusive("x");
  REQUIRE(first.ok());
  auto second = dir->CreateExclusive("x");
  REQUIRE(second.status().code() == Code::kExists);
  auto info = dir->Stat("x");
  REQUIRE(info.ok());
  CHECK(info->size == 0);
  CHECK(info->mode == 0600);
}

void CheckAppendSyncSizes(Directory* dir) {
  auto file = dir->CreateExclusive("log");
  REQUIRE(file.ok());
  CHECK((*file)->Size() == 0);
  REQUIRE((*file)->Append("hello ").ok());
  REQUIRE((*file)->Append("").ok());
  REQUIRE((*file)->Append("world").ok());
  CHECK((*file)->Size() == 11);
  REQUIRE((*file)->Sync().ok());
  REQUIRE((*file)->Close().ok());
  CHECK(dir->Stat("log")->size == 11);

  auto again = dir->OpenAppend("log");
  REQUIRE(again.ok());
  CHECK((*again)->Size() == 11);
  REQUIRE((*again)->Append("!").ok());
  CHECK((*again)->Size() == 12);
  REQUIRE((*again)->Sync().ok());
  CHECK(ReadFile(dir, "log") == "hello world!");
}

void CheckTruncate(Directory* dir) {
  auto file = dir->CreateExclusive("t");
  REQUIRE(file.ok());
  REQUIRE((*file)->Append("keep|drop").ok());
  REQUIRE((*file)->Truncate(5).ok());
  CHECK((*file)->Size() == 5);
  CHECK((*file)->Truncate(6).code() == Code::kInvalid);
  REQUIRE((*file)->Append("more").ok());  // appends land at the new end
  CHECK((*file)->Size() == 9);
  REQUIRE((*file)->Sync().ok());
  CHECK(ReadFile(dir, "t") == "keep|more");
  CHECK(dir->Stat("t")->size == 9);
}

void CheckRename(Directory* dir) {
  WriteFile(dir, "a", "AAA");
  WriteFile(dir, "b", "BB");
  const uint64_t inode_a = dir->Stat("a")->inode;
  REQUIRE(dir->Rename("a", "c").ok());
  CHECK(dir->Stat("a").status().code() == Code::kNotFound);
  CHECK(dir->Stat("c")->inode == inode_a);
  REQUIRE(dir->Rename("c", "b").ok());  // replaces b
  CHECK(ReadFile(dir, "b") == "AAA");
  CHECK(dir->Stat("c").status().code() == Code::kNotFound);
  CHECK(dir->Rename("missing", "b").code() == Code::kNotFound);
  REQUIRE(dir->Sync().ok());
}

void CheckViewSurvivesChanges(Directory* dir) {
  WriteFile(dir, "data", "original bytes");
  WriteFile(dir, "other", "replacement");
  auto view = dir->OpenReadOnly("data");
  REQUIRE(view.ok());
  WriteFile(dir, "data", " appended");  // OpenAppend on the same file
  CHECK((*view)->data() == "original bytes");
  REQUIRE(dir->Rename("other", "data").ok());
  CHECK((*view)->data() == "original bytes");
  REQUIRE(dir->Remove("data").ok());
  CHECK((*view)->data() == "original bytes");
  CHECK(dir->OpenReadOnly("data").status().code() == Code::kNotFound);
}

void CheckEmptyAndMissing(Directory* dir) {
  REQUIRE(dir->CreateExclusive("empty").ok());
  auto view = dir->OpenReadOnly("empty");
  REQUIRE(view.ok());
  CHECK((*view)->data().empty());
  CHECK(dir->OpenReadOnly("nope").status().code() == Code::kNotFound);
  CHECK(dir->Stat("nope").status().code() == Code::kNotFound);
  CHECK(dir->Remove("nope").code() == Code::kNotFound);
  REQUIRE(dir->Remove("empty").ok());
  CHECK(dir->Stat("empty").status().code() == Code::kNotFound);
}

void CheckLock(Directory* dir) {
  {
    auto first = dir->Lock("LOCK");
    REQUIRE(first.ok());
    auto second = dir->Lock("LOCK");
    CHECK(second.status().code() == Code::kBusy);
    CHECK(dir->Lock("OTHER").ok());
  }
  CHECK(dir->Stat("LOCK").status().code() == Code::kNotFound);  // removed on release
  auto again = dir->Lock("LOCK");    // released with the first lock
  CHECK(again.ok());
  CHECK(dir->Stat("LOCK").ok());
}

void CheckNamesAndMode(Directory* dir, uint32_t uid, uint32_t gid) {
  for (const char* bad : {"", ".", "..", "a/b", "/abs"}) {
    CHECK(dir->CreateExclusive(bad).status().code() == Code::kInvalid);
    CHECK(dir->OpenReadOnly(bad).status().code() == Code::kInvalid);
  }
  CHECK(dir->Writable());
  auto file = dir->CreateExclusive("moded");
  REQUIRE(file.ok());
  REQUIRE((*file)->SetModeOwner(0640, uid, gid).ok());
  auto info = dir->Stat("moded");
  REQUIRE(info.ok());
  CHECK(info->mode == 0640);
  CHECK(info->uid == uid);
  CHECK(info->gid == gid);
  REQUIRE((*file)->SetModeOwner(0604, UINT32_MAX, UINT32_MAX).ok());  // keep the owner
  info = dir->Stat("moded");
  CHECK(info->mode == 0604);
  CHECK(info->uid == uid);
  CHECK(info->gid == gid);
}

void CheckCommonBehaviour(Env* env, const std::string& path, uint32_t uid, uint32_t gid) {
  auto dir = MustOpenDir(env, path);
  CHECK(dir->path() == path);
  SECTION("create exclusive twice") { CheckCreateExclusive(dir.get()); }
  SECTION("append, sync and sizes") { CheckAppendSyncSizes(dir.get()); }
  SECTION("rename") { CheckRename(dir.get()); }
  SECTION("truncate") { CheckTruncate(dir.get()); }
  SECTION("views survive append, rename-over and unlink") { CheckViewSurvivesChanges(dir.get()); }
  SECTION("empty and missing files") { CheckEmptyAndMissing(dir.get()); }
  SECTION("lock") { CheckLock(dir.get()); }
  SECTION("names and mode") { CheckNamesAndMode(dir.get(), uid, gid); }
}

TEST_CASE("env: posix env common behaviour", "[env]") {
  TempDir tmp;
  CheckCommonBehaviour(PosixEnv(), tmp.path(), ::getuid(), ::getgid());
}

TEST_CASE("env: mem env common behaviour", "[env]") {
  auto env = NewMemEnv();
  CheckCommonBehaviour(env.get(), "/mem/dir", 1000, 1000);
}

TEST_CASE("env: posix errors keep errno, file name and text", "[env]") {
  TempDir tmp;
  auto dir = MustOpenDir(PosixEnv(), tmp.path());
  auto missing = dir->OpenReadOnly("no-such-file");
  REQUIRE(missing.status().code() == Code::kNotFound);
  CHECK(missing.status().os_error() == ENOENT);
  CHECK(missing.status().message().find("no-such-file") != std::string::npos);
  CHECK(missing.status().message().find("No such file") != std::string::npos);

  REQUIRE(dir->CreateExclusive("f").ok());
  auto exists = dir->CreateExclusive("f");
  CHECK(exists.status().code() == Code::kExists);
  CHECK(exists.status().os_error() == EEXIST);

  auto no_dir = PosixEnv()->OpenDirectory(tmp.path() + "/absent");
  CHECK(no_dir.status().code() == Code::kNotFound);
  CHECK(no_dir.status().os_error() == ENOENT);
}

TEST_CASE("env: posix create exclusive does not follow symlinks", "[env]") {
  TempDir tmp;
  auto dir = MustOpenDir(PosixEnv(), tmp.path());
  std::filesystem::create_symlink(tmp.path() + "/target", tmp.path() + "/link");
  CHECK(dir->CreateExclusive("link").status().code() == Code::kExists);
  CHECK(!std::filesystem::exists(tmp.path() + "/target"));
  auto info = dir->Stat("link");  // the link itself, not its (missing) target
  CHECK(info.ok());
}

TEST_CASE("env: posix file written through the env is visible on disk", "[env]") {
  TempDir tmp;
  auto dir = MustOpenDir(PosixEnv(), tmp.path());
  WriteFile(dir.get(), "plain.csv", "id,name\n1,x\n");
  CHECK(std::filesystem::file_size(tmp.path() + "/plain.csv") == 12);
  // A large file maps whole.
  std::string big(3 << 20, 'q');
  big.back() = 'z';
  WriteFile(dir.get(), "big", big);
  auto view = dir->OpenReadOnly("big");
  REQUIRE(view.ok());
  CHECK((*view)->data().size() == big.size());
  CHECK((*view)->data().back() == 'z');
}

TEST_CASE("env: posix append and sync may run concurrently", "[env]") {
  TempDir tmp;
  auto dir = MustOpenDir(PosixEnv(), tmp.path());
  auto file = dir->CreateExclusive("log");
  REQUIRE(file.ok());
  WritableFile* f = file->get();
  std::thread syncer([f] {
    for (int i = 0; i < 20; ++i) (void)f->Sync();
  });
  bool all_ok = true;
  for (int i = 0; i < 2000; ++i) all_ok = all_ok && f->Append("0123456789").ok();
  syncer.join();
  CHECK(all_ok);
  REQUIRE(f->Sync().ok());
  CHECK(f->Size() == 20000);
  CHECK(dir->Stat("log")->size == 20000);
}

TEST_CASE("env: mem env directories are shared by path and envs are separate", "[env]") {
  auto env = NewMemEnv();
  auto a = MustOpenDir(env.get(), "/d");
  auto b = MustOpenDir(env.get(), "/d");
  auto other = MustOpenDir(env.get(), "/e");
  WriteFile(a.get(), "f", "123");
  CHECK(ReadFile(b.get(), "f") == "123");
  CHECK(other->Stat("f").status().code() == Code::kNotFound);
  auto env2 = NewMemEnv();
  CHECK(MustOpenDir(env2.get(), "/d")->Stat("f").status().code() == Code::kNotFound);
}

TEST_CASE("env: mem env handles outlive the env", "[env]") {
  auto env = NewMemEnv();
  auto dir = MustOpenDir(env.get(), "/d");
  auto file = dir->CreateExclusive("f");
  REQUIRE(file.ok());
  auto lock = dir->Lock("LOCK");
  REQUIRE(lock.ok());
  env.reset();
  REQUIRE((*file)->Append("still fine").ok());
  CHECK(ReadFile(dir.get(), "f") == "still fine");
}

TEST_CASE("env: now nanos is wall-clock time", "[env]") {
  const int64_t year_2020_ns = int64_t{1577836800} * 1000000000;
  CHECK(PosixEnv()->NowNanos() > year_2020_ns);
  CHECK(NewMemEnv()->NowNanos() > year_2020_ns);
}

}  // namespace
}  // namespace csvfs::core
