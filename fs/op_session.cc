// init, statfs, access: session-wide operations.
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "fs/op_common.h"
#include "fs/ops.h"

namespace csvfs::fs::ops {

void Init(void* userdata, fuse_conn_info* conn) {
  // Cached data is invalidated explicitly (fs/notifier.h): mtime moves with every commit,
  // which must not throw away the page cache of readers of an unchanged lineage.
  conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
  // The writeback cache would hide record boundaries and acknowledge writes early.
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
  conn->want &= ~FUSE_CAP_EXPORT_SUPPORT;
  // Locks are kept by the daemon per table (fs/lock_table.h): the kernel's own would be per
  // inode, and commits give the table new inodes.
  if (conn->capable & FUSE_CAP_FLOCK_LOCKS) conn->want |= FUSE_CAP_FLOCK_LOCKS;
  if (conn->capable & FUSE_CAP_POSIX_LOCKS) conn->want |= FUSE_CAP_POSIX_LOCKS;
  // Table readers use direct_io (fs/device_io.h says why); MAP_SHARED needs the kernel's
  // DIRECT_IO_ALLOW_MMAP, which fs/device_io.cc asks for in the INIT reply.
  auto* fs = static_cast<Filesystem*>(userdata);
  if (fs != nullptr && !fs->device_io().kernel_offers_mmap.load()) {
    spdlog::warn("the kernel does not offer FUSE_DIRECT_IO_ALLOW_MMAP (Linux < 6.6): "
                 "MAP_SHARED mmap of the table will fail with ENODEV (MAP_PRIVATE works)");
  }
}

void Statfs(Request& r, fuse_ino_t ino) {
  Filesystem& fs = r.fs();
  struct statvfs st;
  std::memset(&st, 0, sizeof st);
  if (fstatvfs(fs.sidecar().root_fd(), &st) != 0) {
    st.f_bsize = 4096;
    st.f_frsize = 4096;
  }
  st.f_namemax = 255;
  st.f_files = std::max<fsfilcnt_t>(st.f_files, fs.Current()->row_count() + 3);
  if (fs.read_only()) st.f_flag |= ST_RDONLY;
  r.ReplyStatfs(st);
}

void Access(Request& r, fuse_ino_t ino, int mask) {
  Filesystem& fs = r.fs();
  auto info = fs.inodes().Get(ino);
  if (!info) {
    r.ReplyErr(ENOENT);
    return;
  }
  if ((mask & W_OK) != 0) {
    if (fs.read_only()) {
      r.ReplyErr(EROFS);
      return;
    }
    if (info->kind == NodeKind::kStatus) {
      r.ReplyErr(EACCES);
      return;
    }
  }
  if ((mask & X_OK) != 0 && info->kind != NodeKind::kRoot && info->kind != NodeKind::kRowsDir) {
    struct stat st;
    if (info->kind != NodeKind::kSidecar || Sidecar::StatNode(*info->side, &st) != 0 ||
        (st.st_mode & 0111) == 0) {
      r.ReplyErr(EACCES);
      return;
    }
  }
  r.ReplyErr(0);
}

}  // namespace csvfs::fs::ops
