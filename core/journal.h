// Journal framing: an append-only sequence of checksummed, length-framed records.
//
// Frame layout (little endian):
//   magic   u32  0x4A465343 ("CSFJ")
//   length  u32  payload bytes
//   crc     u32  crc32c over (length bytes, payload), masked as leveldb does
//   payload length bytes
// Reading stops at the first frame that is incomplete or fails its checksum (the bad frame).
// Everything from there on is cut, as a tail that was never synced, if:
//  - nothing valid follows it: a torn tail, normal after a crash; or
//  - valid frames follow, but between the bad frame's start and the first of them lies a
//    sector that was never written (kJournalSectorBytes, aligned in file offsets): either an
//    aligned sector of zero bytes, or, when the bad frame starts inside a sector, zeros from
//    its start to the end of that sector (that sector's earlier bytes were durable before).
//    The journal is written in place into preallocated zeros, and the kernel may persist a
//    later unsynced page without an earlier one; but nothing after a never-written sector was
//    ever synced (a sync would have written that sector too), so nothing acknowledged is lost.
//    A written frame never holds such zeros: payloads hold CSV bytes (which never include NUL)
//    and binary fields with only short runs of zeros, and a frame starts with the magic.
//    JournalScan reports the valid frames cut this way (dropped_frames), for the caller to log.
// Otherwise (non-zero garbage, or zeros short of a sector, followed by a valid frame) the
// journal is corrupt in the middle: kCorruption.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace csvfs::core {

constexpr size_t kJournalFrameHeader = 12;
constexpr uint32_t kMaxJournalPayload = 1u << 30;
constexpr size_t kJournalSectorBytes = 512;  // the unit a disk writes atomically

// Appends one framed record holding `payload` to *out. kTooBig (and *out unchanged) if the
// payload is over kMaxJournalPayload: a reader would take such a frame for a torn tail, so it
// must never be written, let alone acknowledged (checked in every build, not by assert).
Status AppendJournalFrame(std::string_view payload, std::string* out);

struct JournalScan {
  std::vector<std::string_view> payloads;  // views into the scanned buffer
  uint64_t valid_bytes = 0;                // length of the valid prefix
  bool torn_tail = false;                  // bytes after valid_bytes were discarded
  // Valid frames found after a never-written sector and discarded with the tail, and the
  // bytes from valid_bytes to the end of the last of them (0, 0 for an ordinary torn tail).
  uint64_t dropped_frames = 0;
  uint64_t dropped_bytes = 0;
};

// Decodes every frame of a journal image (a whole file: offsets are file offsets).
// kCorruption on mid-log corruption.
Result<JournalScan> ScanJournal(std::string_view data);

// crc32c (Castagnoli), hardware-accelerated where available.
uint32_t Crc32c(uint32_t crc, const void* data, size_t n);
inline uint32_t Crc32c(std::string_view s) { return Crc32c(0, s.data(), s.size()); }

// Little-endian helpers for payload encoding.
void PutU32(std::string* out, uint32_t v);
void PutU64(std::string* out, uint64_t v);
// u32 length + bytes. A string over UINT32_MAX bytes cannot be encoded: its payload is then
// over kMaxJournalPayload too, and AppendJournalFrame refuses it.
void PutBytes(std::string* out, std::string_view s);
// Readers advance *in; they return false if the input is too short.
bool GetU32(std::string_view* in, uint32_t* v);
bool GetU64(std::string_view* in, uint64_t* v);
bool GetBytes(std::string_view* in, std::string_view* s);

}  // namespace csvfs::core
