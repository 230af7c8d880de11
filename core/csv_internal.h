// Internals of the CSV scanner (core/csv.cc), split out to keep files short. Not an API:
// only csv.cc and the CSV tests include this file.
//
// Only five bytes matter to the record structure: '"', ',', LF, CR and NUL. Each 64-byte
// block becomes bit masks of where they are (AVX2, SSE2 or SWAR). FastBlock then handles
// a whole block with mask arithmetic: quote parity (prefix XOR) marks the quoted
// regions, and each rule of RFC 4180 is a mask test. A block that breaks a rule, or the tail
// of the input, goes through ExactBlock: a byte-exact state machine (Step) run over the set
// bits only, which also produces the error position. Blocks are the only unit of work and the
// whole state between them is a Cursor, so CsvScanner can stop and resume anywhere.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if !defined(CSVFS_CSV_NO_SIMD) && defined(__SSE2__)
#include <emmintrin.h>
#define CSVFS_CSV_SSE2 1
#endif
#if !defined(CSVFS_CSV_NO_SIMD) && defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CSVFS_CSV_AVX2 1  // compiled in always, used if the CPU has AVX2 and POPCNT
#endif
#define CSVFS_ALWAYS_INLINE inline __attribute__((always_inline))

namespace csvfs::core::csv_internal {

enum State : int { kField = 0, kQuoted = 1, kAfterQuote = 2, kCr = 3 };

enum class Err : uint8_t { kNone, kStrayQuote, kAfterQuote, kBareCr, kNul, kUnterminated };

// Scan state. Positions are relative to the buffer being scanned.
struct Cursor {
  int state = kField;
  size_t mark = 0;       // kField: field start; kAfterQuote: the quote; kCr: the CR
  size_t rec_begin = 0;  // first byte of the current record
  uint32_t fields = 1;
  uint64_t line = 1;      // line of the next byte
  uint64_t rec_line = 1;  // line of rec_begin
  Err err = Err::kNone;
  size_t err_pos = 0;
  uint64_t err_line = 0;
};

// Where each special byte occurs in a block: bit i stands for byte i.
struct Masks {
  uint64_t quote = 0, comma = 0, lf = 0, cr = 0, nul = 0;
  uint64_t All() const { return quote | comma | lf | cr | nul; }
};

// Masks of the len (<= 64) bytes at s, one byte at a time.
inline Masks MasksScalar(const char* s, size_t len) {
  Masks m;
  for (size_t i = 0; i < len; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    switch (s[i]) {
      case '"': m.quote |= bit; break;
      case ',': m.comma |= bit; break;
      case '\n': m.lf |= bit; break;
      case '\r': m.cr |= bit; break;
      case '\0': m.nul |= bit; break;
      default: break;
    }
  }
  return m;
}

inline uint32_t PopcountSwar(uint64_t x) {  // std::popcount is a call without POPCNT
  x -= (x >> 1) & 0x5555555555555555ULL;
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<uint32_t>((x * 0x0101010101010101ULL) >> 56);
}

// Bit i (< 8) set iff byte i of the little-endian word x equals the byte in `pattern` (SWAR).
inline uint64_t EqBytes8(uint64_t x, uint64_t pattern) {
  constexpr uint64_t k7f = 0x7F7F7F7F7F7F7F7FULL;
  x ^= pattern;
  const uint64_t zero_high = ~(((x & k7f) + k7f) | x | k7f);  // bit 7 of each zero byte
  return ((zero_high >> 7) * 0x0102040810204080ULL) >> 56;
}

// Instruction sets for 64-byte blocks: Load gives the masks, Pop counts bits.
struct IsaScalar {  // portable: 8 bytes at a time in a 64-bit word
  static Masks Load(const char* s) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    constexpr uint64_t kOnes = 0x0101010101010101ULL;
    Masks m;
    for (int i = 0; i < 8; ++i) {
      uint64_t x;
      std::memcpy(&x, s + 8 * i, 8);
      m.quote |= EqBytes8(x, kOnes * '"') << (8 * i);
      m.comma |= EqBytes8(x, kOnes * ',') << (8 * i);
      m.lf |= EqBytes8(x, kOnes * '\n') << (8 * i);
      m.cr |= EqBytes8(x, kOnes * '\r') << (8 * i);
      m.nul |= EqBytes8(x, 0) << (8 * i);
    }
    return m;
#else
    return MasksScalar(s, 64);
#endif
  }
  static uint32_t Pop(uint64_t x) { return PopcountSwar(x); }
};

