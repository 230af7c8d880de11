// MemEnv: an in-memory Env for tests. Directories are created on first OpenDirectory(); all
// state lives in one MemFs shared (via shared_ptr) by the Env and every handle, so handles stay
// valid even if the Env is destroyed first. Sync() succeeds and does nothing. One mutex guards
// everything: this is a test double, not a fast filesystem.
#include <chrono>
#include <map>
#include <mutex>
#include <set>

#include "core/env.h"
#include "core/env_util.h"

namespace csvfs::core {
namespace {

struct MemFile {
  std::string data;
  uint32_t mode = 0600;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
};

struct MemDir {
  std::map<std::string, std::shared_ptr<MemFile>> files;
  std::set<std::string> locked;  // names with a live FileLock
};

int64_t WallClockNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct MemFs {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<MemDir>> dirs;
  uint64_t next_inode = 1;

  // Requires mu held.
  std::shared_ptr<MemFile> NewFile() {
    auto file = std::make_shared<MemFile>();
    file->inode = next_inode++;
    file->mtime_ns = WallClockNanos();
    return file;
  }
};

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(std::shared_ptr<MemFs> fs, std::shared_ptr<MemFile> file, std::string path)
      : fs_(std::move(fs)), file_(std::move(file)), path_(std::move(path)) {
    size_ = file_->data.size();
  }

  Status Append(std::string_view data) override {
    std::lock_guard<std::mutex> lock(fs_->mu);
    if (closed_) return Status::IoError("file already closed: " + path_);
    file_->data.append(data);
    file_->mtime_ns = WallClockNanos();
    size_ += data.size();
    return Status::Ok();
  }
  Status Sync() override {
    std::lock_guard<std::mutex> lock(fs_->mu);
    if (closed_) return Status::IoError("file already closed: " + path_);
    return Status::Ok();
  }
  Status Close() override {
    std::lock_guard<std::mutex> lock(fs_->mu);
    closed_ = true;
    return Status::Ok();
  }
  Status SetModeOwner(uint32_t mode, uint32_t uid, uint32_t gid) override {
    std::lock_guard<std::mutex> lock(fs_->mu);
    file_->mode = mode & 07777;
    if (uid != UINT32_MAX) file_->uid = uid;  // UINT32_MAX: keep
    if (gid != UINT32_MAX) file_->gid = gid;
    return Status::Ok();
  }
  Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> lock(fs_->mu);
    if (closed_) return Status::IoError("file already closed: " + path_);
    if (size > file_->data.size()) return Status::Invalid("truncate " + path_ + ": would grow");
    file_->data.resize(size);
    size_ = size;
    return Status::Ok();
  }
  uint64_t Size() const override {
    std::lock_guard<std::mutex> lock(fs_->mu);
    return size_;
  }

 private:
  const std::shared_ptr<MemFs> fs_;
  const std::shared_ptr<MemFile> file_;
  const std::string path_;
  uint64_t size_ = 0;  // guarded by fs_->mu
  bool closed_ = false;
};

// A snapshot copy: later appends and renames do not change it.
class MemReadOnlyFile final : public ReadOnlyFile {
 public:
  explicit MemReadOnlyFile(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string_view data() const override { return bytes_; }

 private:
  const std::string bytes_;
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::shared_ptr<MemFs> fs, std::shared_ptr<MemDir> dir, std::string name)
      : fs_(std::move(fs)), dir_(std::move(dir)), name_(std::move(name)) {}
  ~MemFileLock() override {
    std::lock_guard<std::mutex> lock(fs_->mu);
    dir_->locked.erase(name_);
    dir_->files.erase(name_);  // as PosixEnv: the lock file goes with the lock
  }

 private:
  const std::shared_ptr<MemFs> fs_;
  const std::shared_ptr<MemDir> dir_;
  const std::string name_;
};

class MemDirectory final : public Directory {
 public:
  MemDirectory(std::shared_ptr<MemFs> fs, std::shared_ptr<MemDir> dir, std::string path)
      : fs_(std::move(fs)), dir_(std::move(dir)), path_(std::move(path)) {}

  const std::string& path() const override { return path_; }
  Result<std::unique_ptr<ReadOnlyFile>> OpenReadOnly(const std::string& name) override;
  Result<std::unique_ptr<WritableFile>> CreateExclusive(const std::string& name) override;
  Result<std::unique_ptr<WritableFile>> OpenAppend(const std::string& name) override;
  Result<FileInfo> Stat(const std::string& name) override;
  Status SetModeOwner(const std::string& name, uint32_t mode, uint32_t uid,
                      uint32_t gid) override {
    CSVFS_RETURN_IF_ERROR(CheckPlainName(name));
    std::lock_guard<std::mutex> lock(fs_->mu);
    std::shared_ptr<MemFile> file = Find(name);
    if (!file) return NotFound("chmod", name);
    file->mode = mode & 07777;
    if (uid != UINT32_MAX) file->uid = uid;  // UINT32_MAX: keep
    if (gid != UINT32_MAX) file->gid = gid;
    return Status::Ok();
  }
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& name) override;
  Status Sync() override { return Status::Ok(); }
  Result<std::unique_ptr<FileLock>> Lock(const std::string& name) override;
  bool Writable() override { return true; }

 private:
  // Requires fs_->mu held. Null if `name` does not exist.
  std::shared_ptr<MemFile> Find(const std::string& name) const {
    auto it = dir_->files.find(name);
    return it == dir_->files.end() ? nullptr : it->second;
  }
  Status NotFound(const std::string& op, const std::string& name) const {
    return Status::NotFound(op + " " + JoinPath(path_, name) + ": no such file");
  }
  std::unique_ptr<WritableFile> Writer(std::shared_ptr<MemFile> file, const std::string& name) {
    return std::make_unique<MemWritableFile>(fs_, std::move(file), JoinPath(path_, name));
  }

  const std::shared_ptr<MemFs> fs_;
  const std::shared_ptr<MemDir> dir_;
  const std::string path_;
};

