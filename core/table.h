// Table: the writer's side of the table. Owns the current Version and the indexes needed to
// change it (row id -> RowRef), validates changes into Ops and applies Ops to produce new
// Versions. Used live by the Engine (under its writer mutex) and by recovery (replay).
//
// Thread-safety: not thread-safe; the caller serializes. Versions it publishes are immutable
// and may be read from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/env.h"
#include "core/key_index.h"
#include "core/op.h"
#include "core/status.h"
#include "core/version.h"

namespace csvfs::core {

struct TableConfig {
  std::string key_name;  // empty: numeric ids
  bool header = true;
  bool ragged = false;
  uint64_t max_record_bytes = 16ull << 20;
};

// Where the rows of a checkpoint file are (so a checkpoint need not be rescanned).
struct CheckpointLayout {
  uint64_t header_end = 0;
  std::vector<uint64_t> row_ends;  // end offset of each row
  std::vector<uint64_t> ids;       // numeric ids (empty in key mode)
};

class Table {
 public:
  explicit Table(TableConfig cfg);

  // Builds the first Version from a checkpoint file: scans and validates it. `ids` are the
  // numeric ids of its first rows in order; rows beyond get next_id, next_id+1, ... (only
  // allowed if !strict_ids). Errors name the file and line.
  Status Load(std::shared_ptr<const ReadOnlyFile> file, const std::vector<uint64_t>& ids,
              uint64_t next_id, const std::string& file_label, bool strict_ids);
  // After Load: gives the loaded rows the ids of `id_runs` ((first id, count) pairs in row
  // order), then fresh ones from first_fresh; with strict_ids the runs must cover every row
  // exactly (else kCorruption). O(runs) when the ids are consecutive.
  Status RelabelIds(const std::vector<std::pair<uint64_t, uint64_t>>& id_runs,
                    uint64_t first_fresh, bool strict_ids, const std::string& file_label);
  // Builds the first Version from a checkpoint whose layout is already known.
  Status LoadLayout(std::shared_ptr<const ReadOnlyFile> file, const CheckpointLayout& layout,
                    uint64_t next_id);
  // Version number, lineage and mtime the next published Version continues from.
  // Also makes (number, mtime_ns) the stamp of every row not changed after this call.
  void SetCounters(uint64_t number, uint64_t lineage, int64_t mtime_ns);
  // Takes over the per-row change stamps of `from` (an earlier Table's version of the same
  // rows, e.g. before a checkpoint reloaded them from the new file).
  void CarryStamps(const Version& from);

  const Snapshot& current() const { return current_; }
  uint64_t next_id() const { return next_id_; }
  bool key_mode() const { return !cfg_.key_name.empty(); }
  const TableConfig& config() const { return cfg_; }
  std::optional<RowRef> Find(std::string_view id) const;
  std::optional<std::string_view> RowBytes(std::string_view id) const;

  // Validation: turn a request into an Op (not yet applied). Ops get their ids here.
  Result<Op> PrepareAppend(std::string_view records);
  Result<Op> PrepareDelete(std::string_view id) const;
  Result<Op> PreparePut(std::string_view id, std::string_view record, bool create,
                        bool exclusive);
  Result<Op> PrepareRename(std::string_view from, std::string_view to, bool noreplace);

  // Applies a prepared or replayed Op and publishes the resulting Version. All or nothing:
  // on failure (an op that does not fit the table: kCorruption, kInvalid) nothing changes.
  Status Apply(const Op& op);

  // Checks one record (bytes with or without terminator) against the table's rules.
  Status CheckRecord(std::string_view record, uint32_t fields, uint32_t want_fields) const;
  // Key of a record (key mode), validated as a file name.
  Result<std::string> KeyOf(std::string_view record) const { return KeyAt(record, key_column_); }
  static Result<std::string> KeyAt(std::string_view record, int column);
  // Column index of key_name in a header record; kInvalid if absent.
  Result<int> ResolveKeyColumn(std::string_view header) const;
  // `record` without its terminator, followed by the table's line ending.
  std::string Normalize(std::string_view record) const;
  uint32_t ExpectedFields() const;
  int key_column() const { return key_column_; }

 private:
  struct Draft;  // a Version under construction
  Status CheckChange(const Op& op) const;  // every way ApplyChange could fail, checked first
  Status ApplyChange(const Op& op, Draft* d);
  Status ApplyRewrite(const Op& op, Draft* d);
  // A rewrite that keeps the current rows in order (deleting some, replacing some, appending
  // after them) applied as overrides of the current version: O(entries + changed rows, times
  // log) instead of a new block of every row. false (nothing changed) for any other shape.
  bool ApplyRewriteInPlace(const Op& op, Draft* d);
  // Adds one row to a rewrite's new block: bytes, numeric id, kept by reference (else
  // copied), whether it is the new table's last row.
  using AddRowFn = std::function<void(std::string_view, uint64_t, bool, bool)>;
  // Adds the rows of a keep-run entry (e.run rows of the current version from row e.id);
  // `last`: the entry is the op's last.
  Status KeepRun(const RewriteEntry& e, bool last, const AddRowFn& add);
  void AppendRow(Draft* d, const RowData& row);
  Status SetRow(Draft* d, RowRef ref, std::shared_ptr<const std::string> content);
  void FixMissingEol(Draft* d);
  std::string TakeTrailingBlanks(Draft* d);
  void Stamp(const Op& op, Draft* d);
  void RebuildKeyIndex();
  // Whether row `ref` of `v` has key `key` (KeyIndex's check of a fingerprint match).
  static bool RowHasKeyIn(const Version& v, RowRef ref, std::string_view key);
  uint64_t NumericId(std::string_view id) const;

  TableConfig cfg_;
  int key_column_ = -1;
  uint32_t next_seq_ = 1;
  uint64_t next_id_ = 1;
  Snapshot current_;
  std::shared_ptr<RowBlock> append_block_;  // last block, if rows can be appended to it
  KeyIndex key_index_;  // key mode only: key -> row, checked against the rows' bytes
  std::optional<RowRef> unterminated_row_;  // the last row, if it has no line ending
  bool unterminated_header_ = false;
};

}  // namespace csvfs::core
