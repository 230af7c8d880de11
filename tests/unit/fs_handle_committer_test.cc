// Unit tests of commits through handles (fs/handle_committer.h) against the real engine
// over an in-memory Env: append reassembly per pid, flush/release epochs, invalidations.
#include <fcntl.h>
#include <unistd.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/env.h"
#include "fs/filesystem.h"
#include "fs/handle_committer.h"
#include "tests/unit/engine_test_util.h"

using namespace csvfs;  // NOLINT: test brevity
using fs::CommitPoint;
using fs::Handle;
using fs::HandleKind;

namespace {

struct RecordingInvalidator : fs::Invalidator {
  std::vector<std::string> log;
  void InvalidateInode(uint64_t ino, int64_t off, int64_t len) override {
    log.push_back("inode " + std::to_string(ino) + " " + std::to_string(off));
  }
  void InvalidateEntry(uint64_t parent, std::string name) override {
    log.push_back("entry " + std::to_string(parent) + " " + name);
  }
};

struct Fixture {
  std::unique_ptr<core::Env> env = core::NewMemEnv();
  std::unique_ptr<fs::Filesystem> fs;
  RecordingInvalidator inv;
  explicit Fixture(const std::string& content = "id,name\n1,a\n2,b\n") {
    testing::PutFile(env.get(), "/d", "t.csv", content);
    fs::Options o;
    o.backing = "/d/t.csv";
    o.mountpoint = "/tmp";
    o.sync = core::SyncMode::kOff;
    core::EngineOptions eo = fs::ToEngineOptions(o);
    eo.env = env.get();
    auto e = core::Engine::Open(eo);
    REQUIRE(e.ok());
    fs = std::make_unique<fs::Filesystem>(o);
    fs->AttachEngine(std::move(e.value()));
    fs->set_invalidator(&inv);
  }
  std::string Table() { return testing::Render(*fs->engine().Current()); }
  // Writers are live processes (a writer that exited has its record continued by others):
  // this test process, and its parent.
  static uint32_t Self() { return static_cast<uint32_t>(getpid()); }
  static uint32_t Parent() { return static_cast<uint32_t>(getppid()); }
  std::shared_ptr<Handle> AppendHandle(uint32_t opener = Self()) {
    auto h = std::make_shared<Handle>(HandleKind::kTableAppend, 16, O_WRONLY | O_APPEND, opener);
    h->append = std::make_unique<fs::AppendBuffer>(1 << 20);
    return h;
  }
  std::shared_ptr<Handle> RewriteHandle(bool trunc) {
    auto cur = fs->engine().Current();
    auto h = std::make_shared<Handle>(HandleKind::kTableRewrite, 16, O_WRONLY, 1);
    h->image =
        std::make_unique<fs::RewriteImage>(trunc ? "" : testing::Render(*cur), cur, trunc, 1 << 20);
    return h;
  }
};

// Sends the default logger's messages (text only) to `out` while alive.
class CaptureLog {
 public:
  explicit CaptureLog(std::ostringstream& out) : saved_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    sink->set_pattern("%v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~CaptureLog() { spdlog::set_default_logger(saved_); }

 private:
  std::shared_ptr<spdlog::logger> saved_;
};

std::vector<std::string> LinesWith(const std::string& text, const std::string& word) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(word) != std::string::npos) out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("fs: committer: a record is committed by the write that completes it", "[fs]") {
  Fixture f;
  fs::HandleCommitter c(*f.fs);
  auto h = f.AppendHandle();
  REQUIRE(c.AppendWrite(*h, Fixture::Self(), "3,c").ok());
  CHECK(h->last_lsn == 0);
  CHECK(f.Table() == "id,name\n1,a\n2,b\n");
  REQUIRE(c.AppendWrite(*h, Fixture::Parent(), "4,d\n").ok());  // another pid, own record
  CHECK(h->last_lsn != 0);
  CHECK(f.Table() == "id,name\n1,a\n2,b\n4,d\n");
  REQUIRE(c.AppendWrite(*h, Fixture::Self(), "cc\n5,").ok());
  CHECK(f.Table() == "id,name\n1,a\n2,b\n4,d\n3,ccc\n");
  // close by the opener: its remainder "5," is a valid record without newline.
  auto out = c.Commit(*h, Fixture::Self(), CommitPoint::kFlush);
  REQUIRE(out.status.ok());
  CHECK(out.durable_lsn == h->last_lsn);
  CHECK(f.Table() == "id,name\n1,a\n2,b\n4,d\n3,ccc\n5,\n");
}

TEST_CASE("fs: committer: unterminated quote at close fails and commits nothing", "[fs]") {
  Fixture f;
  fs::HandleCommitter c(*f.fs);
  auto h = f.AppendHandle();
  REQUIRE(c.AppendWrite(*h, Fixture::Self(), "3,\"open").ok());
  auto out = c.Commit(*h, Fixture::Self(), CommitPoint::kFlush);
  CHECK(out.status.code() == core::Code::kInvalid);
  CHECK(f.Table() == "id,name\n1,a\n2,b\n");
}

TEST_CASE("fs: committer: a child's close leaves its unfinished record to the next writer",
          "[fs]") {
  Fixture f;
  fs::HandleCommitter c(*f.fs);
  auto h = f.AppendHandle(Fixture::Parent());  // the shell opened it
  // `{ cmd | tr -d '\n'; printf ',x\n'; } >> t`: the child writes, closes; the opener goes on.
  REQUIRE(c.AppendWrite(*h, Fixture::Self(), "3").ok());
  REQUIRE(c.Commit(*h, Fixture::Self(), CommitPoint::kFlush).status.ok());
  CHECK(f.Table() == "id,name\n1,a\n2,b\n");
  REQUIRE(c.AppendWrite(*h, Fixture::Parent(), ",c\n").ok());
  CHECK(f.Table() == "id,name\n1,a\n2,b\n3,c\n");
  // `{ printf '4,'; cmd; } >> t`: the child continues its waiting parent's record.
  REQUIRE(c.AppendWrite(*h, Fixture::Parent(), "4,").ok());
  REQUIRE(c.AppendWrite(*h, Fixture::Self(), "d\n").ok());
  CHECK(f.Table() == "id,name\n1,a\n2,b\n3,c\n4,d\n");
  // A child's unfinished record is committed by the opener's close, not by its own.
  REQUIRE(c.AppendWrite(*h, Fixture::Self(), "5,e").ok());
  REQUIRE(c.Commit(*h, Fixture::Self(), CommitPoint::kFlush).status.ok());
  CHECK(f.Table() == "id,name\n1,a\n2,b\n3,c\n4,d\n");
  REQUIRE(c.Commit(*h, Fixture::Parent(), CommitPoint::kFlush).status.ok());
  CHECK(f.Table() == "id,name\n1,a\n2,b\n3,c\n4,d\n5,e\n");
}

TEST_CASE("fs: committer: a parent never continues its running child's record", "[fs]") {
  Fixture f;
  fs::HandleCommitter c(*f.fs);
  auto h = f.AppendHandle(Fixture::Parent());
  REQUIRE(c.AppendWrite(*h, Fixture::Self(), "3,").ok());       // a running child
  REQUIRE(c.AppendWrite(*h, Fixture::Parent(), "4,d\n").ok());  // its own record
  REQUIRE(c.AppendWrite(*h, Fixture::Self(), "c\n").ok());
  CHECK(f.Table() == "id,name\n1,a\n2,b\n4,d\n3,c\n");
}

TEST_CASE("fs: committer: fsync does not cut a record in progress", "[fs]") {
  Fixture f;
  fs::HandleCommitter c(*f.fs);
  auto h = f.AppendHandle();
  REQUIRE(c.AppendWrite(*h, 10, "3,par").ok());
  REQUIRE(c.Commit(*h, 10, CommitPoint::kFsync).status.ok());
  REQUIRE(c.AppendWrite(*h, 10, "tial\n").ok());
  CHECK(f.Table() == "id,name\n1,a\n2,b\n3,partial\n");
}

TEST_CASE("fs: committer: appends invalidate only the tail of the same inode", "[fs]") {
  Fixture f;
  uint64_t ino = f.fs->inodes().TableIno(f.fs->Current(), true);
  fs::HandleCommitter c(*f.fs);
  auto h = f.AppendHandle();
  // No reader open: nothing is sent (a new mapping starts from an empty cache).
  REQUIRE(c.AppendWrite(*h, 10, "3,c\n").ok());
  CHECK(f.inv.log.empty());
  f.fs->inodes().OpenReader(ino);
  f.fs->inodes().OpenReader(ino);
  // Readers open (one may have mapped the table): the old last page is invalidated at once.
  REQUIRE(c.AppendWrite(*h, 10, "4,d\n").ok());
  REQUIRE(f.inv.log.size() >= 1);
  CHECK(f.inv.log[0] == "inode " + std::to_string(ino) + " 0");
  f.fs->inodes().CloseReader(ino);
  f.fs->inodes().CloseReader(ino);
  // All closed: nothing is sent again.
  f.inv.log.clear();
  REQUIRE(c.AppendWrite(*h, 10, "5,e\n").ok());
  CHECK(f.inv.log.empty());
}

TEST_CASE("fs: committer: `cmd > table` commits at the flush after the writes", "[fs]") {
  Fixture f;
  fs::HandleCommitter c(*f.fs);
  auto h = f.RewriteHandle(/*trunc=*/true);
  // The shell closes its original descriptor first: nothing may be committed.
  REQUIRE(c.Commit(*h, 1, CommitPoint::kFlush).status.ok());
  CHECK(f.Table() == "id,name\n1,a\n2,b\n");
  REQUIRE(h->image->Write(0, "id,name\n2,b\n").ok());
  REQUIRE(c.Commit(*h, 1, CommitPoint::kFlush).status.ok());
  CHECK(f.Table() == "id,name\n2,b\n");
  REQUIRE(c.Commit(*h, 1, CommitPoint::kRelease).status.ok());
  CHECK(f.Table() == "id,name\n2,b\n");
  // A new lineage. Entries are handed out with a zero timeout, so no entry invalidation is
  // sent (one blocked in the kernel could keep a killed daemon from exiting).
  for (const auto& l : f.inv.log) CHECK(l.rfind("entry", 0) != 0);
}

TEST_CASE("fs: committer: `: > table` commits the truncation at release", "[fs]") {
  Fixture f;
  fs::HandleCommitter c(*f.fs);
  auto h = f.RewriteHandle(/*trunc=*/true);
  REQUIRE(c.Commit(*h, 1, CommitPoint::kFlush).status.ok());
  CHECK(f.Table() == "id,name\n1,a\n2,b\n");
  REQUIRE(c.Commit(*h, 1, CommitPoint::kRelease).status.ok());
  CHECK(f.fs->engine().Current()->row_count() == 0);
}

TEST_CASE("fs: committer: a write over the image limit leaves the table as it was", "[fs]") {
  // `cat big > table` on a table opened with O_TRUNC: the write fails with EFBIG, and neither
  // the close nor the release may commit the truncation (found by the bad-input catalogue).
  Fixture f;
  fs::HandleCommitter c(*f.fs);
  auto h = f.RewriteHandle(/*trunc=*/true);
  CHECK(h->image->Write(0, std::string((1 << 20) + 1, 'x')).code() == core::Code::kTooBig);
  CHECK(c.Commit(*h, 1, CommitPoint::kFlush).status.code() == core::Code::kTooBig);
  REQUIRE(c.Commit(*h, 1, CommitPoint::kRelease).status.ok());
  CHECK(f.Table() == "id,name\n1,a\n2,b\n");
}

TEST_CASE("fs: committer: a row file write replaces the row at flush", "[fs]") {
  Fixture f;
  fs::HandleCommitter c(*f.fs);
  auto h = std::make_shared<Handle>(HandleKind::kRowWrite, 17, O_WRONLY | O_TRUNC, 1);
  h->row_id = "2";
  h->image = std::make_unique<fs::RewriteImage>("", f.fs->Current(), true, 1 << 20);
  REQUIRE(h->image->Write(0, "2,B\n").ok());
  REQUIRE(c.Commit(*h, 1, CommitPoint::kFlush).status.ok());
  CHECK(f.Table() == "id,name\n1,a\n2,B\n");
  // Two records: refused, nothing changes.
  REQUIRE(h->image->Write(0, "2,X\n3,Y\n").ok());
  CHECK(c.Commit(*h, 1, CommitPoint::kFlush).status.code() == core::Code::kInvalid);
  CHECK(f.Table() == "id,name\n1,a\n2,B\n");
}

TEST_CASE("fs: committer: a rewrite conflict is logged once, on one line", "[fs]") {
  // Both versions of the row hold a quoted newline: the log line must show them escaped.
  Fixture f;
  fs::HandleCommitter c(*f.fs);
  auto h = f.RewriteHandle(/*trunc=*/false);
  REQUIRE(f.fs->engine().PutRow("1", "1,\"their\nx\"\n", false, false, 20).ok());
  REQUIRE(h->image->Write(0, "id,name\n1,\"our\ny\"\n2,b\n").ok());
  std::ostringstream out;
  {
    CaptureLog capture(out);
    REQUIRE(c.Commit(*h, 10, CommitPoint::kFlush).status.ok());
  }
  CHECK(f.Table() == "id,name\n1,\"our\ny\"\n2,b\n");
  CHECK(f.fs->engine().Stats().conflicts == 1);
  auto lines = LinesWith(out.str(), "conflict");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("pid 10") != std::string::npos);
  CHECK(lines[0].find(R"(their\nx)") != std::string::npos);
  CHECK(lines[0].find(R"(our\ny)") != std::string::npos);
}
