// The script language of fuzz_merge: turns fuzzer bytes into a small CSV table, into the
// changes "others" commit, and into the edits a rewriting writer makes to its copy. Every
// value is [a-z0-9]* so that records stay valid CSV and keep the table's field count.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/csv.h"
#include "tests/fuzz/fuzz_util.h"

namespace csvfs::fuzz {

// The generated table's shape (from the first script byte).
struct TableShape {
  size_t rows = 0;
  size_t cols = 1;
  bool crlf = false;
  bool final_eol = true;
  bool key_mode = false;  // key column "k" (column 0)
  std::string_view eol() const { return crlf ? "\r\n" : "\n"; }
};

inline TableShape ReadShape(ByteReader* in) {
  const uint8_t b = in->Byte();
  TableShape s;
  s.rows = b % 8;
  s.cols = 1 + (b >> 3) % 3;
  s.crlf = (b & 0x20) != 0;
  s.final_eol = (b & 0x40) == 0;
  s.key_mode = (b & 0x80) != 0;
  return s;
}

// A value of 0..3 characters from [a-z0-9] (at least `min_len`).
inline std::string ReadValue(ByteReader* in, size_t min_len = 0) {
  static constexpr std::string_view kChars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string v;
  const size_t n = std::max<size_t>(in->Byte() % 4, min_len);
  for (size_t i = 0; i < n; ++i) v.push_back(kChars[in->Byte() % kChars.size()]);
  return v;
}

// One record with `key` in column 0 (key mode) or all values read from the script.
inline std::string ReadRecord(ByteReader* in, const TableShape& shape, const std::string& key,
                              std::string_view eol) {
  std::string rec;
  for (size_t c = 0; c < shape.cols; ++c) {
    if (c > 0) rec.push_back(',');
    // A one-column record is never empty: an empty line is not a record (README "Appending").
    rec += c == 0 && shape.key_mode ? key : ReadValue(in, shape.cols == 1 ? 1 : 0);
  }
  return rec.append(eol);
}

inline std::string MakeTable(ByteReader* in, const TableShape& shape) {
  std::string t = "k";
  for (size_t c = 1; c < shape.cols; ++c) t += ",c" + std::to_string(c);
  t.append(shape.eol());
  for (size_t r = 0; r < shape.rows; ++r) {
    t += ReadRecord(in, shape, "r" + std::to_string(r), shape.eol());
  }
  if (!shape.final_eol) t.resize(t.size() - shape.eol().size());
  return t;
}

// The lines of a valid CSV text, each with its terminator (the last may lack one).
inline std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<core::RecordSpan> spans;
  FUZZ_CHECK(core::ScanRecords(text, &spans).ok());
  std::vector<std::string> lines;
  for (const auto& s : spans) lines.emplace_back(text.substr(s.begin, s.next - s.begin));
  return lines;
}

inline std::string_view EolOf(std::string_view line) {
  if (line.ends_with("\r\n")) return "\r\n";
  return line.ends_with("\n") ? "\n" : "";
}

// Replaces field `col` of `line` (keeping its terminator).
inline std::string WithField(std::string_view line, size_t col, const std::string& value) {
  std::string_view eol = EolOf(line);
  std::vector<std::string> fields;
  FUZZ_CHECK(core::SplitFields(line.substr(0, line.size() - eol.size()), &fields).ok());
  FUZZ_CHECK(col < fields.size());
  fields[col] = value;
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i > 0 ? "," : "") + fields[i];
  return out.append(eol);
}

// Applies the writer's edits (read from the script) to the lines of base's rendering and
// returns its image. New keys are "w<n>", never equal to a key others use ("o<n>").
inline std::string EditImage(ByteReader* in, const TableShape& shape, std::string_view base) {
  std::vector<std::string> lines = SplitLines(base);
  FUZZ_CHECK(!lines.empty());  // the header
  std::string header = lines.front();
  lines.erase(lines.begin());
  bool drop_final_eol = false;
  size_t new_keys = 0;
  auto new_key = [&] { return "w" + std::to_string(new_keys++); };
  auto pick = [&](size_t n) { return static_cast<size_t>(in->Byte()) % n; };
  for (int edits = 0; edits < 24 && !in->empty(); ++edits) {
    const uint8_t op = in->Byte() % 8;
    const size_t n = lines.size();
    if (op == 0 && n > 0) {  // delete a line
      lines.erase(lines.begin() + pick(n));
    } else if (op == 1 && n > 0) {  // duplicate a line (with a new key in key mode)
      std::string copy = lines[pick(n)];
      if (shape.key_mode) copy = WithField(copy, 0, new_key());
      lines.insert(lines.begin() + pick(n + 1), copy);
    } else if (op == 2 && n > 0) {  // move a line
      const size_t from = pick(n);
      std::string line = std::move(lines[from]);
      lines.erase(lines.begin() + from);
      lines.insert(lines.begin() + pick(n), std::move(line));
    } else if (op == 3 && n > 0) {  // change a field (a key becomes a new key)
      std::string& line = lines[pick(n)];
      const size_t col = pick(shape.cols);
      line = WithField(line, col,
                       col == 0 && shape.key_mode ? new_key() : ReadValue(in, shape.cols == 1 ? 1 : 0));
    } else if (op == 4) {  // insert a new line
      lines.insert(lines.begin() + pick(n + 1), ReadRecord(in, shape, new_key(), shape.eol()));
    } else if (op == 5) {  // sort the data lines
      std::sort(lines.begin(), lines.end());
    } else if (op == 6) {  // switch a line (or the header) between LF and CRLF
      const size_t i = pick(n + 1);
      std::string& line = i == n ? header : lines[i];
      std::string_view eol = EolOf(line);
      line.resize(line.size() - eol.size());
      line.append(eol == "\n" ? "\r\n" : "\n");
    } else if (op == 7 && (in->Byte() & 3) == 0 && shape.cols > 1) {  // rename a column
      header = WithField(header, 1 + pick(shape.cols - 1), "h" + ReadValue(in));
    } else if (op == 7) {
      drop_final_eol = !drop_final_eol;
    }
  }
  std::string image;
  lines.insert(lines.begin(), header);
  for (size_t i = 0; i < lines.size(); ++i) {
    image += lines[i];
    if (i + 1 < lines.size() && EolOf(lines[i]).empty()) image.append(shape.eol());
  }
  if (drop_final_eol) image.resize(image.size() - EolOf(image).size());
  return image;
}

}  // namespace csvfs::fuzz
