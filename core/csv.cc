// RFC 4180 scanner. Only five bytes matter to the record structure: '"', ',', LF, CR and
// NUL ("special" bytes). Each 64-byte block is turned into a bit mask of its special bytes
// (SSE2 where available, a table lookup otherwise) and a small state machine runs over the
// set bits only; the ordinary bytes between them are never looked at one by one. The same
// core serves ScanRecords and CsvScanner, so both agree by construction.
//
// Choices not spelled out in csv.h:
//   - Error messages read "line N, byte O: reason". N is the line of the offending byte (for
//     an unterminated quoted field: of the record start), O its offset in the input (relative
//     to buf for ScanRecords, to the first byte fed since Reset() for CsvScanner).
//   - After a CR outside quotes, a byte other than LF makes the CR the offending byte.
//   - ScanRecords leaves the records before a malformed one in *out.
//   - CsvScanner::Finish resets the scanner after success (it can take a new input).
//   - SplitFields/FieldValue take a record's text without terminator and refuse an LF or CR
//     outside quotes. EncodeRecord writes a record of one empty field (or of no fields) as
//     `""`, never as an empty line, so that it cannot vanish without a line ending; it does
//     not check for NUL bytes (no encoding exists for them; callers must refuse them).
#include "core/csv.h"

#include <algorithm>
#include <bit>
#include <string>
#include <utility>

#if defined(__SSE2__) && !defined(CSVFS_CSV_NO_SIMD)
#include <emmintrin.h>
#define CSVFS_CSV_SSE2 1
#endif

namespace csvfs::core {
namespace {

enum State : int { kField = 0, kQuoted = 1, kAfterQuote = 2, kCr = 3 };

enum class Err : uint8_t { kNone, kStrayQuote, kAfterQuote, kBareCr, kNul, kUnterminated };

const char* ErrText(Err e) {
  switch (e) {
    case Err::kNone: return "no error";
    case Err::kStrayQuote: return "stray '\"' in an unquoted field";
    case Err::kAfterQuote: return "unexpected character after a closing quote";
    case Err::kBareCr: return "CR not followed by LF (CR-only line endings are not supported)";
    case Err::kNul: return "NUL byte";
    case Err::kUnterminated: return "unterminated quoted field";
  }
  return "malformed CSV";
}

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

#if CSVFS_CSV_SSE2
inline uint64_t Eq16(__m128i v, char ch) {
  return static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(ch))));
}
#endif

// Masks of the 64 bytes at s.
inline Masks Masks64(const char* s) {
#if CSVFS_CSV_SSE2
  Masks m;
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 16 * i));
    m.quote |= Eq16(v, '"') << (16 * i);
    m.comma |= Eq16(v, ',') << (16 * i);
    m.lf |= Eq16(v, '\n') << (16 * i);
    m.cr |= Eq16(v, '\r') << (16 * i);
    m.nul |= Eq16(v, '\0') << (16 * i);
  }
  return m;
#else
  return MasksScalar(s, 64);
#endif
}

// std::popcount is a library call on baseline x86-64 (no POPCNT); this is branch-free.
inline uint32_t Popcount(uint64_t x) {
#if defined(__POPCNT__) || !defined(__x86_64__)
  return static_cast<uint32_t>(std::popcount(x));
#else
  x -= (x >> 1) & 0x5555555555555555ULL;
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<uint32_t>((x * 0x0101010101010101ULL) >> 56);
#endif
}

