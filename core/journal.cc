// Journal framing (see journal.h for the frame layout and the torn-tail/hole/corruption rules).
#include "core/journal.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace csvfs::core {
namespace {

constexpr uint32_t kJournalMagic = 0x4A465343u;  // "CSFJ" little endian
constexpr uint32_t kCrcMaskDelta = 0xa282ead8u;

uint32_t MaskCrc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kCrcMaskDelta; }

uint32_t DecodeU32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(b[0]) | static_cast<uint32_t>(b[1]) << 8 |
         static_cast<uint32_t>(b[2]) << 16 | static_cast<uint32_t>(b[3]) << 24;
}

uint64_t DecodeU64(const char* p) {
  return static_cast<uint64_t>(DecodeU32(p)) | static_cast<uint64_t>(DecodeU32(p + 4)) << 32;
}

// Masked crc over the 4 encoded length bytes followed by the payload.
uint32_t FrameCrc(const char* length_bytes, std::string_view payload) {
  uint32_t crc = Crc32c(0, length_bytes, 4);
  crc = Crc32c(crc, payload.data(), payload.size());
  return MaskCrc(crc);
}

// The payload length of the complete, valid frame starting at `pos`; nullopt if there is none.
std::optional<uint32_t> ValidFrameAt(std::string_view data, size_t pos) {
  if (pos > data.size() || data.size() - pos < kJournalFrameHeader) return std::nullopt;
  const char* header = data.data() + pos;
  if (DecodeU32(header) != kJournalMagic) return std::nullopt;
  const uint32_t length = DecodeU32(header + 4);
  if (length > kMaxJournalPayload) return std::nullopt;
  if (length > data.size() - pos - kJournalFrameHeader) return std::nullopt;
  std::string_view payload(header + kJournalFrameHeader, length);
  if (DecodeU32(header + 8) != FrameCrc(header + 4, payload)) return std::nullopt;
  return length;
}

// Offset of the first valid complete frame starting at or after `from`, or npos. Only offsets
// where the magic matches are examined.
size_t FindValidFrame(std::string_view data, size_t from) {
  const char first = static_cast<char>(kJournalMagic & 0xFFu);
  for (size_t q = from; q < data.size() && data.size() - q >= kJournalFrameHeader; ++q) {
    const void* hit = memchr(data.data() + q, first, data.size() - q);
    if (hit == nullptr) return std::string_view::npos;
    q = static_cast<size_t>(static_cast<const char*>(hit) - data.data());
    if (ValidFrameAt(data, q).has_value()) return q;
  }
  return std::string_view::npos;
}

bool AllZero(const char* p, size_t n) {
  return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

// True if [bad, next) shows a sector that never reached the disk: an aligned sector of zeros,
// or, when the bad frame starts inside a sector (which it shares with the durable bytes before
// it), zeros from its start to that sector's end.
bool HasUnwrittenSector(std::string_view data, size_t bad, size_t next) {
  const size_t first = (bad + kJournalSectorBytes - 1) / kJournalSectorBytes * kJournalSectorBytes;
  if (first != bad && first <= next && AllZero(data.data() + bad, first - bad)) return true;
  for (size_t s = first; s + kJournalSectorBytes <= next; s += kJournalSectorBytes) {
    if (AllZero(data.data() + s, kJournalSectorBytes)) return true;
  }
  return false;
}

}  // namespace

Status AppendJournalFrame(std::string_view payload, std::string* out) {
  if (payload.size() > kMaxJournalPayload) {
    return Status::TooBig("a journal record of " + std::to_string(payload.size()) +
                          " bytes is over the journal's limit of " +
                          std::to_string(kMaxJournalPayload));
  }
  PutU32(out, kJournalMagic);
  const size_t length_at = out->size();
  PutU32(out, static_cast<uint32_t>(payload.size()));
  // Compute the crc from the bytes as written, before *out may reallocate again.
  const uint32_t crc = FrameCrc(out->data() + length_at, payload);
  PutU32(out, crc);
  out->append(payload);
  return Status::Ok();
}

Result<JournalScan> ScanJournal(std::string_view data) {
  JournalScan scan;
  size_t pos = 0;
  while (pos < data.size()) {
    const std::optional<uint32_t> length = ValidFrameAt(data, pos);
    if (!length.has_value()) break;
    scan.payloads.push_back(data.substr(pos + kJournalFrameHeader, *length));
    pos += kJournalFrameHeader + *length;
  }
  scan.valid_bytes = pos;
  if (pos == data.size()) return scan;
  const size_t next = FindValidFrame(data, pos + 1);
  if (next != std::string_view::npos && !HasUnwrittenSector(data, pos, next)) {
    return Status::Corruption("journal corrupt at offset " + std::to_string(pos) +
                              ": a valid frame follows at offset " + std::to_string(next));
  }
  scan.torn_tail = true;
  // Valid frames after a never-written sector were never synced: they go with the tail.
  size_t end = pos;
  for (size_t q = next; q != std::string_view::npos; q = FindValidFrame(data, end)) {
    end = q + kJournalFrameHeader + *ValidFrameAt(data, q);
    ++scan.dropped_frames;
  }
  scan.dropped_bytes = end - pos;
  return scan;
}

void PutU32(std::string* out, uint32_t v) {
  char buf[4];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xFFu);
  out->append(buf, sizeof(buf));
}

void PutU64(std::string* out, uint64_t v) {
  PutU32(out, static_cast<uint32_t>(v));
  PutU32(out, static_cast<uint32_t>(v >> 32));
}

void PutBytes(std::string* out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(std::min<size_t>(s.size(), UINT32_MAX)));
  out->append(s);
}

bool GetU32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  *v = DecodeU32(in->data());
  in->remove_prefix(4);
  return true;
}

bool GetU64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = DecodeU64(in->data());
  in->remove_prefix(8);
  return true;
}

bool GetBytes(std::string_view* in, std::string_view* s) {
  std::string_view rest = *in;
  uint32_t length = 0;
  if (!GetU32(&rest, &length) || rest.size() < length) return false;
  *s = rest.substr(0, length);
  rest.remove_prefix(length);
  *in = rest;
  return true;
}

}  // namespace csvfs::core
