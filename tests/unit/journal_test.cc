// Tests of the journal framing, the payload helpers and crc32c.
#include <catch2/catch.hpp>
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/crc32c.h"
#include "core/journal.h"

namespace csvfs::core {
namespace {

std::string RandomBytes(std::mt19937* rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>((*rng)() & 0xFF);
  return s;
}

std::string Journal(const std::vector<std::string>& payloads) {
  std::string out;
  for (const std::string& p : payloads) REQUIRE(AppendJournalFrame(p, &out).ok());
  return out;
}

std::vector<std::string> Strings(const std::vector<std::string_view>& views) {
  return std::vector<std::string>(views.begin(), views.end());
}

// Three frames and the offsets where each ends.
struct ThreeFrames {
  std::vector<std::string> payloads{"first,row,1", "", "third row with more bytes"};
  std::string image = Journal(payloads);
  size_t end1 = kJournalFrameHeader + payloads[0].size();
  size_t end2 = end1 + kJournalFrameHeader;
  size_t end3 = image.size();
};

TEST_CASE("journal: crc32c known value and hardware/software agreement", "[journal]") {
  CHECK(Crc32c("123456789") == 0xE3069283u);
  CHECK(internal::Crc32cSoftware(0, "123456789", 9) == 0xE3069283u);
  CHECK(internal::Crc32cHardware(0, "123456789", 9) == 0xE3069283u);
  CHECK(Crc32c("") == 0);
  std::mt19937 rng(7);
  const std::string buf = RandomBytes(&rng, 4096);
  for (size_t start = 0; start < 16; ++start) {
    for (size_t len : {0, 1, 7, 8, 9, 63, 64, 65, 1000, 4000}) {
      const uint32_t sw = internal::Crc32cSoftware(0, buf.data() + start, len);
      const uint32_t hw = internal::Crc32cHardware(0, buf.data() + start, len);
      REQUIRE(sw == hw);
    }
  }
  // Extending is the same as one pass.
  const uint32_t whole = Crc32c(buf);
  CHECK(Crc32c(Crc32c(0, buf.data(), 1000), buf.data() + 1000, buf.size() - 1000) == whole);
#ifdef __x86_64__
  INFO("hardware crc32c compiled in: " << internal::Crc32cHasHardware());
#endif
}

TEST_CASE("journal: put/get helpers round trip and reject short input", "[journal]") {
  std::string buf;
  PutU32(&buf, 0xDEADBEEF);
  PutU64(&buf, 0x0123456789ABCDEFull);
  PutBytes(&buf, "hello");
  PutBytes(&buf, "");
  CHECK(buf.size() == 4 + 8 + 9 + 4);
  CHECK(buf.substr(0, 4) == std::string("\xEF\xBE\xAD\xDE", 4));  // little endian

  std::string_view in = buf;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  std::string_view bytes;
  REQUIRE(GetU32(&in, &u32));
  CHECK(u32 == 0xDEADBEEF);
  REQUIRE(GetU64(&in, &u64));
  CHECK(u64 == 0x0123456789ABCDEFull);
  REQUIRE(GetBytes(&in, &bytes));
  CHECK(bytes == "hello");
  REQUIRE(GetBytes(&in, &bytes));
  CHECK(bytes.empty());
  CHECK(in.empty());
  CHECK(!GetU32(&in, &u32));
  CHECK(!GetU64(&in, &u64));

  std::string truncated;
  PutBytes(&truncated, "abcdef");
  truncated.pop_back();
  std::string_view t = truncated;
  CHECK(!GetBytes(&t, &bytes));
  CHECK(t.size() == truncated.size());  // not advanced on failure
}

TEST_CASE("journal: round trip of many payloads", "[journal]") {
  std::mt19937 rng(42);
  std::vector<std::string> payloads{"", "x", std::string(1 << 20, 'm'), ""};
  for (int i = 0; i < 500; ++i) payloads.push_back(RandomBytes(&rng, rng() % 300));
  payloads.push_back(RandomBytes(&rng, 1 << 20));
  const std::string image = Journal(payloads);

  auto scan = ScanJournal(image);
  REQUIRE(scan.ok());
  CHECK(!scan->torn_tail);
  CHECK(scan->valid_bytes == image.size());
  CHECK(Strings(scan->payloads) == payloads);
}

TEST_CASE("journal: empty image", "[journal]") {
  auto scan = ScanJournal("");
  REQUIRE(scan.ok());
  CHECK(scan->payloads.empty());
  CHECK(scan->valid_bytes == 0);
  CHECK(!scan->torn_tail);
}

TEST_CASE("journal: torn tail at every truncation point is accepted", "[journal]") {
  const ThreeFrames j;
  for (size_t cut = 0; cut <= j.image.size(); ++cut) {
    INFO("cut at " << cut);
    auto scan = ScanJournal(std::string_view(j.image).substr(0, cut));
    REQUIRE(scan.ok());
    const size_t frames = cut >= j.end3 ? 3 : cut >= j.end2 ? 2 : cut >= j.end1 ? 1 : 0;
    const size_t boundary = frames == 3 ? j.end3 : frames == 2 ? j.end2 : frames == 1 ? j.end1 : 0;
    CHECK(scan->payloads.size() == frames);
    CHECK(scan->valid_bytes == boundary);
    CHECK(scan->torn_tail == (cut != boundary));
  }
}

TEST_CASE("journal: a flipped byte before the last frame is corruption", "[journal]") {
  const ThreeFrames j;
  for (size_t pos = 0; pos < j.end2; ++pos) {
    INFO("flipped byte " << pos);
    std::string image = j.image;
    image[pos] ^= 0x20;
    auto scan = ScanJournal(image);
    REQUIRE(!scan.ok());
    CHECK(scan.status().code() == Code::kCorruption);
    const size_t bad_frame = pos < j.end1 ? 0 : j.end1;
    CHECK(scan.status().message().find("offset " + std::to_string(bad_frame)) !=
          std::string::npos);
  }
}

TEST_CASE("journal: a flipped byte in the last frame is a torn tail", "[journal]") {
  const ThreeFrames j;
  for (size_t pos = j.end2; pos < j.end3; ++pos) {
    INFO("flipped byte " << pos);
    std::string image = j.image;
    image[pos] ^= 0x01;
    auto scan = ScanJournal(image);
    REQUIRE(scan.ok());
    CHECK(scan->torn_tail);
    CHECK(scan->payloads.size() == 2);
    CHECK(scan->valid_bytes == j.end2);
  }
}

TEST_CASE("journal: garbage after the last frame is a torn tail", "[journal]") {
  const ThreeFrames j;
  std::mt19937 rng(3);
  std::string magic_then_garbage;
  PutU32(&magic_then_garbage, 0x4A465343u);
  PutU32(&magic_then_garbage, 5);
  magic_then_garbage += "garbage, bad crc";
  for (const std::string& tail :
       {RandomBytes(&rng, 1), RandomBytes(&rng, 11), RandomBytes(&rng, 4096),
        std::string(8192, '\0'), magic_then_garbage}) {
    const std::string image = j.image + tail;  // the payloads point into it
    auto scan = ScanJournal(image);
    REQUIRE(scan.ok());
    CHECK(scan->torn_tail);
    CHECK(Strings(scan->payloads) == j.payloads);
    CHECK(scan->valid_bytes == j.image.size());
  }
}

TEST_CASE("journal: a valid frame after a zeroed gap is corruption", "[journal]") {
  // 100 zeros are less than a sector and reach no sector boundary: not a never-written sector
  // (see the "hole" cases below), so this is corruption, not an unsynced tail.
  const ThreeFrames j;
  std::string image = j.image.substr(0, j.end1) + std::string(100, '\0') +
                      j.image.substr(j.end1);
  auto scan = ScanJournal(image);
  REQUIRE(!scan.ok());
  CHECK(scan.status().code() == Code::kCorruption);
}

// A journal laid out against 512-byte sectors: frame A at [0, 112), frame C at [112, 1024)
// (its last sector is [512, 1024)), then frames D and E. Preallocated journals are written in
// place over zeros, so a sector a crash did not persist reads as zeros.
struct SectorFrames {
  std::string a = std::string(100, 'a');
  std::string c = std::string(1024 - 112 - kJournalFrameHeader, 'c');
  std::string d = "d,row\n";
  std::string e = "e,row\n";
  std::string image = Journal({a, c, d, e});
  size_t c_at = kJournalFrameHeader + a.size();  // 112
  size_t d_at = 1024;
};

TEST_CASE("journal: valid frames after an aligned never-written hole are cut", "[journal]") {
  // A, then sectors of zeros where frame B was never written, then D and E.
  SectorFrames j;
  const std::string head = Journal({j.a});
  const std::string tail = Journal({j.d, j.e});
  const std::string image = head + std::string(1536 - head.size(), '\0') + tail;
  auto scan = ScanJournal(image);
  REQUIRE(scan.ok());
  CHECK(Strings(scan->payloads) == std::vector<std::string>{j.a});
  CHECK(scan->valid_bytes == head.size());
  CHECK(scan->torn_tail);
  CHECK(scan->dropped_frames == 2);
  CHECK(scan->dropped_bytes == image.size() - head.size());
  // The preallocated zeros after the last frame change nothing.
  auto padded = ScanJournal(image + std::string(4096, '\0'));
  REQUIRE(padded.ok());
  CHECK(padded->dropped_frames == 2);
  CHECK(padded->dropped_bytes == image.size() - head.size());
}

TEST_CASE("journal: a frame whose last sector is zeros, then a valid frame, is cut", "[journal]") {
  SectorFrames j;
  REQUIRE(j.image.substr(j.d_at, 4) == Journal({j.d}).substr(0, 4));  // the layout holds
  std::string image = j.image;
  std::fill(image.begin() + 512, image.begin() + 1024, '\0');
  auto scan = ScanJournal(image);
  REQUIRE(scan.ok());
  CHECK(Strings(scan->payloads) == std::vector<std::string>{j.a});
  CHECK(scan->valid_bytes == j.c_at);
  CHECK(scan->dropped_frames == 2);
  CHECK(scan->dropped_bytes == image.size() - j.c_at);
}

TEST_CASE("journal: a frame starting mid-sector, zero to that sector's end, is cut", "[journal]") {
  // The sector [0, 512) holds durable A and the start of C; a crash kept the old content of
  // that sector (A, then zeros) but the newer [512, 1024) with the rest of C.
  SectorFrames j;
  std::string image = j.image;
  std::fill(image.begin() + static_cast<ptrdiff_t>(j.c_at), image.begin() + 512, '\0');
  auto scan = ScanJournal(image);
  REQUIRE(scan.ok());
  CHECK(Strings(scan->payloads) == std::vector<std::string>{j.a});
  CHECK(scan->dropped_frames == 2);

  SECTION("zeros short of the sector's end are corruption") {
    image[511] = 'c';
    CHECK(ScanJournal(image).status().code() == Code::kCorruption);
  }
  SECTION("zeros from inside the frame to the sector's end are corruption") {
    image[j.c_at] = 'C';  // the frame's first bytes were written: so was that sector
    CHECK(ScanJournal(image).status().code() == Code::kCorruption);
  }
}

TEST_CASE("journal: non-zero garbage before a valid frame is corruption", "[journal]") {
  SectorFrames j;
  std::mt19937 rng(11);
  for (const std::string& garbage : {std::string(512, '\xAB'), RandomBytes(&rng, 512)}) {
    std::string image = j.image;
    image.replace(512, 512, garbage);
    auto scan = ScanJournal(image);
    REQUIRE(!scan.ok());
    CHECK(scan.status().code() == Code::kCorruption);
    CHECK(scan.status().message().find("offset " + std::to_string(j.c_at)) != std::string::npos);
  }
}

TEST_CASE("journal: zeros short of a sector inside a frame, then valid frames, is corruption",
          "[journal]") {
  SectorFrames j;
  std::string image = j.image;
  std::fill(image.begin() + 600, image.begin() + 700, '\0');
  CHECK(ScanJournal(image).status().code() == Code::kCorruption);
  // Zeros from inside the frame across a sector boundary, but no whole sector of them (the
  // frame's last byte, 1023, is intact).
  image = j.image;
  std::fill(image.begin() + 300, image.begin() + 1023, '\0');
  CHECK(ScanJournal(image).status().code() == Code::kCorruption);
}

TEST_CASE("journal: an oversized length is a bad frame", "[journal]") {
  std::string image;
  PutU32(&image, 0x4A465343u);
  PutU32(&image, kMaxJournalPayload + 1);
  PutU32(&image, 0);
  auto scan = ScanJournal(image);
  REQUIRE(scan.ok());
  CHECK(scan->torn_tail);
  CHECK(scan->payloads.empty());
}

}  // namespace
TEST_CASE("journal: a payload over the frame limit is refused, never framed") {
  std::string small = "abc";
  std::string out = "prefix";
  // Only the size is looked at before refusing: the view is never read past its 3 bytes.
  std::string_view huge(small.data(), size_t{kMaxJournalPayload} + 1);
  REQUIRE(AppendJournalFrame(huge, &out).code() == Code::kTooBig);
  REQUIRE(out == "prefix");
  REQUIRE(AppendJournalFrame(small, &out).ok());
  REQUIRE(out.size() == 6 + kJournalFrameHeader + 3);
}

}  // namespace csvfs::core
