#include "core/version.h"

#include "core/resident_pages.h"

#include <algorithm>
#include <cstring>

namespace csvfs::core {

namespace {

using Node = OverrideTree::Node;

// The first override with key >= from, or nullptr.
const Node* LowerBound(const OverrideTree& t, uint64_t from) {
  const Node* best = nullptr;
  for (const Node* n = t.root(); n != nullptr;) {
    if (n->key >= from) {
      best = n;
      n = n->left.get();
    } else {
      n = n->right.get();
    }
  }
  return best;
}

}  // namespace

void Version::IdOf(RowRef ref, std::string_view bytes, std::string* out) const {
  out->clear();
  if (key_column_ < 0) {
    for (const auto& b : blocks_) {
      if (b.block->seq() == ref.block) {
        *out = std::to_string(b.block->Id(ref.index));
        return;
      }
    }
    return;
  }
  auto v = FieldValue(RecordText(bytes), size_t(key_column_));  // empty lines kept with it
  if (v.ok()) *out = std::move(v.value());
}

std::optional<std::string_view> Version::RowBytes(RowRef ref) const {
  for (const auto& b : blocks_) {
    if (b.block->seq() != ref.block) continue;
    if (ref.index >= b.count) return std::nullopt;
    if (const Node* o = overrides_.Find(ref.key())) {
      if (!o->content) return std::nullopt;
      return std::string_view(*o->content);
    }
    return b.block->Row(ref.index);
  }
  return std::nullopt;
}

uint64_t Version::Ordinal(RowRef ref) const {
  uint64_t before = 0;
  for (const auto& b : blocks_) {
    if (b.block->seq() >= ref.block) break;
    before += b.count;
  }
  int64_t bytes = 0, rows = 0;
  overrides_.PrefixDelta(ref.key(), &bytes, &rows);  // rows: -1 per deleted row before ref
  return uint64_t(int64_t(before + ref.index) + rows);
}

std::optional<RowRef> Version::RefAt(uint64_t ordinal) const {
  if (ordinal >= rows_) return std::nullopt;
  uint64_t before = 0;  // rows of the earlier blocks, deleted ones included
  // Visible rows before row `i` of block `seq`.
  auto visible_before = [&](uint32_t seq, uint64_t i) {
    int64_t bytes = 0, rows = 0;
    overrides_.PrefixDelta(RowRef{seq, uint32_t(i)}.key(), &bytes, &rows);
    return uint64_t(int64_t(before + i) + rows);
  };
  for (const auto& b : blocks_) {
    const uint32_t seq = b.block->seq();
    if (ordinal < visible_before(seq, b.count)) {
      // The first row i whose end (visible rows before i+1) passes `ordinal`.
      uint64_t lo = 0, hi = b.count;
      while (lo < hi) {
        const uint64_t mid = lo + (hi - lo) / 2;
        if (visible_before(seq, mid + 1) > ordinal) hi = mid; else lo = mid + 1;
      }
      return RowRef{seq, uint32_t(lo)};
    }
    before += b.count;
  }
  return std::nullopt;
}

uint64_t Version::RowOffset(uint64_t ordinal) const {
  const auto ref = RefAt(ordinal);
  if (!ref) return size_;
  for (const auto& b : blocks_) {
    if (b.block->seq() != ref->block) continue;
    int64_t bytes = 0, rows = 0;
    overrides_.PrefixDelta(ref->key(), &bytes, &rows);
    return uint64_t(int64_t(header().size() + b.raw_start + b.block->Start(ref->index)) + bytes);
  }
  return size_;
}

uint64_t Version::OrdinalAt(uint64_t off) const {
  if (off >= size_) return rows_;
  // The first row whose end (the next row's start) is past `off`.
  uint64_t lo = 0, hi = rows_;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (RowOffset(mid + 1) > off) hi = mid; else lo = mid + 1;
  }
  return lo;
}

void Version::ForEachRow(const RowFn& fn) const {
  if (!blocks_.empty()) ForEachRowFrom(RowRef{blocks_.front().block->seq(), 0}, fn);
}

void Version::ForEachRowFrom(RowRef start, const RowFn& fn) const {
  const Node* ov = LowerBound(overrides_, start.key());
  std::string id;
  for (const auto& b : blocks_) {
    if (b.block->seq() < start.block) continue;
    const uint32_t first = b.block->seq() == start.block ? start.index : 0;
    for (uint32_t i = first; i < b.count; ++i) {
      RowRef ref{b.block->seq(), i};
      std::string_view bytes;
      if (ov != nullptr && ov->key == ref.key()) {
        const Node* cur = ov;
        ov = LowerBound(overrides_, ref.key() + 1);
        if (!cur->content) continue;
        bytes = *cur->content;
      } else {
        bytes = b.block->Row(i);
      }
      IdOf(ref, bytes, &id);
      if (!fn(id, bytes, ref)) return;
    }
  }
}

