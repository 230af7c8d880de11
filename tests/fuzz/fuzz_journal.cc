// Fuzz target: journal framing and record decoding (core/journal.h, core/op.h).
//
// The input is a journal image. Invariants:
//   - ScanJournal never crashes; it fails only with kCorruption; its payloads lie inside the
//     buffer; its verdict (valid prefix, torn tail, frames cut after a never-written sector,
//     or mid-log corruption) matches a reference reading of the rules written here from
//     journal.h.
//   - Re-framing the payloads with AppendJournalFrame reproduces the valid prefix exactly.
//   - Flipping any single bit of the valid prefix never yields the same payload list accepted
//     as valid: the scan fails with kCorruption or returns a different (or shorter) list.
//     Long prefixes are sampled (kMaxFlips bits, spread evenly) to keep executions fast.
//   - Op::Decode and JournalBase::Decode never crash on a payload (or on the whole input); when
//     they succeed, Encode() of the result equals the bytes decoded.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/journal.h"
#include "core/op.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using csvfs::core::AppendJournalFrame;
using csvfs::core::Code;
using csvfs::core::Crc32c;
using csvfs::core::JournalBase;
using csvfs::core::JournalScan;
using csvfs::core::kJournalFrameHeader;
using csvfs::core::kJournalSectorBytes;
using csvfs::core::kMaxJournalPayload;
using csvfs::core::Op;
using csvfs::core::ScanJournal;

constexpr uint32_t kMagic = 0x4A465343u;  // "CSFJ"
constexpr size_t kMaxFlips = 512;

uint32_t Le32(std::string_view s, size_t pos) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(s[pos + i]);
  return v;
}

// The payload length of a complete, valid frame at `pos`, per the layout in journal.h.
std::optional<uint32_t> ReferenceFrameAt(std::string_view d, size_t pos) {
  if (pos + kJournalFrameHeader > d.size() || Le32(d, pos) != kMagic) return std::nullopt;
  const uint32_t length = Le32(d, pos + 4);
  if (length > kMaxJournalPayload || length > d.size() - pos - kJournalFrameHeader) {
    return std::nullopt;
  }
  uint32_t crc = Crc32c(0, d.data() + pos + 4, 4);
  crc = Crc32c(crc, d.data() + pos + kJournalFrameHeader, length);
  const uint32_t masked = ((crc >> 15) | (crc << 17)) + 0xa282ead8u;  // leveldb's mask
  if (Le32(d, pos + 8) != masked) return std::nullopt;
  return length;
}

struct Reference {
  std::vector<std::string_view> payloads;
  size_t valid_bytes = 0;
  bool corrupt = false;  // a valid frame follows the valid prefix, and no unwritten sector
  size_t dropped_frames = 0;  // valid frames after the valid prefix (when not corrupt)
  size_t dropped_bytes = 0;
};

// The first offset >= from where a valid frame starts, or d.size().
size_t ReferenceNextFrame(std::string_view d, size_t from) {
  while (from < d.size() && !ReferenceFrameAt(d, from).has_value()) ++from;
  return from;
}

bool ZeroBytes(std::string_view d, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i) {
    if (d[i] != '\0') return false;
  }
  return true;
}

// Between the bad frame at `bad` and the valid frame at `next`: an aligned sector of zeros, or
// zeros from `bad` (inside a sector) to that sector's end.
bool ReferenceUnwritten(std::string_view d, size_t bad, size_t next) {
  for (size_t s = 0; s + kJournalSectorBytes <= next; s += kJournalSectorBytes) {
    if (s >= bad && ZeroBytes(d, s, s + kJournalSectorBytes)) return true;
    if (s < bad && bad < s + kJournalSectorBytes && ZeroBytes(d, bad, s + kJournalSectorBytes)) {
      return true;
    }
  }
  return false;
}

