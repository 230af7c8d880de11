// Invalidator: asks the kernel to drop cached data, attributes or directory entries.
// Implemented over FUSE notifications by Notifier; calls only enqueue (never block on the
// kernel), so they are safe inside request handlers.
#pragma once

#include <cstdint>
#include <string>

namespace csvfs::fs {

class Invalidator {
 public:
  virtual ~Invalidator() = default;
  // Cached data of `ino` from `off` for `len` bytes (len 0: to the end); off < 0: only the
  // attributes.
  virtual void InvalidateInode(uint64_t ino, int64_t off, int64_t len) = 0;
  // Drops cached data of `ino` from `off` to the end now, before returning. Only for data
  // (never entries, whose invalidation takes the parent's lock): an append's old last page
  // must be gone before the append is acknowledged, or a reader sees zeros there.
  virtual void InvalidateDataNow(uint64_t ino, int64_t off) { InvalidateInode(ino, off, 0); }
  // The entry `name` in directory `parent`.
  virtual void InvalidateEntry(uint64_t parent, std::string name) = 0;
};

}  // namespace csvfs::fs
