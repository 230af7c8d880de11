// opendir/readdir/releasedir: listings captured at opendir (rows/ in table order).
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
  for (const std::string& name : fs.scratch().Names()) {
    auto file = fs.scratch().Find(name);
    if (file) out.push_back({name, file->ino, S_IFREG});
  }
  return out;
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
  if (ino != kRootIno && ino != kRowsIno) {
    r.ReplyErr(fs.inodes().Get(ino) ? ENOTDIR : ENOENT);
    return;
  }
  auto h = std::make_shared<Handle>(HandleKind::kDir, ino, fi->flags, r.pid());
  h->entries = ino == kRootIno ? RootEntries(fs) : RowEntries(fs);
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
