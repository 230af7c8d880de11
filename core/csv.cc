// RFC 4180 codec. The scanner itself is in core/csv_internal.h; ScanRecords and CsvScanner
// share it, so they agree by construction.
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
#include <atomic>
#include <string>
#include <utility>

#include "core/csv_internal.h"

namespace csvfs::core {
namespace {

using csv_internal::Cursor;
using csv_internal::Err;
using csv_internal::FinishRange;
using csv_internal::ScanRange;

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

// Block scanner level: -1 until first use, then as in csv_internal::SimdLevel().
std::atomic<int> simd_level{-1};

int BestSimdLevel() {
#if CSVFS_CSV_AVX2
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt")) return 2;
#endif
#if CSVFS_CSV_SSE2
  return 1;
#else
  return 0;
#endif
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

// CsvScanner state <-> Cursor.
Cursor MakeCursor(int state, size_t mark, uint32_t fields, uint64_t line, uint64_t rec_line) {
  Cursor c;
  c.state = state;
  c.mark = mark;
  c.fields = fields;
  c.line = line;
  c.rec_line = rec_line;
  return c;
}

// Moves chunk bytes into *pending (a partial record) in growing pieces until a record ends
// there or the chunk is used up (*done: bytes moved). Once a record has ended, *pending is
// cleared and *c rebased to chunk positions (*rebase: the shift), so that the caller scans the
// rest of the chunk in place instead of copying it.
bool FillPending(std::string_view chunk, const CsvScanner::RecordFn& fn, std::string* pending,
                 size_t* done, size_t* rebase, Cursor* c) {
  const size_t p0 = pending->size();
  auto emit = [pending, &fn](size_t begin, size_t end, size_t next, uint32_t fields) {
    fn(std::string_view(*pending).substr(begin, next - begin),
       RecordSpan{0, end - begin, next - begin, fields});
  };
  while (*done < chunk.size()) {
    const size_t from = pending->size();
    const size_t piece = std::min(chunk.size() - *done, std::max<size_t>(from, 4096));
    pending->append(chunk.substr(*done, piece));
    *done += piece;
    if (!ScanRange(pending->data(), from, pending->size(), c, emit)) return false;
    if (c->rec_begin != 0) {  // >= p0: the current record starts in chunk
      c->rec_begin -= p0;
      c->mark -= p0;
      *rebase = p0;
      pending->clear();
      return true;
    }
  }
  return true;
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

Status ScanRecordBatches(std::string_view buf, const RecordBatchFn& fn, uint64_t first_line) {
  constexpr size_t kBatch = 2048;
  constexpr size_t kPiece = size_t{1} << 20;  // a multiple of the scanner's 64-byte blocks
  std::vector<RecordSpan> batch(kBatch);
  size_t n = 0;
  bool stop = false;
  auto emit = [&](size_t begin, size_t end, size_t next, uint32_t fields) {
    batch[n++] = RecordSpan{begin, end, next, fields};
    if (n == kBatch) {
      stop = stop || !fn(batch.data(), n);
      n = 0;
    }
  };
  Cursor c;
  c.line = c.rec_line = first_line;
  // The cursor carries the scan across pieces (positions are relative to buf), so that the
  // caller can stop after a piece without the rest of the buffer being read.
  for (size_t pos = 0; pos < buf.size() && !stop; pos += kPiece) {
    if (!ScanRange(buf.data(), pos, std::min(buf.size(), pos + kPiece), &c, emit)) {
      // A caller that stopped did so at a record before the error.
      return stop ? Status::Ok() : CursorError(c, 0);
    }
  }
  if (stop) return Status::Ok();
  if (!FinishRange(&c, buf.size(), emit)) return CursorError(c, 0);
  if (n > 0) (void)fn(batch.data(), n);
  return Status::Ok();
}

Status ScanRecordsFolded(std::string_view buf, std::vector<RecordSpan>* out, uint64_t first_line) {
  const size_t first = out->size();
  CSVFS_RETURN_IF_ERROR(ScanRecords(buf, out, first_line));
  size_t w = first, blank_from = SIZE_MAX;
  for (size_t i = first; i < out->size(); ++i) {
    RecordSpan sp = (*out)[i];
    if (sp.blank()) {
      if (blank_from == SIZE_MAX) blank_from = sp.begin;
      continue;
    }
    if (blank_from != SIZE_MAX) sp.begin = blank_from;
    blank_from = SIZE_MAX;
    (*out)[w++] = sp;
  }
  out->resize(w);
  if (blank_from != SIZE_MAX && w > first) {
    RecordSpan& last = out->back();
    last.trail += buf.size() - last.next;
    last.next = buf.size();
  }
  return Status::Ok();
}

std::string_view RecordText(std::string_view r) {
  size_t b = 0, e = r.size();
  while (b < e && (r[b] == '\n' || r[b] == '\r')) ++b;
  while (e > b && (r[e - 1] == '\n' || r[e - 1] == '\r')) --e;
  return r.substr(b, e - b);
}

std::string_view RecordEol(std::string_view r) {
  const std::string_view text = RecordText(r);
  const size_t at = size_t(text.data() - r.data()) + text.size();
  if (r.substr(at).starts_with("\r\n")) return r.substr(at, 2);
  if (r.substr(at).starts_with("\n")) return r.substr(at, 1);
  return r.substr(at, 0);
}

std::string_view RecordOnly(std::string_view r) {
  const std::string_view text = RecordText(r);
  return std::string_view(text.data(), text.size() + RecordEol(r).size());
}

Status CsvScanner::Feed(std::string_view chunk, const RecordFn& fn) {
  if (failed_) return Status::Invalid("CSV scanner used after an error");
  Cursor c = MakeCursor(state_, mark_, fields_, line_, record_line_);
  size_t done = 0, rebase = 0;
  bool ok = pending_.empty() || FillPending(chunk, fn, &pending_, &done, &rebase, &c);
  if (ok && pending_.empty()) {  // no partial record: records come straight from the chunk
    offset_ += rebase;
    auto emit = [chunk, &fn](size_t begin, size_t end, size_t next, uint32_t fields) {
      fn(chunk.substr(begin, next - begin), RecordSpan{0, end - begin, next - begin, fields});
    };
    ok = ScanRange(chunk.data(), done, chunk.size(), &c, emit);
    if (ok) pending_.assign(chunk.substr(c.rec_begin));
  }
  if (!ok) {
    failed_ = true;
    return CursorError(c, offset_);
  }
  offset_ += c.rec_begin;  // 0 unless pending_ now holds the chunk's tail
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
  Cursor c = MakeCursor(state_, mark_, fields_, line_, record_line_);
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

bool CsvScanner::in_quotes() const { return state_ == csv_internal::kQuoted; }

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

namespace csv_internal {

int SimdLevel() {
  int level = simd_level.load(std::memory_order_relaxed);
  if (level < 0) simd_level.store(level = BestSimdLevel(), std::memory_order_relaxed);
  return level;
}

int SetSimdLevel(int level) {
  const int best = BestSimdLevel();
  simd_level.store(level < 0 || level > best ? best : level, std::memory_order_relaxed);
  return SimdLevel();
}

}  // namespace csv_internal
}  // namespace csvfs::core
