// Directory::SetModeOwner (chmod/chown of BACKING through the table) in PosixEnv and MemEnv.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "core/env.h"
#include "tests/unit/fault_env.h"

namespace csvfs::core {
namespace {

void CheckSetModeOwner(Directory* dir) {
  auto f = dir->CreateExclusive("t.csv");
  REQUIRE(f.ok());
  REQUIRE((*f)->Close().ok());
  auto before = dir->Stat("t.csv");
  REQUIRE(before.ok());
  CHECK(before->mode == 0600);
  REQUIRE(dir->SetModeOwner("t.csv", 0640, UINT32_MAX, UINT32_MAX).ok());
  auto after = dir->Stat("t.csv");
  REQUIRE(after.ok());
  CHECK(after->mode == 0640);
  CHECK(after->uid == before->uid);  // UINT32_MAX keeps the ids
  CHECK(after->gid == before->gid);
  // Setting the ids it already has is allowed for any owner.
  REQUIRE(dir->SetModeOwner("t.csv", 0664, before->uid, before->gid).ok());
  CHECK(dir->Stat("t.csv")->mode == 0664);
  CHECK(dir->SetModeOwner("missing", 0644, UINT32_MAX, UINT32_MAX).code() == Code::kNotFound);
  CHECK(dir->SetModeOwner("a/b", 0644, UINT32_MAX, UINT32_MAX).code() == Code::kInvalid);
}

}  // namespace

TEST_CASE("env: SetModeOwner on a posix directory, never through a symlink", "[env]") {
  std::string tmpl = (std::filesystem::temp_directory_path() / "csvfs_mode_XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  {
    auto dir = PosixEnv()->OpenDirectory(tmpl);
    REQUIRE(dir.ok());
    CheckSetModeOwner(dir->get());
    struct stat st;
    REQUIRE(::stat((tmpl + "/t.csv").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0664);  // on disk
    REQUIRE(::symlink((tmpl + "/t.csv").c_str(), (tmpl + "/link").c_str()) == 0);
    Status s = (*dir)->SetModeOwner("link", 0600, UINT32_MAX, UINT32_MAX);
    CHECK_FALSE(s.ok());
    REQUIRE(::stat((tmpl + "/t.csv").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0664);  // the target is untouched
  }
  std::filesystem::remove_all(tmpl);
}

TEST_CASE("env: SetModeOwner on a mem directory", "[env]") {
  auto env = NewMemEnv();
  auto dir = env->OpenDirectory("/d");
  REQUIRE(dir.ok());
  CheckSetModeOwner(dir->get());
}

TEST_CASE("env: SetModeOwner on a fault-injecting directory", "[env]") {
  csvfs::testing::FaultEnv env;
  auto dir = env.OpenDirectory("/d");
  REQUIRE(dir.ok());
  CheckSetModeOwner(dir->get());
}

}  // namespace csvfs::core
