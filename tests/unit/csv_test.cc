// Tests of the CSV codec: exact spans, errors, incremental == whole-buffer scanning, and an
// independent byte-at-a-time reference model that the (SIMD) scanner must agree with.
#include "core/csv.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace csvfs::core {
namespace {

std::string Dump(const std::vector<RecordSpan>& v) {
  std::string s;
  for (const RecordSpan& r : v) {
    s += "[" + std::to_string(r.begin) + "," + std::to_string(r.end) + "," +
         std::to_string(r.next) + ":" + std::to_string(r.fields) + "]";
  }
  return s;
}

struct Scanned {
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
struct Ref {
  bool ok = true;
  std::vector<RecordSpan> spans;
  uint64_t line = 0;
  size_t offset = 0;
};

Ref RefScan(std::string_view s) {
  enum { kStart, kPlain, kQuoted, kAfterQuote, kCr } st = kStart;
  Ref r;
  size_t begin = 0;
  uint32_t fields = 1;
  uint64_t line = 1, rec_line = 1;
  auto fail = [&r](size_t offset, uint64_t ln) { r.ok = false, r.offset = offset, r.line = ln; };
  auto end_record = [&](size_t end, size_t next) {
    r.spans.push_back({begin, end, next, fields});
    begin = next, fields = 1, st = kStart, rec_line = ++line;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const char b = s[i];
    if (st == kCr) {
      if (b != '\n') return fail(i - 1, line), r;
      end_record(i - 1, i + 1);
    } else if (b == '\0') {
      return fail(i, line), r;
    } else if (st == kQuoted) {
      st = b == '"' ? kAfterQuote : kQuoted;
      if (b == '\n') ++line;
    } else if (b == '"') {
      if (st == kPlain) return fail(i, line), r;
      st = kQuoted;
    } else if (b == ',') {
      ++fields, st = kStart;
    } else if (b == '\n') {
      end_record(i, i + 1);
    } else if (b == '\r') {
      st = kCr;
    } else {
      if (st == kAfterQuote) return fail(i, line), r;
      st = kPlain;
    }
  }
  if (st == kQuoted) return fail(begin, rec_line), r;
  if (st == kCr) return fail(s.size() - 1, line), r;
  if (begin < s.size()) r.spans.push_back({begin, s.size(), s.size(), fields});
  return r;
}

// (line, byte) from a "line N, byte O: ..." message.
std::pair<uint64_t, size_t> ErrorPos(const Status& st) {
  unsigned long long line = 0, offset = 0;
  if (std::sscanf(st.message().c_str(), "line %llu, byte %llu:", &line, &offset) != 2) return {};
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
  Ref ref = RefScan(s);
  CHECK(whole.status.ok() == ref.ok);
  CHECK(bytes.status.message() == whole.status.message());
  CHECK(Dump(bytes.spans) == Dump(whole.spans));
  CHECK(Dump(ref.spans) == Dump(whole.spans));
  if (!ref.ok) CHECK(ErrorPos(whole.status) == std::make_pair(ref.line, ref.offset));
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
  static const char kAlphabet[] = {'a', ',', '"', '\n', '\r', 'x', ' ', '\xc3', '\xa9'};
  std::string f;
  const size_t n = rng.Below(4) == 0 ? rng.Below(80) : rng.Below(6);
  for (size_t i = 0; i < n; ++i) f += kAlphabet[rng.Below(rng.Below(2) ? 9 : 2)];
  return f;
}

// A valid table of random records with random line endings.
std::string RandomTable(Rng& rng, std::vector<std::vector<std::string>>* rows) {
  std::string s;
  const size_t n = rng.Below(8);
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> row(1 + rng.Below(5));
    for (std::string& f : row) f = RandomField(rng);
    const bool last = i + 1 == n;
    LineEnding eol = last && rng.Below(3) == 0 ? LineEnding::kNone
                     : rng.Below(2)            ? LineEnding::kCRLF
                                               : LineEnding::kLF;
    s += EncodeRecord(row, eol);
    rows->push_back(std::move(row));
  }
  return s;
}

const char* const kTricky[] = {
    "a,b\n", "\n", "\n\n", "a\r\nb\nc\r\n", "a,b", "\"a,b\",\"c\"\"d\"\n", "\"x\ny\",z\r\n",
    ",,\n", "\"\"\n", "\"\"", "\xc3\xa9,\xe6\x97\xa5\xe6\x9c\xac\n", "\"a\r\nb\"", "x,\"\",\r\n",
    "a,\"b\"\r\n\"c\"\"\",\n", "\"\"\"\"", "h1,h2\r\n1,\"two\nlines\"\r\n3,4"};

TEST_CASE("csv: empty buffer and simple records have exact spans") {
  CHECK(Whole("").spans.empty());
  CHECK(Whole("").status.ok());
  CHECK(Dump(Whole("\n").spans) == "[0,0,1:1]");
  CHECK(Dump(Whole("a,b\r\nc").spans) == "[0,3,5:2][5,6,6:1]");
  CHECK(Dump(Whole("\"x\"\"\r\n\",,\n").spans) == "[0,9,10:3]");
  CHECK(Whole("a\r\n").spans[0].eol() == LineEnding::kCRLF);
  CHECK(Whole("a\n").spans[0].eol() == LineEnding::kLF);
  CHECK(Whole("a").spans[0].eol() == LineEnding::kNone);
}

TEST_CASE("csv: tricky inputs tile exactly and scan the same incrementally") {
  for (const char* s : kTricky) {
    Scanned w = CheckAgree(s);
    CHECK(w.status.ok());
  }
}

TEST_CASE("csv: field counts") {
  CHECK(Whole("a\n").spans[0].fields == 1);
  CHECK(Whole(",\n").spans[0].fields == 2);
  CHECK(Whole("a,\"b,c\",\"d\ne\",f").spans[0].fields == 4);
  CHECK(Whole("1,2,3,4,5,6,7,8\r\n").spans[0].fields == 8);
  CHECK(Whole("\"\",\"\"").spans[0].fields == 2);
}

TEST_CASE("csv: errors name the line and the byte offset") {
  struct Case {
    std::string in;
    uint64_t line;
    size_t offset;
    const char* reason;
  };
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
    CHECK(ErrorPos(st) == std::make_pair(c.line, c.offset));
    CHECK(st.message().find("line " + std::to_string(c.line)) != std::string::npos);
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
  std::vector<std::string> recs;
  std::vector<RecordSpan> spans;
  auto fn = [&](std::string_view r, const RecordSpan& sp) {
    recs.emplace_back(r);
    spans.push_back(sp);
  };
  REQUIRE(sc.Feed("a,\"b\nc", fn).ok());
  CHECK(recs.empty());
  CHECK(sc.in_quotes());
  CHECK(sc.pending() == "a,\"b\nc");
  CHECK(sc.line() == 2);
  REQUIRE(sc.Feed("\"\r", fn).ok());
  CHECK(recs.empty());
  CHECK(!sc.in_quotes());
  REQUIRE(sc.Feed("\nd", fn).ok());
  REQUIRE(recs.size() == 1);
  CHECK(recs[0] == "a,\"b\nc\"\r\n");
  CHECK(Dump(spans) == "[0,7,9:2]");
  CHECK(sc.pending() == "d");
  REQUIRE(sc.Finish(fn).ok());
  CHECK(recs.back() == "d");
  CHECK(Dump({spans.back()}) == "[0,1,1:1]");
  CHECK(sc.pending().empty());

  REQUIRE(sc.Feed("x\r", fn).ok());
  const Status st = sc.Feed("y", fn);
  CHECK(ErrorPos(st) == std::make_pair(uint64_t{1}, size_t{1}));
  CHECK(sc.Feed("\n", fn).code() == Code::kInvalid);  // unusable until Reset()
  sc.Reset();
  REQUIRE(sc.Feed("\"open", fn).ok());
  const Status fin = sc.Finish(fn);
  CHECK(fin.code() == Code::kInvalid);
  CHECK(fin.message().find("unterminated quoted field") != std::string::npos);
}

TEST_CASE("csv: random inputs agree across whole, incremental and reference scans") {
  static const char kAlphabet[] = {'a', ',', '"', '\n', '\r', 'x', '\0'};
  Rng rng{42};
  int valid = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    std::string s;
    if (iter % 2 == 0) {
      const size_t n = rng.Below(iter % 10 == 0 ? 300 : 40);
      for (size_t i = 0; i < n; ++i) s += kAlphabet[rng.Below(rng.Below(50) == 0 ? 7 : 6)];
    } else {
      std::vector<std::vector<std::string>> rows;
      s = RandomTable(rng, &rows);
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
  CHECK(valid > 1000);  // the generator must also produce plenty of valid inputs
}

TEST_CASE("csv: random valid tables round trip through Split and Encode") {
  Rng rng{7};
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<std::vector<std::string>> rows;
    const std::string s = RandomTable(rng, &rows);
    Scanned w = Whole(s);
    REQUIRE(w.status.ok());
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
}

TEST_CASE("csv: SplitFields and FieldValue decode values") {
  std::vector<std::string> v;
  REQUIRE(SplitFields("a,\"b,\"\"c\"\"\",,\"x\r\ny\"", &v).ok());
  CHECK(v == std::vector<std::string>{"a", "b,\"c\"", "", "x\r\ny"});
  REQUIRE(SplitFields("", &v).ok());
  CHECK(v == std::vector<std::string>{""});
  REQUIRE(SplitFields("\"\"", &v).ok());
  CHECK(v == std::vector<std::string>{""});
  CHECK(SplitFields("a\"b", &v).code() == Code::kInvalid);
  CHECK(SplitFields("\"a\"b", &v).code() == Code::kInvalid);
  CHECK(SplitFields("\"ab", &v).code() == Code::kInvalid);
  CHECK(SplitFields("a\nb", &v).code() == Code::kInvalid);
  CHECK(SplitFields("a\r", &v).code() == Code::kInvalid);
  CHECK(SplitFields(std::string("a\0", 2), &v).code() == Code::kInvalid);
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

TEST_CASE("csv: Encode(Split(r)) parses back to the same values") {
  for (const char* s : kTricky) {
    Scanned w = Whole(s);
    for (const RecordSpan& r : w.spans) {
      std::vector<std::string> values, again;
      REQUIRE(SplitFields(std::string_view(s).substr(r.begin, r.end - r.begin), &values).ok());
      const std::string enc = EncodeRecord(values, LineEnding::kLF);
      std::vector<RecordSpan> spans;
      REQUIRE(ScanRecords(enc, &spans).ok());
      REQUIRE(spans.size() == 1);
      REQUIRE(SplitFields(std::string_view(enc).substr(0, spans[0].end), &again).ok());
      CHECK(again == values);
    }
  }
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

TEST_CASE("csv: special bytes at 64-byte block boundaries") {
  for (size_t pad = 0; pad < 140; ++pad) {
    const std::string p(pad, 'p');
    for (const char* tail : {"\"a\"\"b\",c\r\n", "\r\n", "\"x\"y", "q\"", "\"q\"\r", "\"\n\"\n"}) {
      CheckAgree(p + tail);
      CheckAgree(p + "," + tail + p + tail);
    }
  }
}

}  // namespace
}  // namespace csvfs::core