size_t Version::Read(uint64_t off, char* buf, size_t len) const {
  size_t n = 0;
  ReadPieces(off, len, [&](std::string_view piece) {
    std::memcpy(buf + n, piece.data(), piece.size());
    n += piece.size();
  });
  return n;
}

void Version::ReadPieces(uint64_t off, size_t len,
                         const std::function<void(std::string_view)>& fn) const {
  uint64_t end = std::min<uint64_t>(size_, off + len);
  if (off >= end) return;
  uint64_t pos = off;
  std::string_view hdr = header();
  if (pos < hdr.size()) {
    uint64_t e = std::min<uint64_t>(hdr.size(), end);
    fn(hdr.substr(pos, e - pos));
    pos = e;
  }
  if (pos >= end) return;

  // Raw (un-overridden) start of a row, relative to the end of the header.
  auto block_pos = [&](uint32_t seq) -> size_t {
    size_t lo = 0, hi = blocks_.size();
    while (lo + 1 < hi) {
      size_t mid = (lo + hi) / 2;
      if (blocks_[mid].block->seq() <= seq) lo = mid; else hi = mid;
    }
    return lo;
  };
  auto raw_start = [&](uint64_t key) -> int64_t {
    RowRef r = RowRef::FromKey(key);
    const BlockRange& b = blocks_[block_pos(r.block)];
    return int64_t(b.raw_start + b.block->Start(r.index));
  };

  // Find the last override whose adjusted start is <= pos.
  const int64_t target = int64_t(pos - hdr.size());
  const Node* best = nullptr;
  int64_t best_adj = 0, acc = 0, delta_after = 0;
  for (const Node* n = overrides_.root(); n != nullptr;) {
    int64_t left_sum = acc + (n->left ? n->left->sum_bytes : 0);
    int64_t adj = raw_start(n->key) + left_sum;
    if (adj <= target) {
      best = n;
      best_adj = adj;
      acc = left_sum + n->delta_bytes;
      delta_after = acc;
      n = n->right.get();
    } else {
      n = n->left.get();
    }
  }

  size_t bi = 0;
  uint32_t idx = 0;
  uint64_t in_row = 0;  // offset inside the first row
  if (best != nullptr && best->content &&
      target < best_adj + int64_t(best->content->size())) {
    RowRef r = RowRef::FromKey(best->key);
    bi = block_pos(r.block);
    idx = r.index;
    in_row = uint64_t(target - best_adj);
  } else {
    int64_t raw = target - delta_after;
    bi = blocks_.size();
    for (size_t i = 0; i < blocks_.size(); ++i) {
      const BlockRange& b = blocks_[i];
      if (b.count == 0) continue;
      if (int64_t(b.raw_start) <= raw && raw < int64_t(b.raw_start + b.block->Start(b.count))) {
        bi = i;
        break;
      }
    }
    if (bi == blocks_.size()) return;  // inconsistent: nothing to serve
    const BlockRange& b = blocks_[bi];
    uint64_t rel = uint64_t(raw) - b.raw_start;
    size_t lo = 0, hi = b.count;  // last row with Start <= rel
    while (lo + 1 < hi) {
      size_t mid = (lo + hi) / 2;
      if (b.block->Start(mid) <= rel) lo = mid; else hi = mid;
    }
    idx = uint32_t(lo);
    in_row = rel - b.block->Start(lo);
  }

  const Node* ov = LowerBound(overrides_, RowRef{blocks_[bi].block->seq(), idx}.key());
  while (pos < end && bi < blocks_.size()) {
    const BlockRange& b = blocks_[bi];
    if (idx >= b.count) {
      ++bi;
      idx = 0;
      continue;
    }
    uint64_t key = RowRef{b.block->seq(), idx}.key();
    std::string_view piece;
    bool from_mapping = false;
    if (ov != nullptr && ov->key == key) {
      if (ov->content) piece = *ov->content;
      ov = LowerBound(overrides_, key + 1);
      ++idx;
    } else {
      uint32_t stop = b.count;
      if (ov != nullptr && RowRef::FromKey(ov->key).block == b.block->seq()) {
        stop = std::min(stop, RowRef::FromKey(ov->key).index);
      }
      if (b.block->mapped()) {
        piece = b.block->Span(idx, stop);
        idx = stop;
        from_mapping = true;
      } else {
        piece = b.block->Row(idx);
        ++idx;
      }
    }
    if (in_row >= piece.size()) {
      in_row -= piece.size();
      continue;
    }
    piece.remove_prefix(in_row);
    in_row = 0;
    if (piece.size() > end - pos) piece = piece.substr(0, end - pos);
    if (!piece.empty()) fn(piece);
    pos += piece.size();
    if (from_mapping) NoteMappedRead(piece.size());
  }
}

}  // namespace csvfs::core
