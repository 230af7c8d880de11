#include "core/row_block.h"

#include <algorithm>
#include <cstring>

namespace csvfs::core {

namespace {
constexpr size_t kArenaChunk = 1 << 20;
}

std::shared_ptr<RowBlock> RowBlock::NewMapped(uint32_t seq,
                                              std::shared_ptr<const ReadOnlyFile> file,
                                              uint64_t origin) {
  std::shared_ptr<RowBlock> b(new RowBlock(seq));
  b->base_ = file->data().data();
  b->file_ = std::move(file);
  b->ends_.push_back(origin);
  return b;
}

std::shared_ptr<RowBlock> RowBlock::NewHeap(uint32_t seq) {
  std::shared_ptr<RowBlock> b(new RowBlock(seq));
  b->ends_.push_back(0);
  return b;
}

void RowBlock::AddIdAt(size_t n, uint64_t id) {
  if (n > 0 && id <= Id(n - 1)) ids_ascending_ = false;
  if (ids_implicit_) {
    if (n == 0) first_id_ = id;
    if (first_id_ == 0 ? id == 0 : id == first_id_ + n) return;
    for (size_t i = 0; i < n; ++i) ids_.push_back(Id(i));
    ids_implicit_ = false;
  }
  ids_.push_back(id);
}

void RowBlock::AddIdRun(size_t n, uint64_t first, uint64_t count) {
  if (count == 0) return;
  // Implicit ids stay implicit (no per-row work) when the run continues them.
  if (ids_implicit_ && first != 0 && (n == 0 || (first_id_ != 0 && first == first_id_ + n))) {
    if (n == 0) first_id_ = first;
    return;
  }
  for (uint64_t k = 0; k < count; ++k) AddIdAt(n + k, first + k);
}

uint64_t RowBlock::Relabel(const std::vector<std::pair<uint64_t, uint64_t>>& id_runs,
                           uint64_t first_fresh) {
  ids_.clear();
  ids_implicit_ = true;
  ids_ascending_ = true;
  first_id_ = 0;
  id_map_.reset();
  const size_t n = size();
  uint64_t next = first_fresh;
  size_t row = 0;
  for (const auto& [first, count] : id_runs) {
    const uint64_t take = std::min<uint64_t>(count, n - row);
    if (take == 0) continue;
    AddIdRun(row, first, take);
    row += take;
    next = std::max(next, first + take);
  }
  AddIdRun(row, next, n - row);
  return next + (n - row);
}

char* RowBlock::Allocate(size_t n) {
  if (n > kArenaChunk / 4) {
    arena_.push_back(std::unique_ptr<char[]>(new char[n]));  // not zero-filled
    arena_bytes_ += n;
    return arena_.back().get();
  }
  if (cur_chunk_ == nullptr || arena_used_ + n > kArenaChunk) {
    arena_.push_back(std::unique_ptr<char[]>(new char[kArenaChunk]));
    cur_chunk_ = arena_.back().get();
    arena_used_ = 0;
    arena_bytes_ += kArenaChunk;
  }
  char* p = cur_chunk_ + arena_used_;
  arena_used_ += n;
  return p;
}

void RowBlock::AddHeapRow(std::string_view bytes, uint64_t id) {
  char* p = Allocate(bytes.size());
  std::memcpy(p, bytes.data(), bytes.size());
  AddRefRow({p, bytes.size()}, id);
}

void RowBlock::AddRefRow(std::string_view bytes, uint64_t id) {
  AddId(id);
  ptrs_.push_back(bytes.data());
  ends_.push_back(ends_[size()] + bytes.size());
  id_map_.reset();
}

std::optional<uint32_t> RowBlock::FindId(uint64_t id) const {
  size_t n = size();
  if (ids_implicit_) {
    if (first_id_ == 0 || id < first_id_ || id - first_id_ >= n) return std::nullopt;
    return uint32_t(id - first_id_);
  }
  if (ids_ascending_) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (ids_[mid] < id) lo = mid + 1; else hi = mid;
    }
    if (lo < n && ids_[lo] == id) return uint32_t(lo);
    return std::nullopt;
  }
  if (!id_map_ || id_map_->size() != n) {
    id_map_ = std::make_unique<std::unordered_map<uint64_t, uint32_t>>();
    id_map_->reserve(n);
    for (size_t i = 0; i < n; ++i) (*id_map_)[Id(i)] = uint32_t(i);
  }
  auto it = id_map_->find(id);
  if (it == id_map_->end()) return std::nullopt;
  return it->second;
}

size_t RowBlock::MemoryBytes() const {
  return ends_.MemoryBytes() + ptrs_.MemoryBytes() + ids_.MemoryBytes() + arena_bytes_;
}

}  // namespace csvfs::core
