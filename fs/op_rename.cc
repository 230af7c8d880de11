// rename: replacing the table by rename commits a rewrite; renaming the table elsewhere in
// the root makes a scratch copy and keeps the table (the documented departure from POSIX);
// rows/a -> rows/b changes a row's key; scratch files move freely among scratch names.
#include <linux/fs.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "fs/durable_reply.h"
#include "fs/names.h"
#include "fs/op_common.h"
#include "fs/ops.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

namespace csvfs::fs::ops {
namespace {

bool IsReserved(Filesystem& fs, const std::string& name) {
  return name == fs.table_name() || name == "rows" || name == kStatusFileName;
}

// rename(scratch, <table>): commit the scratch content as a rewrite based on what the
// renaming (or else the writing) process last read.
void ReplaceTable(Request& r, const std::string& from) {
  Filesystem& fs = r.fs();
  auto file = fs.scratch().Find(from);
  if (file == nullptr) {
    r.ReplyErr(ENOENT);
    return;
  }
  std::string content;
  core::Snapshot written_from;
  {
    std::lock_guard<std::mutex> l(file->mu);
    content = file->data;
    written_from = file->writer_base;
  }
  // The merge base: what the renaming process last read; if it read nothing (`mv`), what the
  // process that wrote the file had read (`awk ... > tmp && mv tmp table.csv`); else the
  // current table.
  core::Snapshot base = fs.pid_snapshots().Lookup(r.pid());
  if (base == nullptr) base = std::move(written_from);
  if (base == nullptr) base = fs.Current();
  auto res = fs.engine().Rewrite(base, content, r.pid());
  if (!res.ok()) {
    fs.LogRefused(r.pid(), "rename " + from + " over", fs.table_name(), res.status());
    ReplyStatus(r, res.status());
    return;
  }
  if (fs.scratch().Find(from) == file) fs.scratch().Remove(from);
  fs.OnCommit(*res);
  ReplyOkWhenDurable(r, res->lsn, "rename");
}

// rename(<table>, other): `other` becomes a scratch copy of the current table.
void CopyTableTo(Request& r, const std::string& to, bool noreplace) {
  Filesystem& fs = r.fs();
  if (noreplace && fs.scratch().Find(to)) {
    r.ReplyErr(EEXIST);
    return;
  }
  core::Snapshot cur = fs.Current();
  if (cur->size() > fs.max_image_bytes()) {
    r.ReplyErr(EFBIG);
    return;
  }
  auto file = std::make_shared<ScratchFile>(fs.inodes().NewIno());
  file->data.resize(cur->size());
  file->data.resize(cur->Read(0, file->data.data(), file->data.size()));
  const core::FileOwnership own = fs.Ownership();  // a backup keeps the table's mode and owner
  file->mode = own.mode & (fs.read_only() ? 07555 : 07777);
  file->uid = own.uid;
  file->gid = own.gid;
  file->TouchAll();
  // The copy is what this process will read back (Python's fileinput renames the table to a
  // backup, reads the backup and writes the table anew): it counts as a read of `cur`, unless
  // the process read the table itself before (sed -i.bak: its own read is the right base).
  file->writer_base = cur;
  fs.pid_snapshots().RememberIfAbsent(r.pid(), cur);
  file->mtime.tv_sec = static_cast<time_t>(cur->mtime_ns() / 1000000000);
  file->mtime.tv_nsec = static_cast<long>(cur->mtime_ns() % 1000000000);
  if (noreplace) {
    if (!fs.scratch().PutIfAbsent(to, file)) {
      r.ReplyErr(EEXIST);
      return;
    }
  } else {
    fs.scratch().Put(to, file);
  }
  r.ReplyErr(0);
}

void RenameInRoot(Request& r, const std::string& from, const std::string& to, bool noreplace) {
  Filesystem& fs = r.fs();
  if (from == fs.table_name()) {
    if (to == from) {
      r.ReplyErr(0);
    } else if (IsReserved(fs, to)) {
      r.ReplyErr(noreplace ? EEXIST : EPERM);
    } else {
      CopyTableTo(r, to, noreplace);
    }
    return;
  }
  if (from == "rows" || from == kStatusFileName) {
    fs.Refuse(r.pid(), "rename", from, EPERM, "fixed entry");
    r.ReplyErr(EPERM);
    return;
  }
  if (to == fs.table_name()) {
    if (noreplace) {
      r.ReplyErr(EEXIST);
      return;
    }
    ReplaceTable(r, from);
    return;
  }
  if (IsReserved(fs, to)) {
    r.ReplyErr(noreplace ? EEXIST : EPERM);
    return;
  }
  switch (fs.scratch().Rename(from, to, noreplace)) {
    case ScratchStore::RenameOutcome::kOk:
      r.ReplyErr(0);
      return;
    case ScratchStore::RenameOutcome::kNotFound:
      r.ReplyErr(ENOENT);
      return;
    case ScratchStore::RenameOutcome::kExists:
      r.ReplyErr(EEXIST);
      return;
  }
}

void RenameRow(Request& r, const std::string& from, const std::string& to, bool noreplace) {
  Filesystem& fs = r.fs();
  if (from == to) {
    r.ReplyErr(fs.engine().RowContent(from) ? 0 : ENOENT);
    return;
  }
  auto res = fs.engine().RenameRow(from, to, noreplace, r.pid());
  if (!res.ok()) {
    fs.LogRefused(r.pid(), "rename to rows/" + to, "rows/" + from, res.status());
    ReplyStatus(r, res.status());
    return;
  }
  fs.OnCommit(*res, {from, to});
  ReplyOkWhenDurable(r, res->lsn, "rename");
}

}  // namespace

void Rename(Request& r, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
            const char* newname, unsigned int flags) {
  Filesystem& fs = r.fs();
  std::string from(name), to(newname);
  if (int err = CheckName(from)) {
    r.ReplyErr(err == EINVAL ? ENOENT : err);
    return;
  }
  if (int err = CheckName(to)) {
    r.ReplyErr(err);
    return;
  }
  if (fs.read_only()) {
    r.ReplyErr(EROFS);
    return;
  }
  if (flags & RENAME_EXCHANGE) {
    r.ReplyErr(parent == newparent && from == to ? 0 : EINVAL);
    return;
  }
  if (flags & ~static_cast<unsigned>(RENAME_NOREPLACE)) {
    r.ReplyErr(EINVAL);
    return;
  }
  const bool noreplace = (flags & RENAME_NOREPLACE) != 0;
  if (parent == kRootIno && newparent == kRootIno) {
    RenameInRoot(r, from, to, noreplace);
  } else if (parent == kRowsIno && newparent == kRowsIno) {
    RenameRow(r, from, to, noreplace);
  } else {
    fs.Refuse(r.pid(), "rename", from, EPERM, "cannot move between the root and rows/");
    r.ReplyErr(EPERM);
  }
}

}  // namespace csvfs::fs::ops