Reference ReferenceScan(std::string_view d) {
  Reference r;
  while (auto length = ReferenceFrameAt(d, r.valid_bytes)) {
    r.payloads.push_back(d.substr(r.valid_bytes + kJournalFrameHeader, *length));
    r.valid_bytes += kJournalFrameHeader + *length;
  }
  size_t q = r.valid_bytes < d.size() ? ReferenceNextFrame(d, r.valid_bytes + 1) : d.size();
  if (q < d.size() && !ReferenceUnwritten(d, r.valid_bytes, q)) {
    r.corrupt = true;
    return r;
  }
  size_t end = r.valid_bytes;
  for (; q < d.size(); q = ReferenceNextFrame(d, end)) {
    end = q + kJournalFrameHeader + *ReferenceFrameAt(d, q);
    ++r.dropped_frames;
  }
  r.dropped_bytes = end - r.valid_bytes;
  return r;
}

bool SamePayloads(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Decoders never crash; a successful decode re-encodes to the same bytes.
void CheckDecoders(std::string_view payload) {
  auto op = Op::Decode(payload);
  if (op.ok()) {
    // One encoding per op: flag bytes other than 0 and 1 are refused (corpus
    // regression-fuzz_journal-*).
    FUZZ_CHECK(op->Encode() == payload);
  } else {
    FUZZ_CHECK(op.status().code() == Code::kCorruption);
  }
  auto base = JournalBase::Decode(payload);
  if (base.ok()) {
    FUZZ_CHECK(JournalBase::IsBase(payload));
    FUZZ_CHECK(base->Encode() == payload);
  } else {
    FUZZ_CHECK(base.status().code() == Code::kCorruption);
  }
}

// Flips single bits of the valid prefix of *buf (restoring each) and rescans.
void CheckBitFlips(std::string* buf, const JournalScan& scan) {
  std::vector<std::string> original(scan.payloads.begin(), scan.payloads.end());
  const size_t bits = scan.valid_bytes * 8;
  const size_t step = bits <= kMaxFlips ? 1 : (bits + kMaxFlips - 1) / kMaxFlips;
  const size_t first = bits <= kMaxFlips ? 0 : Crc32c(*buf) % step;
  for (size_t bit = first; bit < bits; bit += step) {
    (*buf)[bit / 8] ^= static_cast<char>(1u << (bit % 8));
    auto flipped = ScanJournal(*buf);
    if (flipped.ok()) {
      bool same = flipped->payloads.size() == original.size();
      for (size_t i = 0; same && i < original.size(); ++i) {
        same = flipped->payloads[i] == original[i];
      }
      if (same) {
        std::fprintf(stderr, "bit %zu of %zu: the same %zu payloads are still accepted\n", bit,
                     bits, original.size());
      }
      FUZZ_CHECK(!same);
    } else {
      FUZZ_CHECK(flipped.status().code() == Code::kCorruption);
    }
    (*buf)[bit / 8] ^= static_cast<char>(1u << (bit % 8));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string buf(reinterpret_cast<const char*>(data), size);
  const std::string_view view(buf);
  const Reference ref = ReferenceScan(view);
  auto scan = ScanJournal(view);
  if (!scan.ok()) {
    FUZZ_CHECK(scan.status().code() == Code::kCorruption);
    FUZZ_CHECK(ref.corrupt);
  } else {
    const JournalScan& s = scan.value();
    FUZZ_CHECK(!ref.corrupt);
    FUZZ_CHECK(s.valid_bytes == ref.valid_bytes);
    FUZZ_CHECK(s.torn_tail == (s.valid_bytes < size));
    FUZZ_CHECK(s.dropped_frames == ref.dropped_frames);
    FUZZ_CHECK(s.dropped_bytes == ref.dropped_bytes);
    FUZZ_CHECK(SamePayloads(s.payloads, ref.payloads));
    std::string reframed;
    for (std::string_view p : s.payloads) {
      FUZZ_CHECK(p.data() >= view.data() && p.data() + p.size() <= view.data() + view.size());
      FUZZ_CHECK(AppendJournalFrame(p, &reframed).ok());
    }
    FUZZ_CHECK(reframed == view.substr(0, s.valid_bytes));
    for (std::string_view p : s.payloads) CheckDecoders(p);
    CheckBitFlips(&buf, s);
  }
  // Most fuzzer inputs hold no valid frame: give the decoders the raw bytes too.
  CheckDecoders(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
