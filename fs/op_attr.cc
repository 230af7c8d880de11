// getattr and setattr.
#include <cerrno>
#include <cstring>
#include <string>

#include <spdlog/spdlog.h>

#include "fs/attributes.h"
#include "fs/durable_reply.h"
#include "fs/op_common.h"
#include "fs/ops.h"
#include "fs/status_errno.h"

namespace csvfs::fs::ops {
namespace {

// Attributes as seen through an open handle whose private image differs from the inode.
// Without `fi` (fstat(2) sends none), the caller's (`pid`) own rewriting handle, if any.
bool HandleAttr(Filesystem& fs, fuse_ino_t ino, const fuse_file_info* fi, struct stat* st,
                uint32_t pid = 0) {
  auto h = HandleOf(fs, fi);
  if (h == nullptr && pid != 0) h = fs.handles().FindImageHandle(ino, pid);
  if (h == nullptr || (h->kind != HandleKind::kTableRewrite && h->kind != HandleKind::kRowWrite)) {
    return false;
  }
  double timeout;
  if (StatInode(fs, ino, st, &timeout) != 0) {
    std::memset(st, 0, sizeof *st);
    st->st_mode = S_IFREG | 0644;
  }
  std::lock_guard<std::mutex> l(h->mu);
  if (h->image == nullptr) return false;
  st->st_ino = ino;
  st->st_nlink = 1;
  st->st_size = static_cast<off_t>(h->image->size());
  st->st_blocks = static_cast<blkcnt_t>((h->image->size() + 511) / 512);
  return true;
}

void SetSidecarAttr(Request& r, fuse_ino_t ino, const std::shared_ptr<SidecarNode>& node,
                    const struct stat* attr, int to_set, fuse_file_info* fi) {
  Sidecar::AttrChange what;
  what.mode = (to_set & FUSE_SET_ATTR_MODE) != 0;
  what.uid = (to_set & FUSE_SET_ATTR_UID) != 0;
  what.gid = (to_set & FUSE_SET_ATTR_GID) != 0;
  what.size = (to_set & FUSE_SET_ATTR_SIZE) != 0;
  what.atime = (to_set & FUSE_SET_ATTR_ATIME) != 0;
  what.atime_now = (to_set & FUSE_SET_ATTR_ATIME_NOW) != 0;
  what.mtime = (to_set & FUSE_SET_ATTR_MTIME) != 0;
  what.mtime_now = (to_set & FUSE_SET_ATTR_MTIME_NOW) != 0;
  auto h = HandleOf(r.fs(), fi);
  const int fd = h != nullptr && h->kind == HandleKind::kSidecar ? h->file.get() : -1;
  int err;
  {
    // A shrinking truncate must not run while a rename maps the file over the table.
    std::lock_guard<std::mutex> l(node->mu);
    err = Sidecar::SetAttr(*node, fd, *attr, what);
    if (what.size) ++node->write_gen;
  }
  if (err != 0) {
    r.ReplyErr(err);
    return;
  }
  struct stat st;
  if ((err = FillSidecarAttr(*node, &st)) != 0) {
    r.ReplyErr(err);
    return;
  }
  r.ReplyAttr(st, kSidecarTimeout);
}

// truncate(2) of the table by path: a rewrite of the truncated current content.
void TruncateTable(Request& r, fuse_ino_t ino, uint64_t size) {
  Filesystem& fs = r.fs();
  core::Snapshot cur = fs.Current();
  if (size == cur->size()) {  // nothing changes: no commit
    struct stat st;
    FillTableAttr(fs, ino, *cur, &st);
    r.ReplyAttr(st, kTableTimeout);
    return;
  }
  if (size > fs.max_image_bytes()) {
    fs.Refuse(r.pid(), "truncate", fs.table_name(), EFBIG, "staged image over max_image");
    r.ReplyErr(EFBIG);
    return;
  }
  std::string image(size, '\0');
  image.resize(cur->Read(0, image.data(), size));
  image.resize(size, '\0');
  auto res = fs.engine().Rewrite(cur, image, r.pid());
  if (!res.ok()) {
    fs.LogRefused(r.pid(), "truncate", fs.table_name(), res.status());
    ReplyStatus(r, res.status());
    return;
  }
  fs.pid_snapshots().NoteCommit(r.pid(), res->version);
  fs.OnCommit(*res);
  struct stat st;
  FillTableAttr(fs, ino, *res->version, &st);
  ReplyWhenDurable(r, res->lsn, "truncate",
                   [st](fuse_req_t req) { fuse_reply_attr(req, &st, kTableTimeout); });
}

// truncate(2) of a row file by path.
void TruncateRow(Request& r, fuse_ino_t ino, const std::string& id, uint64_t size) {
  Filesystem& fs = r.fs();
  auto content = fs.RowText(id);
  if (!content) {
    r.ReplyErr(ENOENT);
    return;
  }
  if (size == content->size()) {
    struct stat st;
    FillRowAttr(fs, ino, size, fs.Current()->RowChangedAt(id).time_ns, &st);
    r.ReplyAttr(st, kRowTimeout);
    return;
  }
  content->resize(size, '\0');
  auto res = fs.engine().PutRow(id, *content, false, false, r.pid());
  if (!res.ok()) {
    fs.LogRefused(r.pid(), "truncate", "rows/" + id, res.status());
    ReplyStatus(r, res.status());
    return;
  }
  fs.OnCommit(*res);
  struct stat st;
  FillRowAttr(fs, ino, size, res->version->RowChangedAt(id).time_ns, &st);
  ReplyWhenDurable(r, res->lsn, "truncate",
                   [st](fuse_req_t req) { fuse_reply_attr(req, &st, kRowTimeout); });
}

// chmod/chown of the table: applied to BACKING. The daemon (often root) does it, so it
// checks what the kernel would: only root or BACKING's owner may chmod; only root may give
// the table another owner; the owner may only give it its own (primary) group.
void SetTableOwnership(Request& r, const struct stat* attr, int to_set) {
  Filesystem& fs = r.fs();
  const core::FileOwnership own = fs.Ownership();
  const bool root = r.uid() == 0;
  uint32_t mode = own.mode, uid = UINT32_MAX, gid = UINT32_MAX;
  if (to_set & FUSE_SET_ATTR_MODE) mode = attr->st_mode & 07777;
  if ((to_set & FUSE_SET_ATTR_UID) && attr->st_uid != own.uid) uid = attr->st_uid;
  if ((to_set & FUSE_SET_ATTR_GID) && attr->st_gid != own.gid) gid = attr->st_gid;
  const char* why = nullptr;
  if (!root && r.uid() != own.uid) {
    why = "only the owner of the table or root may change its mode or owner";
  } else if (!root && uid != UINT32_MAX) {
    why = "only root may give the table another owner";
  } else if (!root && gid != UINT32_MAX && gid != r.gid()) {
    why = "the owner may only give the table its own group";
  }
  if (why != nullptr) {
    fs.Refuse(r.pid(), (to_set & FUSE_SET_ATTR_MODE) ? "chmod" : "chown", fs.table_name(), EPERM,
              why);
    r.ReplyErr(EPERM);
    return;
  }
  if (!root && (to_set & FUSE_SET_ATTR_MODE) == 0 && gid != UINT32_MAX) {
    mode &= ~uint32_t{S_ISUID | S_ISGID};  // as chown(2) by an unprivileged owner
  }
  core::Status s = fs.engine().SetBackingModeOwner(mode, uid, gid);
  if (!s.ok()) {
    fs.LogRefused(r.pid(), (to_set & FUSE_SET_ATTR_MODE) ? "chmod" : "chown", fs.table_name(), s);
    ReplyStatus(r, s);
    return;
  }
  const core::FileOwnership now = fs.Ownership();
  spdlog::info("pid {} set the mode/owner of {} to {:o} {}:{}", r.pid(), fs.backing_path(),
               now.mode, now.uid, now.gid);
}

// Replies with the attributes of an open handle's version, else of the inode's current one.
void ReplyAttrOf(Request& r, fuse_ino_t ino, fuse_file_info* fi) {
  Filesystem& fs = r.fs();
  struct stat st;
  if (HandleAttr(fs, ino, fi, &st, r.pid())) {
    r.ReplyAttr(st, 0);
    return;
  }
  double timeout = 0;
  int err = StatInode(fs, ino, &st, &timeout);
  if (err != 0) {
    r.ReplyErr(err);
    return;
  }
  r.ReplyAttr(st, timeout);
}

}  // namespace

void Getattr(Request& r, fuse_ino_t ino, fuse_file_info* fi) { ReplyAttrOf(r, ino, fi); }

void Setattr(Request& r, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
  Filesystem& fs = r.fs();
  auto info = fs.inodes().Get(ino);
  if (!info) {
    r.ReplyErr(ENOENT);
    return;
  }
  const bool sets_size = (to_set & FUSE_SET_ATTR_SIZE) != 0;
  if (fs.read_only() && (to_set & ~(FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW)) != 0) {
    r.ReplyErr(EROFS);
    return;
  }
  if (info->kind == NodeKind::kSidecar) {
    SetSidecarAttr(r, ino, info->side, attr, to_set, fi);
    return;
  }
  if (sets_size) {
    uint64_t size = static_cast<uint64_t>(attr->st_size);
    if (info->kind != NodeKind::kTable && info->kind != NodeKind::kRow) {
      r.ReplyErr(info->kind == NodeKind::kStatus ? EACCES : EISDIR);
      return;
    }
    auto h = HandleOf(fs, fi);
    if (h != nullptr && h->image != nullptr) {  // ftruncate / O_TRUNC on a rewriting handle
      core::Status s;
      {
        std::lock_guard<std::mutex> l(h->mu);
        s = h->image->Truncate(size);
        if (s.ok() && h->checker) h->checker->AfterTruncate(size);
        if (s.ok()) h->size_set = true;  // committed at the flush (fs/handle_committer.cc)
      }
      if (!s.ok()) {
        ReplyStatus(r, s);
        return;
      }
      struct stat st;
      HandleAttr(fs, ino, fi, &st);
      r.ReplyAttr(st, 0);
      return;
    }
    if (info->kind == NodeKind::kTable) {
      TruncateTable(r, ino, size);
    } else {
      TruncateRow(r, ino, info->row_id, size);
    }
    return;
  }
  if (info->kind == NodeKind::kTable &&
      (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) != 0) {
    SetTableOwnership(r, attr, to_set);
    if (r.done()) return;
  }
  // Times, and the mode and owner of rows and directories (which follow the table's), are
  // accepted (so `touch` and tools that copy attributes succeed) and ignored: no byte
  // changes, and mtimes stay those of the commits that changed the content.
  ReplyAttrOf(r, ino, fi);
}

}  // namespace csvfs::fs::ops
