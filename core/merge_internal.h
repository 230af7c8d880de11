// Pieces shared by the two paths of the rewrite merge (core/merge.h): the general three-way
// merge (merge.cc) and the append-only fast path (merge_append_only.cc). Not a public API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/merge.h"
#include "core/status.h"
#include "core/version.h"

namespace csvfs::core {

class Table;

namespace merge_internal {

struct Row {
  std::string id;
  std::string_view bytes;  // with terminator
};

// The writer's records, parsed and validated.
struct Image {
  bool has_header = false;
  std::string header;
  std::vector<std::string> records;  // normalized (with terminator)
  std::vector<std::string> keys;     // key mode
};

constexpr int64_t kNew = -1;

// For each image record, the base row it continues (or kNew): by key in key mode, else by
// identical content first, then by similarity to the rows between its neighbours' matches.
std::vector<int64_t> MatchRows(const Table& table, const std::vector<Row>& base,
                               const Image& img);

// The merge when the table only grew by appends since `base` (the same lineage), which is
// what a rewrite racing `>>` writers meets. The rows that the image holds byte for byte at
// its start and end (common prefix and suffix, compared at memory speed) are kept as runs;
// only the records between them are parsed and matched. Time: one byte comparison of the
// table plus two passes over its rows; memory and the op: proportional to the difference.
// nullopt when the case is not this simple (another change raced it, the header changed,
// a key moved...): the caller then runs the general merge. Both give the same table; rows
// with identical bytes may be paired with different ids.
std::optional<Result<MergeResult>> MergeAppendOnly(const Table& table, const Version& base,
                                                    std::string_view image);

}  // namespace merge_internal
}  // namespace csvfs::core
