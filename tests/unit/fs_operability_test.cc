// Operability (README "Operating it"): checkpoint_interval=, BACKING resolution, the dead-mount
// hint, and the refusals listed in .csvfs-status.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "fs/options.h"
#include "fs/refusal_log.h"
#include "fs/status_render.h"

using csvfs::fs::ParseOptions;
using csvfs::fs::ParseResult;

namespace {

ParseResult Parse(std::vector<const char*> argv) {
  argv.insert(argv.begin(), "csvfs");
  return ParseOptions(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("fs: checkpoint_interval= in seconds, default 300, reaches the engine", "[fs]") {
  auto def = Parse({"t.csv", "/tmp"});
  REQUIRE(def.error.empty());
  REQUIRE(csvfs::fs::ToEngineOptions(def.options).checkpoint_interval_ms == 300000);
  auto one = Parse({"t.csv", "/tmp", "-o", "sync=off,checkpoint_interval=1"});
  REQUIRE(one.error.empty());
  REQUIRE(csvfs::fs::ToEngineOptions(one.options).checkpoint_interval_ms == 1000);
  auto off = Parse({"t.csv", "/tmp", "-o", "checkpoint_interval=0"});
  REQUIRE(csvfs::fs::ToEngineOptions(off.options).checkpoint_interval_ms == 0);
  for (const char* bad : {"checkpoint_interval=", "checkpoint_interval=5m",
                          "checkpoint_interval=-1", "checkpoint_interval=99999999999"}) {
    INFO(bad);
    auto r = Parse({"t.csv", "/tmp", "-o", bad});
    REQUIRE(r.error.find("checkpoint_interval=") != std::string::npos);
  }
}

TEST_CASE("fs: BACKING is resolved through symlinks, a missing one through its directory",
          "[fs]") {
  namespace sfs = std::filesystem;
  char tmpl[] = "/tmp/csvfs-resolve.XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const sfs::path dir = sfs::canonical(tmpl);
  sfs::create_directory(dir / "real");
  { FILE* f = std::fopen((dir / "real/t.csv").c_str(), "w"); std::fclose(f); }
  sfs::create_symlink("real/t.csv", dir / "link.csv");
  sfs::create_directory_symlink("real", dir / "dirlink");
  REQUIRE(csvfs::fs::ResolveBacking((dir / "link.csv").string()) == (dir / "real/t.csv").string());
  REQUIRE(csvfs::fs::ResolveBacking((dir / "dirlink/new.csv").string()) ==
          (dir / "real/new.csv").string());
  sfs::remove_all(dir);
}

TEST_CASE("fs: a dead mount's error says how to recover", "[fs]") {
  const std::string m = csvfs::fs::MountpointError("/mnt/t", ENOTCONN);
  REQUIRE(m.find("/mnt/t") != std::string::npos);
  REQUIRE(m.find("fusermount3 -u /mnt/t") != std::string::npos);
  REQUIRE(m.find("-uz") != std::string::npos);
  REQUIRE(m.find('\n') == std::string::npos);
  REQUIRE(csvfs::fs::MountpointError("/mnt/t", ENOENT).find("fusermount3") == std::string::npos);
}

TEST_CASE("fs: the status lists the last 10 refusals, one line each", "[fs]") {
  csvfs::fs::RefusalLog log;
  for (int i = 0; i < 12; ++i) {
    log.Add(static_cast<uint32_t>(getpid()), "append", "table.csv",
            "invalid: record " + std::to_string(i) + "\nsecond line");
  }
  auto recent = log.Recent();
  REQUIRE(recent.size() == 10);
  REQUIRE(recent.front().reason.rfind("invalid: record 2", 0) == 0);
  REQUIRE(recent.back().command == csvfs::fs::RefusalLog::CommandOf(static_cast<uint32_t>(getpid())));
  REQUIRE(recent.back().command != "?");
  csvfs::fs::AdapterStats a;
  a.recent_refusals = recent;
  const std::string text = csvfs::fs::RenderStatus({}, a, "/d/t.csv", "close");
  size_t lines = 0;
  for (size_t p = text.find("\nrefused: "); p != std::string::npos; p = text.find("\nrefused: ", p + 1)) {
    ++lines;
  }
  REQUIRE(lines == 10);
  REQUIRE(text.find("append table.csv: invalid: record 11\\nsecond line\n") != std::string::npos);
}
