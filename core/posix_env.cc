// PosixEnv: the real Env. Every file operation is relative to a directory fd held open by the
// Directory (openat, renameat, unlinkat, statx), so a rename of the directory's path while we
// run cannot redirect our writes. This is the only file of core/ that names errno constants.
#include <fcntl.h>
#include <malloc.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "core/env.h"
#include "core/resident_pages.h"
#include "core/env_util.h"

namespace csvfs::core {
namespace {

Code CodeForErrno(int err) {
  switch (err) {
    case ENOENT: return Code::kNotFound;
    case EEXIST: return Code::kExists;
    case ENOSPC:
    case EDQUOT: return Code::kNoSpace;
    case EROFS: return Code::kReadOnly;
    case EACCES:
    case EPERM: return Code::kNotPermitted;
    default: return Code::kIoError;
  }
}

// A Status for a failed system call: "<op> <path>: <strerror>", keeping `err` as os_error.
Status ErrnoStatus(int err, const char* op, const std::string& path) {
  char buf[256];
  const char* text = strerror_r(err, buf, sizeof(buf));  // GNU variant
  std::string msg = std::string(op) + " " + path + ": " + text;
  return Status(CodeForErrno(err), std::move(msg), err);
}

// A file open for appending. Append() and Sync() may run concurrently on two threads: write()
// and fdatasync() on one fd are safe together, and the shared state is atomic or locked.
class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  PosixWritableFile(const PosixWritableFile&) = delete;
  PosixWritableFile& operator=(const PosixWritableFile&) = delete;

  Status Append(std::string_view data) override;
  // A failed Sync() is sticky: every later Append() or Sync() returns the same error.
  Status Sync() override;
  Status Close() override;
  Status SetModeOwner(uint32_t mode, uint32_t uid, uint32_t gid) override;
  Status Truncate(uint64_t size) override;
  Status Preallocate(uint64_t bytes) override;
  uint64_t Size() const override { return size_.load(std::memory_order_acquire); }

 private:
  Status CheckUsable();

  int fd_;
  const std::string path_;
  std::atomic<uint64_t> size_;
  // Once preallocated, the file is written with pwrite at size_ (O_APPEND is dropped) and
  // holds zeros up to allocated_.
  bool preallocated_ = false;
  uint64_t allocated_ = 0;
  Status WriteZeros(uint64_t from, uint64_t to);
  std::atomic<bool> failed_{false};
  std::mutex mu_;  // guards sync_error_
  Status sync_error_;
};

Status PosixWritableFile::CheckUsable() {
  if (fd_ < 0) return Status::IoError("file already closed: " + path_);
  if (failed_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(mu_);
    return sync_error_;
  }
  return Status::Ok();
}

Status PosixWritableFile::WriteZeros(uint64_t from, uint64_t to) {
  static const std::string kZeros(1 << 20, '\0');
  while (from < to) {
    size_t len = static_cast<size_t>(std::min<uint64_t>(kZeros.size(), to - from));
    const ssize_t n = ::pwrite(fd_, kZeros.data(), len, static_cast<off_t>(from));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "preallocate", path_);
    }
    from += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status PosixWritableFile::Preallocate(uint64_t bytes) {
  CSVFS_RETURN_IF_ERROR(CheckUsable());
  if (!preallocated_) {
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_APPEND) != 0) {
      return ErrnoStatus(errno, "fcntl", path_);
    }
    preallocated_ = true;
    allocated_ = Size();
  }
  const uint64_t target = Size() + bytes;
  if (target <= allocated_) return Status::Ok();
  CSVFS_RETURN_IF_ERROR(WriteZeros(allocated_, target));
  if (::fdatasync(fd_) != 0) return ErrnoStatus(errno, "fdatasync", path_);
  allocated_ = target;
  return Status::Ok();
}

