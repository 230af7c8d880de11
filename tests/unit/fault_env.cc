#include "tests/unit/fault_env.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "core/env_util.h"
#include "tests/unit/fault_file.h"

namespace csvfs::testing {

using core::Code;
using core::Result;
using core::Status;

namespace {

struct Node {
  internal::FileBytes bytes;
  uint32_t mode = 0600;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
};

using Table = std::map<std::string, std::shared_ptr<Node>>;

struct DirState {
  Table live;     // what the running system sees
  Table durable;  // as of the last Directory::Sync()
  std::set<std::string> locked;
};

struct Fault {
  OpKind kind;
  int64_t at;  // the call number that fails
  Code code;
  size_t append_prefix;
};

struct Injected {  // what BeginOp() decided for one call: ok, or the injected error
  Status status;
  size_t append_prefix = 0;
};

int64_t WallClockNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status InjectedStatus(Code code, OpKind kind, int64_t n) {
  const int err = code == Code::kNoSpace ? ENOSPC : code == Code::kIoError ? EIO
                  : code == Code::kReadOnly ? EROFS : 0;
  return Status(code, std::string("injected fault at ") + OpKindName(kind) + " #" +
                          std::to_string(n), err);
}

Status DeadHandle(const std::string& path) {
  return Status::IoError(path + ": handle dead after simulated crash", EIO);
}

}  // namespace

struct FaultEnv::State {
  explicit State(uint64_t seed) : rng(seed) {}

  // Counts the call, runs on_op (without mu), and returns the injected outcome.
  Injected BeginOp(OpKind kind) {
    int64_t n;
    {
      std::lock_guard<std::mutex> lock(mu);
      n = ++counts[static_cast<int>(kind)];
    }
    if (on_op) on_op(kind, n);
    std::lock_guard<std::mutex> lock(mu);
    if (fail_all) return {InjectedStatus(*fail_all, kind, n)};
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if (it->kind != kind || it->at != n) continue;
      Injected result{InjectedStatus(it->code, kind, n), it->append_prefix};
      faults.erase(it);
      return result;
    }
    return {};
  }

  // Requires mu.
  std::shared_ptr<Node> NewNode() {
    auto node = std::make_shared<Node>();
    node->inode = next_inode++;
    node->mtime_ns = WallClockNanos();
    return node;
  }

  void Crash(CrashMode mode, DirCrash dirs_mode) {
    std::lock_guard<std::mutex> lock(mu);
    ++epoch;
    std::set<Node*> done;
    for (auto& [path, dir] : dirs) {
      if (dirs_mode == DirCrash::kKeep) {
        dir->durable = dir->live;
      } else {
        dir->live = dir->durable;
      }
      dir->locked.clear();
      for (auto& [name, node] : dir->live) {
        if (done.insert(node.get()).second) node->bytes.Crash(mode, &rng);
      }
    }
  }

  mutable std::mutex mu;
  std::map<std::string, std::shared_ptr<DirState>> dirs;
  uint64_t epoch = 0;  // bumped by each crash; handles from older epochs are dead
  uint64_t next_inode = 1;
  int64_t counts[kNumOpKinds] = {};
  std::vector<Fault> faults;
  std::optional<Code> fail_all;
  std::mt19937_64 rng;
  std::function<void(OpKind, int64_t)> on_op;
};

namespace {

// One State, shared by the FaultEnv and every handle, holds everything behind one mutex.
// Handles are constructed with st->mu held (they read the epoch).
using StatePtr = std::shared_ptr<FaultEnv::State>;

class FaultWritableFile final : public core::WritableFile {
 public:
  FaultWritableFile(StatePtr st, std::shared_ptr<Node> node, std::string path)
      : st_(std::move(st)), node_(std::move(node)), path_(std::move(path)),
        epoch_(st_->epoch), size_(node_->bytes.size()) {}

