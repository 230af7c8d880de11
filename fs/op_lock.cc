// getlk, setlk, flock: file locks kept by the daemon per table (fs/lock_table.h says why),
// and their release at close.
//
// A request that must wait is detached and answered later by whoever frees the lock (from
// that thread, without any lock held), by an interrupt (EINTR: `flock -w`, `timeout`,
// Ctrl-C), or at unmount (EIO). libfuse may call the interrupt callback from inside
// fuse_req_interrupt_func, where replying would free the request under libfuse's feet: the
// LockTable holds every result back until Arm(), called once registration returned.
#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>

#include "fs/op_common.h"
#include "fs/ops.h"

namespace csvfs::fs::ops {
namespace {

void OnInterrupt(fuse_req_t req, void* data) {
  auto* fs = static_cast<Filesystem*>(fuse_req_userdata(req));
  // Delivers EINTR through the waiter's callback (or at Arm, if still arming).
  (void)fs->locks().Cancel(reinterpret_cast<uintptr_t>(data));
}

// Registers the interrupt callback of a waiting request and lets its result through.
void WaitDetached(Filesystem& fs, fuse_req_t req, uint64_t waiter) {
  fuse_req_interrupt_func(req, OnInterrupt, reinterpret_cast<void*>(uintptr_t{waiter}));
  fs.locks().Arm(waiter);
}

LockKind KindOf(short type) {
  switch (type) {
    case F_RDLCK:
      return LockKind::kRead;
    case F_WRLCK:
      return LockKind::kWrite;
    default:
      return LockKind::kUnlock;
  }
}

// libfuse hands over ranges as l_start and l_len (0: to the end of file).
bool RangeOf(const struct flock& fl, int64_t* start, int64_t* end) {
  *start = fl.l_start;
  if (fl.l_start < 0 || fl.l_len < 0) return false;
  if (fl.l_len == 0 || fl.l_len - 1 > kToEof - fl.l_start) {
    *end = kToEof;
  } else {
    *end = fl.l_start + fl.l_len - 1;
  }
  return true;
}

}  // namespace

std::string LockKeyOf(Filesystem& fs, fuse_ino_t ino) {
  auto info = fs.inodes().Get(ino);
  if (info && info->kind == NodeKind::kTable) return fs.table_name();
  if (info && info->kind == NodeKind::kRow) return "rows/" + info->row_id;
  return "#" + std::to_string(ino);  // scratch and status files: stable inodes
}

void Getlk(Request& r, fuse_ino_t ino, fuse_file_info* fi, struct flock* lock) {
  Filesystem& fs = r.fs();
  RangeLock want;
  if (!RangeOf(*lock, &want.start, &want.end)) {
    fs.Refuse(r.pid(), "F_GETLK", LockKeyOf(fs, ino), EINVAL, "negative range");
    r.ReplyErr(EINVAL);
    return;
  }
  want.kind = KindOf(lock->l_type);
  want.owner = fi->lock_owner;
  want.pid = r.pid();
  RangeLock found = fs.locks().Test(LockKeyOf(fs, ino), want);
  struct flock out = *lock;
  out.l_whence = SEEK_SET;
  if (found.kind == LockKind::kUnlock) {
    out.l_type = F_UNLCK;
  } else {
    out.l_type = found.kind == LockKind::kRead ? F_RDLCK : F_WRLCK;
    out.l_start = found.start;
    out.l_len = found.end == kToEof ? 0 : found.end - found.start + 1;
    out.l_pid = static_cast<pid_t>(found.pid);
  }
  fuse_reply_lock(r.Detach(), &out);
}

void Setlk(Request& r, fuse_ino_t ino, fuse_file_info* fi, struct flock* lock, int sleep) {
  Filesystem& fs = r.fs();
  const std::string key = LockKeyOf(fs, ino);
  RangeLock want;
  if (!RangeOf(*lock, &want.start, &want.end)) {
    fs.Refuse(r.pid(), "F_SETLK", key, EINVAL, "negative range");
    r.ReplyErr(EINVAL);
    return;
  }
  want.kind = KindOf(lock->l_type);
  want.owner = fi->lock_owner;
  want.pid = lock->l_pid > 0 ? static_cast<uint32_t>(lock->l_pid) : r.pid();
  want.via = fi->fh;
  // The callback runs only after Arm (inside WaitDetached), once *holder is set.
  auto holder = std::make_shared<fuse_req_t>(nullptr);
  LockOutcome o = fs.locks().SetRange(key, want, sleep != 0,
                                      [holder](int err) { fuse_reply_err(*holder, err); });
  if (!o.waiting()) {
    r.ReplyErr(o.err);
    return;
  }
  *holder = r.Detach();
  WaitDetached(fs, *holder, o.waiter);
}

void Flock(Request& r, fuse_ino_t ino, fuse_file_info* fi, int op) {
  Filesystem& fs = r.fs();
  const std::string key = LockKeyOf(fs, ino);
  LockKind kind;
  switch (op & ~LOCK_NB) {
    case LOCK_SH:
      kind = LockKind::kRead;
      break;
    case LOCK_EX:
      kind = LockKind::kWrite;
      break;
    case LOCK_UN:
      kind = LockKind::kUnlock;
      break;
    default:
      fs.Refuse(r.pid(), "flock", key, EINVAL, "unknown operation " + std::to_string(op));
      r.ReplyErr(EINVAL);
      return;
  }
  const bool wait = (op & LOCK_NB) == 0;
  auto holder = std::make_shared<fuse_req_t>(nullptr);
  LockOutcome o = fs.locks().Flock(key, fi->lock_owner, r.pid(), kind, wait,
                                   [holder](int err) { fuse_reply_err(*holder, err); });
  if (!o.waiting()) {
    r.ReplyErr(o.err);
    return;
  }
  *holder = r.Detach();
  WaitDetached(fs, *holder, o.waiter);
}

void ReleaseRecordLocks(Filesystem& fs, fuse_ino_t ino, const fuse_file_info* fi) {
  if (fi != nullptr) fs.locks().ReleasePosix(LockKeyOf(fs, ino), fi->lock_owner);
}

void ReleaseLocksOnRelease(Filesystem& fs, fuse_ino_t ino, const fuse_file_info* fi) {
  if (fi == nullptr) return;
  const std::string key = LockKeyOf(fs, ino);
  if (fi->flock_release) fs.locks().ReleaseFlock(key, fi->lock_owner);
  fs.locks().ReleaseOpenFile(key, fi->fh);
}

}  // namespace csvfs::fs::ops
