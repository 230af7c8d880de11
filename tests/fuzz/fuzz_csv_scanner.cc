// Fuzz target: the CSV codec (core/csv.h).
//
// Input: byte 0 holds options (bits 0-1: block scanner level of the incremental run, bits 2-4:
// number of chunk-size bytes minus one, bits 5-6: line ending for EncodeRecord); then come the
// chunk-size bytes; the rest is the CSV text. Invariants:
//   - ScanRecords gives identical records and errors with every block scanner (scalar, SSE2,
//     AVX2 where the CPU has it).
//   - CsvScanner fed the text in chunks of the given sizes yields exactly ScanRecords' records
//     (bytes and spans), keeps exactly the unfinished tail pending, fails exactly when
//     ScanRecords fails (in Feed or in Finish) with the same message, and can be reused after
//     Finish.
//   - On success the records tile the text; each record splits into its field count and
//     EncodeRecord + ScanRecords + SplitFields round-trips the values. Values cut from the raw
//     text (at 0x01 bytes) round-trip through EncodeRecord as well.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/csv.h"
#include "tests/fuzz/fuzz_util.h"

namespace csvfs::core::csv_internal {
// Declared in core/csv_internal.h (not included here: it is csv.cc's implementation).
int SetSimdLevel(int level);
}  // namespace csvfs::core::csv_internal

namespace {

using csvfs::core::Code;
using csvfs::core::CsvScanner;
using csvfs::core::EncodeRecord;
using csvfs::core::FieldValue;
using csvfs::core::LineEnding;
using csvfs::core::RecordSpan;
using csvfs::core::ScanRecords;
using csvfs::core::SplitFields;
using csvfs::core::Status;
using csvfs::core::csv_internal::SetSimdLevel;
using csvfs::fuzz::ByteReader;

struct WholeScan {
  Status status;
  std::vector<RecordSpan> spans;
};

bool SameSpan(const RecordSpan& a, const RecordSpan& b) {
  return a.begin == b.begin && a.end == b.end && a.next == b.next && a.fields == b.fields;
}

WholeScan ScanWhole(std::string_view text, int level) {
  SetSimdLevel(level);
  WholeScan s;
  s.status = ScanRecords(text, &s.spans);
  return s;
}

// Chunk sizes 0..191 directly, larger values in steps of 80 bytes (up to 5232, beyond the
// scanner's 4096-byte pending pieces).
size_t ChunkSize(uint8_t b) { return b < 192 ? b : 192 + size_t(b - 192) * 80; }

// Feeds `text` to *scanner in chunks (sizes cycled from `sizes`, starting at `rotate`) and
// checks everything it yields against the whole-buffer scan `ref`.
void RunIncremental(std::string_view text, const std::vector<size_t>& sizes, size_t rotate,
                    const WholeScan& ref, CsvScanner* scanner) {
  size_t emitted = 0;      // records yielded so far
  size_t emitted_end = 0;  // text offset just past them
  auto on_record = [&](std::string_view record, const RecordSpan& span) {
    FUZZ_CHECK(emitted < ref.spans.size());
    const RecordSpan& r = ref.spans[emitted];
    FUZZ_CHECK(r.begin == emitted_end);
    FUZZ_CHECK(record == text.substr(r.begin, r.next - r.begin));
    FUZZ_CHECK(SameSpan(span, RecordSpan{0, r.end - r.begin, r.next - r.begin, r.fields}));
    ++emitted;
    emitted_end = r.next;
  };
  size_t fed = 0, zero_run = 0;
  for (size_t i = rotate; fed < text.size(); ++i) {
    size_t n = std::min(sizes[i % sizes.size()], text.size() - fed);
    zero_run = n == 0 ? zero_run + 1 : 0;
    if (zero_run > sizes.size()) n = text.size() - fed;  // all sizes are 0
    // An exact-size copy, so that ASan catches any read past the chunk.
    std::unique_ptr<char[]> chunk(n == 0 ? nullptr : new char[n]);
    std::copy_n(text.data() + fed, n, chunk.get());
    Status s = scanner->Feed(std::string_view(chunk.get(), n), on_record);
    fed += n;
    if (!s.ok()) {
      FUZZ_CHECK(!ref.status.ok());
      FUZZ_CHECK(s.code() == Code::kInvalid);
      FUZZ_CHECK(s.message() == ref.status.message());
      FUZZ_CHECK(emitted == ref.spans.size());
      FUZZ_CHECK(!scanner->Feed("a\n", on_record).ok());  // unusable until Reset()
      FUZZ_CHECK(!scanner->Finish(on_record).ok());
      scanner->Reset();
      return;
    }
    FUZZ_CHECK(scanner->pending() == text.substr(emitted_end, fed - emitted_end));
    FUZZ_CHECK(scanner->line() == 1 + size_t(std::count(text.begin(), text.begin() + fed, '\n')));
  }
  Status s = scanner->Finish(on_record);
  FUZZ_CHECK(s.ok() == ref.status.ok());
  FUZZ_CHECK(emitted == ref.spans.size());
  if (!s.ok()) {
    FUZZ_CHECK(s.message() == ref.status.message());
    scanner->Reset();
    return;
  }
  FUZZ_CHECK(emitted_end == text.size());
  FUZZ_CHECK(scanner->pending().empty() && scanner->line() == 1);  // reset by Finish
}

// The records of a successful scan tile the text, with well-formed terminators.
void CheckTiling(std::string_view text, const std::vector<RecordSpan>& spans) {
  std::string joined;
  size_t pos = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    const RecordSpan& r = spans[i];
    FUZZ_CHECK(r.begin == pos && r.begin <= r.end && r.end <= r.next && r.begin < r.next);
    FUZZ_CHECK(r.fields >= 1);
    std::string_view eol = text.substr(r.end, r.next - r.end);
    FUZZ_CHECK(eol == "\n" || eol == "\r\n" || (eol.empty() && i + 1 == spans.size()));
    joined.append(text.substr(r.begin, r.next - r.begin));
    pos = r.next;
  }
  FUZZ_CHECK(pos == text.size());
  FUZZ_CHECK(joined == text);
}

