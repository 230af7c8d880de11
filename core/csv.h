// RFC 4180 CSV codec with exact byte spans.
//
// A record is a sequence of fields separated by ',' and terminated by LF or CRLF (outside
// quotes), or by the end of the input (a missing final newline). Quoted fields may contain ',',
// '"' doubled as '""', CR and LF. The scanner never rewrites bytes: it reports where each
// record starts and ends so rows nobody changed keep their bytes forever.
//
// Refused (Status kInvalid, with 1-based line number and byte offset in the message):
//   - a '"' inside an unquoted field ("stray quote"),
//   - anything but ',' / end of record after a closing quote,
//   - a CR not followed by LF outside quotes (CR-only line endings),
//   - a NUL byte anywhere,
//   - an unterminated quoted field at the end of the input (Finish / whole-buffer scan).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace csvfs::core {

enum class LineEnding : uint8_t { kNone = 0, kLF = 1, kCRLF = 2 };

// One record inside a buffer: bytes [begin, end) are the record's text without its
// terminator; [end, next) is the terminator ("\n", "\r\n" or empty at end of input).
struct RecordSpan {
  size_t begin = 0;
  size_t end = 0;
  size_t next = 0;
  uint32_t fields = 0;  // number of fields (an empty line has 1 field)
  size_t trail = 0;     // ScanRecordsFolded: bytes of blank lines at the end of [end, next)
  LineEnding eol() const {
    const size_t t = next - trail - end;
    return t == 0 ? LineEnding::kNone : (t == 2 ? LineEnding::kCRLF : LineEnding::kLF);
  }
  // An empty line: a bare line ending, which is not a record.
  bool blank() const { return begin == end && next > end && fields == 1; }
};

// Scans a whole buffer. Appends every record to *out (spans relative to buf.data()).
// `first_line` is the line number of buf[0], used in error messages.
Status ScanRecords(std::string_view buf, std::vector<RecordSpan>* out, uint64_t first_line = 1);

// ScanRecords without empty lines as records: each run of empty lines is folded into the
// record after it ([begin, end) then starts with the run), the run at the end of the buffer
// into the last record (its `trail`). Empty lines are not records (README "Appending"):
// they keep their bytes in place, attached to a neighbour. A buffer of empty lines only gives
// no record.
Status ScanRecordsFolded(std::string_view buf, std::vector<RecordSpan>* out,
                         uint64_t first_line = 1);

// Scans a whole buffer as ScanRecords does, but hands the records to `fn` in batches of up to
// a few thousand spans (relative to buf.data(), in order, empty lines included as records)
// instead of collecting them: memory stays constant, and the per-record cost is a loop in the
// caller, not a call. `fn` returns false to stop early (the scan then returns Ok without
// looking at the rest of the buffer).
using RecordBatchFn = std::function<bool(const RecordSpan* spans, size_t n)>;
Status ScanRecordBatches(std::string_view buf, const RecordBatchFn& fn, uint64_t first_line = 1);

// `record`'s text without the empty lines folded into it and without its terminator (a
// record's text never starts or ends with CR or LF outside quotes).
std::string_view RecordText(std::string_view record);
// The record's own line ending following RecordText (empty, "\n" or "\r\n").
std::string_view RecordEol(std::string_view record);
// The record as rows/ shows it: RecordText plus its own line ending.
std::string_view RecordOnly(std::string_view record);

// Incremental scanner: fed arbitrary chunks, it yields complete records and keeps the
// remainder. Feeding a buffer in any split yields exactly what ScanRecords yields.
class CsvScanner {
 public:
  // Called with the record's bytes including its terminator, and its span relative to it.
  using RecordFn = std::function<void(std::string_view record, const RecordSpan& span)>;

  // Consumes `chunk`; calls fn for each record completed by it. On a malformed record,
  // returns kInvalid; the scanner is then unusable until Reset().
  Status Feed(std::string_view chunk, const RecordFn& fn);
  // End of input: yields the pending remainder as a last record without terminator (if any
  // bytes are pending). kInvalid if it ends inside a quoted field.
  Status Finish(const RecordFn& fn);
  // Bytes buffered that do not yet form a complete record.
  std::string_view pending() const { return pending_; }
  bool in_quotes() const;
  void Reset();
  uint64_t line() const { return line_; }  // current line number (1-based)

 private:
  std::string pending_;
  size_t scanned_ = 0;  // bytes of pending_ already examined
  int state_ = 0;       // internal state machine at pending_[scanned_]
  uint32_t fields_ = 1;
  uint64_t line_ = 1;
  uint64_t record_line_ = 1;
  size_t mark_ = 0;      // state-dependent position in pending_ (field start, quote or CR)
  uint64_t offset_ = 0;  // input offset of pending_[0], for error messages
  bool failed_ = false;
};

// Decodes a record's text (without terminator) into field values.
Status SplitFields(std::string_view record, std::vector<std::string>* fields);
// Decoded value of field `index` (0-based) of a record; kNotFound if it has fewer fields.
Result<std::string> FieldValue(std::string_view record, size_t index);
// Encodes field values as one record (quoting only where needed), followed by `eol`.
std::string EncodeRecord(const std::vector<std::string>& fields, LineEnding eol);
// The terminator bytes of a line ending.
std::string_view EolBytes(LineEnding eol);

// A UTF-8 byte order mark: kept as bytes at the start of a table, ignored when column names
// are matched.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
inline std::string_view StripBom(std::string_view text) {
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  return text;
}

}  // namespace csvfs::core
