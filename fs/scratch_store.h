// ScratchFile / ScratchStore: the in-memory regular files that programs create in the mount
// root (temp files of sed -i, perl -i, rsync, vim, python tempfile). Never written to the
// backing directory; gone at unmount. FUSE-free.
#pragma once

#include "core/version.h"

#include <time.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace csvfs::fs {

struct ScratchFile {
  explicit ScratchFile(uint64_t inode) : ino(inode) {}
  const uint64_t ino;
  std::mutex mu;  // guards everything below
  std::string data;
  uint32_t mode = 0644;  // permission bits
  uint32_t uid = 0;
  uint32_t gid = 0;
  struct timespec atime {
  }, mtime{}, ctime{};
  bool unlinked = false;
  // The table snapshot that the first process to write this file had last read (if any): the
  // base of a rename over the table by a process that read nothing itself, as `mv` in
  // `awk ... table.csv > tmp && mv tmp table.csv`.
  core::Snapshot writer_base;

  // Sets all three times to now (caller holds mu).
  void TouchAll();
  // Sets mtime and ctime to now (caller holds mu).
  void TouchModified();
};

class ScratchStore {
 public:
  enum class RenameOutcome { kOk, kNotFound, kExists };

  std::shared_ptr<ScratchFile> Find(const std::string& name) const;
  // Adds `file` under `name`, replacing any file of that name (returned, marked unlinked).
  std::shared_ptr<ScratchFile> Put(const std::string& name, std::shared_ptr<ScratchFile> file);
  // Adds `file` under `name` unless the name is taken; false if taken.
  bool PutIfAbsent(const std::string& name, std::shared_ptr<ScratchFile> file);
  // Removes `name`; returns the file (marked unlinked) or nullptr.
  std::shared_ptr<ScratchFile> Remove(const std::string& name);
  // Renames a scratch file to another scratch name (replacing it unless noreplace).
  RenameOutcome Rename(const std::string& from, const std::string& to, bool noreplace);
  // Names in lexicographic order.
  std::vector<std::string> Names() const;
  size_t count() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<ScratchFile>> files_;
};

}  // namespace csvfs::fs
