// crc32c (Castagnoli, reflected polynomial 0x82F63B78). Uses the SSE4.2 crc32 instruction when
// this file is compiled with -msse4.2 (CMake does so on x86_64), else a byte-wise table.
#include "core/crc32c.h"

#include <cstring>

#include "core/journal.h"

#ifdef __SSE4_2__
#include <nmmintrin.h>
#endif

namespace csvfs::core {
namespace internal {
namespace {

constexpr uint32_t kCastagnoliPoly = 0x82F63B78u;

struct CrcTable {
  uint32_t entry[256];
};

constexpr CrcTable MakeCrcTable() {
  CrcTable table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) {
      c = (c & 1) ? (c >> 1) ^ kCastagnoliPoly : c >> 1;
    }
    table.entry[i] = c;
  }
  return table;
}

constexpr CrcTable kCrcTable = MakeCrcTable();

}  // namespace

uint32_t Crc32cSoftware(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t l = ~crc;
  for (size_t i = 0; i < n; ++i) {
    l = kCrcTable.entry[(l ^ p[i]) & 0xFFu] ^ (l >> 8);
  }
  return ~l;
}

#ifdef __SSE4_2__

bool Crc32cHasHardware() { return true; }

uint32_t Crc32cHardware(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t l = ~crc;
  // Byte steps up to an 8-byte boundary, then whole words, then the tail.
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    l = _mm_crc32_u8(l, *p++);
    --n;
  }
  uint64_t l64 = l;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof(word));
    l64 = _mm_crc32_u64(l64, word);
  }
  l = static_cast<uint32_t>(l64);
  for (; n > 0; --n) l = _mm_crc32_u8(l, *p++);
  return ~l;
}

#else

bool Crc32cHasHardware() { return false; }

uint32_t Crc32cHardware(uint32_t crc, const void* data, size_t n) {
  return Crc32cSoftware(crc, data, n);
}

#endif  // __SSE4_2__

}  // namespace internal

uint32_t Crc32c(uint32_t crc, const void* data, size_t n) {
  return internal::Crc32cHardware(crc, data, n);
}

}  // namespace csvfs::core
