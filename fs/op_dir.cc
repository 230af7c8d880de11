// opendir/readdir/releasedir: listings captured at opendir (rows/ in table order; the root
// and sidecar directories as the sidecar lists them).
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "fs/op_common.h"
#include "fs/ops.h"

namespace csvfs::fs::ops {
namespace {

constexpr uint64_t kUnknownIno = 0xffffffff;

std::vector<DirEntry> RootEntries(Filesystem& fs) {
  std::vector<DirEntry> out;
  out.push_back({".", kRootIno, S_IFDIR});
  out.push_back({"..", kRootIno, S_IFDIR});
  auto table_ino = fs.inodes().FindTableIno(fs.Current()->lineage());
  out.push_back({fs.table_name(), table_ino.value_or(kUnknownIno), S_IFREG});
  out.push_back({"rows", kRowsIno, S_IFDIR});
  out.push_back({kStatusFileName, kStatusIno, S_IFREG});
  std::vector<SidecarEntry> side;
  (void)Sidecar::List(fs.sidecar().root_fd(), &side);  // an unreadable sidecar lists nothing
  for (auto& e : side) {
    // A file put into the sidecar directory by hand under a fixed name stays hidden.
    if (!fs.IsFixedRootName(e.name)) out.push_back({std::move(e.name), kUnknownIno, e.type});
  }
  return out;
}

int SidecarDirEntries(const SidecarNode& dir, std::vector<DirEntry>* out) {
  std::vector<SidecarEntry> side;
  if (int err = Sidecar::List(dir.fd.get(), &side)) return err;
  out->push_back({".", dir.ino, S_IFDIR});
  out->push_back({"..", kUnknownIno, S_IFDIR});
  for (auto& e : side) out->push_back({std::move(e.name), kUnknownIno, e.type});
  return 0;
}

std::vector<DirEntry> RowEntries(Filesystem& fs) {
  std::vector<DirEntry> out;
  core::Snapshot v = fs.Current();
  out.reserve(v->row_count() + 2);
  out.push_back({".", kRowsIno, S_IFDIR});
  out.push_back({"..", kRootIno, S_IFDIR});
  v->ForEachRow([&out](std::string_view id, std::string_view, core::RowRef) {
    out.push_back({std::string(id), kUnknownIno, S_IFREG});
    return true;
  });
  return out;
}

}  // namespace

void Opendir(Request& r, fuse_ino_t ino, fuse_file_info* fi) {
  Filesystem& fs = r.fs();
  auto h = std::make_shared<Handle>(HandleKind::kDir, ino, fi->flags, r.pid());
  if (ino == kRootIno || ino == kRowsIno) {
    h->entries = ino == kRootIno ? RootEntries(fs) : RowEntries(fs);
  } else {
    auto info = fs.inodes().Get(ino);
    if (!info || info->kind != NodeKind::kSidecar || info->side->type != S_IFDIR) {
      r.ReplyErr(info ? ENOTDIR : ENOENT);
      return;
    }
    if (int err = SidecarDirEntries(*info->side, &h->entries)) {
      r.ReplyErr(err);
      return;
    }
  }
  ReplyOpened(r, std::move(h), fi, nullptr);
}

void Readdir(Request& r, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  auto h = HandleOf(r.fs(), fi);
  if (h == nullptr || h->kind != HandleKind::kDir) {
    r.ReplyErr(EBADF);
    return;
  }
  std::string buf(size, '\0');
  size_t used = 0;
  for (size_t i = static_cast<size_t>(off); i < h->entries.size(); ++i) {
    const DirEntry& d = h->entries[i];
    struct stat st;
    std::memset(&st, 0, sizeof st);
    st.st_ino = d.ino;
    st.st_mode = d.type;
    size_t need = fuse_add_direntry(nullptr, nullptr, 0, d.name.c_str(), nullptr, 0);
    if (used + need > size) break;
    fuse_add_direntry(nullptr, buf.data() + used, size - used, d.name.c_str(), &st,
                      static_cast<off_t>(i + 1));
    used += need;
  }
  r.ReplyBuf(buf.data(), used);
}

void Releasedir(Request& r, fuse_ino_t ino, fuse_file_info* fi) {
  if (fi != nullptr) r.fs().handles().Remove(fi->fh);
  r.ReplyErr(0);
}

void Fsyncdir(Request& r, fuse_ino_t ino, int datasync, fuse_file_info* fi) { r.ReplyErr(0); }

}  // namespace csvfs::fs::ops
