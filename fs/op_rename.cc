// rename: replacing the table by rename commits a rewrite; renaming the table elsewhere in
// the root makes a copy and keeps the table (the documented departure from POSIX);
// rows/a -> rows/b changes a row's key; sidecar files move freely among the root's other
// names and sidecar directories.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "fs/durable_reply.h"
#include "fs/names.h"
#include "fs/op_common.h"
#include "fs/ops.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

namespace csvfs::fs::ops {
namespace {

// rename(sidecar file, <table>): commits the file's content, mapped, as a rewrite based on
// what the renaming (or else the writing) process read, then removes the file.
void ReplaceTable(Request& r, int dir, const std::string& from,
                  const std::shared_ptr<SidecarNode>& node) {
  Filesystem& fs = r.fs();
  UniqueFd file;
  uint64_t size = 0;
  struct stat st;
  if (int err = Sidecar::OpenRegular(dir, from, &file, &size, &st)) {
    if (err == EINVAL) fs.Refuse(r.pid(), "rename over the table", from, EINVAL, "not a regular file");
    r.ReplyErr(err);
    return;
  }
  SidecarNode* same = node != nullptr && node->dev == st.st_dev && node->sino == st.st_ino
                          ? node.get() : nullptr;
  const core::Snapshot base = RewriteBase(fs, r.pid(), same);
  std::unique_lock<std::mutex> hold;  // no shrinking truncate while the file is mapped
  std::shared_ptr<core::PreparedRewrite> prepared;
  if (same != nullptr) {
    hold = std::unique_lock<std::mutex>(same->mu);
    // The merge prepared when the file was closed, if the file and the base are still those.
    prepared = fs.prepared_rewrites().Take(st, same->write_gen, base);
  }
  MappedFile map;
  if (int err = map.Map(file.get(), size)) {
    r.ReplyErr(err);
    return;
  }
  auto res = fs.engine().Rewrite(base, map.view(), r.pid(), std::move(prepared));
  // Committed: the file's bytes are the table's now, and what its writer read is no one's
  // base any more (holding it would keep that version, maybe a whole old index, alive).
  if (res.ok() && same != nullptr) same->writer_base = nullptr;
  if (hold.owns_lock()) hold.unlock();
  if (!res.ok()) {
    fs.LogRefused(r.pid(), "rename " + from + " over", fs.table_name(), res.status());
    ReplyStatus(r, res.status());
    return;
  }
  // The content is committed; the name goes as a rename's source does. (Were the daemon to
  // die right here, the file would stay behind in the sidecar: nothing of the table is lost.)
  struct stat now;
  if (fstatat(dir, from.c_str(), &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st.st_dev &&
      now.st_ino == st.st_ino) {
    (void)Sidecar::Remove(dir, from, /*dir=*/false);
  }
  fs.pid_snapshots().NoteCommit(r.pid(), res->version);
  fs.OnCommit(*res);
  ReplyOkWhenDurable(r, res->lsn, "rename");
}

// Writes the whole of `v` to `fd`; 0 or an errno.
int WriteVersion(const core::Version& v, int fd) {
  int err = 0;
  uint64_t off = 0;
  v.ReadPieces(0, v.size(), [&](std::string_view piece) {
    while (err == 0 && !piece.empty()) {
      ssize_t n = pwrite(fd, piece.data(), piece.size(), static_cast<off_t>(off));
      if (n < 0) {
        if (errno != EINTR) err = errno;
        continue;
      }
      piece.remove_prefix(static_cast<size_t>(n));
      off += static_cast<uint64_t>(n);
    }
  });
  return err;
}

// rename(<table>, other in the root): `other` becomes a copy of the current table, written
// to the sidecar beside it under a temporary name and renamed into place.
void CopyTableTo(Request& r, const std::string& to, bool noreplace) {
  Filesystem& fs = r.fs();
  const int dir = fs.sidecar().root_fd();
  core::Snapshot cur = fs.Current();
  const std::string tmp = ".csvfs-copy." + std::to_string(r.pid()) + "." + std::to_string(cur->number());
  UniqueFd file;
  bool created = false;
  const core::FileOwnership own = fs.Ownership();  // a backup keeps the table's mode and owner
  int err = Sidecar::CreateFile(dir, tmp, O_WRONLY | O_EXCL,
                                own.mode & (fs.read_only() ? 07555 : 07777), own.uid, own.gid,
                                &file, &created);
  if (err == 0) err = WriteVersion(*cur, file.get());
  if (err == 0) {
    struct timespec times[2];
    times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(cur->mtime_ns() / 1000000000);
    times[0].tv_nsec = times[1].tv_nsec = static_cast<long>(cur->mtime_ns() % 1000000000);
    (void)futimens(file.get(), times);
    err = Sidecar::Rename(dir, tmp, dir, to, noreplace ? RENAME_NOREPLACE : 0);
  }
  if (err != 0) {
    (void)Sidecar::Remove(dir, tmp, false);
    if (err != EEXIST) fs.Refuse(r.pid(), "rename", fs.table_name() + " to " + to, err, "copy failed");
    r.ReplyErr(err);
    return;
  }
  // The copy is what this process will read back (Python's fileinput renames the table to a
  // backup, reads the backup and writes the table anew): it counts as a read of `cur`, unless
  // the process read the table itself before (sed -i.bak: its own read is the right base).
  fs.pid_snapshots().NoteRead(r.pid(), cur);
  fuse_entry_param e;
  if (LookupSidecar(fs, dir, to, &e) == 0) {
    auto info = fs.inodes().Get(e.ino);
    if (info && info->side) {
      std::lock_guard<std::mutex> l(info->side->mu);
      info->side->writer_base = cur;
      info->side->writer_base_set = true;
    }
    fs.inodes().Forget(e.ino, 1);
  }
  r.ReplyErr(0);
}

// A rename among the root and sidecar directories.
void RenameOthers(Request& r, fuse_ino_t parent, const std::string& from, fuse_ino_t newparent,
                  const std::string& to, unsigned int flags) {
  Filesystem& fs = r.fs();
  const bool noreplace = (flags & RENAME_NOREPLACE) != 0;
  const bool from_fixed = parent == kRootIno && fs.IsFixedRootName(from);
  const bool to_fixed = newparent == kRootIno && fs.IsFixedRootName(to);
  if (from_fixed && from != fs.table_name()) {
    fs.Refuse(r.pid(), "rename", from, EPERM, "fixed entry");
    r.ReplyErr(EPERM);
    return;
  }
  if (from_fixed) {  // the table
    if (to_fixed) {
      r.ReplyErr(to == from ? 0 : noreplace ? EEXIST : EPERM);
    } else if (newparent != kRootIno) {
      fs.Refuse(r.pid(), "rename", from, EPERM, "the table cannot leave the root");
      r.ReplyErr(EPERM);
    } else {
      CopyTableTo(r, to, noreplace);
    }
    return;
  }
  std::shared_ptr<SidecarNode> keep_from, keep_to;
  int err = 0;
  const int from_dir = SidecarDirFd(fs, parent, &keep_from, &err);
  if (from_dir < 0) {
    r.ReplyErr(err);
    return;
  }
  if (to == fs.table_name() && newparent == kRootIno) {
    if (noreplace) {
      r.ReplyErr(EEXIST);
      return;
    }
    std::shared_ptr<SidecarNode> node;
    fuse_entry_param e;
    if (LookupSidecar(fs, from_dir, from, &e) == 0) {
      node = fs.inodes().Get(e.ino)->side;
      fs.inodes().Forget(e.ino, 1);
    }
    ReplaceTable(r, from_dir, from, node);
    return;
  }
  if (to_fixed) {
    r.ReplyErr(noreplace ? EEXIST : EPERM);
    return;
  }
  const int to_dir = SidecarDirFd(fs, newparent, &keep_to, &err);
  if (to_dir < 0) {
    r.ReplyErr(err);
    return;
  }
  r.ReplyErr(Sidecar::Rename(from_dir, from, to_dir, to, flags));
}

void RenameRow(Request& r, const std::string& from, const std::string& to, bool noreplace) {
  Filesystem& fs = r.fs();
  if (from == to) {
    r.ReplyErr(fs.engine().RowContent(from) ? 0 : ENOENT);
    return;
  }
  auto res = fs.engine().RenameRow(from, to, noreplace, r.pid());
  if (!res.ok()) {
    fs.LogRefused(r.pid(), "rename to rows/" + to, "rows/" + from, res.status());
    ReplyStatus(r, res.status());
    return;
  }
  fs.OnCommit(*res);
  ReplyOkWhenDurable(r, res->lsn, "rename");
}

}  // namespace

void Rename(Request& r, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
            const char* newname, unsigned int flags) {
  Filesystem& fs = r.fs();
  std::string from(name), to(newname);
  if (int err = CheckName(from)) {
    r.ReplyErr(err == EINVAL ? ENOENT : err);
    return;
  }
  if (int err = CheckName(to)) {
    r.ReplyErr(err);
    return;
  }
  if (fs.read_only()) {
    r.ReplyErr(EROFS);
    return;
  }
  if (flags & RENAME_EXCHANGE) {
    r.ReplyErr(parent == newparent && from == to ? 0 : EINVAL);
    return;
  }
  if (flags & ~static_cast<unsigned>(RENAME_NOREPLACE)) {
    r.ReplyErr(EINVAL);
    return;
  }
  const bool noreplace = (flags & RENAME_NOREPLACE) != 0;
  if (parent == kRowsIno && newparent == kRowsIno) {
    RenameRow(r, from, to, noreplace);
  } else if (parent == kRowsIno || newparent == kRowsIno) {
    fs.Refuse(r.pid(), "rename", from, EPERM, "cannot move into or out of rows/");
    r.ReplyErr(EPERM);
  } else {
    RenameOthers(r, parent, from, newparent, to, flags);
  }
}

}  // namespace csvfs::fs::ops
