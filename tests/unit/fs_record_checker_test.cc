// Unit tests of fs/record_checker: records checked as the write() completing them arrives.
#include <catch2/catch.hpp>
#include <string>

#include "fs/record_checker.h"
#include "fs/rewrite_image.h"

using csvfs::core::Code;
using csvfs::fs::KeyColumnIndex;
using csvfs::fs::RecordChecker;
using csvfs::fs::RecordRules;
using csvfs::fs::RewriteImage;

namespace {

// Writes `data` at `off` to the image, then checks it.
csvfs::core::Status Put(RewriteImage& img, RecordChecker& c, uint64_t off,
                        const std::string& data) {
  auto s = img.Write(off, data);
  if (!s.ok()) return s;
  return c.AfterWrite(img, off, data.size());
}

}  // namespace

TEST_CASE("fs: record checker: the table against its own header, record by record", "[fs]") {
  RewriteImage img("", nullptr, true, 0);
  RecordChecker c(RecordRules{}, 0);
  CHECK(Put(img, c, 0, "h,i\n1,").ok());     // header: 2 fields; "1," pending
  CHECK(Put(img, c, 6, "2\n\n3,4\n").ok());  // an empty line is not a record
  CHECK(Put(img, c, 13, "5").code() == Code::kOk);
  CHECK(Put(img, c, 14, "\n").code() == Code::kInvalid);  // "5" completes with 1 field
  CHECK_FALSE(c.active());
  CHECK(Put(img, c, 15, "x\n").ok());  // switched off: the close checks the image
}

TEST_CASE("fs: record checker: a row file holds one record with its key", "[fs]") {
  RecordRules rules;
  rules.row_file = true;
  rules.field_count = 3;
  rules.key_column = 0;
  rules.key = "7";
  {
    RewriteImage img("", nullptr, true, 0);
    RecordChecker c(rules, 0);
    CHECK(Put(img, c, 0, "7,a,b\n").ok());
    CHECK(Put(img, c, 6, "7,a,b\n").code() == Code::kInvalid);  // a second record
  }
  {
    RewriteImage img("", nullptr, true, 0);
    RecordChecker c(rules, 0);
    CHECK(Put(img, c, 0, "8,a,b\n").code() == Code::kInvalid);  // key mismatch
  }
  {
    RewriteImage img("", nullptr, true, 0);
    RecordChecker c(rules, 0);
    CHECK(Put(img, c, 0, "7,a\n").code() == Code::kInvalid);  // field count
  }
  {
    RewriteImage img("", nullptr, true, 0);
    RecordChecker c(rules, 0);
    CHECK(Put(img, c, 0, std::string("7,a\0,b\n", 8)).code() == Code::kInvalid);  // NUL
  }
  {  // `>> rows/7`: the row's record is already there
    RecordRules append = rules;
    append.records_before = 1;
    RewriteImage img("7,a,b\n", nullptr, false, 0);
    RecordChecker c(append, img.size());
    CHECK(Put(img, c, 6, "more\n").code() == Code::kInvalid);
  }
}

TEST_CASE("fs: record checker: out-of-order writes are left to the close", "[fs]") {
  RewriteImage img("id,v\n1,a\n", nullptr, false, 0);
  RecordChecker c(RecordRules{}, img.size());
  CHECK(Put(img, c, 5, "x\n").ok());  // a seek-and-write edit: not checked here
  CHECK_FALSE(c.active());
  REQUIRE(img.Truncate(0).ok());
  c.AfterTruncate(0);  // emptied: checking starts over
  CHECK(c.active());
  CHECK(Put(img, c, 0, "a,b\nc\n").code() == Code::kInvalid);
}

TEST_CASE("fs: record checker: an inactive checker waits for the image to be emptied", "[fs]") {
  RewriteImage img("id,v\n1,a", nullptr, false, 0);  // the last record lacks its newline
  RecordChecker c(RecordRules{}, img.size(), /*active=*/false);
  CHECK(Put(img, c, img.size(), "b\n").ok());  // completes "1,ab": not a record of its own
  REQUIRE(img.Truncate(0).ok());
  c.AfterTruncate(0);
  CHECK(c.active());
  CHECK(Put(img, c, 0, "a,b\n1\n").code() == Code::kInvalid);
}

TEST_CASE("fs: record checker: the key column by name or number", "[fs]") {
  CHECK(KeyColumnIndex("id,name\n", "name", true) == 1);
  CHECK(KeyColumnIndex("\xEF\xBB\xBFid,name\r\n", "id", true) == 0);
  CHECK(KeyColumnIndex("id,name\n", "nope", true) == -1);
  CHECK(KeyColumnIndex("1,x,y\n", "2", false) == 1);
  CHECK(KeyColumnIndex("1,x,y\n", "4", false) == -1);
}
