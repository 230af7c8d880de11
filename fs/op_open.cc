// open: every open of the table or a row file starts a transaction (README
// "Semantics in short").
#include <cerrno>
#include <string>

#include "fs/attributes.h"
#include "fs/op_common.h"
#include "fs/open_flags.h"
#include "fs/ops.h"

namespace csvfs::fs::ops {
namespace {

std::shared_ptr<Handle> OpenTable(Request& r, fuse_ino_t ino, fuse_file_info* fi, int* err) {
  Filesystem& fs = r.fs();
  const int flags = fi->flags;
  const uint32_t pid = r.pid();
  if (!OpensForWrite(flags)) {
    core::Snapshot v = TableVersionFor(fs, ino);
    if (v == nullptr) v = fs.Current();
    fs.pid_snapshots().NoteRead(pid, v);
    auto h = std::make_shared<Handle>(HandleKind::kTableRead, ino, flags, pid);
    h->open_number = v->number();
    h->snap = std::move(v);
    fs.inodes().OpenReader(ino);
    // Not the page cache: a cached reader can copy stale zeros from the page at an earlier
    // end of file while an O_APPEND write grows the file (see fs/device_io.h). The daemon
    // serves whole records of the snapshot, and mmap still works (fs/device_io.cc).
    fi->direct_io = 1;
    return h;
  }
  fi->direct_io = 1;  // private images and record boundaries stay out of the page cache
  if (Appends(flags)) {
    auto h = std::make_shared<Handle>(HandleKind::kTableAppend, ino, flags, pid);
    h->snap = fs.Current();
    h->open_number = h->snap->number();
    h->append = std::make_unique<AppendBuffer>(fs.engine().options().max_record_bytes);
    return h;
  }
  core::Snapshot cur = fs.Current();
  auto h = std::make_shared<Handle>(HandleKind::kTableRewrite, ino, flags, pid);
  if (Truncates(flags)) {
    core::Snapshot base = fs.pid_snapshots().Lookup(pid);
    h->image = std::make_unique<RewriteImage>("", base ? base : cur, /*truncated=*/true,
                                              fs.max_image_bytes());
    h->checker = std::make_unique<RecordChecker>(TableRules(fs), 0);
  } else {
    if (cur->size() > fs.max_image_bytes()) {
      *err = EFBIG;
      fs.Refuse(pid, "open for rewrite", fs.table_name(), EFBIG, "table over max image size");
      return nullptr;
    }
    std::string image(cur->size(), '\0');
    image.resize(cur->Read(0, image.data(), image.size()));
    h->image = std::make_unique<RewriteImage>(std::move(image), cur, false, fs.max_image_bytes());
    // Checks nothing until an ftruncate(0) empties the image.
    h->checker = std::make_unique<RecordChecker>(TableRules(fs), h->image->size(), false);
  }
  h->snap = cur;
  return h;
}

std::shared_ptr<Handle> OpenRow(Request& r, fuse_ino_t ino, const std::string& id,
                                fuse_file_info* fi, int* err) {
  Filesystem& fs = r.fs();
  const int flags = fi->flags;
  auto content = fs.RowText(id);
  fi->direct_io = 1;  // rows change under any commit; never cache them
  if (!content) {
    *err = ENOENT;
    return nullptr;
  }
  if (!OpensForWrite(flags)) {
    auto h = std::make_shared<Handle>(HandleKind::kRowRead, ino, flags, r.pid());
    h->row_id = id;
    h->content = std::move(*content);
    return h;
  }
  auto h = std::make_shared<Handle>(HandleKind::kRowWrite, ino, flags, r.pid());
  h->row_id = id;
  bool trunc = Truncates(flags);
  core::Snapshot cur = fs.Current();
  h->image = std::make_unique<RewriteImage>(trunc ? std::string() : std::move(*content), cur, trunc,
                                            fs.max_image_bytes());
  RecordRules rules = RowRules(fs, *cur, id);
  rules.records_before = trunc ? 0 : 1;  // `>> rows/ID` appends after the row's record
  h->checker = std::make_unique<RecordChecker>(std::move(rules), h->image->size());
  return h;
}

std::shared_ptr<Handle> OpenSidecar(Request& r, fuse_ino_t ino,
                                    const std::shared_ptr<SidecarNode>& node, fuse_file_info* fi,
                                    int* err) {
  UniqueFd file;
  if ((*err = Sidecar::OpenFile(*node, fi->flags, &file)) != 0) return nullptr;
  auto h = std::make_shared<Handle>(HandleKind::kSidecar, ino, fi->flags, r.pid());
  h->side = node;
  h->file = std::move(file);
  return h;
}

}  // namespace

// Shared with create (op_create.cc): opens an existing node; nullptr with *err on failure.
std::shared_ptr<Handle> OpenNode(Request& r, fuse_ino_t ino, fuse_file_info* fi, int* err) {
  Filesystem& fs = r.fs();
  auto info = fs.inodes().Get(ino);
  if (!info) {
    *err = ENOENT;
    return nullptr;
  }
  if (fs.read_only() && OpensForWrite(fi->flags)) {
    *err = EROFS;
    return nullptr;
  }
  switch (info->kind) {
    case NodeKind::kRoot:
    case NodeKind::kRowsDir:
      *err = EISDIR;
      return nullptr;
    case NodeKind::kStatus: {
      if (OpensForWrite(fi->flags)) {
        *err = EACCES;
        return nullptr;
      }
      auto h = std::make_shared<Handle>(HandleKind::kStatus, ino, fi->flags, r.pid());
      h->content = fs.RenderStatusText();
      fi->direct_io = 1;
      return h;
    }
    case NodeKind::kTable:
      return OpenTable(r, ino, fi, err);
    case NodeKind::kRow:
      return OpenRow(r, ino, info->row_id, fi, err);
    case NodeKind::kSidecar:
      return OpenSidecar(r, ino, info->side, fi, err);
  }
  *err = ENOENT;
  return nullptr;
}

void Open(Request& r, fuse_ino_t ino, fuse_file_info* fi) {
  int err = EIO;
  auto h = OpenNode(r, ino, fi, &err);
  if (h == nullptr) {
    r.ReplyErr(err);
    return;
  }
  ReplyOpened(r, std::move(h), fi, nullptr);
}

}  // namespace csvfs::fs::ops