// Bit i of the result is the parity of the bits 0..i of x.
inline uint64_t PrefixXor(uint64_t x) {
  for (int shift = 1; shift < 64; shift *= 2) x ^= x << shift;
  return x;
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
// i-1 is a CR) are outside quotes too.
template <typename Emit>
inline void EmitBlock(size_t pos, uint64_t lf, uint64_t commas, uint64_t crlf, Cursor& c,
                      Emit& emit) {
  for (; lf != 0; lf &= lf - 1) {
    const int bit = std::countr_zero(lf);
    const uint64_t below = (lf & (~lf + 1)) - 1;
    c.fields += Popcount(commas & below);
    commas &= ~below;
    const size_t p = pos + static_cast<size_t>(bit);
    emit(c.rec_begin, p - ((crlf >> bit) & 1), p + 1, c.fields);
    c.rec_begin = p + 1;
    c.fields = 1;
  }
  c.fields += Popcount(commas);
}

// Scans a 64-byte block without branching per byte: quote parity gives the quoted regions,
// and the few rules of RFC 4180 become mask tests. Returns false, having changed nothing, if
// the block breaks a rule (or has a NUL); ExactBlock then finds the error.
template <typename Emit>
bool FastBlock(const Masks& m, size_t pos, Cursor& c, Emit& emit) {
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
  EmitBlock(pos, lf, m.comma & ~inq, cr << 1 | after_cr, c, emit);
  if (lf != 0) c.rec_line = c.line + Popcount(m.lf & (~uint64_t{0} >> std::countl_zero(lf)));
  c.line += Popcount(m.lf);
  const int last_state = c.state;
  c.state = (inq & kLast) ? kQuoted : (close & kLast) ? kAfterQuote : (cr & kLast) ? kCr : kField;
  if (c.state == kAfterQuote || c.state == kCr) {
    c.mark = pos + 63;
  } else if (c.state == kField && sep != 0) {
    c.mark = pos + 64 - static_cast<size_t>(std::countl_zero(sep));
  } else if (c.state == kField && last_state != kField) {
    c.mark = pos;  // unreachable for a valid block; any position but pos + 64 would do
  }
  return true;
}

// Scans data[pos, n) from state *cp; calls emit(begin, end, next, fields) per record.
template <typename Emit>
bool ScanRange(const char* data, size_t pos, size_t n, Cursor* cp, Emit& emit) {
  Cursor c = *cp;
  bool ok = CheckTail(c, pos);
  for (; ok && pos + 64 <= n; pos += 64) {
    const Masks m = Masks64(data + pos);
    if (!FastBlock(m, pos, c, emit)) {
      ok = ExactBlock(data, pos, m.All(), c, emit) && CheckTail(c, pos + 64);
    }
  }
  if (ok && pos < n) ok = ExactBlock(data, pos, MasksScalar(data + pos, n - pos).All(), c, emit);
  ok = ok && CheckTail(c, n);
  *cp = c;
  return ok;
}

// End of input at n: the pending bytes, if any, form a last record without terminator.
template <typename Emit>
bool FinishRange(Cursor* c, size_t n, Emit& emit) {
  if (c->state == kQuoted) return Fail(*c, Err::kUnterminated, c->rec_begin, c->rec_line);
  if (c->state == kCr) return Fail(*c, Err::kBareCr, c->mark, c->line);
  if (c->rec_begin < n) EndRecord(*c, n, n, emit);
  return true;
}

Status CursorError(const Cursor& c, uint64_t base_offset) {
  return Status::Invalid("line " + std::to_string(c.err_line) + ", byte " +
                         std::to_string(base_offset + c.err_pos) + ": " + ErrText(c.err));
}

Status FieldError(size_t pos, const char* what) {
  return Status::Invalid("byte " + std::to_string(pos) + " of the record: " + what);
}

// Parses the field at *pos (at its first byte), leaving *pos at the ',' after it or at the end.
// Appends the decoded value to *value unless it is null.
Status ParseField(std::string_view rec, size_t* pos, std::string* value) {
  size_t i = *pos;
  if (i == rec.size() || rec[i] != '"') {
    const size_t j = std::min(rec.find_first_of(std::string_view(",\"\r\n", 4), i), rec.size());
    if (j < rec.size() && rec[j] != ',') {
      return FieldError(j, rec[j] == '"' ? ErrText(Err::kStrayQuote) : "line break outside quotes");
    }
    if (value != nullptr) value->append(rec.substr(i, j - i));
    *pos = j;
    return Status::Ok();
  }
  for (++i;;) {
    const size_t q = rec.find('"', i);
    if (q == std::string_view::npos) return FieldError(*pos, ErrText(Err::kUnterminated));
    if (value != nullptr) value->append(rec.substr(i, q - i));
    i = q + 1;
    if (i == rec.size() || rec[i] != '"') break;
    if (value != nullptr) value->push_back('"');
    ++i;
  }
  if (i < rec.size() && rec[i] != ',') return FieldError(i, ErrText(Err::kAfterQuote));
  *pos = i;
  return Status::Ok();
}

Status CheckNoNul(std::string_view rec) {
  const size_t z = rec.find('\0');
  return z == std::string_view::npos ? Status::Ok() : FieldError(z, ErrText(Err::kNul));
}

bool NeedsQuotes(std::string_view f) {
  return f.find_first_of(std::string_view(",\"\r\n", 4)) != std::string_view::npos;
}

void AppendQuoted(std::string_view f, std::string* out) {
  out->push_back('"');
  for (char ch : f) {
    if (ch == '"') out->push_back('"');
    out->push_back(ch);
  }
  out->push_back('"');
}

}  // namespace

