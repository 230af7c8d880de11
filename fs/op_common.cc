#include "fs/op_common.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "fs/attributes.h"
#include "fs/names.h"
#include "fs/status_errno.h"

namespace csvfs::fs {

int SidecarDirFd(Filesystem& fs, fuse_ino_t parent, std::shared_ptr<SidecarNode>* keep, int* err) {
  if (parent == kRootIno) return fs.sidecar().root_fd();
  auto info = fs.inodes().Get(parent);
  if (!info) {
    *err = ENOENT;
    return -1;
  }
  if (info->kind != NodeKind::kSidecar || info->side->type != S_IFDIR) {
    *err = ENOTDIR;
    return -1;
  }
  *keep = info->side;
  return info->side->fd.get();
}

int LookupSidecar(Filesystem& fs, int dir_fd, const std::string& name, fuse_entry_param* e) {
  std::memset(e, 0, sizeof *e);
  UniqueFd fd;
  struct stat st;
  if (int err = Sidecar::OpenPath(dir_fd, name, &fd, &st)) return err;
  auto node = fs.inodes().SidecarNodeFor(std::move(fd), st, /*add_lookup=*/true);
  st.st_ino = node->ino;
  e->attr = st;
  e->ino = node->ino;
  e->generation = 1;
  e->attr_timeout = kSidecarTimeout;
  e->entry_timeout = kSidecarEntryTimeout;
  return 0;
}

int LookupEntry(Filesystem& fs, fuse_ino_t parent, std::string_view name, fuse_entry_param* e) {
  std::memset(e, 0, sizeof *e);
  if (int err = CheckName(name)) return err == EINVAL ? ENOENT : err;
  uint64_t ino = 0;
  if (parent == kRootIno && fs.IsFixedRootName(name)) {
    if (name == fs.table_name()) {
      ino = fs.inodes().TableIno(fs.Current(), /*add_lookup=*/true);
    } else if (name == "rows") {
      ino = kRowsIno;
    } else {
      ino = kStatusIno;
    }
  } else if (parent == kRowsIno) {
    std::string id(name);
    if (!fs.engine().RowContent(id) && !fs.reservations().IsReserved(id)) return ENOENT;
    ino = fs.inodes().RowIno(id, /*add_lookup=*/true);
  } else {
    std::shared_ptr<SidecarNode> keep;
    int err = 0;
    int dir = SidecarDirFd(fs, parent, &keep, &err);
    if (dir < 0) return err;
    return LookupSidecar(fs, dir, std::string(name), e);
  }
  double timeout = 0;
  int err = StatInode(fs, ino, &e->attr, &timeout);
  if (err != 0) {
    fs.inodes().Forget(ino, 1);
    return err;
  }
  e->ino = ino;
  e->generation = 1;
  e->attr_timeout = timeout;
  e->entry_timeout = timeout;
  return 0;
}

std::shared_ptr<Handle> HandleOf(Filesystem& fs, const fuse_file_info* fi) {
  if (fi == nullptr || fi->fh == 0) return nullptr;
  return fs.handles().Get(fi->fh);
}

void ReplyStatus(Request& r, const core::Status& s) { r.ReplyErr(StatusToErrno(s)); }

void DropHandleResources(Filesystem& fs, Handle& h) {
  if (h.kind == HandleKind::kTableRead) fs.inodes().CloseReader(h.ino);
  std::lock_guard<std::mutex> l(h.mu);
  if (h.row_reserved) {
    fs.reservations().Release(h.row_id);
    h.row_reserved = false;
  }
}

void ReplyOpened(Request& r, std::shared_ptr<Handle> h, fuse_file_info* fi,
                 const fuse_entry_param* entry) {
  Filesystem& fs = r.fs();
  fi->fh = fs.handles().Add(h);
  int rc = entry != nullptr ? r.ReplyCreate(*entry, fi) : r.ReplyOpen(fi);
  if (rc == -ENOENT) {  // the opener was interrupted: no release will come
    fs.handles().Remove(fi->fh);
    DropHandleResources(fs, *h);
    if (entry != nullptr) fs.inodes().Forget(entry->ino, 1);
  }
}

// What each write() to a rewritten table or row file is checked against (fs/record_checker.h).
RecordRules TableRules(Filesystem& fs) {
  RecordRules rules;
  rules.ragged = fs.options().ragged;
  return rules;
}

RecordRules RowRules(Filesystem& fs, const core::Version& table, std::string_view id) {
  RecordRules rules;
  rules.row_file = true;
  rules.ragged = fs.options().ragged;
  rules.field_count = table.field_count();
  if (fs.key_mode()) {
    std::string_view header = table.header();
    if (!fs.options().header) {  // noheader: the first row stands for the header
      table.ForEachRow([&header](std::string_view, std::string_view bytes, core::RowRef) {
        header = bytes;
        return false;
      });
    }
    rules.key_column = KeyColumnIndex(header, fs.options().key, fs.options().header);
    rules.key = std::string(id);
  }
  return rules;
}

}  // namespace csvfs::fs
