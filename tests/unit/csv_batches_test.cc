// ScanRecordBatches yields exactly the records of ScanRecords (and its errors), across its
// internal batches and pieces, and stops when asked.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "core/csv.h"

namespace csvfs::testing {
namespace {

std::vector<core::RecordSpan> Batched(std::string_view buf, core::Status* st) {
  std::vector<core::RecordSpan> out;
  *st = core::ScanRecordBatches(buf, [&](const core::RecordSpan* s, size_t n) {
    out.insert(out.end(), s, s + n);
    return true;
  });
  return out;
}

bool Same(const core::RecordSpan& a, const core::RecordSpan& b) {
  return a.begin == b.begin && a.end == b.end && a.next == b.next && a.fields == b.fields;
}

}  // namespace

TEST_CASE("csv: batched scan equals the whole-buffer scan, errors included") {
  std::mt19937 rng(5);
  const char alphabet[] = {'a', 'b', ',', ',', '"', '\n', '\n', '\r', 'x'};
  for (int round = 0; round < 300; ++round) {
    std::string buf;
    const size_t len = round < 20 ? (size_t(3) << 20) / (round + 1) : rng() % 3000;
    for (size_t i = 0; i < len; ++i) {
      // Mostly plain rows; now and then a byte that may break the syntax.
      if (rng() % 64 == 0) {
        buf += alphabet[rng() % sizeof(alphabet)];
      } else {
        buf += (i % 17 == 16) ? '\n' : (i % 5 == 4) ? ',' : 'v';
      }
    }
    std::vector<core::RecordSpan> whole;
    const core::Status want = core::ScanRecords(buf, &whole);
    core::Status got;
    const auto batched = Batched(buf, &got);
    INFO("round " << round << " size " << buf.size());
    REQUIRE(got.code() == want.code());
    REQUIRE(got.message() == want.message());
    if (want.ok()) {
      REQUIRE(batched.size() == whole.size());
      for (size_t i = 0; i < whole.size(); ++i) REQUIRE(Same(batched[i], whole[i]));
    }
  }
}

TEST_CASE("csv: batched scan stops when the consumer says so, even before a later error") {
  std::string buf;
  for (int i = 0; i < 200000; ++i) buf += "a,b\n";
  buf += "bad\"quote\n";
  size_t calls = 0, seen = 0;
  const core::Status st = core::ScanRecordBatches(buf, [&](const core::RecordSpan*, size_t n) {
    ++calls;
    seen += n;
    return false;
  });
  CHECK(st.ok());
  CHECK(calls == 1);
  CHECK(seen > 0);
  CHECK(seen < 200000);
  core::Status err;
  (void)Batched(buf, &err);
  CHECK(err.code() == core::Code::kInvalid);
}

}  // namespace csvfs::testing
