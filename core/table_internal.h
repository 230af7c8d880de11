// Pieces shared by the Table's source files (core/table.cc: load, validation, change ops;
// core/table_rewrite.cc: rewrite ops). Not a public API.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
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

}  // namespace table_internal
}  // namespace csvfs::core