#if CSVFS_CSV_SSE2
struct IsaSse2 {
  static uint64_t Eq16(__m128i v, __m128i c) {
    return static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, c)));
  }
  static uint64_t Eq(const __m128i v[4], __m128i c) {
    return Eq16(v[0], c) | Eq16(v[1], c) << 16 | Eq16(v[2], c) << 32 | Eq16(v[3], c) << 48;
  }
  static Masks Load(const char* s) {
    const __m128i* p = reinterpret_cast<const __m128i*>(s);
    const __m128i v[4] = {_mm_loadu_si128(p), _mm_loadu_si128(p + 1), _mm_loadu_si128(p + 2),
                          _mm_loadu_si128(p + 3)};
    Masks m;
    m.quote = Eq(v, _mm_set1_epi8('"'));
    m.comma = Eq(v, _mm_set1_epi8(','));
    m.lf = Eq(v, _mm_set1_epi8('\n'));
    const __m128i cr = _mm_set1_epi8('\r'), nul = _mm_setzero_si128();
    // CR and NUL are rare (CR: but in CRLF files): look for any first.
    __m128i r[4];
    for (int i = 0; i < 4; ++i) {
      r[i] = _mm_or_si128(_mm_cmpeq_epi8(v[i], cr), _mm_cmpeq_epi8(v[i], nul));
    }
    const __m128i rare = _mm_or_si128(_mm_or_si128(r[0], r[1]), _mm_or_si128(r[2], r[3]));
    if (_mm_movemask_epi8(rare) != 0) m.cr = Eq(v, cr), m.nul = Eq(v, nul);
    return m;
  }
  static uint32_t Pop(uint64_t x) { return PopcountSwar(x); }
};
#endif

#if CSVFS_CSV_AVX2
struct IsaAvx2 {
  __attribute__((target("avx2"))) static uint64_t Eq(__m256i lo, __m256i hi, char ch) {
    const __m256i c = _mm256_set1_epi8(ch);
    return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, c))) |
           static_cast<uint64_t>(static_cast<uint32_t>(
               _mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, c)))) << 32;
  }
  __attribute__((target("avx2"))) static Masks Load(const char* s) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + 32));
    Masks m;
    m.quote = Eq(lo, hi, '"');
    m.comma = Eq(lo, hi, ',');
    m.lf = Eq(lo, hi, '\n');
    const __m256i cr = _mm256_set1_epi8('\r'), nul = _mm256_setzero_si256();
    const __m256i rare = _mm256_or_si256(
        _mm256_or_si256(_mm256_cmpeq_epi8(lo, cr), _mm256_cmpeq_epi8(lo, nul)),
        _mm256_or_si256(_mm256_cmpeq_epi8(hi, cr), _mm256_cmpeq_epi8(hi, nul)));
    if (_mm256_movemask_epi8(rare) != 0) m.cr = Eq(lo, hi, '\r'), m.nul = Eq(lo, hi, '\0');
    return m;
  }
  __attribute__((target("popcnt"))) static uint32_t Pop(uint64_t x) {
    return static_cast<uint32_t>(__builtin_popcountll(x));
  }
};
#endif

// Bit i of the result is the parity of the bits 0..i of x.
inline uint64_t PrefixXor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  return x ^ x << 32;
}

inline bool Fail(Cursor& c, Err e, size_t pos, uint64_t line) {
  c.err = e;
  c.err_pos = pos;
  c.err_line = line;
  return false;
}

template <typename Emit>
inline void EndRecord(Cursor& c, size_t end, size_t next, Emit& emit) {
  emit(c.rec_begin, end, next, c.fields);
  c.state = kField;
  c.mark = next;
  c.rec_begin = next;
  c.fields = 1;
  c.rec_line = ++c.line;
}

// A special byte outside quotes: in an unquoted field, or right after a closing quote.
template <typename Emit>
inline bool StepOutside(Cursor& c, char ch, size_t p, Emit& emit) {
  switch (ch) {
    case ',':
      ++c.fields;
      c.state = kField;
      c.mark = p + 1;
      return true;
    case '\n': EndRecord(c, p, p + 1, emit); return true;
    case '\r':
      c.state = kCr;
      c.mark = p;
      return true;
    case '"':
      if (c.state == kField && p != c.mark) return Fail(c, Err::kStrayQuote, p, c.line);
      c.state = kQuoted;
      return true;
    default: return Fail(c, Err::kNul, p, c.line);
  }
}

