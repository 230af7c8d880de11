// mkdir, symlink, link and readlink: sidecar objects work as on any file system (fs/sidecar.h);
// in rows/, and for the table, rows/ and the status file, they are refused with EPERM.
#include <cerrno>
#include <string>

#include "fs/names.h"
#include "fs/op_common.h"
#include "fs/ops.h"

namespace csvfs::fs::ops {
namespace {

// The sidecar directory descriptor for creating `name` in `parent`, or -1 after replying.
int DirForNew(Request& r, const char* op, fuse_ino_t parent, const std::string& name,
              std::shared_ptr<SidecarNode>* keep) {
  Filesystem& fs = r.fs();
  if (fs.read_only()) {
    r.ReplyErr(EROFS);
    return -1;
  }
  if (int err = CheckName(name)) {
    r.ReplyErr(err);
    return -1;
  }
  if (parent == kRowsIno || (parent == kRootIno && fs.IsFixedRootName(name))) {
    fs.Refuse(r.pid(), op, name, EPERM, "not allowed for the table, rows/ or the status file");
    r.ReplyErr(EPERM);
    return -1;
  }
  int err = 0;
  int dir = SidecarDirFd(fs, parent, keep, &err);
  if (dir < 0) r.ReplyErr(err);
  return dir;
}

// Replies with the entry of the sidecar object just made.
void ReplyMade(Request& r, int dir, const std::string& name, int err) {
  fuse_entry_param e;
  if (err == 0) err = LookupSidecar(r.fs(), dir, name, &e);
  if (err != 0) {
    r.ReplyErr(err);
    return;
  }
  r.ReplyEntry(e);
}

}  // namespace

void Mkdir(Request& r, fuse_ino_t parent, const char* name, mode_t mode) {
  std::shared_ptr<SidecarNode> keep;
  int dir = DirForNew(r, "mkdir", parent, name, &keep);
  if (dir < 0) return;
  ReplyMade(r, dir, name, Sidecar::MakeDir(dir, name, mode, r.uid(), r.gid()));
}

void Symlink(Request& r, const char* link, fuse_ino_t parent, const char* name) {
  std::shared_ptr<SidecarNode> keep;
  int dir = DirForNew(r, "symlink", parent, name, &keep);
  if (dir < 0) return;
  ReplyMade(r, dir, name, Sidecar::MakeSymlink(dir, name, link, r.uid(), r.gid()));
}

void Link(Request& r, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
  Filesystem& fs = r.fs();
  auto info = fs.inodes().Get(ino);
  if (!info) {
    r.ReplyErr(ENOENT);
    return;
  }
  if (info->kind != NodeKind::kSidecar) {
    if (fs.read_only()) {
      r.ReplyErr(EROFS);
      return;
    }
    fs.Refuse(r.pid(), "link", newname, EPERM, "hard links to the table or rows are refused");
    r.ReplyErr(EPERM);
    return;
  }
  std::shared_ptr<SidecarNode> keep;
  int dir = DirForNew(r, "link", newparent, newname, &keep);
  if (dir < 0) return;
  ReplyMade(r, dir, newname, Sidecar::MakeLink(*info->side, dir, newname));
}

void Readlink(Request& r, fuse_ino_t ino) {
  auto info = r.fs().inodes().Get(ino);
  if (!info || info->kind != NodeKind::kSidecar) {
    r.ReplyErr(info ? EINVAL : ENOENT);
    return;
  }
  std::string target;
  if (int err = Sidecar::ReadLink(*info->side, &target)) {
    r.ReplyErr(err);
    return;
  }
  r.ReplyReadlink(target);
}

}  // namespace csvfs::fs::ops
