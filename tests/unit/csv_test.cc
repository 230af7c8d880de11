// Tests of the CSV codec: exact spans, errors, incremental == whole-buffer scanning, and an
// independent byte-at-a-time reference model that the (SIMD) scanner must agree with.
#include "core/csv.h"

#include <cstdio>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/csv_internal.h"

namespace csvfs::core {
namespace {

using std::literals::string_view_literals::operator""sv;

std::string Dump(const std::vector<RecordSpan>& v) {
  std::string s;
  for (const RecordSpan& r : v) {
    s += "[" + std::to_string(r.begin) + "," + std::to_string(r.end) + "," +
         std::to_string(r.next) + ":" + std::to_string(r.fields) + "]";
  }
  return s;
}

struct Scanned {  // the outcome of a scan
  Status status;
  std::vector<RecordSpan> spans;
};

Scanned Whole(std::string_view s) {
  Scanned o;
  o.status = ScanRecords(s, &o.spans);
  return o;
}

// Feeds s to a CsvScanner cut at `cuts` (increasing) and converts the records to spans.
Scanned Incremental(std::string_view s, const std::vector<size_t>& cuts) {
  CsvScanner sc;
  Scanned o;
  size_t abs = 0;
  bool views_ok = true;
  auto fn = [&](std::string_view rec, const RecordSpan& sp) {
    views_ok = views_ok && sp.begin == 0 && sp.next == rec.size() && rec == s.substr(abs, sp.next);
    o.spans.push_back({abs, abs + sp.end, abs + sp.next, sp.fields});
    abs += sp.next;
  };
  size_t prev = 0;
  for (size_t cut : cuts) {
    o.status = sc.Feed(s.substr(prev, cut - prev), fn);
    if (!o.status.ok()) return o;
    prev = cut;
  }
  o.status = sc.Feed(s.substr(prev), fn);
  if (o.status.ok()) o.status = sc.Finish(fn);
  if (!views_ok) o.status = Status::Corruption("record views do not match the input");
  return o;
}

Scanned OneByteAtATime(std::string_view s) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < s.size(); ++i) cuts.push_back(i);
  return Incremental(s, cuts);
}

// Independent reference: a plain byte-at-a-time RFC 4180 state machine.
Scanned RefScan(std::string_view s) {
  enum { kStart, kPlain, kQuoted, kAfterQuote, kCr } st = kStart;
  Scanned r;
  size_t begin = 0;
  uint32_t fields = 1;
  uint64_t line = 1, rec_line = 1;
  auto fail = [&r](size_t offset, uint64_t ln) {
    r.status = Status::Invalid("line " + std::to_string(ln) + ", byte " + std::to_string(offset));
    return r;
  };
  auto end_record = [&](size_t end, size_t next) {
    r.spans.push_back({begin, end, next, fields});
    begin = next, fields = 1, st = kStart, rec_line = ++line;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const char b = s[i];
    if (st == kCr) {
      if (b != '\n') return fail(i - 1, line);
      end_record(i - 1, i + 1);
    } else if (b == '\0') {
      return fail(i, line);
    } else if (st == kQuoted) {
      st = b == '"' ? kAfterQuote : kQuoted;
      if (b == '\n') ++line;
    } else if (b == '"') {
      if (st == kPlain) return fail(i, line);
      st = kQuoted;
    } else if (b == ',' || b == '\n' || b == '\r') {
      if (b == ',') ++fields, st = kStart;
      if (b == '\n') end_record(i, i + 1);
      if (b == '\r') st = kCr;
    } else {
      if (st == kAfterQuote) return fail(i, line);
      st = kPlain;
    }
  }
  if (st == kQuoted) return fail(begin, rec_line);
  if (st == kCr) return fail(s.size() - 1, line);
  if (begin < s.size()) r.spans.push_back({begin, s.size(), s.size(), fields});
  return r;
}

// (line, byte) from a "line N, byte O: ..." message.
std::pair<uint64_t, size_t> ErrorPos(const Status& st) {
  unsigned long long line = 0, offset = 0;
  if (std::sscanf(st.message().c_str(), "line %llu, byte %llu", &line, &offset) != 2) return {};
  return {line, offset};
}

