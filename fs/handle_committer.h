// HandleCommitter: commits what an open handle has pending, at the points where the kernel
// tells us a writer is done: flush (every close()), fsync, and release (the last close).
// FUSE-free; its callers (fs/op_close.cc for flush, fsync and release, fs/op_write.cc for
// appends) turn the outcome into a (possibly delayed) reply.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "fs/filesystem.h"
#include "fs/handle.h"

namespace csvfs::fs {

enum class CommitPoint { kFlush, kFsync, kRelease };

struct CommitOutcome {
  core::Status status;       // the first failure, if any
  uint64_t durable_lsn = 0;  // wait for this lsn before acknowledging (0: nothing to wait for)
};

class HandleCommitter {
 public:
  explicit HandleCommitter(Filesystem& fs) : fs_(fs) {}

  // Commits `h`'s pending changes for `point` on behalf of `pid`. Locks h.mu itself.
  CommitOutcome Commit(Handle& h, uint32_t pid, CommitPoint point);

  // Feeds bytes written through an append handle; commits the records they complete (their
  // lsn becomes h.last_lsn, which the close waits for). Locks h.mu itself.
  core::Status AppendWrite(Handle& h, uint32_t pid, std::string_view data);

 private:
  CommitOutcome CommitAppend(Handle& h, uint32_t pid, CommitPoint point);
  CommitOutcome CommitTableImage(Handle& h, uint32_t pid, CommitPoint point);
  CommitOutcome CommitRowImage(Handle& h, uint32_t pid, CommitPoint point);
  // Appends complete records; updates h.last_lsn. Caller holds h.mu.
  core::Status AppendRecords(Handle& h, uint32_t pid, const std::string& records);

  Filesystem& fs_;
};

}  // namespace csvfs::fs
