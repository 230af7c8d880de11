// Env: every OS call the engine makes goes through here, so tests can substitute an
// in-memory or fault-injecting implementation (see tests/). All paths handed to a Directory
// are plain names inside that directory (no '/').
//
// Thread-safety: Env and Directory methods may be called from any thread. A WritableFile is
// used by one thread at a time, except Sync(), which may run concurrently with Append() on
// another thread only if the implementation says so (PosixEnv: yes).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace csvfs::core {

struct FileInfo {
  uint64_t size = 0;
  uint32_t mode = 0;  // permission bits
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  bool regular = true;  // a regular file (not a directory, device, ...)
  uint64_t nlink = 1;   // hard links to the file
};

// A file open for appending. Append() writes at the end; Sync() makes everything appended so
// far durable (fdatasync). Errors from Sync() are sticky: the caller must treat the file's
// state as unknown afterwards.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  // Gives the file this permission mode and owner (fchmod/fchown).
  // uid/gid of UINT32_MAX leave that id unchanged.
  virtual Status SetModeOwner(uint32_t mode, uint32_t uid, uint32_t gid) = 0;
  // Reserves `bytes` of zero-filled space past the current size, so that later appends
  // overwrite blocks already allocated and Sync() need not update the file's size (cheaper
  // fdatasync). Size() stays the logical size; a reader sees zeros after it. Optional.
  virtual Status Preallocate(uint64_t bytes) { return Status::Ok(); }
  // Cuts the file back to `size` bytes (to drop a partially appended record).
  virtual Status Truncate(uint64_t size) { return Status(Code::kNotSupported, "truncate"); }
  // Bytes appended so far (including what the file held when opened).
  virtual uint64_t Size() const = 0;
};

// A read-only view of a whole file's bytes (a mapping for PosixEnv). Stays valid, unchanged,
// after the file is renamed over or unlinked.
class ReadOnlyFile {
 public:
  virtual ~ReadOnlyFile() = default;
  virtual std::string_view data() const = 0;
};

// An exclusive kernel lock; released by destruction or by the death of the process.
class FileLock {
 public:
  virtual ~FileLock() = default;
  // Remove the lock file on release even if this process did not create it (a daemon that
  // ran and is shutting down cleanly tidies up after a killed predecessor; a failed start
  // must leave the directory as it found it).
  virtual void RemoveOnRelease() {}
};

// A directory held open (POSIX: a directory fd); all operations are relative to it.
class Directory {
 public:
  virtual ~Directory() = default;
  virtual const std::string& path() const = 0;
  // Opens `name` read-only and maps it. kNotFound if missing.
  virtual Result<std::unique_ptr<ReadOnlyFile>> OpenReadOnly(const std::string& name) = 0;
  // Creates a new file: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600. kExists if it exists.
  virtual Result<std::unique_ptr<WritableFile>> CreateExclusive(const std::string& name) = 0;
  // Opens (creating with mode 0600 if missing) `name` for appending.
  virtual Result<std::unique_ptr<WritableFile>> OpenAppend(const std::string& name) = 0;
  virtual Result<FileInfo> Stat(const std::string& name) = 0;
  // chmod/chown of the existing file `name` (opened O_NOFOLLOW, then fchmod/fchown: never
  // through a symlink). uid/gid of UINT32_MAX leave that id unchanged. kNotFound if missing.
  virtual Status SetModeOwner(const std::string& name, uint32_t mode, uint32_t uid,
                              uint32_t gid) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& name) = 0;
  // Makes creates, renames and removes in this directory durable (fsync of the directory).
  virtual Status Sync() = 0;
  // Takes an exclusive, non-blocking kernel lock on `name` (created if missing; removed when
  // the lock is released, so only a killed process leaves it behind, harmlessly: the kernel
  // lock, not the file, decides). kBusy if another process holds it.
  virtual Result<std::unique_ptr<FileLock>> Lock(const std::string& name) = 0;
  // True if the directory is writable by this process (access W_OK).
  virtual bool Writable() = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  virtual Result<std::unique_ptr<Directory>> OpenDirectory(const std::string& path) = 0;
  virtual int64_t NowNanos() = 0;  // wall clock (for mtimes)
  // Hands memory the allocator keeps free back to the system (after a checkpoint dropped a
  // big in-memory index). Optional.
  virtual void ReleaseFreeMemory() {}
};

// The real thing. Never deleted.
Env* PosixEnv();
// A fresh in-memory Env (for tests): files live in memory, Sync() is a no-op that succeeds.
std::unique_ptr<Env> NewMemEnv();

}  // namespace csvfs::core
