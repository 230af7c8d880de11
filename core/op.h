// Op: one committed change, fully resolved (row ids assigned, merge decided), as written to
// the journal and applied to the Table both live and during recovery.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace csvfs::core {

struct RowData {
  std::string id;
  std::string bytes;  // the record with its terminator
};

struct RewriteEntry {
  bool keep = false;  // keep the current bytes of row `id`
  std::string id;
  std::string bytes;  // when !keep
  // keep only: this many consecutive rows of the table, as it stands when the op is applied,
  // starting with row `id` (a rewrite that left long runs alone is recorded in proportion to
  // what it changed, not to the table).
  uint64_t run = 1;
};

struct Op {
  enum class Type : uint8_t { kChange = 1, kRewrite = 2 };
  Type type = Type::kChange;
  uint64_t lsn = 0;
  int64_t time_ns = 0;
  bool set_header = false;
  std::string header;
  // kChange: applied in this order.
  std::vector<std::string> deletes;
  std::vector<RowData> updates;
  std::vector<RowData> appends;
  // kRewrite: the whole new table, in order.
  std::vector<RewriteEntry> entries;

  bool empty() const {
    return type == Type::kChange && !set_header && deletes.empty() && updates.empty() &&
           appends.empty();
  }
  std::string Encode() const;
  static Result<Op> Decode(std::string_view payload);
};

// The first frame of every journal: which BACKING it applies to and the ids of its rows.
struct JournalBase {
  uint64_t backing_size = 0;
  uint32_t backing_crc = 0;
  uint64_t lsn = 0;       // last lsn folded into BACKING
  uint64_t next_id = 1;   // numeric mode
  uint64_t number = 0;    // version number at the checkpoint
  uint64_t lineage = 1;
  int64_t mtime_ns = 0;
  uint32_t flags = 0;     // kBaseHeader | kBaseKeyMode: the options the ids were made under
  std::vector<std::pair<uint64_t, uint64_t>> id_runs;  // (first id, count) in row order

  static constexpr uint32_t kBaseHeader = 1, kBaseKeyMode = 2;

  std::string Encode() const;
  static Result<JournalBase> Decode(std::string_view payload);
  static bool IsBase(std::string_view payload) { return !payload.empty() && payload[0] == 0; }
  uint64_t IdCount() const;
};

// Compresses ids into runs of consecutive values.
std::vector<std::pair<uint64_t, uint64_t>> ToIdRuns(const std::vector<uint64_t>& ids);

}  // namespace csvfs::core