Status PosixWritableFile::Append(std::string_view data) {
  CSVFS_RETURN_IF_ERROR(CheckUsable());
  if (preallocated_) {
    if (Size() + data.size() > allocated_) {
      CSVFS_RETURN_IF_ERROR(Preallocate(std::max<uint64_t>(data.size(), allocated_ - Size()) +
                                        (uint64_t{4} << 20)));
    }
    while (!data.empty()) {
      const ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(Size()));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "write", path_);
      }
      size_.fetch_add(static_cast<uint64_t>(n), std::memory_order_acq_rel);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write", path_);
    }
    if (n == 0) return Status::IoError("write " + path_ + ": wrote nothing");
    size_.fetch_add(static_cast<uint64_t>(n), std::memory_order_acq_rel);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status PosixWritableFile::Sync() {
  CSVFS_RETURN_IF_ERROR(CheckUsable());
  int rc;
  do {
    rc = ::fdatasync(fd_);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return Status::Ok();
  Status s = ErrnoStatus(errno, "fdatasync", path_);
  std::lock_guard<std::mutex> lock(mu_);
  if (!failed_.load(std::memory_order_relaxed)) {
    sync_error_ = s;
    failed_.store(true, std::memory_order_release);
  }
  return s;
}

Status PosixWritableFile::Close() {
  if (fd_ < 0) return Status::Ok();
  const int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0 && errno != EINTR) return ErrnoStatus(errno, "close", path_);
  return Status::Ok();
}

Status PosixWritableFile::SetModeOwner(uint32_t mode, uint32_t uid, uint32_t gid) {
  if (fd_ < 0) return Status::IoError("file already closed: " + path_);
  struct statx stx;
  if (::statx(fd_, "", AT_EMPTY_PATH, STATX_UID | STATX_GID, &stx) != 0) {
    return ErrnoStatus(errno, "statx", path_);
  }
  // Only chown when needed: an unprivileged owner may be unable to "chown" to its own ids.
  // (uid_t)-1 (== UINT32_MAX, "keep") leaves an id unchanged.
  const uid_t new_uid = uid == UINT32_MAX || uid == stx.stx_uid ? static_cast<uid_t>(-1) : uid;
  const gid_t new_gid = gid == UINT32_MAX || gid == stx.stx_gid ? static_cast<gid_t>(-1) : gid;
  if ((new_uid != static_cast<uid_t>(-1) || new_gid != static_cast<gid_t>(-1)) &&
      ::fchown(fd_, new_uid, new_gid) != 0) {
    return ErrnoStatus(errno, "fchown", path_);
  }
  if (::fchmod(fd_, mode & 07777) != 0) return ErrnoStatus(errno, "fchmod", path_);
  return Status::Ok();
}

Status PosixWritableFile::Truncate(uint64_t size) {
  CSVFS_RETURN_IF_ERROR(CheckUsable());
  if (size > Size()) return Status::Invalid("truncate " + path_ + ": would grow the file");
  if (preallocated_) {  // zero the dropped bytes: the file keeps its allocation
    CSVFS_RETURN_IF_ERROR(WriteZeros(size, Size()));
    size_.store(size, std::memory_order_release);
    return Status::Ok();
  }
  int rc;
  do {
    rc = ::ftruncate(fd_, static_cast<off_t>(size));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return ErrnoStatus(errno, "ftruncate", path_);
  size_.store(size, std::memory_order_release);  // O_APPEND: the next write lands at `size`
  return Status::Ok();
}

// A private, read-only mapping of a whole file (or an empty view for an empty file).
class PosixMappedFile final : public ReadOnlyFile {
 public:
  PosixMappedFile(void* addr, size_t size) : addr_(addr), size_(size) {}
  ~PosixMappedFile() override {
    if (size_ > 0) {
      UnregisterMapping(addr_);
      ::munmap(addr_, size_);
    }
  }
  PosixMappedFile(const PosixMappedFile&) = delete;
  PosixMappedFile& operator=(const PosixMappedFile&) = delete;

  std::string_view data() const override {
    return size_ == 0 ? std::string_view() : std::string_view(static_cast<char*>(addr_), size_);
  }

 private:
  void* addr_;
  size_t size_;
};

// Holds the flock on the lock file and removes the file when released (still holding the
// lock), so a clean exit or a failed start leaves nothing behind. Lock() re-checks after
// locking that the name still refers to the locked file, so removal cannot let two
// processes "own" two different lock files.
class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(int fd, int dirfd, std::string name, bool created)
      : fd_(fd), dirfd_(dirfd), name_(std::move(name)), remove_(created) {}
  void RemoveOnRelease() override { remove_ = true; }
  ~PosixFileLock() override {
    if (remove_) ::unlinkat(dirfd_, name_.c_str(), 0);
    ::close(fd_);  // closing the fd releases the flock
    ::close(dirfd_);
  }
  PosixFileLock(const PosixFileLock&) = delete;
  PosixFileLock& operator=(const PosixFileLock&) = delete;

 private:
  int fd_;
  int dirfd_;
  std::string name_;
  bool remove_;
};