  Status Append(std::string_view data) override {
    Injected inj = st_->BeginOp(OpKind::kAppend);
    std::lock_guard<std::mutex> lock(st_->mu);
    CSVFS_RETURN_IF_ERROR(Usable());
    if (!inj.status.ok()) data = data.substr(0, std::min(inj.append_prefix, data.size()));
    internal::FileBytes& bytes = node_->bytes;
    if (preallocated_) {  // pwrite at size_, into the zeros; as PosixEnv, grow when full
      if (size_ + data.size() > bytes.size()) {
        GrowDurably(std::max<uint64_t>(data.size(), bytes.size() - size_) + kGrowBy);
      }
      bytes.Write(size_, data);
    } else {  // O_APPEND
      bytes.Write(bytes.size(), data);
    }
    node_->mtime_ns = WallClockNanos();
    size_ += data.size();
    return inj.status;
  }
  Status Sync() override {
    Injected inj = st_->BeginOp(OpKind::kSync);
    std::lock_guard<std::mutex> lock(st_->mu);
    CSVFS_RETURN_IF_ERROR(Usable());
    if (!inj.status.ok()) {
      sticky_ = inj.status;
      return inj.status;
    }
    node_->bytes.Sync();
    return Status::Ok();
  }
  Status Close() override {
    std::lock_guard<std::mutex> lock(st_->mu);
    closed_ = true;
    return epoch_ == st_->epoch ? Status::Ok() : DeadHandle(path_);
  }
  Status SetModeOwner(uint32_t mode, uint32_t uid, uint32_t gid) override {
    std::lock_guard<std::mutex> lock(st_->mu);
    CSVFS_RETURN_IF_ERROR(Usable());
    node_->mode = mode & 07777;
    if (uid != UINT32_MAX) node_->uid = uid;  // UINT32_MAX: keep
    if (gid != UINT32_MAX) node_->gid = gid;
    return Status::Ok();
  }
  Status Preallocate(uint64_t bytes) override {  // not counted; see fault_env.h
    std::lock_guard<std::mutex> lock(st_->mu);
    CSVFS_RETURN_IF_ERROR(Usable());
    preallocated_ = true;
    GrowDurably(bytes);
    return Status::Ok();
  }
  Status Truncate(uint64_t size) override {  // not counted; durable at once
    std::lock_guard<std::mutex> lock(st_->mu);
    CSVFS_RETURN_IF_ERROR(Usable());
    if (size > size_) return Status::Invalid("truncate " + path_ + ": would grow");
    if (preallocated_) {  // as PosixEnv: zero the dropped bytes, keep the allocation
      node_->bytes.ZeroDurably(size, size_);
    } else {
      node_->bytes.Truncate(size);
    }
    size_ = size;
    return Status::Ok();
  }
  uint64_t Size() const override {
    std::lock_guard<std::mutex> lock(st_->mu);
    return size_;
  }

 private:
  static constexpr uint64_t kGrowBy = uint64_t{4} << 20;  // PosixEnv's step

  Status Usable() const {  // requires st_->mu
    if (epoch_ != st_->epoch) return DeadHandle(path_);
    if (closed_) return Status::IoError(path_ + ": file already closed");
    return sticky_;
  }
  // Requires st_->mu. Zero-fills the file up to size_ + bytes and, if it grew, syncs it (as
  // PosixEnv's fdatasync after writing the zeros).
  void GrowDurably(uint64_t bytes) {
    if (size_ + bytes > node_->bytes.size()) node_->bytes.GrowDurably(size_ + bytes);
  }

  const StatePtr st_;
  const std::shared_ptr<Node> node_;
  const std::string path_;
  const uint64_t epoch_;
  uint64_t size_;  // the logical size; the rest guarded by st_->mu
  bool preallocated_ = false;
  bool closed_ = false;
  Status sticky_;  // a failed Sync()
};

class FaultFileLock final : public core::FileLock {
 public:
  FaultFileLock(StatePtr st, std::shared_ptr<DirState> dir, std::string name)
      : st_(std::move(st)), dir_(std::move(dir)), name_(std::move(name)), epoch_(st_->epoch) {}
  ~FaultFileLock() override {
    std::lock_guard<std::mutex> lock(st_->mu);
    if (epoch_ == st_->epoch) dir_->locked.erase(name_);  // else the crash released it
  }