// Concatenating the spans' bytes (with terminators) must give back the input exactly.
void CheckTiles(std::string_view s, const std::vector<RecordSpan>& spans) {
  std::string joined;
  size_t expect_begin = 0;
  for (const RecordSpan& r : spans) {
    CHECK(r.begin == expect_begin);
    CHECK(EolBytes(r.eol()) == s.substr(r.end, r.next - r.end));
    joined += s.substr(r.begin, r.next - r.begin);
    expect_begin = r.next;
  }
  CHECK(joined == s);
}

// Whole, one-byte and reference scans of s must all agree; returns the whole scan.
Scanned CheckAgree(std::string_view s) {
  INFO("input: " << std::string(s));
  Scanned whole = Whole(s);
  Scanned bytes = OneByteAtATime(s);
  Scanned ref = RefScan(s);
  CHECK(whole.status.ok() == ref.status.ok());
  CHECK(bytes.status.message() == whole.status.message());
  CHECK(Dump(bytes.spans) == Dump(whole.spans));
  CHECK(Dump(ref.spans) == Dump(whole.spans));
  if (!ref.status.ok()) CHECK(ErrorPos(whole.status) == ErrorPos(ref.status));
  if (whole.status.ok()) CheckTiles(s, whole.spans);
  return whole;
}

struct Rng {
  uint64_t x;
  uint64_t Next() {  // splitmix64
    uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
};

std::string RandomField(Rng& rng) {
  // Also bytes >= 0x80, some of which equal a special byte but for bit 7.
  static const char kAlphabet[] = {'a', ',', '"', '\n', '\r', 'x', ' ', '\xc3', '\xa9',
                                   '\xa2', '\xac', '\x8a', '\x8d', '\x80', '\xff'};
  std::string f;
  const size_t n = rng.Below(4) == 0 ? rng.Below(80) : rng.Below(6);
  for (size_t i = 0; i < n; ++i) f += kAlphabet[rng.Below(rng.Below(2) ? 15 : 2)];
  return f;
}

// A valid table of random records with random line endings.
std::string RandomTable(Rng& rng, std::vector<std::vector<std::string>>* rows,
                        size_t max_rows = 8) {
  std::string s;
  const size_t n = rng.Below(max_rows);
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> row(1 + rng.Below(5));
    for (std::string& f : row) f = RandomField(rng);
    const bool none = i + 1 == n && rng.Below(3) == 0;  // no final newline
    s += EncodeRecord(row, none ? LineEnding::kNone : LineEnding(1 + rng.Below(2)));
    rows->push_back(std::move(row));
  }
  return s;
}

const char* const kTricky[] = {
    "a,b\n", "\n", "\n\n", "a\r\nb\nc\r\n", "a,b", "\"a,b\",\"c\"\"d\"\n", "\"x\ny\",z\r\n",
    ",,\n", "\"\"\n", "\"\"", "\xc3\xa9,\xe6\x97\xa5\xe6\x9c\xac\n", "\"a\r\nb\"", "x,\"\",\r\n",
    "a,\"b\"\r\n\"c\"\"\",\n", "\"\"\"\"", "h1,h2\r\n1,\"two\nlines\"\r\n3,4"};

TEST_CASE("csv: empty buffer, simple records: exact spans and field counts") {
  CHECK(Whole("").spans.empty());
  CHECK(Whole("").status.ok());
  CHECK(Dump(Whole("\n").spans) == "[0,0,1:1]");
  CHECK(Dump(Whole("a,b\r\nc").spans) == "[0,3,5:2][5,6,6:1]");
  CHECK(Dump(Whole("\"x\"\"\r\n\",,\n").spans) == "[0,9,10:3]");
  CHECK(Whole("a\r\n").spans[0].eol() == LineEnding::kCRLF);
  CHECK(Whole("a\n").spans[0].eol() == LineEnding::kLF);
  CHECK(Whole("a").spans[0].eol() == LineEnding::kNone);
  CHECK(Whole(",\n").spans[0].fields == 2);
  CHECK(Whole("a,\"b,c\",\"d\ne\",f").spans[0].fields == 4);
  CHECK(Whole("1,2,3,4,5,6,7,8\r\n").spans[0].fields == 8);
}

