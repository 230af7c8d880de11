// LockTable: the daemon's file locks (flock(2) and fcntl(2) record locks). FUSE-free.
//
// Locks are kept per *file key*, not per kernel inode: every commit other than an append
// gives the table a new inode (fs/inode_table.h), so a kernel-side lock on the old inode
// would stop excluding the moment someone runs `sed -i`. The adapter passes
// LockKeyOf() as the key: the table's name for every inode of the table, `rows/<id>` for a
// row file (whatever inode the kernel holds for it), and the inode number for scratch files
// and the status file (their inodes are stable).
//
// Semantics follow Linux:
//  - flock: one lock per (file, owner), shared or exclusive; the owner is the open file
//    description (FUSE's lock_owner). Converting a lock first drops the old one (waking
//    waiters), then asks for the new one, as flock(2) does. Released by LOCK_UN or by the
//    last close of the open file description (ReleaseFlock).
//  - record locks: byte ranges [start, end] (end kToEof = to end of file and beyond) of
//    read or write type per owner (the process's file table, FUSE's lock_owner). Setting a
//    range replaces the owner's locks in it (splitting them), adjacent ranges of one type
//    merge, unlocking may split a range in two. Test() reports a conflicting lock with its
//    pid. Every close of the file by the owner releases all its record locks
//    (ReleasePosix), as POSIX says. flock and record locks do not interact (as on Linux).
//    A record-lock wait that would close a cycle of owners waiting for each other (across
//    files, up to 10 owners deep, as Linux checks) fails with EDEADLK instead.
//  - waiting: a request that conflicts and may wait becomes a *waiter* and is granted in
//    arrival order when the locks in its way go away. Its result is delivered once through
//    its `done` callback, called without any LockTable lock held. Between the request and
//    Arm(id) the callback is held back (the adapter registers its interrupt handler in that
//    window and must not see a reply racing it); Arm delivers a result that arrived meanwhile.
//    Cancel(id) (an interrupted request) ends a waiter with EINTR; Shutdown() ends all
//    waiters with an error and makes later waits fail at once.
//
// Thread-safety: all methods may be called from any thread; `done` callbacks may be called
// from inside any method that releases, cancels or arms (never with the table's lock held).
// Cost: O(locks of the file + waiters) per call; the table holds only what is locked.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace csvfs::fs {

enum class LockKind : uint8_t { kUnlock, kRead, kWrite };

inline constexpr int64_t kToEof = INT64_MAX;

struct RangeLock {
  LockKind kind = LockKind::kUnlock;
  uint64_t owner = 0;
  uint32_t pid = 0;
  int64_t start = 0;
  int64_t end = kToEof;  // inclusive
  uint64_t via = 0;      // record locks: the open file (handle) they were taken through
  bool operator==(const RangeLock&) const = default;
};

// The outcome of a lock request: granted (err 0), refused (err EAGAIN, EINVAL, ...), or
// waiting (waiter != 0: the result comes through `done` after Arm(waiter)).
struct LockOutcome {
  int err = 0;
  uint64_t waiter = 0;
  bool waiting() const { return waiter != 0; }
};

class LockTable {
 public:
  using Done = std::function<void(int err)>;

  LockTable() = default;
  LockTable(const LockTable&) = delete;
  LockTable& operator=(const LockTable&) = delete;

  // F_GETLK: the first lock of another owner that conflicts with `want`, or a lock of kind
  // kUnlock (with want's range) if there is none.
  RangeLock Test(const std::string& file, const RangeLock& want) const;
  // F_SETLK / F_SETLKW (`wait`). kUnlock releases the range. EINVAL for an empty range,
  // EAGAIN on a conflict without `wait`, EDEADLK if waiting would deadlock.
  LockOutcome SetRange(const std::string& file, const RangeLock& lock, bool wait, Done done);
  // flock(2): kRead = LOCK_SH, kWrite = LOCK_EX, kUnlock = LOCK_UN; !wait = LOCK_NB
  // (EWOULDBLOCK on conflict).
  LockOutcome Flock(const std::string& file, uint64_t owner, uint32_t pid, LockKind kind, bool wait,
                    Done done);

  // Ends the arming window of a waiter (see the file comment).
  void Arm(uint64_t waiter);
  // Ends a waiter with EINTR. Returns false if it had already been granted or ended.
  bool Cancel(uint64_t waiter);
  // Close of a file by a record-lock owner: drops all its record locks on `file`.
  void ReleasePosix(const std::string& file, uint64_t owner);
  // Last close of an open file description: drops its flock lock on `file`.
  void ReleaseFlock(const std::string& file, uint64_t owner);
  // Last close of an open file description: drops the record locks taken through it
  // (`via`). These are the open file's own (OFD, F_OFD_SETLK) locks, which the kernel
  // never unlocks at close; a process's classic locks taken through it were already dropped
  // by the process's close of its descriptor (ReleasePosix).
  void ReleaseOpenFile(const std::string& file, uint64_t via);
  // Unmount: every waiter ends with `err`; later requests that would wait get `err` at once.
  void Shutdown(int err);

  // Introspection (tests, status).
  std::vector<RangeLock> RangesOf(const std::string& file) const;  // sorted by owner, start
  size_t waiters() const;
  size_t files() const;  // files with any lock held

 private:
  struct FlockHolder {
    bool exclusive = false;
    uint32_t pid = 0;
  };
  struct FileLocks {
    std::vector<RangeLock> ranges;
    std::map<uint64_t, FlockHolder> flocks;
    bool empty() const { return ranges.empty() && flocks.empty(); }
  };
  struct Waiter {
    uint64_t id = 0;
    std::string file;
    bool is_flock = false;
    RangeLock lock;  // flock: kind, owner and pid only
    Done done;
    bool armed = false;
    bool finished = false;  // result decided (granted or ended) but not yet delivered
    int result = 0;
  };
  using Delivery = std::vector<std::pair<Done, int>>;

  // Helpers below run with mu_ held.
  bool RangeConflicts(const FileLocks& f, const RangeLock& want, const RangeLock** with) const;
  bool FlockConflicts(const FileLocks& f, uint64_t owner, bool exclusive) const;
  static void ApplyRange(FileLocks* f, const RangeLock& lock);
  void BlockersOf(const std::string& file, const RangeLock& want, std::vector<uint64_t>* out) const;
  bool WouldDeadlock(const std::string& file, const RangeLock& want) const;
  LockOutcome Enqueue(const std::string& file, bool is_flock, const RangeLock& lock, Done done);
  // Decides a waiter's result; delivers it at once if armed. Returns the next waiter.
  std::list<Waiter>::iterator Finish(std::list<Waiter>::iterator it, int err, Delivery* out);
  void Wake(const std::string& file, Delivery* out);
  void Tidy(const std::string& file);
  static void Deliver(Delivery* out);

  mutable std::mutex mu_;
  std::unordered_map<std::string, FileLocks> files_;
  std::list<Waiter> waiters_;  // arrival order; finished-but-unarmed ones stay until Arm
  uint64_t next_waiter_ = 1;
  int shutdown_err_ = 0;
};

}  // namespace csvfs::fs