// Inode of an open fd, or of `name` in `dirfd` (0 if it does not exist).
uint64_t InodeOf(int dirfd, const char* name, int flags) {
  struct statx stx;
  if (::statx(dirfd, name, flags, STATX_INO, &stx) != 0) return 0;
  return stx.stx_ino;
}

class PosixDirectory final : public Directory {
 public:
  PosixDirectory(int dirfd, std::string path) : dirfd_(dirfd), path_(std::move(path)) {}
  ~PosixDirectory() override { ::close(dirfd_); }
  PosixDirectory(const PosixDirectory&) = delete;
  PosixDirectory& operator=(const PosixDirectory&) = delete;

  const std::string& path() const override { return path_; }
  Result<std::unique_ptr<ReadOnlyFile>> OpenReadOnly(const std::string& name) override;
  Result<std::unique_ptr<WritableFile>> CreateExclusive(const std::string& name) override;
  Result<std::unique_ptr<WritableFile>> OpenAppend(const std::string& name) override;
  Result<FileInfo> Stat(const std::string& name) override;
  Status SetModeOwner(const std::string& name, uint32_t mode, uint32_t uid,
                      uint32_t gid) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& name) override;
  Status Sync() override;
  Result<std::unique_ptr<FileLock>> Lock(const std::string& name) override;
  bool Writable() override;

 private:
  std::string PathOf(const std::string& name) const { return JoinPath(path_, name); }
  // openat() retried on EINTR; returns the fd or -1 with errno set.
  int OpenAt(const std::string& name, int flags) const;
  Status OpenSized(const std::string& name, int flags, int* fd, uint64_t* size) const;
  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& name, int flags);

  const int dirfd_;
  const std::string path_;
};

int PosixDirectory::OpenAt(const std::string& name, int flags) const {
  int fd;
  do {
    fd = ::openat(dirfd_, name.c_str(), flags | O_CLOEXEC, 0600);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Opens `name` (a plain name) and reports its size; the caller owns *fd.
Status PosixDirectory::OpenSized(const std::string& name, int flags, int* fd,
                                 uint64_t* size) const {
  CSVFS_RETURN_IF_ERROR(CheckPlainName(name));
  *fd = OpenAt(name, flags);
  if (*fd < 0) return ErrnoStatus(errno, "open", PathOf(name));
  const off_t end = ::lseek(*fd, 0, SEEK_END);
  if (end < 0) {
    Status s = ErrnoStatus(errno, "lseek", PathOf(name));
    ::close(*fd);
    *fd = -1;
    return s;
  }
  *size = static_cast<uint64_t>(end);
  return Status::Ok();
}

Result<std::unique_ptr<ReadOnlyFile>> PosixDirectory::OpenReadOnly(const std::string& name) {
  int fd = -1;
  uint64_t end = 0;
  CSVFS_RETURN_IF_ERROR(OpenSized(name, O_RDONLY, &fd, &end));
  const size_t size = static_cast<size_t>(end);
  void* addr = nullptr;
  if (size > 0) {
    addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      Status s = ErrnoStatus(errno, "mmap", PathOf(name));
      ::close(fd);
      return s;
    }
    ::madvise(addr, size, MADV_SEQUENTIAL);  // a hint; failure is harmless
    RegisterMapping(addr, size);  // its pages leave the daemon's RSS as reads pass the budget
  }
  ::close(fd);  // the mapping keeps the file's pages alive
  return std::unique_ptr<ReadOnlyFile>(new PosixMappedFile(addr, size));
}

Result<std::unique_ptr<WritableFile>> PosixDirectory::OpenWritable(const std::string& name,
                                                                   int flags) {
  int fd = -1;
  uint64_t end = 0;
  CSVFS_RETURN_IF_ERROR(OpenSized(name, flags, &fd, &end));
  return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, PathOf(name), end));
}

Result<std::unique_ptr<WritableFile>> PosixDirectory::CreateExclusive(const std::string& name) {
  // O_APPEND too, so that appends after a Truncate() land at the new end.
  return OpenWritable(name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW);
}

Result<std::unique_ptr<WritableFile>> PosixDirectory::OpenAppend(const std::string& name) {
  return OpenWritable(name, O_WRONLY | O_APPEND | O_CREAT);
}

Result<FileInfo> PosixDirectory::Stat(const std::string& name) {
  CSVFS_RETURN_IF_ERROR(CheckPlainName(name));
  struct statx stx;
  if (::statx(dirfd_, name.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) != 0) {
    return ErrnoStatus(errno, "stat", PathOf(name));
  }
  FileInfo info;
  info.size = stx.stx_size;
  info.mode = stx.stx_mode & 07777;
  info.regular = S_ISREG(stx.stx_mode);
  info.uid = stx.stx_uid;
  info.gid = stx.stx_gid;
  info.mtime_ns = static_cast<int64_t>(stx.stx_mtime.tv_sec) * 1000000000 + stx.stx_mtime.tv_nsec;
  info.inode = stx.stx_ino;
  info.nlink = stx.stx_nlink;
  return info;
}