// Also: Encode(Split(r)) parses back to the same values.
TEST_CASE("csv: tricky inputs tile exactly, scan the same incrementally, re-encode") {
  for (const char* s : kTricky) {
    const Scanned w = CheckAgree(s);
    CHECK(w.status.ok());
    for (const RecordSpan& r : w.spans) {
      std::vector<std::string> values, again;
      REQUIRE(SplitFields(std::string_view(s).substr(r.begin, r.end - r.begin), &values).ok());
      const std::string enc = EncodeRecord(values, LineEnding::kLF);
      const Scanned e = Whole(enc);
      REQUIRE(e.spans.size() == 1);
      REQUIRE(SplitFields(std::string_view(enc).substr(0, e.spans[0].end), &again).ok());
      CHECK(again == values);
    }
  }
}

TEST_CASE("csv: errors name the line and the byte offset") {
  struct Case { std::string in; uint64_t line; size_t offset; const char* reason; };
  const Case cases[] = {
      {"ab\"c\n", 1, 2, "stray"},
      {"x\ny\n\"ab\"c\n", 3, 8, "after a closing quote"},
      {"a\n\"x\ny\"z\n", 3, 7, "after a closing quote"},
      {"a\rb\n", 1, 1, "CR not followed by LF"},
      {"a\nb\r", 2, 3, "CR not followed by LF"},
      {std::string("a\n\"x\0\"\n", 7), 2, 4, "NUL"},
      {std::string("a,\0\n", 4), 1, 2, "NUL"},
      {"a\n\"abc\ndef", 2, 2, "unterminated"},
      {"a\nb,\"c\"\"\n", 2, 2, "unterminated"},
  };
  for (const Case& c : cases) {
    INFO("input: " << c.in);
    std::vector<RecordSpan> ignored;
    const Status st = ScanRecords(c.in, &ignored);
    CHECK(st.code() == Code::kInvalid);
    CHECK(ErrorPos(st) == std::make_pair(c.line, c.offset));  // "line N, byte O: ..."
    CHECK(st.message().find(c.reason) != std::string::npos);
    CheckAgree(c.in);
  }
  std::vector<RecordSpan> spans;
  const Status st = ScanRecords("a\n\"b", &spans, 10);
  CHECK(ErrorPos(st) == std::make_pair(uint64_t{11}, size_t{2}));
  CHECK(Dump(spans) == "[0,1,2:1]");  // records before the bad one are kept
}

TEST_CASE("csv: scanner keeps a pending remainder and decides a CR at a chunk end later") {
  CsvScanner sc;
  std::string got;  // each record as <bytes>[span]
  auto fn = [&got](std::string_view r, const RecordSpan& sp) {
    got += "<" + std::string(r) + ">" + Dump({sp});
  };
  REQUIRE(sc.Feed("a,\"b\nc", fn).ok());
  CHECK(sc.in_quotes());
  CHECK(sc.pending() == "a,\"b\nc");
  CHECK(sc.line() == 2);
  REQUIRE(sc.Feed("\"\r", fn).ok());
  CHECK(got.empty());
  CHECK(!sc.in_quotes());
  REQUIRE(sc.Feed("\nd", fn).ok());
  CHECK(got == "<a,\"b\nc\"\r\n>[0,7,9:2]");
  CHECK(sc.pending() == "d");
  REQUIRE(sc.Finish(fn).ok());
  CHECK(got == "<a,\"b\nc\"\r\n>[0,7,9:2]<d>[0,1,1:1]");
  CHECK(sc.pending().empty());

  REQUIRE(sc.Feed("x\r", fn).ok());
  CHECK(ErrorPos(sc.Feed("y", fn)) == std::make_pair(uint64_t{1}, size_t{1}));
  CHECK(sc.Feed("\n", fn).code() == Code::kInvalid);  // unusable until Reset()
  sc.Reset();
  REQUIRE(sc.Feed("\"open", fn).ok());
  const Status fin = sc.Finish(fn);
  CHECK(fin.code() == Code::kInvalid);
  CHECK(fin.message().find("unterminated quoted field") != std::string::npos);
}

