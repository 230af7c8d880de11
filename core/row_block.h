// RowBlock: an append-only run of rows, the unit a Version is made of. A block is either
// *mapped* (rows are consecutive byte ranges of a read-only file mapping: the checkpoint) or
// *heap* (each row's bytes live in the block's arena, or in memory kept alive elsewhere).
// Rows are identified by RowRef{block seq, index}; a block's seq orders it in the table.
//
// Thread-safety: one writer appends; readers may read rows below a count published to them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/chunked_vector.h"
#include "core/env.h"

namespace csvfs::core {

struct RowRef {
  uint32_t block = 0;
  uint32_t index = 0;
  uint64_t key() const { return (uint64_t{block} << 32) | index; }
  static RowRef FromKey(uint64_t k) { return {uint32_t(k >> 32), uint32_t(k)}; }
  bool operator==(const RowRef&) const = default;
};

class RowBlock {
 public:
  // A block over `file`'s bytes; rows are added with AddMappedRow. `origin` is where the
  // first row starts (after the header).
  static std::shared_ptr<RowBlock> NewMapped(uint32_t seq, std::shared_ptr<const ReadOnlyFile> file,
                                             uint64_t origin);
  static std::shared_ptr<RowBlock> NewHeap(uint32_t seq);

  uint32_t seq() const { return seq_; }
  size_t size() const { return ends_.size() - 1; }
  bool mapped() const { return file_ != nullptr; }
  std::string_view Row(size_t i) const {
    const char* p = mapped() ? base_ + ends_[i] : ptrs_[i];
    return {p, size_t(ends_[i + 1] - ends_[i])};
  }
  // Bytes of rows [0, i) when nothing is overridden.
  uint64_t Start(size_t i) const { return ends_[i] - ends_[0]; }
  // Numeric id of row i (0 in key mode). Consecutive ids are not stored.
  uint64_t Id(size_t i) const {
    return ids_implicit_ ? (first_id_ == 0 ? 0 : first_id_ + i) : ids_[i];
  }
  // Rows [i, j) of a mapped block are contiguous: their bytes.
  std::string_view Span(size_t i, size_t j) const {
    return {base_ + ends_[i], size_t(ends_[j] - ends_[i])};
  }

  // Writer-only.
  void AddMappedRow(uint64_t end, uint64_t id) {      // row = [previous end, end)
    // Inline for the load loop: an id continuing the implicit run needs no bookkeeping.
    const size_t n = size();
    if (!ids_implicit_ || n == 0 || id != (first_id_ == 0 ? 0 : first_id_ + n)) {
      AddId(id);
    } else if (first_id_ == 0) {
      ids_ascending_ = false;  // as AddIdAt has it: repeated 0s (key mode) do not ascend
    }
    ends_.push_back(end);
    if (id_map_) id_map_.reset();
  }
  // Mapped blocks: the last row now ends at `end` (>= its end): empty lines at the end of the
  // file join it. Only before the block is published.
  void ExtendLastMappedRow(uint64_t end) { ends_.back() = end; }
  void AddHeapRow(std::string_view bytes, uint64_t id);  // copies into the arena
  void AddRefRow(std::string_view bytes, uint64_t id);   // bytes kept alive by KeepAlive
  // Gives the rows new ids: those of `id_runs` ((first id, count) pairs, in row order) for the
  // first rows, then fresh ones from max(first_fresh, largest listed id + 1). Only before the
  // block is published; the runs must not list more ids than there are rows. Returns the next
  // unused id. O(runs) when the ids are consecutive, else O(rows).
  uint64_t Relabel(const std::vector<std::pair<uint64_t, uint64_t>>& id_runs,
                   uint64_t first_fresh);
  void KeepAlive(std::shared_ptr<const void> owner) { keep_alive_.push_back(std::move(owner)); }
  // Index of the row with numeric id `id`, if any (binary search while ids ascend).
  std::optional<uint32_t> FindId(uint64_t id) const;
  size_t MemoryBytes() const;

 private:
  explicit RowBlock(uint32_t seq) : seq_(seq) {}
  char* Allocate(size_t n);
  void AddId(uint64_t id) { AddIdAt(size(), id); }
  void AddIdAt(size_t n, uint64_t id);  // id of row n; rows before n have theirs
  // Ids first, first+1, ... of the `count` rows from row n; rows before n have theirs.
  void AddIdRun(size_t n, uint64_t first, uint64_t count);

  uint32_t seq_;
  std::shared_ptr<const ReadOnlyFile> file_;
  const char* base_ = nullptr;
  ChunkedVector<uint64_t> ends_;      // size()+1 entries
  ChunkedVector<const char*> ptrs_;   // heap blocks only
  ChunkedVector<uint64_t> ids_;   // only when !ids_implicit_
  bool ids_implicit_ = true;      // ids are first_id_, first_id_+1, ... (or all 0)
  uint64_t first_id_ = 0;
  bool ids_ascending_ = true;
  mutable std::unique_ptr<std::unordered_map<uint64_t, uint32_t>> id_map_;  // built lazily
  std::vector<std::unique_ptr<char[]>> arena_;
  char* cur_chunk_ = nullptr;
  size_t arena_used_ = 0, arena_bytes_ = 0;
  std::vector<std::shared_ptr<const void>> keep_alive_;
};

}  // namespace csvfs::core
