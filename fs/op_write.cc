// write: appends are parsed and committed record by record; other writes edit a private
// image (committed at flush) or a sidecar file.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "fs/handle_committer.h"
#include "fs/op_common.h"
#include "fs/open_flags.h"
#include "fs/ops.h"
#include "fs/status_errno.h"

namespace csvfs::fs::ops {
namespace {

void WriteSidecar(Request& r, Handle& h, std::string_view data, off_t off) {
  SidecarNode& node = *h.side;
  {
    std::lock_guard<std::mutex> l(node.mu);
    // Only the first write looks up what its process read (see SidecarNode::writer_base).
    if (!node.writer_base_set) {
      node.writer_base = r.fs().pid_snapshots().Lookup(r.pid());
      node.writer_base_set = true;
    }
  }
  // O_APPEND descriptors append by themselves (the kernel's offset is ignored).
  ssize_t n = (h.flags & O_APPEND) != 0 ? write(h.file.get(), data.data(), data.size())
                                        : pwrite(h.file.get(), data.data(), data.size(), off);
  if (n < 0) {
    r.ReplyErr(errno);
    return;
  }
  {
    std::lock_guard<std::mutex> l(node.mu);
    ++node.write_gen;
  }
  {
    std::lock_guard<std::mutex> l(h.mu);
    h.wrote = true;
  }
  r.ReplyWrite(static_cast<size_t>(n));
}

}  // namespace

void Write(Request& r, fuse_ino_t ino, const char* buf, size_t size, off_t off,
           fuse_file_info* fi) {
  Filesystem& fs = r.fs();
  auto h = HandleOf(fs, fi);
  if (h == nullptr) {
    r.ReplyErr(EBADF);
    return;
  }
  if (fs.read_only()) {
    r.ReplyErr(EROFS);
    return;
  }
  std::string_view data(buf, size);
  switch (h->kind) {
    case HandleKind::kTableAppend: {
      core::Status s = HandleCommitter(fs).AppendWrite(*h, r.pid(), data);
      if (!s.ok()) {
        ReplyStatus(r, s);
        return;
      }
      r.ReplyWrite(size);
      return;
    }
    case HandleKind::kTableRewrite:
    case HandleKind::kRowWrite: {
      core::Status s;
      {
        std::lock_guard<std::mutex> l(h->mu);
        const bool append = Appends(fi->flags) && h->kind == HandleKind::kRowWrite;
        const uint64_t at = append ? h->image->size() : static_cast<uint64_t>(off);
        s = append ? h->image->Append(data) : h->image->Write(at, data);
        // SPEC 3 "Rewriting": the records this write completes are checked now, so that the
        // write fails (a shell ignores the close's error); the refusal voids the epoch.
        if (s.ok() && h->checker != nullptr) {
          s = h->checker->AfterWrite(*h->image, at, data.size());
          if (!s.ok()) h->image->FailEpoch(s);
        }
      }
      if (!s.ok()) {
        fs.Refuse(r.pid(), "write",
                  h->kind == HandleKind::kRowWrite ? "rows/" + h->row_id : fs.table_name(),
                  StatusToErrno(s), s.message());
        ReplyStatus(r, s);
        return;
      }
      r.ReplyWrite(size);
      return;
    }
    case HandleKind::kSidecar:
      WriteSidecar(r, *h, data, off);
      return;
    default:
      r.ReplyErr(EBADF);
      return;
  }
}

}  // namespace csvfs::fs::ops
