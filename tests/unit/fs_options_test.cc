// Unit tests of the daemon's command line (fs/options.h).
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "fs/options.h"

using csvfs::fs::ExitCode;
using csvfs::fs::ParseByteSize;
using csvfs::fs::ParseOptions;
using csvfs::fs::ParseResult;

namespace {

ParseResult Parse(std::vector<const char*> argv) {
  argv.insert(argv.begin(), "csvfs");
  return ParseOptions(static_cast<int>(argv.size()), argv.data());
}

bool HasArg(const ParseResult& r, const std::string& a) {
  const auto& v = r.options.fuse_args;
  return std::find(v.begin(), v.end(), a) != v.end();
}

bool MentionsOption(const ParseResult& r, const std::string& opt) {
  for (const std::string& a : r.options.fuse_args) {
    if (a.find(opt) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("fs: options: positional arguments and defaults", "[fs]") {
  auto r = Parse({"/data/table.csv", "/tmp"});
  REQUIRE(r.error.empty());
  CHECK(r.options.backing == "/data/table.csv");
  CHECK(r.options.mountpoint == "/tmp");
  CHECK_FALSE(r.options.foreground);
  CHECK(r.options.header);
  CHECK(r.options.sync == csvfs::core::SyncMode::kClose);
  CHECK(r.options.key.empty());
  CHECK_FALSE(r.options.read_only);
  CHECK(MentionsOption(r, "subtype=csvfs"));
  CHECK(MentionsOption(r, "fsname=/data/table.csv"));
  // The backing file is not for libfuse.
  CHECK_FALSE(HasArg(r, "/data/table.csv"));
}

TEST_CASE("fs: options: fstab-style -o list mixes csvfs and FUSE options", "[fs]") {
  auto r = Parse({"t.csv", "/tmp", "-o",
                  "key=id,noheader,sync=always,allow_other,ragged,create,log=/tmp/x.log,"
                  "max_record=1M,max_image=2M,checkpoint_bytes=64k,default_permissions,"
                  "x-systemd.automount,"
                  "nofail,_netdev"});
  REQUIRE(r.error.empty());
  const auto& o = r.options;
  CHECK(o.key == "id");
  CHECK_FALSE(o.header);
  CHECK(o.sync == csvfs::core::SyncMode::kAlways);
  CHECK(o.ragged);
  CHECK(o.create);
  CHECK(o.log_file == "/tmp/x.log");
  CHECK(o.max_record_bytes == (1u << 20));
  CHECK(o.max_image_bytes == (2u << 20));
  CHECK(o.checkpoint_bytes == (64u << 10));
  CHECK(MentionsOption(r, "allow_other"));
  CHECK(MentionsOption(r, "default_permissions"));
  CHECK_FALSE(MentionsOption(r, "key="));
  CHECK_FALSE(MentionsOption(r, "sync="));
  CHECK_FALSE(MentionsOption(r, "noheader"));
  CHECK_FALSE(MentionsOption(r, "x-systemd"));
  CHECK_FALSE(MentionsOption(r, "nofail"));
}

TEST_CASE("fs: options: ro is seen by csvfs and passed on", "[fs]") {
  auto r = Parse({"t.csv", "/tmp", "-o", "ro"});
  REQUIRE(r.error.empty());
  CHECK(r.options.read_only);
  CHECK(MentionsOption(r, "ro"));
}

TEST_CASE("fs: options: -f, -d and -s", "[fs]") {
  auto r = Parse({"-f", "t.csv", "/tmp"});
  REQUIRE(r.error.empty());
  CHECK(r.options.foreground);
  CHECK_FALSE(r.options.debug);
  r = Parse({"t.csv", "/tmp", "-d"});
  REQUIRE(r.error.empty());
  CHECK(r.options.debug);
  CHECK(r.options.foreground);
  r = Parse({"t.csv", "/tmp", "-s", "-f"});
  REQUIRE(r.error.empty());
  CHECK(r.options.single_thread);
}

TEST_CASE("fs: options: /dev/fd/N mountpoint is kept verbatim", "[fs]") {
  auto r = Parse({"t.csv", "/dev/fd/3", "-o", "allow_other"});
  REQUIRE(r.error.empty());
  CHECK(r.options.mountpoint == "/dev/fd/3");
}

TEST_CASE("fs: options: errors and their exit codes", "[fs]") {
  auto r = Parse({"t.csv"});
  CHECK_FALSE(r.error.empty());
  CHECK(r.exit_code == ExitCode::kUsage);

  r = Parse({"t.csv", "/tmp", "extra"});
  CHECK_FALSE(r.error.empty());
  CHECK(r.exit_code == ExitCode::kUsage);

  r = Parse({"t.csv", "/tmp", "-o", "sync=sometimes"});
  CHECK(r.error.find("sync=") != std::string::npos);
  CHECK(r.exit_code == ExitCode::kUsage);

  r = Parse({"t.csv", "/tmp", "-o", "max_record=lots"});
  CHECK(r.error.find("max_record") != std::string::npos);
  r = Parse({"t.csv", "/tmp", "-o", "max_image=0"});
  CHECK(r.error.find("max_image") != std::string::npos);

  r = Parse({"t.csv", "/nonexistent/csvfs/mountpoint"});
  CHECK(r.error.find("/nonexistent/csvfs/mountpoint") != std::string::npos);
  CHECK(r.exit_code == ExitCode::kMount);
}

TEST_CASE("fs: options: --help and --version", "[fs]") {
  auto r = Parse({"--help"});
  CHECK(r.error.empty());
  CHECK(r.options.show_help);
  r = Parse({"-V"});
  CHECK(r.options.show_version);
  std::string usage = csvfs::fs::UsageText("csvfs");
  CHECK(usage.find("Exit status") != std::string::npos);
  CHECK(usage.find("key=COLUMN") != std::string::npos);
}

TEST_CASE("fs: options: byte sizes", "[fs]") {
  uint64_t v = 0;
  CHECK(ParseByteSize("123", &v));
  CHECK(v == 123);
  CHECK(ParseByteSize("4k", &v));
  CHECK(v == 4096);
  CHECK(ParseByteSize("16M", &v));
  CHECK(v == (16u << 20));
  CHECK(ParseByteSize("2G", &v));
  CHECK(v == (2ull << 30));
  CHECK_FALSE(ParseByteSize("", &v));
  CHECK_FALSE(ParseByteSize("-1", &v));
  CHECK_FALSE(ParseByteSize("12q", &v));
  CHECK_FALSE(ParseByteSize("99999999999999999999G", &v));
}

TEST_CASE("fs: options: engine options", "[fs]") {
  auto r = Parse({"rel/t.csv", "/tmp", "-o", "key=k,sync=off,ro"});
  REQUIRE(r.error.empty());
  auto e = csvfs::fs::ToEngineOptions(r.options);
  CHECK(e.backing_path.front() == '/');
  CHECK(e.backing_path.size() > std::string("rel/t.csv").size());
  CHECK(e.key_column == "k");
  CHECK(e.sync == csvfs::core::SyncMode::kOff);
  CHECK(e.read_only);
  CHECK_FALSE(e.start_threads);
  CHECK(e.max_image_bytes == (4ull << 30));  // the default
  r = Parse({"t.csv", "/tmp", "-o", "max_image=1k"});
  REQUIRE(r.error.empty());
  CHECK(csvfs::fs::ToEngineOptions(r.options).max_image_bytes == 1024);
}
