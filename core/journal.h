// Journal framing: an append-only sequence of checksummed, length-framed records.
//
// Frame layout (little endian):
//   magic   u32  0x4A465343 ("CSFJ")
//   length  u32  payload bytes
//   crc     u32  crc32c over (length bytes, payload), masked as leveldb does
//   payload length bytes
// Reading stops at the first frame that is incomplete or fails its checksum. If such a bad
// frame is the file's tail (nothing valid follows it) it is a torn tail: normal after a crash,
// and it is discarded. If a complete, valid frame can be found after the bad one, the journal
// is corrupt in the middle: kCorruption.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace csvfs::core {

constexpr size_t kJournalFrameHeader = 12;
constexpr uint32_t kMaxJournalPayload = 1u << 30;

// Appends one framed record holding `payload` to *out.
void AppendJournalFrame(std::string_view payload, std::string* out);

struct JournalScan {
  std::vector<std::string_view> payloads;  // views into the scanned buffer
  uint64_t valid_bytes = 0;                // length of the valid prefix
  bool torn_tail = false;                  // bytes after valid_bytes were discarded
};

// Decodes every frame of a journal image. kCorruption on mid-log corruption.
Result<JournalScan> ScanJournal(std::string_view data);

// crc32c (Castagnoli), hardware-accelerated where available.
uint32_t Crc32c(uint32_t crc, const void* data, size_t n);
inline uint32_t Crc32c(std::string_view s) { return Crc32c(0, s.data(), s.size()); }

// Little-endian helpers for payload encoding.
void PutU32(std::string* out, uint32_t v);
void PutU64(std::string* out, uint64_t v);
void PutBytes(std::string* out, std::string_view s);  // u32 length + bytes
// Readers advance *in; they return false if the input is too short.
bool GetU32(std::string_view* in, uint32_t* v);
bool GetU64(std::string_view* in, uint64_t* v);
bool GetBytes(std::string_view* in, std::string_view* s);

}  // namespace csvfs::core
