// crc32c (Castagnoli, reflected polynomial 0x82F63B78). On x86_64 CPUs with SSE4.2 (checked at
// run time) it uses the crc32 instruction on three independent streams at once: the instruction
// has a latency of about three cycles but accepts one per cycle, so one dependency chain uses a
// third of it. The three partial registers are joined with multiplications by x^(8n) modulo the
// polynomial. Elsewhere, a byte-wise table.
#include "core/crc32c.h"

#include <cstring>

#include "core/journal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>
#define CSVFS_CRC_X86 1
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

#if CSVFS_CRC_X86

// Polynomials over GF(2) modulo the Castagnoli polynomial, in the reflected bit order of the
// crc register: bit 31 is x^0, bit 0 is x^31.
constexpr uint32_t kOne = 0x80000000u;

constexpr uint32_t MulMod(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (int i = 0; i < 32; ++i) {
    if (a & (kOne >> i)) product ^= b;        // a has x^i: add b * x^i
    b = (b & 1) ? (b >> 1) ^ kCastagnoliPoly : b >> 1;  // b *= x
  }
  return product;
}

// x^(8 * bytes) mod P: what appending `bytes` zero bytes multiplies a crc register by.
constexpr uint32_t ZerosOperator(uint64_t bytes) {
  uint32_t result = kOne, square = kOne >> 8;  // x^0, x^8
  for (; bytes != 0; bytes >>= 1) {
    if (bytes & 1) result = MulMod(result, square);
    square = MulMod(square, square);
  }
  return result;
}

// Bytes per stream in one round of three streams: large enough that joining (two MulMod) is
// noise, small enough that a round (48 KiB) stays in the L2 cache of any x86_64 CPU.
constexpr size_t kStream = 16 << 10;
constexpr uint32_t kStreamShift = ZerosOperator(kStream);

__attribute__((target("sse4.2"))) uint64_t Crc8(uint64_t l, const uint8_t* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  return _mm_crc32_u64(l, word);
}

__attribute__((target("sse4.2"))) uint32_t CrcHardware(uint32_t crc, const uint8_t* p, size_t n) {
  uint32_t l = ~crc;
  // Byte steps up to an 8-byte boundary, then rounds of three streams, then single words,
  // then the tail.
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    l = _mm_crc32_u8(l, *p++);
    --n;
  }
  uint64_t l64 = l;
  for (; n >= 3 * kStream; n -= 3 * kStream, p += 3 * kStream) {
    uint64_t a = l64, b = 0, c = 0;
    for (size_t i = 0; i < kStream; i += 8) {
      a = Crc8(a, p + i);
      b = Crc8(b, p + kStream + i);
      c = Crc8(c, p + 2 * kStream + i);
    }
    // Register after A|B|C = ((a * x^8S) ^ b) * x^8S ^ c, the crc being linear in its input.
    const uint32_t ab = MulMod(uint32_t(a), kStreamShift) ^ uint32_t(b);
    l64 = MulMod(ab, kStreamShift) ^ uint32_t(c);
  }
  for (; n >= 8; n -= 8, p += 8) l64 = Crc8(l64, p);
  l = static_cast<uint32_t>(l64);
  for (; n > 0; --n) l = _mm_crc32_u8(l, *p++);
  return ~l;
}

#endif  // CSVFS_CRC_X86

}  // namespace

uint32_t Crc32cSoftware(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t l = ~crc;
  for (size_t i = 0; i < n; ++i) {
    l = kCrcTable.entry[(l ^ p[i]) & 0xFFu] ^ (l >> 8);
  }
  return ~l;
}

#if CSVFS_CRC_X86

bool Crc32cHasHardware() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}

uint32_t Crc32cHardware(uint32_t crc, const void* data, size_t n) {
  if (!Crc32cHasHardware()) return Crc32cSoftware(crc, data, n);
  return CrcHardware(crc, static_cast<const uint8_t*>(data), n);
}

#else

bool Crc32cHasHardware() { return false; }

uint32_t Crc32cHardware(uint32_t crc, const void* data, size_t n) {
  return Crc32cSoftware(crc, data, n);
}

#endif  // CSVFS_CRC_X86

}  // namespace internal

uint32_t Crc32c(uint32_t crc, const void* data, size_t n) {
  return internal::Crc32cHardware(crc, data, n);
}

}  // namespace csvfs::core
