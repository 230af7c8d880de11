// create (open with O_CREAT of a missing name) and mknod of regular files.
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

// A new (or existing, without O_EXCL) scratch file in the root.
std::shared_ptr<ScratchFile> CreateScratch(Request& r, const std::string& name, mode_t mode,
                                           bool exclusive, bool* existed) {
  Filesystem& fs = r.fs();
  auto fresh = std::make_shared<ScratchFile>(fs.inodes().NewIno());
  fresh->mode = mode & 07777;
  fresh->uid = r.uid();
  fresh->gid = r.gid();
  fresh->TouchAll();
  for (;;) {
    if (fs.scratch().PutIfAbsent(name, fresh)) {
      *existed = false;
      return fresh;
    }
    if (exclusive) return nullptr;
    if (auto existing = fs.scratch().Find(name)) {
      *existed = true;
      return existing;
    }
  }
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
  if (name == fs.table_name() || name == kStatusFileName || name == "rows") {
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
  bool existed = false;
  auto file = CreateScratch(r, name, mode, exclusive, &existed);
  if (file == nullptr) {
    r.ReplyErr(EEXIST);
    return;
  }
  fs.inodes().AddScratch(file, /*add_lookup=*/true);
  std::memset(&e, 0, sizeof e);
  e.ino = file->ino;
  e.generation = 1;
  e.attr_timeout = kScratchTimeout;
  e.entry_timeout = kScratchEntryTimeout;
  int err = 0;
  auto h = OpenNode(r, file->ino, fi, &err);
  if (h == nullptr) {
    fs.inodes().Forget(file->ino, 1);
    r.ReplyErr(err);
    return;
  }
  FillScratchAttr(*file, &e.attr);
  ReplyOpened(r, std::move(h), fi, &e);
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
    r.ReplyErr(fs.inodes().Get(parent) ? ENOTDIR : ENOENT);
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
  // A regular file made by mknod(2) in the root is a scratch file; device nodes, fifos and
  // anything in rows/ are refused.
  std::string n(name);
  if (!S_ISREG(mode) || parent != kRootIno) {
    fs.Refuse(r.pid(), "mknod", n, EPERM, "only regular files can be created");
    r.ReplyErr(EPERM);
    return;
  }
  if (n == fs.table_name() || n == kStatusFileName || n == "rows") {
    r.ReplyErr(EEXIST);
    return;
  }
  bool existed = false;
  auto file = CreateScratch(r, n, mode, /*exclusive=*/true, &existed);
  if (file == nullptr) {
    r.ReplyErr(EEXIST);
    return;
  }
  fs.inodes().AddScratch(file, /*add_lookup=*/true);
  fuse_entry_param e;
  std::memset(&e, 0, sizeof e);
  e.ino = file->ino;
  e.generation = 1;
  e.attr_timeout = kScratchTimeout;
  e.entry_timeout = kScratchEntryTimeout;
  FillScratchAttr(*file, &e.attr);
  r.ReplyEntry(e);
}

}  // namespace csvfs::fs::ops
