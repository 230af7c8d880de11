// Pieces shared by the Table's source files (core/table.cc: load, validation, change ops;
// core/table_rewrite.cc: rewrite ops). Not a public API.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/csv.h"
#include "core/table.h"

namespace csvfs::core {

// A Version under construction by Table::Apply.
struct Table::Draft {
  std::shared_ptr<Version> v;
  bool changed_middle = false;  // anything but an append at the end
  std::vector<std::string> stamped;  // ids whose content this op changed
  std::vector<std::string> erased;   // ids this op removed
  bool prune_stamps = false;         // a rewrite: drop the stamps of rows it removed
  bool key_index_done = false;       // a rewrite that kept key_index_ up to date itself
  uint64_t appended_from = 0;        // numeric mode: the first id this op appended
};

namespace table_internal {

// A record's text: without its terminator and without empty lines kept with it.
inline std::string_view StripEol(std::string_view r) { return RecordText(r); }

inline uint32_t CountFields(std::string_view record) {
  std::vector<RecordSpan> spans;
  if (!ScanRecordsFolded(record, &spans).ok() || spans.empty()) return 0;
  return spans[0].fields;
}

// Empty lines at the end of a row or header (after its own line ending).
inline size_t TrailingBlankBytes(std::string_view r) {
  if (!r.ends_with("\n\n") && !r.ends_with("\n\r\n")) return 0;
  const std::string_view only = RecordOnly(r);
  return r.size() - size_t(only.data() - r.data()) - only.size();
}

// Empty lines before a row's text.
inline size_t LeadingBlankBytes(std::string_view r) {
  return size_t(RecordText(r).data() - r.data());
}

// 1-based line number of `offset` in `data`.
inline uint64_t LineOf(std::string_view data, uint64_t offset) {
  return 1 + uint64_t(std::count(data.begin(), data.begin() + offset, '\n'));
}


// Whether a key can be a file name under rows/.
inline bool UsableKey(std::string_view k) {
  return !k.empty() && k != "." && k != ".." && k.find('/') == std::string_view::npos &&
         k.find('\0') == std::string_view::npos && k.size() <= 255;
}

// Field `column` of a record's text, without a copy, when no field up to it is quoted (the
// common case; the text is known to be well-formed). nullopt when one is (FieldValue then
// decodes it) or when the record has fewer fields.
inline std::optional<std::string_view> PlainField(std::string_view text, int column) {
  size_t pos = 0;
  for (int i = 0; i < column; ++i) {
    const size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) return std::nullopt;
    pos = comma + 1;
  }
  const size_t end = std::min(text.find(',', pos), text.size());
  if (text.substr(0, end).find('"') != std::string_view::npos) return std::nullopt;
  return text.substr(pos, end - pos);
}

// Whether `row` (a row's bytes, with any empty lines kept with it) has `key` in `column`.
inline bool RowHasKey(std::string_view row, int column, std::string_view key) {
  const std::string_view text = RecordText(row);
  if (auto plain = PlainField(text, column)) return *plain == key;
  auto v = FieldValue(text, size_t(column));
  return v.ok() && v.value() == key;
}

}  // namespace table_internal
}  // namespace csvfs::core
