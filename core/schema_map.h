// Carrying rows across a schema change (README "Schema changes"): a rewrite that adds,
// removes, renames or reorders columns while others commit. Rows written under one header are
// re-encoded for another by column name (renamed columns paired in order): a carried field keeps its bytes exactly (quoting
// included), an added column is empty, a removed one is dropped. Where names cannot map (a
// header missing, duplicate or empty names) the answer is kBusy: the rewrite must fail rather
// than leave rows of the wrong shape, since no commit may leave a table its own next mount
// would refuse.
//
// A UTF-8 byte order mark before the first name is ignored when names are compared (the
// header's bytes keep it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/csv.h"
#include "core/merge.h"
#include "core/op.h"
#include "core/status.h"
#include "core/version.h"

namespace csvfs::core {

class Table;

// Where each column of a new header comes from.
struct ColumnMap {
  std::vector<int> source;  // per new column: the old column's index, or -1 (added)
  bool identity = false;    // same names in the same order: records need no change
};

// Decoded column names of a header record (terminator optional; BOM ignored).
Result<std::vector<std::string>> ColumnNames(std::string_view header);

// Maps `old_header`'s columns onto `new_header`'s by name; when as many old names are gone
// as new names appeared, those are renames, paired in order. kBusy if either is empty (no
// header) or has an empty or duplicate name, or does not parse.
Result<ColumnMap> MapColumns(std::string_view old_header, std::string_view new_header);

// [begin, end) of each field of a record's text (no terminator), quotes included. The record
// must be valid CSV (as every committed record is).
std::vector<std::pair<size_t, size_t>> FieldSpans(std::string_view record, char delimiter = ',');

// `record` (with its terminator, kept as it is) re-encoded by `map`: each carried field's
// bytes exactly, added columns empty. A record that would be an empty line (one empty field)
// is written `""`.
std::string CarryRecord(std::string_view record, const ColumnMap& map, char delimiter = ',');

// Bytes of a row of the merge base by id, if the base has it.
using BaseRowFn = std::function<std::optional<std::string_view>(std::string_view id)>;

// The last step of a rewrite merge: makes every row of `op` (a kRewrite whose entries are
// decided) fit the header the commit leaves. Rows others committed since `base` are in the
// current header's shape, the writer's rows in the base header's; each row that must change
// shape is re-encoded (keep becomes false) and reported as a Conflict. Nothing to do, and
// O(1), when neither side changed the header. kBusy if a row must be carried but the names
// cannot map, or (without a header) if the rewrite changed the number of columns while
// others committed rows. Ragged tables are left alone.
Status FitRowsToHeader(const Table& table, const Version& base, const BaseRowFn& base_row,
                       Op* op, std::vector<Conflict>* conflicts);

}  // namespace csvfs::core