// Consumes the special byte `ch` at position p (ordinary bytes since the last one skipped).
template <typename Emit>
inline bool Step(Cursor& c, char ch, size_t p, Emit& emit) {
  if (c.state == kQuoted) {
    if (ch == '"') {
      c.state = kAfterQuote;
      c.mark = p;
    } else if (ch == '\n') {
      ++c.line;
    } else if (ch == '\0') {
      return Fail(c, Err::kNul, p, c.line);
    }
    return true;
  }
  if (c.state == kField) return StepOutside(c, ch, p, emit);
  if (p != c.mark + 1) {  // an ordinary byte right after the quote or the CR
    if (c.state == kCr) return Fail(c, Err::kBareCr, c.mark, c.line);
    return Fail(c, Err::kAfterQuote, c.mark + 1, c.line);
  }
  if (c.state == kAfterQuote) return StepOutside(c, ch, p, emit);
  if (ch != '\n') return Fail(c, Err::kBareCr, c.mark, c.line);
  EndRecord(c, c.mark, p + 1, emit);
  return true;
}

// Checks the ordinary bytes between the last special byte and n.
inline bool CheckTail(Cursor& c, size_t n) {
  if ((c.state == kAfterQuote || c.state == kCr) && n != c.mark + 1) {
    if (c.state == kCr) return Fail(c, Err::kBareCr, c.mark, c.line);
    return Fail(c, Err::kAfterQuote, c.mark + 1, c.line);
  }
  return true;
}

// Consumes the special bytes (mask m) of the block at pos one by one with Step.
template <typename Emit>
inline bool ExactBlock(const char* data, size_t pos, uint64_t m, Cursor& c, Emit& emit) {
  for (; m != 0; m &= m - 1) {
    const size_t p = pos + static_cast<size_t>(std::countr_zero(m));
    if (!Step(c, data[p], p, emit)) return false;
  }
  return true;
}

// Yields the records whose LF (outside quotes) is in `lf`; `commas` and `crlf` (bit i: byte
// i-1 is a CR) are outside quotes too. Returns the number of records.
template <typename Isa, typename Emit>
CSVFS_ALWAYS_INLINE uint32_t EmitBlock(size_t pos, uint64_t lf, uint64_t commas, uint64_t crlf,
                                       Cursor& c, Emit& emit) {
  uint32_t records = 0;
  for (; lf != 0; lf &= lf - 1, ++records) {
    const int bit = std::countr_zero(lf);
    const uint64_t below = (lf & (~lf + 1)) - 1;
    c.fields += Isa::Pop(commas & below);
    commas &= ~below;
    const size_t p = pos + static_cast<size_t>(bit);
    emit(c.rec_begin, p - ((crlf >> bit) & 1), p + 1, c.fields);
    c.rec_begin = p + 1;
    c.fields = 1;
  }
  c.fields += Isa::Pop(commas);
  return records;
}

// The state after a valid block (see FastBlock).
CSVFS_ALWAYS_INLINE void LeaveBlock(size_t pos, uint64_t inq, uint64_t close, uint64_t cr,
                                    uint64_t sep, Cursor& c) {
  constexpr uint64_t kLast = uint64_t{1} << 63;
  const int entry_state = c.state;
  c.state = (inq & kLast) ? kQuoted : (close & kLast) ? kAfterQuote : (cr & kLast) ? kCr : kField;
  if (c.state == kAfterQuote || c.state == kCr) {
    c.mark = pos + 63;
  } else if (c.state == kField && sep != 0) {
    c.mark = pos + 64 - static_cast<size_t>(std::countl_zero(sep));
  } else if (c.state == kField && entry_state != kField) {
    c.mark = pos;  // unreachable for a valid block; any position but pos + 64 would do
  }
}

