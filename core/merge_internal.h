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
std::vector<int64_t> MatchRows(bool key_mode, const std::vector<Row>& base, const Image& img);

// What the append-only merge needs of the Table, copied under the writer lock so that the
// merge can be prepared without it.
struct MergeContext {
  bool key_mode = false;
  int key_column = -1;
  bool ragged = false;
  uint64_t max_record_bytes = 0;
  static MergeContext Of(const Table& table);
};

// A rewrite merged against a snapshot `cur` that only grew by appends since the writer's
// base, waiting to be rebased onto the table as it is at commit (FinishAppendOnly).
struct AppendOnlyPlan {
  Op op;                      // new numeric rows have no id yet
  std::vector<size_t> fresh;  // entries of new rows (ids or keys to settle at commit)
  Snapshot cur;               // the version it was prepared against
  RowRef last_row;            // cur's last row
  bool tail_run = false;      // op's last entry keeps a run that ends with cur's last row
  bool no_change = false;
};

// The merge when the table only grew by appends since `base` (the same lineage), which is
// what a rewrite racing `>>` writers meets. The rows that the image holds byte for byte at
// its start and end (common prefix and suffix, compared at memory speed) are kept as runs;
// only the records between them are parsed and matched, and unchanged runs among them are
// kept as runs too. Time: one byte comparison of the table plus two passes over its rows;
// memory: the records between prefix and suffix; the op: proportional to the difference.
// Needs no lock: it reads only `cur` (immutable) and `ctx`.
// nullopt when the case is not this simple (another change raced it, the header changed,
// a key moved...): the caller then runs the general merge. Both give the same table; rows
// with identical bytes may be paired with different ids. An error: the image is invalid.
std::optional<Result<AppendOnlyPlan>> PrepareAppendOnly(const MergeContext& ctx, Snapshot cur,
                                                        const Version& base,
                                                        std::string_view image);

// Under the writer lock: rebases `plan` onto table.current() (rows appended since it was
// prepared are kept at the end) and assigns the new rows' ids. O(new rows + log). nullopt if
// anything but appends landed meanwhile or a new key was taken: run the general merge.
std::optional<MergeResult> FinishAppendOnly(const Table& table, AppendOnlyPlan plan);

}  // namespace merge_internal
}  // namespace csvfs::core