Status PosixDirectory::SetModeOwner(const std::string& name, uint32_t mode, uint32_t uid,
                                    uint32_t gid) {
  CSVFS_RETURN_IF_ERROR(CheckPlainName(name));
  const int fd = OpenAt(name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open", PathOf(name));
  const uid_t new_uid = uid == UINT32_MAX ? static_cast<uid_t>(-1) : uid;
  const gid_t new_gid = gid == UINT32_MAX ? static_cast<gid_t>(-1) : gid;
  Status s;
  if ((new_uid != static_cast<uid_t>(-1) || new_gid != static_cast<gid_t>(-1)) &&
      ::fchown(fd, new_uid, new_gid) != 0) {
    s = ErrnoStatus(errno, "fchown", PathOf(name));
  }
  // After fchown, which clears set-id bits.
  if (s.ok() && ::fchmod(fd, mode & 07777) != 0) s = ErrnoStatus(errno, "fchmod", PathOf(name));
  ::close(fd);
  return s;
}

Status PosixDirectory::Rename(const std::string& from, const std::string& to) {
  CSVFS_RETURN_IF_ERROR(CheckPlainName(from));
  CSVFS_RETURN_IF_ERROR(CheckPlainName(to));
  if (::renameat(dirfd_, from.c_str(), dirfd_, to.c_str()) != 0) {
    return ErrnoStatus(errno, "rename", PathOf(from) + " -> " + to);
  }
  return Status::Ok();
}

Status PosixDirectory::Remove(const std::string& name) {
  CSVFS_RETURN_IF_ERROR(CheckPlainName(name));
  if (::unlinkat(dirfd_, name.c_str(), 0) != 0) return ErrnoStatus(errno, "unlink", PathOf(name));
  return Status::Ok();
}

Status PosixDirectory::Sync() {
  int rc;
  do {
    rc = ::fsync(dirfd_);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return ErrnoStatus(errno, "fsync directory", path_);
  return Status::Ok();
}

Result<std::unique_ptr<FileLock>> PosixDirectory::Lock(const std::string& name) {
  CSVFS_RETURN_IF_ERROR(CheckPlainName(name));
  for (int attempt = 0; attempt < 100; ++attempt) {
    bool created = true;
    int fd = OpenAt(name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW);
    if (fd < 0 && errno == EEXIST) {
      created = false;
      fd = OpenAt(name, O_RDWR | O_NOFOLLOW);
    }
    if (fd < 0) return ErrnoStatus(errno, "open lock file", PathOf(name));
    int rc;
    do {
      rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Status(Code::kBusy, "lock " + PathOf(name) + ": held by another process", err);
      }
      return ErrnoStatus(err, "lock", PathOf(name));
    }
    // The previous holder may have removed the file between our open and our flock.
    if (InodeOf(fd, "", AT_EMPTY_PATH) == InodeOf(dirfd_, name.c_str(), AT_SYMLINK_NOFOLLOW)) {
      const int dirfd = ::fcntl(dirfd_, F_DUPFD_CLOEXEC, 0);
      if (dirfd < 0) {
        const int err = errno;
        ::close(fd);
        return ErrnoStatus(err, "dup", path_);
      }
      return std::unique_ptr<FileLock>(new PosixFileLock(fd, dirfd, name, created));
    }
    ::close(fd);
  }
  return Status(Code::kBusy, "lock " + PathOf(name) + ": keeps changing");
}

bool PosixDirectory::Writable() {
  return ::faccessat(dirfd_, ".", W_OK, AT_EACCESS) == 0;
}

class PosixEnvImpl final : public Env {
 public:
  Result<std::unique_ptr<Directory>> OpenDirectory(const std::string& path) override {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return ErrnoStatus(errno, "open directory", path);
    return std::unique_ptr<Directory>(new PosixDirectory(fd, path));
  }

  void ReleaseFreeMemory() override { malloc_trim(0); }
  int64_t NowNanos() override {
    struct timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  }
};

}  // namespace

Env* PosixEnv() {
  static Env* const env = new PosixEnvImpl();  // never deleted
  return env;
}

}  // namespace csvfs::core
