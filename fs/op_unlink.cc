// unlink and rmdir: removing a row deletes it; sidecar files go as on any file system; the
// table, rows/ and the status file stay.
#include <cerrno>
#include <string>

#include "fs/durable_reply.h"
#include "fs/names.h"
#include "fs/op_common.h"
#include "fs/ops.h"

namespace csvfs::fs::ops {
namespace {

void RemoveSidecar(Request& r, fuse_ino_t parent, const std::string& name, bool dir) {
  std::shared_ptr<SidecarNode> keep;
  int err = 0;
  int dir_fd = SidecarDirFd(r.fs(), parent, &keep, &err);
  if (dir_fd >= 0) err = Sidecar::Remove(dir_fd, name, dir);
  r.ReplyErr(err);
}

}  // namespace

void Unlink(Request& r, fuse_ino_t parent, const char* name) {
  Filesystem& fs = r.fs();
  std::string n(name);
  if (int err = CheckName(n)) {
    r.ReplyErr(err == EINVAL ? ENOENT : err);
    return;
  }
  if (fs.read_only()) {
    r.ReplyErr(EROFS);
    return;
  }
  if (parent == kRowsIno) {
    auto res = fs.engine().DeleteRow(n, r.pid());
    if (!res.ok()) {
      fs.LogRefused(r.pid(), "unlink", "rows/" + n, res.status());
      ReplyStatus(r, res.status());
      return;
    }
    fs.OnCommit(*res);
    ReplyOkWhenDurable(r, res->lsn, "unlink");
    return;
  }
  if (parent != kRootIno || !fs.IsFixedRootName(n)) {
    RemoveSidecar(r, parent, n, /*dir=*/false);
    return;
  }
  if (n == fs.table_name() || n == kStatusFileName) {
    fs.Refuse(r.pid(), "unlink", n, EPERM, "the table and the status file cannot be removed");
    r.ReplyErr(EPERM);
    return;
  }
  r.ReplyErr(EISDIR);  // rows/
}

void Rmdir(Request& r, fuse_ino_t parent, const char* name) {
  Filesystem& fs = r.fs();
  std::string n(name);
  if (fs.read_only()) {
    r.ReplyErr(EROFS);
    return;
  }
  if (parent == kRootIno && n == "rows") {
    fs.Refuse(r.pid(), "rmdir", n, EPERM, "rows/ cannot be removed");
    r.ReplyErr(EPERM);
    return;
  }
  if (parent == kRootIno && fs.IsFixedRootName(n)) {
    r.ReplyErr(ENOTDIR);
    return;
  }
  if (parent == kRowsIno) {
    r.ReplyErr(fs.engine().RowContent(n) ? ENOTDIR : ENOENT);
    return;
  }
  RemoveSidecar(r, parent, n, /*dir=*/true);
}

}  // namespace csvfs::fs::ops
