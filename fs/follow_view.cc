#include "fs/follow_view.h"

#include <algorithm>

namespace csvfs::fs {

void LineageLog::NoteCommit(const core::Snapshot& v, bool append_only) {
  if (v == nullptr) return;
  std::lock_guard<std::mutex> l(mu_);
  Entry& e = lineages_[v->lineage()];
  if (!append_only && !e.start) e.start = v->size();
  // (The same number from a newer object is the same bytes reloaded by a checkpoint.)
  if (e.head == nullptr || v->number() >= e.head->number()) e.head = v;
  // Of replaced lineages only the appended bytes are needed (none without a known start).
  for (auto& [lineage, entry] : lineages_) {
    if (lineage >= v->lineage() || entry.head == nullptr) continue;
    if (!entry.start || entry.head->size() <= *entry.start) {
      entry.head = nullptr;
    } else if (entry.head->size() - *entry.start <= kMaxCopiedTail) {
      auto copy = std::make_shared<std::string>();
      copy->reserve(entry.head->size() - *entry.start);
      entry.head->ReadPieces(*entry.start, entry.head->size() - *entry.start,
                             [&](std::string_view piece) { copy->append(piece); });
      entry.tail = std::move(copy);
      entry.head = nullptr;
    }
  }
  while (lineages_.size() > capacity_) lineages_.erase(lineages_.begin());
}

void LineageLog::NoteHead(const core::Snapshot& v) {
  if (v == nullptr) return;
  std::lock_guard<std::mutex> l(mu_);
  auto it = lineages_.find(v->lineage());
  if (it == lineages_.end() || it->second.head == nullptr || it->second.head == v) return;
  if (v->number() >= it->second.head->number()) it->second.head = v;
}

std::vector<LineageLog::Segment> LineageLog::After(uint64_t lineage) const {
  std::vector<Segment> out;
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = lineages_.upper_bound(lineage); it != lineages_.end(); ++it) {
    const Entry& e = it->second;
    if (e.tail != nullptr) {
      if (!e.tail->empty()) out.push_back({nullptr, 0, e.tail});
      continue;
    }
    if (e.head == nullptr || !e.start || e.head->size() <= *e.start) continue;
    out.push_back({e.head, *e.start, nullptr});
  }
  return out;
}

uint64_t LineageLog::BytesAfter(uint64_t lineage) const {
  uint64_t n = 0;
  for (const Segment& s : After(lineage)) n += s.size();
  return n;
}

void ReadFollowing(const core::Snapshot& head, const std::vector<LineageLog::Segment>& after,
                   uint64_t off, size_t len, const std::function<void(std::string_view)>& fn) {
  const uint64_t end = off + len;
  uint64_t seg_start = 0;
  auto serve = [&](const core::Version* v, uint64_t from, const std::string* copy) {
    const uint64_t n = copy != nullptr ? copy->size() : v->size() - from;
    const uint64_t seg_end = seg_start + n;
    if (off < seg_end && end > seg_start) {
      const uint64_t lo = std::max(off, seg_start), hi = std::min(end, seg_end);
      if (copy != nullptr) {
        fn(std::string_view(*copy).substr(lo - seg_start, hi - lo));
      } else {
        v->ReadPieces(from + (lo - seg_start), static_cast<size_t>(hi - lo), fn);
      }
    }
    seg_start = seg_end;
  };
  serve(head.get(), 0, nullptr);
  for (const LineageLog::Segment& s : after) serve(s.v.get(), s.from, s.copy.get());
}

}  // namespace csvfs::fs
