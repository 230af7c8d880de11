// The row-level three-way merge behind every rewrite (README "Semantics in short",
// man page "Rewriting"):
// `base` is the snapshot the writer started from, `image` the whole file it produced, and the
// table's current version holds what others committed meanwhile. Rows the writer deleted are
// deleted, rows it changed are changed, rows it added are inserted where it put them, and
// every row others appended or changed is kept. A row both sides changed goes to this (later)
// writer and is reported as a Conflict. Linear in the table size plus the difference.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/op.h"
#include "core/status.h"
#include "core/version.h"

namespace csvfs::core {

class Table;

// A row changed by two writers: the later commit won; both versions are reported.
struct Conflict {
  std::string id;
  std::string theirs;  // the other writer's version of the row (empty if they deleted it)
  std::string ours;    // this writer's version (empty if this writer deleted it)
};

struct MergeResult {
  Op op;                            // a kRewrite op, or an empty op if nothing changes
  std::vector<Conflict> conflicts;
  bool no_change = false;
};

// Computes the merge of `image` (based on `base`) into `table`'s current version.
// `try_append_only`: first try the append-only path (core/merge_internal.h); false when the
// caller already prepared it against a snapshot and it did not apply (no second byte
// comparison of the table under the writer lock).
Result<MergeResult> MergeRewrite(const Table& table, const Version& base, std::string_view image,
                                 bool try_append_only = true);

}  // namespace csvfs::core
