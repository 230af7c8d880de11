#include "fs/follow_view.h"

#include <algorithm>

namespace csvfs::fs {

void LineageLog::NoteCommit(const core::Snapshot& v, bool append_only) {
  if (v == nullptr) return;
  std::lock_guard<std::mutex> l(mu_);
  Entry& e = lineages_[v->lineage()];
  if (!append_only && !e.start) e.start = v->size();
  if (e.head == nullptr || v->number() > e.head->number()) e.head = v;
  // Replaced lineages with nothing appended need no bytes kept.
  for (auto& [lineage, entry] : lineages_) {
    if (lineage < v->lineage() && entry.head && entry.start && entry.head->size() <= *entry.start) {
      entry.head = nullptr;
    }
  }
  while (lineages_.size() > capacity_) lineages_.erase(lineages_.begin());
}

std::vector<LineageLog::Segment> LineageLog::After(uint64_t lineage) const {
  std::vector<Segment> out;
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = lineages_.upper_bound(lineage); it != lineages_.end(); ++it) {
    const Entry& e = it->second;
    if (e.head == nullptr || !e.start || e.head->size() <= *e.start) continue;
    out.push_back({e.head, *e.start});
  }
  return out;
}

uint64_t LineageLog::BytesAfter(uint64_t lineage) const {
  uint64_t n = 0;
  for (const Segment& s : After(lineage)) n += s.v->size() - s.from;
  return n;
}

void ReadFollowing(const core::Snapshot& head, const std::vector<LineageLog::Segment>& after,
                   uint64_t off, size_t len, const std::function<void(std::string_view)>& fn) {
  const uint64_t end = off + len;
  uint64_t seg_start = 0;
  auto serve = [&](const core::Version& v, uint64_t from) {
    const uint64_t seg_end = seg_start + (v.size() - from);
    if (off < seg_end && end > seg_start) {
      const uint64_t lo = std::max(off, seg_start), hi = std::min(end, seg_end);
      v.ReadPieces(from + (lo - seg_start), static_cast<size_t>(hi - lo), fn);
    }
    seg_start = seg_end;
  };
  serve(*head, 0);
  for (const LineageLog::Segment& s : after) serve(*s.v, s.from);
}

}  // namespace csvfs::fs
