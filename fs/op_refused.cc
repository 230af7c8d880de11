// mkdir, symlink, link: refused everywhere (README "Errors", EPERM).
#include <cerrno>

#include "fs/op_common.h"
#include "fs/ops.h"

namespace csvfs::fs::ops {
namespace {

void Refuse(Request& r, const char* op, const char* name) {
  Filesystem& fs = r.fs();
  if (fs.read_only()) {
    r.ReplyErr(EROFS);
    return;
  }
  fs.Refuse(r.pid(), op, name, EPERM, "not supported by csvfs");
  r.ReplyErr(EPERM);
}

}  // namespace

void Mkdir(Request& r, fuse_ino_t parent, const char* name, mode_t mode) {
  Refuse(r, "mkdir", name);
}

void Symlink(Request& r, const char* link, fuse_ino_t parent, const char* name) {
  Refuse(r, "symlink", name);
}

void Link(Request& r, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
  Refuse(r, "link", newname);
}

}  // namespace csvfs::fs::ops
