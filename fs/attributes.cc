#include "fs/attributes.h"

#include <cerrno>
#include <algorithm>
#include <cstring>

namespace csvfs::fs {
namespace {

struct timespec FromNs(int64_t ns) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000);
  ts.tv_nsec = static_cast<long>(ns % 1000000000);
  return ts;
}

void FillCommon(const Filesystem& fs, uint64_t ino, mode_t mode, uint64_t size, int64_t mtime_ns,
                struct stat* st) {
  std::memset(st, 0, sizeof *st);
  st->st_ino = ino;
  st->st_mode = mode;
  st->st_nlink = S_ISDIR(mode) ? 2 : 1;
  const core::FileOwnership own = fs.Ownership();
  st->st_uid = own.uid;
  st->st_gid = own.gid;
  st->st_size = static_cast<off_t>(size);
  st->st_blksize = kPreferredIoBytes;
  st->st_blocks = static_cast<blkcnt_t>((size + 511) / 512);
  st->st_mtim = FromNs(mtime_ns);
  st->st_ctim = st->st_mtim;
  st->st_atim = st->st_mtim;
}

// The table shows BACKING's permission bits (without write bits on a ro mount); row files the
// same without exec bits; the root and rows/ grant search (x) to whoever may read the table,
// so that the users the table's mode admits can also make scratch files and remove rows.
mode_t TableMode(const Filesystem& fs) {
  mode_t m = fs.Ownership().mode & 07777;
  return fs.read_only() ? m & ~mode_t{0222} : m;
}
mode_t FileMode(const Filesystem& fs) { return S_IFREG | (TableMode(fs) & 0666); }
mode_t DirMode(const Filesystem& fs) {
  mode_t m = TableMode(fs) & 0777;
  return S_IFDIR | m | ((m & 0444) >> 2);
}

}  // namespace

core::Snapshot TableVersionFor(Filesystem& fs, uint64_t ino) {
  core::Snapshot current = fs.Current();
  auto info = fs.inodes().Get(ino);
  if (!info || info->kind != NodeKind::kTable) return nullptr;
  if (current->lineage() == info->lineage) return current;
  return info->head;
}

void FillTableAttr(const Filesystem& fs, uint64_t ino, const core::Version& v, struct stat* st) {
  FillCommon(fs, ino, S_IFREG | TableMode(fs), v.size(), v.mtime_ns(), st);
}

void FillRowAttr(const Filesystem& fs, uint64_t ino, uint64_t size, int64_t mtime_ns,
                 struct stat* st) {
  FillCommon(fs, ino, FileMode(fs), size, mtime_ns, st);
}

int FillSidecarAttr(const SidecarNode& node, struct stat* st) {
  std::memset(st, 0, sizeof *st);
  if (int err = Sidecar::StatNode(node, st)) return err;
  st->st_ino = node.ino;
  st->st_blksize = std::max<blksize_t>(st->st_blksize, kPreferredIoBytes);
  return 0;
}

int StatInode(Filesystem& fs, uint64_t ino, struct stat* st, double* timeout) {
  auto info = fs.inodes().Get(ino);
  if (!info) return ENOENT;
  switch (info->kind) {
    case NodeKind::kRoot:
    case NodeKind::kRowsDir: {
      core::Snapshot v = fs.Current();
      FillCommon(fs, ino, DirMode(fs), 4096, v->mtime_ns(), st);
      if (info->kind == NodeKind::kRoot) st->st_nlink = 3;
      *timeout = kDirTimeout;
      return 0;
    }
    case NodeKind::kStatus: {
      std::string text = fs.RenderStatusText();
      // Readable by whoever may read the table (it names BACKING and counts its rows).
      FillCommon(fs, ino, S_IFREG | (TableMode(fs) & 0444), text.size(), fs.Current()->mtime_ns(),
                 st);
      *timeout = 0;
      return 0;
    }
    case NodeKind::kTable: {
      core::Snapshot v = TableVersionFor(fs, ino);
      if (v == nullptr) return ENOENT;
      FillTableAttr(fs, ino, *v, st);
      // An inode of a replaced lineage is only reached through open descriptors (fstat): it
      // grows with the rows appended since, as reads through them do (fs/follow_view.h).
      if (v->lineage() != fs.Current()->lineage()) {
        const uint64_t size = v->size() + fs.lineages().BytesAfter(v->lineage());
        st->st_size = static_cast<off_t>(size);
        st->st_blocks = static_cast<blkcnt_t>((size + 511) / 512);
      }
      *timeout = kTableTimeout;
      return 0;
    }
    case NodeKind::kRow: {
      core::Snapshot v = fs.Current();
      auto content = fs.RowText(info->row_id);
      if (!content && !fs.reservations().IsReserved(info->row_id)) return ENOENT;
      FillRowAttr(fs, ino, content ? content->size() : 0,
                  v->RowChangedAt(info->row_id).time_ns, st);
      *timeout = kRowTimeout;
      return 0;
    }
    case NodeKind::kSidecar:
      *timeout = kSidecarTimeout;
      return FillSidecarAttr(*info->side, st);
  }
  return ENOENT;
}

}  // namespace csvfs::fs