Result<std::unique_ptr<ReadOnlyFile>> MemDirectory::OpenReadOnly(const std::string& name) {
  CSVFS_RETURN_IF_ERROR(CheckPlainName(name));
  std::lock_guard<std::mutex> lock(fs_->mu);
  std::shared_ptr<MemFile> file = Find(name);
  if (!file) return NotFound("open", name);
  return std::unique_ptr<ReadOnlyFile>(new MemReadOnlyFile(file->data));
}

Result<std::unique_ptr<WritableFile>> MemDirectory::CreateExclusive(const std::string& name) {
  CSVFS_RETURN_IF_ERROR(CheckPlainName(name));
  std::lock_guard<std::mutex> lock(fs_->mu);
  if (Find(name)) return Status::Exists("create " + JoinPath(path_, name) + ": file exists");
  std::shared_ptr<MemFile> file = fs_->NewFile();
  dir_->files[name] = file;
  return Writer(std::move(file), name);
}

Result<std::unique_ptr<WritableFile>> MemDirectory::OpenAppend(const std::string& name) {
  CSVFS_RETURN_IF_ERROR(CheckPlainName(name));
  std::lock_guard<std::mutex> lock(fs_->mu);
  std::shared_ptr<MemFile> file = Find(name);
  if (!file) {
    file = fs_->NewFile();
    dir_->files[name] = file;
  }
  return Writer(std::move(file), name);
}

Result<FileInfo> MemDirectory::Stat(const std::string& name) {
  CSVFS_RETURN_IF_ERROR(CheckPlainName(name));
  std::lock_guard<std::mutex> lock(fs_->mu);
  std::shared_ptr<MemFile> file = Find(name);
  if (!file) return NotFound("stat", name);
  FileInfo info;
  info.size = file->data.size();
  info.mode = file->mode;
  info.uid = file->uid;
  info.gid = file->gid;
  info.mtime_ns = file->mtime_ns;
  info.inode = file->inode;
  return info;
}

Status MemDirectory::Rename(const std::string& from, const std::string& to) {
  CSVFS_RETURN_IF_ERROR(CheckPlainName(from));
  CSVFS_RETURN_IF_ERROR(CheckPlainName(to));
  std::lock_guard<std::mutex> lock(fs_->mu);
  std::shared_ptr<MemFile> file = Find(from);
  if (!file) return NotFound("rename", from);
  if (from == to) return Status::Ok();
  dir_->files[to] = std::move(file);  // replaces any target in one step
  dir_->files.erase(from);
  return Status::Ok();
}

Status MemDirectory::Remove(const std::string& name) {
  CSVFS_RETURN_IF_ERROR(CheckPlainName(name));
  std::lock_guard<std::mutex> lock(fs_->mu);
  if (dir_->files.erase(name) == 0) return NotFound("unlink", name);
  return Status::Ok();
}

Result<std::unique_ptr<FileLock>> MemDirectory::Lock(const std::string& name) {
  CSVFS_RETURN_IF_ERROR(CheckPlainName(name));
  std::lock_guard<std::mutex> lock(fs_->mu);
  if (!Find(name)) dir_->files[name] = fs_->NewFile();
  if (!dir_->locked.insert(name).second) {
    return Status::Busy("lock " + JoinPath(path_, name) + ": already held");
  }
  return std::unique_ptr<FileLock>(new MemFileLock(fs_, dir_, name));
}

class MemEnv final : public Env {
 public:
  Result<std::unique_ptr<Directory>> OpenDirectory(const std::string& path) override {
    std::lock_guard<std::mutex> lock(fs_->mu);
    std::shared_ptr<MemDir>& dir = fs_->dirs[path];
    if (!dir) dir = std::make_shared<MemDir>();
    return std::unique_ptr<Directory>(new MemDirectory(fs_, dir, path));
  }
  int64_t NowNanos() override { return WallClockNanos(); }

 private:
  const std::shared_ptr<MemFs> fs_ = std::make_shared<MemFs>();
};

}  // namespace

std::unique_ptr<Env> NewMemEnv() { return std::make_unique<MemEnv>(); }

}  // namespace csvfs::core
