#include "fs/pid_snapshots.h"

#include <utility>
#include <vector>

#include "fs/process_id.h"

namespace csvfs::fs {

PidSnapshots::PidSnapshots(size_t capacity, StartTimeFn start_time,
                           std::chrono::steady_clock::duration sweep_every)
    : capacity_(capacity),
      start_time_(start_time ? std::move(start_time) : ProcessStartTime),
      sweep_every_(sweep_every),
      last_sweep_(std::chrono::steady_clock::now()) {}

void PidSnapshots::NoteRead(uint32_t pid, core::Snapshot snapshot) {
  const uint64_t start = start_time_(pid);
  {
    std::lock_guard<std::mutex> l(mu_);
    PutLocked(pid, start, std::move(snapshot), /*earliest=*/true);
  }
  MaybeSweep();
}

void PidSnapshots::NoteReadThrough(uint32_t pid, core::Snapshot snapshot) {
  if (snapshot == nullptr) return;
  const uint64_t start = start_time_(pid);
  std::lock_guard<std::mutex> l(mu_);
  auto it = index_.find(pid);
  if (it == index_.end()) return;
  Entry& e = *it->second;
  if (e.start == start && e.snap->lineage() == snapshot->lineage() &&
      e.snap->number() < snapshot->number()) {
    e.snap = std::move(snapshot);
  }
}

void PidSnapshots::NoteCommit(uint32_t pid, core::Snapshot version) {
  const uint64_t start = start_time_(pid);
  std::lock_guard<std::mutex> l(mu_);
  PutLocked(pid, start, std::move(version), /*earliest=*/false);
}

void PidSnapshots::PutLocked(uint32_t pid, uint64_t start, core::Snapshot snap, bool earliest) {
  if (snap == nullptr) return;
  auto it = index_.find(pid);
  if (it != index_.end()) {
    Entry& e = *it->second;
    const bool same_process = e.start == start;
    if (!same_process || !earliest || snap->number() < e.snap->number()) {
      e.snap = std::move(snap);
      e.start = start;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.push_front(Entry{pid, start, std::move(snap)});
  index_[pid] = lru_.begin();
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().pid);
    lru_.pop_back();
  }
}

void PidSnapshots::EraseLocked(uint32_t pid) {
  auto it = index_.find(pid);
  if (it == index_.end()) return;
  lru_.erase(it->second);
  index_.erase(it);
}

core::Snapshot PidSnapshots::Lookup(uint32_t pid) {
  const uint64_t start = start_time_(pid);
  std::lock_guard<std::mutex> l(mu_);
  auto it = index_.find(pid);
  if (it == index_.end()) return nullptr;
  if (it->second->start != start) {  // another process now has this pid
    EraseLocked(pid);
    return nullptr;
  }
  return it->second->snap;
}

void PidSnapshots::MaybeSweep() {
  {
    std::lock_guard<std::mutex> l(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_sweep_ < sweep_every_) return;
    last_sweep_ = now;
  }
  Sweep();
}

void PidSnapshots::Rebind(const core::Snapshot& v) {
  if (v == nullptr) return;
  std::lock_guard<std::mutex> l(mu_);
  for (Entry& e : lru_) {
    if (e.snap != nullptr && e.snap != v && e.snap->number() == v->number()) e.snap = v;
  }
}

void PidSnapshots::Sweep() {
  std::vector<std::pair<uint32_t, uint64_t>> entries;
  {
    std::lock_guard<std::mutex> l(mu_);
    entries.reserve(lru_.size());
    for (const Entry& e : lru_) entries.emplace_back(e.pid, e.start);
  }
  std::vector<std::pair<uint32_t, uint64_t>> gone;
  for (const auto& [pid, start] : entries) {
    if (start_time_(pid) != start) gone.emplace_back(pid, start);
  }
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [pid, start] : gone) {
    auto it = index_.find(pid);
    if (it != index_.end() && it->second->start == start) EraseLocked(pid);
  }
}

size_t PidSnapshots::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return lru_.size();
}

}  // namespace csvfs::fs
