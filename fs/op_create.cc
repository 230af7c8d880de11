// create (open with O_CREAT of a missing name) and mknod of regular files: rows/<key> in key
// mode, files of the sidecar (fs/sidecar.h) elsewhere.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "fs/attributes.h"
#include "fs/names.h"
#include "fs/op_common.h"
#include "fs/open_flags.h"
#include "fs/ops.h"

namespace csvfs::fs::ops {
namespace {

// Creates (or, without O_EXCL, opens) a regular file of the sidecar and replies with its
// entry and an open handle.
void CreateSidecarFile(Request& r, int dir_fd, const std::string& name, mode_t mode,
                       fuse_file_info* fi) {
  Filesystem& fs = r.fs();
  UniqueFd file;
  bool created = false;
  if (int err = Sidecar::CreateFile(dir_fd, name, fi->flags, mode, r.uid(), r.gid(), &file,
                                    &created)) {
    r.ReplyErr(err);
    return;
  }
  fuse_entry_param e;
  if (int err = LookupSidecar(fs, dir_fd, name, &e)) {
    r.ReplyErr(err);
    return;
  }
  auto info = fs.inodes().Get(e.ino);
  auto h = std::make_shared<Handle>(HandleKind::kSidecar, e.ino, fi->flags, r.pid());
  h->side = info->side;
  h->file = std::move(file);
  ReplyOpened(r, std::move(h), fi, &e);
}

// Creating rows/<key> (key mode): reserved at once so racing O_EXCL creators get EEXIST;
// inserted at close.
void CreateRow(Request& r, const std::string& id, fuse_file_info* fi) {
  Filesystem& fs = r.fs();
  const bool exclusive = (fi->flags & O_EXCL) != 0;
  if (!fs.key_mode()) {
    fs.Refuse(r.pid(), "create", "rows/" + id, EPERM, "rows have numeric ids: append instead");
    r.ReplyErr(EPERM);
    return;
  }
  bool reserved = false;
  if (!fs.engine().RowContent(id)) {
    reserved = fs.reservations().TryReserve(id);
    if (reserved && fs.engine().RowContent(id)) {  // inserted meanwhile
      fs.reservations().Release(id);
      reserved = false;
    }
  }
  fuse_entry_param e;
  std::shared_ptr<Handle> h;
  if (reserved || !fs.engine().RowContent(id)) {
    if (!reserved && exclusive) {
      r.ReplyErr(EEXIST);  // another creator holds the key
      return;
    }
    uint64_t ino = fs.inodes().RowIno(id, /*add_lookup=*/true);
    h = std::make_shared<Handle>(HandleKind::kRowWrite, ino, fi->flags, r.pid());
    h->row_id = id;
    h->row_create = true;
    h->row_exclusive = exclusive;
    h->row_reserved = reserved;
    h->image = std::make_unique<RewriteImage>("", fs.Current(), false, fs.max_image_bytes());
    h->checker = std::make_unique<RecordChecker>(RowRules(fs, *fs.Current(), id), 0);
    fi->direct_io = 1;
    std::memset(&e, 0, sizeof e);
    e.ino = ino;
    e.generation = 1;
    FillRowAttr(fs, ino, 0, fs.Current()->mtime_ns(), &e.attr);
  } else {
    if (exclusive) {
      r.ReplyErr(EEXIST);
      return;
    }
    int err = LookupEntry(fs, kRowsIno, id, &e);
    if (err != 0) {
      r.ReplyErr(err);
      return;
    }
    h = OpenNode(r, e.ino, fi, &err);
    if (h == nullptr) {
      fs.inodes().Forget(e.ino, 1);
      r.ReplyErr(err);
      return;
    }
  }
  ReplyOpened(r, std::move(h), fi, &e);
}

void CreateInRoot(Request& r, const std::string& name, mode_t mode, fuse_file_info* fi) {
  Filesystem& fs = r.fs();
  const bool exclusive = (fi->flags & O_EXCL) != 0;
  fuse_entry_param e;
  if (fs.IsFixedRootName(name)) {
    if (exclusive) {
      r.ReplyErr(EEXIST);
      return;
    }
    int err = LookupEntry(fs, kRootIno, name, &e);
    if (err != 0) {
      r.ReplyErr(err);
      return;
    }
    auto h = OpenNode(r, e.ino, fi, &err);
    if (h == nullptr) {
      fs.inodes().Forget(e.ino, 1);
      r.ReplyErr(err);
      return;
    }
    ReplyOpened(r, std::move(h), fi, &e);
    return;
  }
  CreateSidecarFile(r, fs.sidecar().root_fd(), name, mode, fi);
}

}  // namespace

void Create(Request& r, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  Filesystem& fs = r.fs();
  if (int err = CheckName(name)) {
    r.ReplyErr(err);
    return;
  }
  if (fs.read_only()) {
    r.ReplyErr(EROFS);
    return;
  }
  if (parent == kRootIno) {
    CreateInRoot(r, name, mode, fi);
  } else if (parent == kRowsIno) {
    CreateRow(r, name, fi);
  } else {
    std::shared_ptr<SidecarNode> keep;
    int err = 0;
    int dir = SidecarDirFd(fs, parent, &keep, &err);
    if (dir < 0) {
      r.ReplyErr(err);
      return;
    }
    CreateSidecarFile(r, dir, name, mode, fi);
  }
}

void Mknod(Request& r, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  Filesystem& fs = r.fs();
  if (fs.read_only()) {
    r.ReplyErr(EROFS);
    return;
  }
  if (int err = CheckName(name)) {
    r.ReplyErr(err);
    return;
  }
  // A regular file made by mknod(2) in the root or a sidecar directory is a sidecar file;
  // device nodes, fifos and anything in rows/ are refused.
  std::string n(name);
  if (!S_ISREG(mode) || parent == kRowsIno) {
    fs.Refuse(r.pid(), "mknod", n, EPERM, "only regular files can be created");
    r.ReplyErr(EPERM);
    return;
  }
  if (parent == kRootIno && fs.IsFixedRootName(n)) {
    r.ReplyErr(EEXIST);
    return;
  }
  std::shared_ptr<SidecarNode> keep;
  int err = 0;
  int dir = SidecarDirFd(fs, parent, &keep, &err);
  if (dir < 0) {
    r.ReplyErr(err);
    return;
  }
  UniqueFd file;
  bool created = false;
  err = Sidecar::CreateFile(dir, n, O_WRONLY | O_EXCL, mode, r.uid(), r.gid(), &file, &created);
  if (err == 0) {
    fuse_entry_param e;
    err = LookupSidecar(fs, dir, n, &e);
    if (err == 0) {
      r.ReplyEntry(e);
      return;
    }
  }
  r.ReplyErr(err);
}

}  // namespace csvfs::fs::ops
