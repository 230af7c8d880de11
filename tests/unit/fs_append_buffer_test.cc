// Unit tests of per-(handle, pid) record reassembly (fs/append_buffer.h).
#include <catch2/catch.hpp>
#include <string>

#include "fs/append_buffer.h"

using csvfs::core::Code;
using csvfs::fs::AppendBuffer;

TEST_CASE("fs: append buffer: complete records pass through at once", "[fs]") {
  AppendBuffer b;
  std::string rec;
  REQUIRE(b.Feed(7, "1,a\n2,b\n", &rec).ok());
  CHECK(rec == "1,a\n2,b\n");
  CHECK_FALSE(b.HasPending(7));
}

TEST_CASE("fs: append buffer: a record split over many writes", "[fs]") {
  AppendBuffer b;
  std::string rec;
  const std::string record = "42,\"a long, quoted\nfield with \"\"quotes\"\"\",tail\r\n";
  for (size_t i = 0; i + 1 < record.size(); ++i) {
    REQUIRE(b.Feed(1, record.substr(i, 1), &rec).ok());
    CHECK(rec.empty());
  }
  REQUIRE(b.Feed(1, record.substr(record.size() - 1), &rec).ok());
  CHECK(rec == record);
  CHECK(b.pending_bytes() == 0);
}

TEST_CASE("fs: append buffer: interleaved pids never tear each other's records", "[fs]") {
  AppendBuffer b;
  std::string rec;
  REQUIRE(b.Feed(100, "1,aaa", &rec).ok());
  CHECK(rec.empty());
  REQUIRE(b.Feed(200, "2,bb", &rec).ok());
  CHECK(rec.empty());
  REQUIRE(b.Feed(100, "aa\n3,c", &rec).ok());
  CHECK(rec == "1,aaaaa\n");
  REQUIRE(b.Feed(200, "b\n", &rec).ok());
  CHECK(rec == "2,bbb\n");
  CHECK(b.HasPending(100));
  CHECK_FALSE(b.HasPending(200));
  auto pids = b.PendingPids();
  REQUIRE(pids.size() == 1);
  CHECK(pids[0] == 100);
}

TEST_CASE("fs: append buffer: finish commits a final record without newline", "[fs]") {
  AppendBuffer b;
  std::string rec;
  REQUIRE(b.Feed(5, "1,a\n2,b", &rec).ok());
  CHECK(rec == "1,a\n");
  REQUIRE(b.Finish(5, &rec).ok());
  CHECK(rec == "2,b");
  REQUIRE(b.Finish(5, &rec).ok());  // nothing left
  CHECK(rec.empty());
}

TEST_CASE("fs: append buffer: unterminated quote fails the finish and commits nothing", "[fs]") {
  AppendBuffer b;
  std::string rec;
  REQUIRE(b.Feed(5, "1,\"open\nstill open", &rec).ok());
  CHECK(rec.empty());
  auto s = b.Finish(5, &rec);
  CHECK(s.code() == Code::kInvalid);
  CHECK(rec.empty());
  CHECK_FALSE(b.HasPending(5));
}

TEST_CASE("fs: append buffer: malformed input is refused and dropped", "[fs]") {
  AppendBuffer b;
  std::string rec;
  auto s = b.Feed(9, "1,a\"b\n", &rec);
  CHECK(s.code() == Code::kInvalid);
  CHECK(rec.empty());
  CHECK_FALSE(b.HasPending(9));
  REQUIRE(b.Feed(9, "2,ok\n", &rec).ok());  // the pid can go on afterwards
  CHECK(rec == "2,ok\n");
}

TEST_CASE("fs: append buffer: an oversized pending record is refused", "[fs]") {
  AppendBuffer b(16);
  std::string rec;
  REQUIRE(b.Feed(1, "1,0123456789", &rec).ok());
  auto s = b.Feed(1, "0123456789", &rec);
  CHECK(s.code() == Code::kTooBig);
  CHECK_FALSE(b.HasPending(1));
}

TEST_CASE("fs: append buffer: the rest of an oversized record is refused until close", "[fs]") {
  AppendBuffer b(8);
  std::string out;
  CHECK(b.Feed(1, "1,aaaaaaaaaa", &out).code() == Code::kTooBig);
  // A program retrying its short write: the tail is not a new record.
  CHECK(b.Feed(1, "aaa\n2,b\n", &out).code() == Code::kTooBig);
  CHECK(out.empty());
  CHECK(b.Feed(2, "3,c\n", &out).ok());  // other writers are unaffected
  CHECK(out == "3,c\n");
  b.MarkClosed(1);
  CHECK(b.Feed(1, "4,d\n", &out).ok());
  CHECK(out == "4,d\n");
}

TEST_CASE("fs: append buffer: an unfinished record passes to another writer", "[fs]") {
  AppendBuffer b;
  std::string out;
  REQUIRE(b.Feed(1, "1,", &out).ok());
  b.MarkClosed(1);
  CHECK(b.IsClosed(1));
  CHECK(b.Adopt(1, 2));
  CHECK_FALSE(b.HasPending(1));
  CHECK_FALSE(b.IsClosed(2));
  REQUIRE(b.Feed(2, "a\n", &out).ok());
  CHECK(out == "1,a\n");
  CHECK_FALSE(b.Adopt(1, 2));  // nothing pending
  REQUIRE(b.Feed(3, "x", &out).ok());
  REQUIRE(b.Feed(4, "y", &out).ok());
  CHECK_FALSE(b.Adopt(3, 4));  // 4 has its own
}
