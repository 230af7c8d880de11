// flush (every close()), fsync and release (the last close): where writes commit.
// flush's error is what close() returns, so commits happen there; replies wait for
// durability asynchronously (fs/durable_reply.h). release's error is lost: it only commits
// what no flush could (a truncate-only epoch, writers that never closed) and frees.
#include <unistd.h>

#include <cerrno>

#include "fs/durable_reply.h"
#include "fs/handle_committer.h"
#include "fs/op_common.h"
#include "fs/ops.h"

namespace csvfs::fs::ops {
namespace {

void CommitAndReply(Request& r, fuse_file_info* fi, CommitPoint point, const char* op) {
  Filesystem& fs = r.fs();
  auto h = HandleOf(fs, fi);
  if (h == nullptr) {
    r.ReplyErr(0);
    return;
  }
  CommitOutcome out = HandleCommitter(fs).Commit(*h, r.pid(), point);
  if (!out.status.ok()) {
    ReplyStatus(r, out.status);
    return;
  }
  ReplyOkWhenDurable(r, out.durable_lsn, op);
}

}  // namespace

void Flush(Request& r, fuse_ino_t ino, fuse_file_info* fi) {
  ReleaseRecordLocks(r.fs(), ino, fi);  // POSIX: any close drops the process's record locks
  if (auto h = HandleOf(r.fs(), fi); h != nullptr && h->kind == HandleKind::kSidecar) {
    bool wrote = false;
    {
      std::lock_guard<std::mutex> l(h->mu);
      std::swap(wrote, h->wrote);
    }
    // A scratch file about to replace the table: its merge is prepared now, where no one
    // waits, rather than in the rename, which holds the kernel's directory lock.
    if (wrote) r.fs().prepared_rewrites().AfterWriterClose(r.fs(), h->side, r.pid());
  }
  CommitAndReply(r, fi, CommitPoint::kFlush, "close");
}

void Fsync(Request& r, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
  auto h = HandleOf(r.fs(), fi);
  if (h != nullptr && h->kind == HandleKind::kSidecar) {
    int rc = datasync ? fdatasync(h->file.get()) : fsync(h->file.get());
    r.ReplyErr(rc == 0 ? 0 : errno);
    return;
  }
  CommitAndReply(r, fi, CommitPoint::kFsync, "fsync");
}

void Release(Request& r, fuse_ino_t ino, fuse_file_info* fi) {
  Filesystem& fs = r.fs();
  ReleaseLocksOnRelease(fs, ino, fi);
  std::shared_ptr<Handle> h = fi != nullptr ? fs.handles().Remove(fi->fh) : nullptr;
  if (h != nullptr) {
    // Errors are logged by the committer; release cannot report them.
    (void)HandleCommitter(fs).Commit(*h, h->open_pid, CommitPoint::kRelease);
    DropHandleResources(fs, *h);
  }
  r.ReplyErr(0);
}

}  // namespace csvfs::fs::ops
