#include "fs/pid_snapshots.h"

namespace csvfs::fs {

void PidSnapshots::Remember(uint32_t pid, core::Snapshot snapshot) {
  std::lock_guard<std::mutex> l(mu_);
  RememberLocked(pid, std::move(snapshot));
}

void PidSnapshots::RememberIfAbsent(uint32_t pid, core::Snapshot snapshot) {
  std::lock_guard<std::mutex> l(mu_);
  if (index_.count(pid) == 0) RememberLocked(pid, std::move(snapshot));
}

void PidSnapshots::RememberLocked(uint32_t pid, core::Snapshot snapshot) {
  auto it = index_.find(pid);
  if (it != index_.end()) {
    it->second->second = std::move(snapshot);
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.emplace_front(pid, std::move(snapshot));
  index_[pid] = lru_.begin();
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

core::Snapshot PidSnapshots::Lookup(uint32_t pid) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = index_.find(pid);
  return it == index_.end() ? nullptr : it->second->second;
}

size_t PidSnapshots::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return lru_.size();
}

}  // namespace csvfs::fs
