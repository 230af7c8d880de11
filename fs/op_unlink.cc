// unlink and rmdir: removing a row deletes it; scratch files vanish; the table, rows/ and
// the status file stay.
#include <cerrno>
#include <string>

#include "fs/durable_reply.h"
#include "fs/names.h"
#include "fs/op_common.h"
#include "fs/ops.h"

namespace csvfs::fs::ops {

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
  if (parent != kRootIno) {
    r.ReplyErr(fs.inodes().Get(parent) ? ENOTDIR : ENOENT);
    return;
  }
  if (n == fs.table_name() || n == kStatusFileName) {
    fs.Refuse(r.pid(), "unlink", n, EPERM, "the table and the status file cannot be removed");
    r.ReplyErr(EPERM);
    return;
  }
  if (n == "rows") {
    r.ReplyErr(EISDIR);
    return;
  }
  r.ReplyErr(fs.scratch().Remove(n) ? 0 : ENOENT);
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
  if (parent == kRootIno &&
      (n == fs.table_name() || n == kStatusFileName || fs.scratch().Find(n))) {
    r.ReplyErr(ENOTDIR);
    return;
  }
  if (parent == kRowsIno && fs.engine().RowContent(n)) {
    r.ReplyErr(ENOTDIR);
    return;
  }
  r.ReplyErr(ENOENT);
}

}  // namespace csvfs::fs::ops