Status ScanRecords(std::string_view buf, std::vector<RecordSpan>* out, uint64_t first_line) {
  Cursor c;
  c.line = c.rec_line = first_line;
  auto emit = [out](size_t begin, size_t end, size_t next, uint32_t fields) {
    out->push_back(RecordSpan{begin, end, next, fields});
  };
  if (!ScanRange(buf.data(), 0, buf.size(), &c, emit) || !FinishRange(&c, buf.size(), emit)) {
    return CursorError(c, 0);
  }
  return Status::Ok();
}

Status CsvScanner::Feed(std::string_view chunk, const RecordFn& fn) {
  if (failed_) return Status::Invalid("CSV scanner used after an error");
  // Without a partial record pending, records are yielded straight from the chunk.
  const bool direct = pending_.empty();
  if (!direct) pending_.append(chunk);
  const std::string_view data = direct ? chunk : std::string_view(pending_);
  Cursor c;
  c.state = state_;
  c.mark = mark_;
  c.fields = fields_;
  c.line = line_;
  c.rec_line = record_line_;
  auto emit = [&data, &fn](size_t begin, size_t end, size_t next, uint32_t fields) {
    fn(data.substr(begin, next - begin), RecordSpan{0, end - begin, next - begin, fields});
  };
  if (!ScanRange(data.data(), direct ? 0 : scanned_, data.size(), &c, emit)) {
    failed_ = true;
    return CursorError(c, offset_);
  }
  if (direct) {
    pending_.assign(chunk.substr(c.rec_begin));
  } else {
    pending_.erase(0, c.rec_begin);
  }
  offset_ += c.rec_begin;
  scanned_ = pending_.size();
  state_ = c.state;
  mark_ = c.mark - c.rec_begin;
  fields_ = c.fields;
  line_ = c.line;
  record_line_ = c.rec_line;
  return Status::Ok();
}

Status CsvScanner::Finish(const RecordFn& fn) {
  if (failed_) return Status::Invalid("CSV scanner used after an error");
  Cursor c;
  c.state = state_;
  c.mark = mark_;
  c.fields = fields_;
  c.line = line_;
  c.rec_line = record_line_;
  auto emit = [this, &fn](size_t /*begin*/, size_t end, size_t next, uint32_t fields) {
    fn(pending_, RecordSpan{0, end, next, fields});
  };
  if (!FinishRange(&c, pending_.size(), emit)) {
    failed_ = true;
    return CursorError(c, offset_);
  }
  Reset();
  return Status::Ok();
}

bool CsvScanner::in_quotes() const { return state_ == kQuoted; }

void CsvScanner::Reset() { *this = CsvScanner(); }

Status SplitFields(std::string_view record, std::vector<std::string>* fields) {
  fields->clear();
  CSVFS_RETURN_IF_ERROR(CheckNoNul(record));
  for (size_t pos = 0;; ++pos) {
    std::string value;
    CSVFS_RETURN_IF_ERROR(ParseField(record, &pos, &value));
    fields->push_back(std::move(value));
    if (pos == record.size()) return Status::Ok();
  }
}

Result<std::string> FieldValue(std::string_view record, size_t index) {
  CSVFS_RETURN_IF_ERROR(CheckNoNul(record));
  for (size_t pos = 0, i = 0;; ++pos, ++i) {
    std::string value;
    CSVFS_RETURN_IF_ERROR(ParseField(record, &pos, i == index ? &value : nullptr));
    if (i == index) return value;
    if (pos == record.size()) {
      return Status::NotFound("record has " + std::to_string(i + 1) + " fields, no field " +
                              std::to_string(index + 1));
    }
  }
}

std::string EncodeRecord(const std::vector<std::string>& fields, LineEnding eol) {
  std::string out;
  if (fields.empty() || (fields.size() == 1 && fields[0].empty())) {
    out = "\"\"";  // not an empty line: with kNone it would be no bytes at all
  } else {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out.push_back(',');
      if (NeedsQuotes(fields[i])) {
        AppendQuoted(fields[i], &out);
      } else {
        out.append(fields[i]);
      }
    }
  }
  out.append(EolBytes(eol));
  return out;
}

std::string_view EolBytes(LineEnding eol) {
  switch (eol) {
    case LineEnding::kNone: return "";
    case LineEnding::kLF: return "\n";
    case LineEnding::kCRLF: return "\r\n";
  }
  return "";
}

}  // namespace csvfs::core