 private:
  const StatePtr st_;
  const std::shared_ptr<DirState> dir_;
  const std::string name_;
  const uint64_t epoch_;
};

class FaultDirectory final : public core::Directory {
 public:
  FaultDirectory(StatePtr st, std::shared_ptr<DirState> dir, std::string path)
      : st_(std::move(st)), dir_(std::move(dir)), path_(std::move(path)), epoch_(st_->epoch) {}

  const std::string& path() const override { return path_; }

  Result<std::unique_ptr<core::ReadOnlyFile>> OpenReadOnly(const std::string& name) override {
    CSVFS_RETURN_IF_ERROR(core::CheckPlainName(name));
    std::lock_guard<std::mutex> lock(st_->mu);
    CSVFS_RETURN_IF_ERROR(Alive());
    std::shared_ptr<Node> node = Find(name);
    if (!node) return NotFound("open", name);
    return internal::Snapshot(node->bytes);
  }
  Result<std::unique_ptr<core::WritableFile>> CreateExclusive(const std::string& name) override {
    return OpenWritable(name, /*exclusive=*/true);
  }
  Result<std::unique_ptr<core::WritableFile>> OpenAppend(const std::string& name) override {
    return OpenWritable(name, /*exclusive=*/false);
  }
  Result<core::FileInfo> Stat(const std::string& name) override {
    CSVFS_RETURN_IF_ERROR(core::CheckPlainName(name));
    std::lock_guard<std::mutex> lock(st_->mu);
    CSVFS_RETURN_IF_ERROR(Alive());
    std::shared_ptr<Node> node = Find(name);
    if (!node) return NotFound("stat", name);
    return core::FileInfo{.size = node->bytes.size(), .mode = node->mode, .uid = node->uid,
                          .gid = node->gid, .mtime_ns = node->mtime_ns, .inode = node->inode};
  }
  // Not counted; durable at once (as metadata changes are on a journaling file system).
  Status SetModeOwner(const std::string& name, uint32_t mode, uint32_t uid,
                      uint32_t gid) override {
    CSVFS_RETURN_IF_ERROR(core::CheckPlainName(name));
    std::lock_guard<std::mutex> lock(st_->mu);
    CSVFS_RETURN_IF_ERROR(Alive());
    std::shared_ptr<Node> node = Find(name);
    if (!node) return NotFound("chmod", name);
    node->mode = mode & 07777;
    if (uid != UINT32_MAX) node->uid = uid;  // UINT32_MAX: keep
    if (gid != UINT32_MAX) node->gid = gid;
    return Status::Ok();
  }
  Status Rename(const std::string& from, const std::string& to) override {
    CSVFS_RETURN_IF_ERROR(core::CheckPlainName(from));
    CSVFS_RETURN_IF_ERROR(core::CheckPlainName(to));
    std::unique_lock<std::mutex> lock;
    CSVFS_RETURN_IF_ERROR(BeginCounted(OpKind::kRename, &lock));
    std::shared_ptr<Node> node = Find(from);
    if (!node) return NotFound("rename", from);
    if (from == to) return Status::Ok();
    dir_->live[to] = std::move(node);  // replaces any target in one step
    dir_->live.erase(from);
    return Status::Ok();
  }
  Status Remove(const std::string& name) override {
    CSVFS_RETURN_IF_ERROR(core::CheckPlainName(name));
    std::unique_lock<std::mutex> lock;
    CSVFS_RETURN_IF_ERROR(BeginCounted(OpKind::kRemove, &lock));
    if (dir_->live.erase(name) == 0) return NotFound("unlink", name);
    return Status::Ok();
  }
  Status Sync() override {
    std::unique_lock<std::mutex> lock;
    CSVFS_RETURN_IF_ERROR(BeginCounted(OpKind::kDirSync, &lock));
    dir_->durable = dir_->live;
    return Status::Ok();
  }
  Result<std::unique_ptr<core::FileLock>> Lock(const std::string& name) override {
    CSVFS_RETURN_IF_ERROR(core::CheckPlainName(name));
    std::lock_guard<std::mutex> lock(st_->mu);
    CSVFS_RETURN_IF_ERROR(Alive());
    if (!Find(name)) dir_->live[name] = st_->NewNode();
    if (!dir_->locked.insert(name).second) {
      return Status::Busy("lock " + core::JoinPath(path_, name) + ": already held");
    }
    return std::unique_ptr<core::FileLock>(new FaultFileLock(st_, dir_, name));
  }
  bool Writable() override {
    std::lock_guard<std::mutex> lock(st_->mu);
    return epoch_ == st_->epoch;
  }