// Scans a 64-byte block without branching per byte: quote parity gives the quoted regions,
// and the few rules of RFC 4180 become mask tests. Returns false, having changed nothing, if
// the block breaks a rule (or has a NUL); ExactBlock then finds the error.
template <typename Isa, typename Emit>
CSVFS_ALWAYS_INLINE bool FastBlock(const Masks& m, size_t pos, Cursor& c, Emit& emit) {
  if (m.nul != 0) return false;
  constexpr uint64_t kLast = uint64_t{1} << 63;
  const uint64_t field_start = c.state == kField && c.mark == pos;
  const uint64_t after_quote = c.state == kAfterQuote;  // CheckTail: byte pos-1 is the quote
  const uint64_t after_cr = c.state == kCr;
  const uint64_t inq = PrefixXor(m.quote) ^ (c.state == kQuoted ? ~uint64_t{0} : 0);
  const uint64_t open = m.quote & inq, close = m.quote & ~inq;
  const uint64_t sep = (m.comma | m.lf) & ~inq, cr = m.cr & ~inq, lf = m.lf & ~inq;
  const uint64_t may_follow_quote = m.comma | m.lf | m.cr | open;
  uint64_t bad = open & ~((sep | close) << 1 | field_start | after_quote);
  bad |= close & ~kLast & ~(may_follow_quote >> 1);
  bad |= cr & ~kLast & ~(m.lf >> 1);
  bad |= (after_quote & ~may_follow_quote) | (after_cr & ~m.lf);
  if (bad != 0) return false;
  const uint64_t line0 = c.line;
  const uint32_t records = EmitBlock<Isa>(pos, lf, m.comma & ~inq, cr << 1 | after_cr, c, emit);
  if ((m.lf & inq) == 0) {  // usual case: every LF ends a record
    c.line += records;
    if (records != 0) c.rec_line = c.line;
  } else {
    if (lf != 0) c.rec_line = line0 + Isa::Pop(m.lf & (~uint64_t{0} >> std::countl_zero(lf)));
    c.line += Isa::Pop(m.lf);
  }
  LeaveBlock(pos, inq, close, cr, sep, c);
  return true;
}

// Scans data[pos, n) from state *cp; calls emit(begin, end, next, fields) per record.
template <typename Isa, typename Emit>
CSVFS_ALWAYS_INLINE bool ScanRangeIsa(const char* data, size_t pos, size_t n, Cursor* cp,
                                      Emit& emit) {
  Cursor c = *cp;
  bool ok = CheckTail(c, pos);
  for (; ok && pos + 64 <= n; pos += 64) {
    const Masks m = Isa::Load(data + pos);
    if (!FastBlock<Isa>(m, pos, c, emit)) {
      ok = ExactBlock(data, pos, m.All(), c, emit) && CheckTail(c, pos + 64);
    }
  }
  if (ok && pos < n) ok = ExactBlock(data, pos, MasksScalar(data + pos, n - pos).All(), c, emit);
  ok = ok && CheckTail(c, n);
  *cp = c;
  return ok;
}

#if CSVFS_CSV_AVX2
template <typename Emit>
__attribute__((target("avx2,popcnt"))) bool ScanRangeAvx2(const char* data, size_t pos, size_t n,
                                                          Cursor* cp, Emit& emit) {
  return ScanRangeIsa<IsaAvx2>(data, pos, n, cp, emit);
}
#endif

// End of input at n: the pending bytes, if any, form a last record without terminator.
template <typename Emit>
bool FinishRange(Cursor* c, size_t n, Emit& emit) {
  if (c->state == kQuoted) return Fail(*c, Err::kUnterminated, c->rec_begin, c->rec_line);
  if (c->state == kCr) return Fail(*c, Err::kBareCr, c->mark, c->line);
  if (c->rec_begin < n) EndRecord(*c, n, n, emit);
  return true;
}

// Block scanner in use (0: scalar, 1: SSE2, 2: AVX2 + POPCNT); the best one by default.
int SimdLevel();
// For tests and benchmarks: selects the block scanner, limited to what the build and the CPU
// support; returns the level now in use.
int SetSimdLevel(int level);

// Scans data[pos, n) from state *cp; calls emit(begin, end, next, fields) per record.
template <typename Emit>
bool ScanRange(const char* data, size_t pos, size_t n, Cursor* cp, Emit& emit) {
  switch (SimdLevel()) {
#if CSVFS_CSV_AVX2
    case 2: return ScanRangeAvx2(data, pos, n, cp, emit);
#endif
#if CSVFS_CSV_SSE2
    case 1: return ScanRangeIsa<IsaSse2>(data, pos, n, cp, emit);
#endif
    default: return ScanRangeIsa<IsaScalar>(data, pos, n, cp, emit);
  }
}

}  // namespace csvfs::core::csv_internal