// A valid table: its records decode to `rows` and re-encode to the same bytes.
void CheckRoundTrip(std::string_view s, const std::vector<std::vector<std::string>>& rows) {
  const Scanned w = Whole(s);
  REQUIRE(w.spans.size() == rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const RecordSpan& r = w.spans[i];
    std::vector<std::string> values;
    REQUIRE(SplitFields(s.substr(r.begin, r.end - r.begin), &values).ok());
    CHECK(values == rows[i]);
    CHECK(r.fields == rows[i].size());
    CHECK(EncodeRecord(values, r.eol()) == s.substr(r.begin, r.next - r.begin));
  }
}

// Random inputs: half over a small alphabet, half valid tables (a quarter of them with one
// byte changed). Whole == one byte at a time == random splits == reference, and unchanged
// tables round trip. Returns how many inputs were valid.
int RandomAgreement(uint64_t seed, int iterations, size_t max_rows) {
  static const char kAlphabet[] = {'a', ',', '"', '\n', '\r', 'x', '\0'};
  Rng rng{seed};
  int valid = 0;
  for (int iter = 0; iter < iterations; ++iter) {
    std::string s;
    if (iter % 2 == 0) {
      const size_t n = rng.Below(iter % 10 == 0 ? 40 * max_rows : 40);
      for (size_t i = 0; i < n; ++i) s += kAlphabet[rng.Below(rng.Below(50) == 0 ? 7 : 6)];
    } else {
      std::vector<std::vector<std::string>> rows;
      s = RandomTable(rng, &rows, max_rows);
      if (rng.Below(4) != 0) CheckRoundTrip(s, rows);
      if (rng.Below(4) == 0 && !s.empty()) s[rng.Below(s.size())] = kAlphabet[rng.Below(7)];
    }
    Scanned whole = CheckAgree(s);
    valid += whole.status.ok();
    std::vector<size_t> cuts;
    for (size_t at = rng.Below(8); at < s.size(); at += 1 + rng.Below(70)) cuts.push_back(at);
    Scanned split = Incremental(s, cuts);
    INFO("input: " << s);
    CHECK(split.status.message() == whole.status.message());
    CHECK(Dump(split.spans) == Dump(whole.spans));
  }
  return valid;
}

TEST_CASE("csv: random inputs agree across whole, incremental and reference scans") {
  for (int level : {0, 1, 2}) {  // scalar, SSE2, AVX2 block scanners (as far as available)
    INFO("simd level " << csv_internal::SetSimdLevel(level));
    CHECK(RandomAgreement(42, 3000, 8) > 1000);
    CHECK(RandomAgreement(43, 400, 60) > 150);  // long inputs: many full 64-byte blocks
  }
  csv_internal::SetSimdLevel(-1);
}

TEST_CASE("csv: SplitFields and FieldValue decode values") {
  std::vector<std::string> v;
  REQUIRE(SplitFields("a,\"b,\"\"c\"\"\",,\"x\r\ny\"", &v).ok());
  CHECK(v == std::vector<std::string>{"a", "b,\"c\"", "", "x\r\ny"});
  REQUIRE(SplitFields("", &v).ok());
  CHECK(v == std::vector<std::string>{""});
  REQUIRE(SplitFields("\"\"", &v).ok());
  CHECK(v == std::vector<std::string>{""});
  for (std::string_view bad : {"a\"b"sv, "\"a\"b"sv, "\"ab"sv, "a\nb"sv, "a\r"sv, "a\0"sv}) {
    CHECK(SplitFields(bad, &v).code() == Code::kInvalid);
  }
  CHECK(FieldValue("k,\"v\"\"1\"", 1).value() == "v\"1");
  CHECK(FieldValue("k,\"v\"\"1\"", 0).value() == "k");
  CHECK(FieldValue("k,v,", 2).value().empty());
  CHECK(FieldValue("k,v", 2).status().code() == Code::kNotFound);
  CHECK(FieldValue("\"k", 0).status().code() == Code::kInvalid);
}