 private:
  Result<std::unique_ptr<core::WritableFile>> OpenWritable(const std::string& name,
                                                           bool exclusive) {
    CSVFS_RETURN_IF_ERROR(core::CheckPlainName(name));
    std::unique_lock<std::mutex> lock;
    CSVFS_RETURN_IF_ERROR(BeginCounted(OpKind::kCreate, &lock));
    std::shared_ptr<Node> node = Find(name);
    if (node && exclusive) {
      return Status(Code::kExists, "create " + core::JoinPath(path_, name) + ": file exists",
                    EEXIST);
    }
    if (!node) {
      node = st_->NewNode();
      dir_->live[name] = node;
    }
    return std::unique_ptr<core::WritableFile>(
        new FaultWritableFile(st_, std::move(node), core::JoinPath(path_, name)));
  }
  // Counts a call of `kind` and takes the lock; an error if the handle is dead or a fault hit.
  Status BeginCounted(OpKind kind, std::unique_lock<std::mutex>* lock) {
    Injected inj = st_->BeginOp(kind);
    *lock = std::unique_lock<std::mutex>(st_->mu);
    CSVFS_RETURN_IF_ERROR(Alive());
    return inj.status;
  }
  // The rest require st_->mu held.
  Status Alive() const { return epoch_ == st_->epoch ? Status::Ok() : DeadHandle(path_); }
  std::shared_ptr<Node> Find(const std::string& name) const {
    auto it = dir_->live.find(name);
    return it == dir_->live.end() ? nullptr : it->second;
  }
  Status NotFound(const char* op, const std::string& name) const {
    return Status(Code::kNotFound, std::string(op) + " " + core::JoinPath(path_, name) +
                                       ": no such file", ENOENT);
  }

  const StatePtr st_;
  const std::shared_ptr<DirState> dir_;
  const std::string path_;
  const uint64_t epoch_;
};

}  // namespace

FaultEnv::FaultEnv(uint64_t seed)
    : state_(std::make_shared<State>(seed)), on_op(state_->on_op) {}

Result<std::unique_ptr<core::Directory>> FaultEnv::OpenDirectory(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::shared_ptr<DirState>& dir = state_->dirs[path];
  if (!dir) dir = std::make_shared<DirState>();
  return std::unique_ptr<core::Directory>(new FaultDirectory(state_, dir, path));
}

int64_t FaultEnv::NowNanos() { return WallClockNanos(); }

void FaultEnv::SimulateCrash(CrashMode mode, DirCrash dirs) { state_->Crash(mode, dirs); }

void FaultEnv::FailAt(OpKind kind, int nth, Code code, size_t append_prefix) {
  std::lock_guard<std::mutex> lock(state_->mu);
  const int64_t at = state_->counts[static_cast<int>(kind)] + nth;
  state_->faults.push_back(Fault{kind, at, code, append_prefix});
}

void FaultEnv::FailAllOps(Code code) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->fail_all = code;
}

void FaultEnv::ClearFaults() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->faults.clear();
  state_->fail_all.reset();
}

int64_t FaultEnv::Count(OpKind kind) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->counts[static_cast<int>(kind)];
}

int64_t FaultEnv::SyncedLength(const std::string& dir_path, const std::string& name) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto dir = state_->dirs.find(dir_path);
  if (dir == state_->dirs.end() || !dir->second->live.count(name)) return -1;
  return static_cast<int64_t>(dir->second->live.at(name)->bytes.durable_size());
}

}  // namespace csvfs::testing