// EncodeRecord(values) scans as exactly one record that splits back into `values`.
void CheckEncodeRoundTrip(const std::vector<std::string>& values, LineEnding eol) {
  const std::string encoded = EncodeRecord(values, eol);
  std::vector<RecordSpan> spans;
  FUZZ_CHECK(ScanRecords(encoded, &spans).ok());
  FUZZ_CHECK(spans.size() == 1);
  FUZZ_CHECK(spans[0].begin == 0 && spans[0].next == encoded.size());
  FUZZ_CHECK(spans[0].eol() == eol);
  FUZZ_CHECK(spans[0].fields == std::max<size_t>(values.size(), 1));
  std::vector<std::string> decoded;
  FUZZ_CHECK(SplitFields(std::string_view(encoded).substr(0, spans[0].end), &decoded).ok());
  if (values.empty()) {
    FUZZ_CHECK(decoded == std::vector<std::string>{""});
  } else {
    FUZZ_CHECK(decoded == values);
  }
}

// Each record of a successful scan splits into its field count; the values round-trip.
void CheckFields(std::string_view text, const std::vector<RecordSpan>& spans, LineEnding eol) {
  std::vector<std::string> fields;
  for (const RecordSpan& r : spans) {
    std::string_view record = text.substr(r.begin, r.end - r.begin);
    FUZZ_CHECK(SplitFields(record, &fields).ok());
    FUZZ_CHECK(fields.size() == r.fields);
    for (size_t i = 0; i < fields.size() && i < 4; ++i) {
      auto value = FieldValue(record, i);
      FUZZ_CHECK(value.ok() && value.value() == fields[i]);
    }
    FUZZ_CHECK(FieldValue(record, fields.size()).status().code() == Code::kNotFound);
    CheckEncodeRoundTrip(fields, eol);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader in(data, size);
  const uint8_t options = in.Byte();
  const int level = options & 3;
  std::vector<size_t> sizes(((options >> 2) & 7) + 1);
  for (size_t& s : sizes) s = ChunkSize(in.Byte());
  const LineEnding eol = static_cast<LineEnding>(((options >> 5) & 3) % 3);
  const std::string_view text = in.Rest();

  const WholeScan ref = ScanWhole(text, 0);
  for (int other = 1; other <= 2; ++other) {
    const WholeScan s = ScanWhole(text, other);
    FUZZ_CHECK(s.status.ok() == ref.status.ok());
    FUZZ_CHECK(s.status.message() == ref.status.message());
    FUZZ_CHECK(s.spans.size() == ref.spans.size());
    for (size_t i = 0; i < s.spans.size(); ++i) FUZZ_CHECK(SameSpan(s.spans[i], ref.spans[i]));
  }
  FUZZ_CHECK(ref.status.ok() || ref.status.code() == Code::kInvalid);

  SetSimdLevel(level);
  CsvScanner scanner;
  RunIncremental(text, sizes, 0, ref, &scanner);
  if (ref.status.ok()) {
    RunIncremental(text, sizes, 1, ref, &scanner);  // the same scanner, reset by Finish
    CheckTiling(text, ref.spans);
    CheckFields(text, ref.spans, eol);
  }

  // Arbitrary values (any bytes but NUL, which has no encoding) cut at 0x01 bytes.
  if (text.find('\0') == std::string_view::npos) {
    std::vector<std::string> values(1);
    for (char ch : text) {
      if (ch == '\x01') {
        values.emplace_back();
      } else {
        values.back().push_back(ch);
      }
    }
    CheckEncodeRoundTrip(values, eol);
  }
  return 0;
}
