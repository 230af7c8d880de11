// HandleTable: FUSE file handle numbers -> Handle. FUSE-free; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "fs/handle.h"

namespace csvfs::fs {

class HandleTable {
 public:
  // Registers `handle`; returns its number (never 0, never reused).
  uint64_t Add(std::shared_ptr<Handle> handle);
  std::shared_ptr<Handle> Get(uint64_t fh) const;
  // Unregisters and returns the handle (nullptr if unknown).
  std::shared_ptr<Handle> Remove(uint64_t fh);
  size_t size() const;
  // The newest handle of inode `ino` opened by `pid` that holds a private image (a rewrite of
  // the table or a row), or nullptr: fstat(2) arrives without a file handle, yet a writer
  // must see its own image's size. Linear in the open handles.
  std::shared_ptr<Handle> FindImageHandle(uint64_t ino, uint32_t pid) const;

 private:
  mutable std::mutex mu_;
  uint64_t next_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<Handle>> handles_;
};

}  // namespace csvfs::fs