TEST_CASE("csv: EncodeRecord quotes only where needed") {
  using V = std::vector<std::string>;
  CHECK(EncodeRecord(V{"a", "b c", "\xc3\xa9"}, LineEnding::kLF) == "a,b c,\xc3\xa9\n");
  CHECK(EncodeRecord(V{"a,b"}, LineEnding::kNone) == "\"a,b\"");
  CHECK(EncodeRecord(V{"say \"hi\""}, LineEnding::kLF) == "\"say \"\"hi\"\"\"\n");
  CHECK(EncodeRecord(V{"a\rb", "c\nd"}, LineEnding::kCRLF) == "\"a\rb\",\"c\nd\"\r\n");
  CHECK(EncodeRecord(V{"", ""}, LineEnding::kLF) == ",\n");
  CHECK(EncodeRecord(V{"", "x"}, LineEnding::kLF) == ",x\n");
  // A record of one empty field is `""`, never an empty line (or no bytes at all).
  CHECK(EncodeRecord(V{""}, LineEnding::kLF) == "\"\"\n");
  CHECK(EncodeRecord(V{""}, LineEnding::kNone) == "\"\"");
  CHECK(EncodeRecord(V{}, LineEnding::kLF) == "\"\"\n");
  CHECK(EolBytes(LineEnding::kNone).empty());
  CHECK(EolBytes(LineEnding::kLF) == "\n");
  CHECK(EolBytes(LineEnding::kCRLF) == "\r\n");
}

TEST_CASE("csv: a 1 MiB quoted field, whole and one byte at a time") {
  std::string field;
  for (size_t i = 0; field.size() < (1u << 20); ++i) {
    field += "chunk " + std::to_string(i) + ", \"quoted\"\r\n\xc3\xa9\n";
  }
  const std::string s = "id,big\r\n1," + EncodeRecord({field}, LineEnding::kCRLF) + "2,x";
  Scanned w = Whole(s);
  REQUIRE(w.status.ok());
  REQUIRE(w.spans.size() == 3);
  CheckTiles(s, w.spans);
  Scanned b = OneByteAtATime(s);
  CHECK(b.status.ok());
  CHECK(Dump(b.spans) == Dump(w.spans));
  const RecordSpan& r = w.spans[1];
  const std::string_view rec = std::string_view(s).substr(r.begin, r.end - r.begin);
  std::vector<std::string> values;
  REQUIRE(SplitFields(rec, &values).ok());
  CHECK(values[1] == field);
  CHECK(FieldValue(rec, 1).value() == field);
}

TEST_CASE("csv: big chunks, and records longer than a chunk") {
  Rng rng{99};
  std::string s;
  std::vector<std::vector<std::string>> rows;
  while (s.size() < (300u << 10)) {
    s += RandomTable(rng, &rows, 40);
    if (!s.empty() && s.back() != '\n') s += "\n";
    if (rng.Below(20) == 0) s += "\"" + std::string(rng.Below(20000), 'l') + "\"\r\n";
  }
  const Scanned whole = Whole(s);
  REQUIRE(whole.status.ok());
  for (size_t chunk : {size_t{1000}, size_t{4095}, size_t{5000}, size_t{65536}, size_t{100001}}) {
    std::vector<size_t> cuts;
    for (size_t at = chunk; at < s.size(); at += chunk) cuts.push_back(at);
    const Scanned inc = Incremental(s, cuts);
    CHECK(inc.status.ok());
    CHECK(Dump(inc.spans) == Dump(whole.spans));
  }
  std::string bad = s;
  bad[bad.size() - 70000] = '\0';
  CHECK(Whole(bad).status.code() == Code::kInvalid);
  CHECK(Incremental(bad, {100, 70000, 200000}).status.message() == Whole(bad).status.message());
}

TEST_CASE("csv: special bytes at 64-byte block boundaries") {
  for (int level : {0, 1, 2}) {
    INFO("simd level " << csv_internal::SetSimdLevel(level));
    for (size_t pad = 0; pad < 140; ++pad) {
      const std::string p(pad, 'p');
      for (const char* tail :
           {"\"a\"\"b\",c\r\n", "\r\n", "\"x\"y", "q\"", "\"q\"\r", "\"\n\"\n"}) {
        CheckAgree(p + tail);
        CheckAgree(p + "," + tail + p + tail);
      }
    }
  }
  csv_internal::SetSimdLevel(-1);
}

}  // namespace
}  // namespace csvfs::core
