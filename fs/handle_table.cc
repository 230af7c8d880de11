#include "fs/handle_table.h"

namespace csvfs::fs {

uint64_t HandleTable::Add(std::shared_ptr<Handle> handle) {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t fh = next_++;
  handles_.emplace(fh, std::move(handle));
  return fh;
}

std::shared_ptr<Handle> HandleTable::Get(uint64_t fh) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = handles_.find(fh);
  return it == handles_.end() ? nullptr : it->second;
}

std::shared_ptr<Handle> HandleTable::Remove(uint64_t fh) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = handles_.find(fh);
  if (it == handles_.end()) return nullptr;
  auto h = std::move(it->second);
  handles_.erase(it);
  return h;
}

std::shared_ptr<Handle> HandleTable::FindImageHandle(uint64_t ino, uint32_t pid) const {
  std::lock_guard<std::mutex> l(mu_);
  std::shared_ptr<Handle> best;
  uint64_t best_fh = 0;
  for (const auto& [fh, h] : handles_) {
    if (h->ino != ino || h->open_pid != pid || fh < best_fh) continue;
    if (h->kind != HandleKind::kTableRewrite && h->kind != HandleKind::kRowWrite) continue;
    best = h;
    best_fh = fh;
  }
  return best;
}

size_t HandleTable::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return handles_.size();
}

}  // namespace csvfs::fs
