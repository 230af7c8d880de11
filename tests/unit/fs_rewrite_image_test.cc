// Unit tests of private images and their commit epochs (fs/rewrite_image.h).
#include <catch2/catch.hpp>
#include <string>

#include "fs/rewrite_image.h"

using csvfs::core::Code;
using csvfs::fs::RewriteImage;

TEST_CASE("fs: rewrite image: writes edit the image at their offsets", "[fs]") {
  RewriteImage img("hello world\n", nullptr, false, 0);
  REQUIRE(img.Write(6, "WORLD").ok());
  CHECK(img.data() == "hello WORLD\n");
  REQUIRE(img.Write(14, "x").ok());  // past the end: gap zero-filled
  CHECK(img.data() == std::string("hello WORLD\n\0\0x", 15));
  char buf[5];
  CHECK(img.Read(0, buf, 5) == 5);
  CHECK(std::string(buf, 5) == "hello");
  CHECK(img.Read(100, buf, 5) == 0);
}

TEST_CASE("fs: rewrite image: shell `cmd > f` — truncate-only epoch is not committed at flush",
          "[fs]") {
  RewriteImage img("", nullptr, /*truncated=*/true, 0);
  // The shell closes the original descriptor after dup2: a flush with no writes.
  CHECK_FALSE(img.ShouldCommitAtFlush());
  REQUIRE(img.Write(0, "a,b\n").ok());
  CHECK(img.ShouldCommitAtFlush());
  img.MarkCommitted(nullptr);
  CHECK_FALSE(img.ShouldCommitAtFlush());
  CHECK_FALSE(img.ShouldCommitAtRelease());  // already committed
}

TEST_CASE("fs: rewrite image: `: > f` commits the truncation at release", "[fs]") {
  RewriteImage img("", nullptr, /*truncated=*/true, 0);
  CHECK_FALSE(img.ShouldCommitAtFlush());
  CHECK(img.ShouldCommitAtRelease());
}

TEST_CASE("fs: rewrite image: an untouched open commits nothing", "[fs]") {
  RewriteImage img("x\n", nullptr, false, 0);
  CHECK_FALSE(img.ShouldCommitAtFlush());
  CHECK_FALSE(img.ShouldCommitAtRelease());
}

TEST_CASE("fs: rewrite image: writes after a flush start a new epoch", "[fs]") {
  RewriteImage img("a\n", nullptr, false, 0);
  REQUIRE(img.Write(0, "b").ok());
  CHECK(img.ShouldCommitAtFlush());
  img.MarkCommitted(nullptr);
  CHECK_FALSE(img.ShouldCommitAtFlush());
  REQUIRE(img.Append("c\n").ok());
  CHECK(img.ShouldCommitAtFlush());
  CHECK(img.data() == "b\nc\n");
}

TEST_CASE("fs: rewrite image: ftruncate then writes, and a failed commit", "[fs]") {
  RewriteImage img("abc\n", nullptr, false, 0);
  REQUIRE(img.Truncate(0).ok());
  CHECK_FALSE(img.ShouldCommitAtFlush());
  CHECK(img.ShouldCommitAtRelease());
  REQUIRE(img.Write(0, "z\n").ok());
  CHECK(img.ShouldCommitAtFlush());
  img.MarkFailed();
  CHECK_FALSE(img.ShouldCommitAtFlush());
  CHECK_FALSE(img.committed_any());
}

TEST_CASE("fs: rewrite image: staged image over the limit is EFBIG", "[fs]") {
  RewriteImage img("", nullptr, true, 8);
  CHECK(img.Truncate(9).code() == Code::kTooBig);
  CHECK(img.TakeEpochError().code() == Code::kTooBig);  // the flush ends the void epoch
  CHECK(img.Write(0, "123456789").code() == Code::kTooBig);
  CHECK(img.TakeEpochError().code() == Code::kTooBig);
  CHECK(img.Write(0, "12345678").ok());  // at the limit
}

TEST_CASE("fs: rewrite image: a failed write voids its epoch, O_TRUNC included", "[fs]") {
  RewriteImage img("", nullptr, /*truncated=*/true, /*max_bytes=*/8);
  REQUIRE(img.Write(0, "a,b\n").ok());
  CHECK(img.Write(4, "too long\n").code() == Code::kTooBig);
  // Nothing of the epoch commits, at flush or at release; later writes fail the same way.
  CHECK_FALSE(img.ShouldCommitAtFlush());
  CHECK_FALSE(img.ShouldCommitAtRelease());
  CHECK(img.Write(4, "c\n").code() == Code::kTooBig);
  CHECK(img.Truncate(2).code() == Code::kTooBig);
  // The flush that ends the epoch reports the error once; the next epoch starts clean.
  CHECK(img.TakeEpochError().code() == Code::kTooBig);
  CHECK(img.TakeEpochError().ok());
  CHECK_FALSE(img.ShouldCommitAtRelease());
  REQUIRE(img.Write(0, "x,y\n").ok());
  CHECK(img.ShouldCommitAtFlush());
}
