// PidSnapshots: per process, the table snapshot it last opened for reading (bounded, least
// recently used entries evicted). A rewrite or a rename over the table by that process
// merges against it, so rows appended meanwhile by others are kept. FUSE-free; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "core/version.h"

namespace csvfs::fs {

class PidSnapshots {
 public:
  explicit PidSnapshots(size_t capacity = 1024) : capacity_(capacity) {}
  void Remember(uint32_t pid, core::Snapshot snapshot);
  // Remember, unless `pid` already has a snapshot (which is then kept).
  void RememberIfAbsent(uint32_t pid, core::Snapshot snapshot);
  // The snapshot `pid` last opened for reading, or nullptr.
  core::Snapshot Lookup(uint32_t pid) const;
  size_t size() const;

 private:
  using Entry = std::pair<uint32_t, core::Snapshot>;
  void RememberLocked(uint32_t pid, core::Snapshot snapshot);  // mu_ held
  size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<uint32_t, std::list<Entry>::iterator> index_;
};

}  // namespace csvfs::fs
