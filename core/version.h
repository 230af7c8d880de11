// Version: one immutable state of the table. Cheap to hold (a snapshot is a shared_ptr to a
// Version; no copy of the table is made), safe to read from any thread, kept alive as long as
// someone holds it. Bytes of untouched rows are served from the read-only mapping of the
// checkpoint file.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/csv.h"
#include "core/override_tree.h"
#include "core/row_block.h"
#include "core/row_stamps.h"

namespace csvfs::core {

struct BlockRange {
  std::shared_ptr<const RowBlock> block;
  uint32_t count = 0;      // rows of `block` visible in this version: [0, count)
  uint64_t raw_start = 0;  // byte offset of the block's first row when nothing is overridden
};

class Version {
 public:
  // Commit counter: increases with every commit.
  uint64_t number() const { return number_; }
  // Changes whenever a commit changes anything but appending at the end; a reader of an
  // older lineage keeps immutable bytes (the adapter maps a lineage to an inode).
  uint64_t lineage() const { return lineage_; }
  int64_t mtime_ns() const { return mtime_ns_; }
  uint64_t size() const { return size_; }        // bytes of the whole table file
  uint64_t row_count() const { return rows_; }   // data rows (header excluded)
  std::string_view header() const { return header_ ? std::string_view(*header_) : ""; }
  uint32_t field_count() const { return field_count_; }  // 0 if unknown (empty table)
  LineEnding eol() const { return eol_; }

  // Copies up to `len` bytes at `off`; returns the number copied (0 at or after the end).
  size_t Read(uint64_t off, char* buf, size_t len) const;
  // Calls fn with contiguous pieces covering [off, off+len) of the table, in order. Pieces
  // point into memory kept alive by this Version.
  void ReadPieces(uint64_t off, size_t len, const std::function<void(std::string_view)>& fn) const;

  // Iterates the data rows in table order; fn returns false to stop.
  // `id` is the row id (decimal number, or the key column's value in key mode).
  using RowFn = std::function<bool(std::string_view id, std::string_view bytes, RowRef ref)>;
  void ForEachRow(const RowFn& fn) const;
  // The same, from row `start` on (blocks are in table order by seq). O(log k) to start.
  void ForEachRowFrom(RowRef start, const RowFn& fn) const;

  // Position of the visible row `ref` among the data rows (0 = first), counting only rows
  // visible in this version. O(blocks + log k) for k overridden rows.
  uint64_t Ordinal(RowRef ref) const;
  // The visible row at position `ordinal` (nullopt at or past the end). O(blocks + log n log k).
  std::optional<RowRef> RefAt(uint64_t ordinal) const;

  // Byte offset in the table file where the row at position `ordinal` starts (size() for
  // ordinal == row_count()). O(blocks + log n log k).
  uint64_t RowOffset(uint64_t ordinal) const;
  // Position of the row that holds byte `off` (0 for the header's bytes, row_count() at or
  // past the end). O(log n) times RowOffset's cost.
  uint64_t OrdinalAt(uint64_t off) const;

  // Bytes of the row at `ref` in this version (empty optional if deleted / not visible).
  std::optional<std::string_view> RowBytes(RowRef ref) const;

  // The commit that last changed row `id`'s content (inserted, updated, re-keyed), for its
  // mtime and version number. Rows nobody changed since the table was loaded report the
  // load's stamp (the version number then and BACKING's mtime); checkpoints keep the stamps.
  // O(log k) for k rows changed since the load; says nothing about whether `id` exists.
  ChangeStamp RowChangedAt(std::string_view id) const {
    const ChangeStamp* s = stamps_.Lookup(id);
    return s != nullptr ? *s : base_stamp_;
  }
  uint64_t changed_rows() const { return stamps_.size(); }  // rows stamped one by one
  // Shape, for diagnostics and cost tests: the row blocks this version is made of, and the
  // rows whose bytes differ from their block's (replaced or deleted since the block was made).
  size_t block_count() const { return blocks_.size(); }
  uint64_t overridden_rows() const { return overrides_.size(); }
  uint64_t append_runs() const { return stamps_.append_runs(); }

 private:
  friend class Table;
  uint64_t number_ = 0;
  uint64_t lineage_ = 0;
  int64_t mtime_ns_ = 0;
  uint64_t size_ = 0;
  uint64_t rows_ = 0;
  uint32_t field_count_ = 0;
  LineEnding eol_ = LineEnding::kLF;
  int key_column_ = -1;  // >= 0 in key mode
  std::shared_ptr<const std::string> header_;
  std::vector<BlockRange> blocks_;
  OverrideTree overrides_;
  RowStamps stamps_;         // rows changed since the load
  ChangeStamp base_stamp_;   // every other row

  void IdOf(RowRef ref, std::string_view bytes, std::string* out) const;
};

using Snapshot = std::shared_ptr<const Version>;

}  // namespace csvfs::core
