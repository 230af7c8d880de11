// write: appends are parsed and committed record by record; other writes edit a private
// image (committed at flush) or a scratch file.
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

void WriteScratch(Request& r, ScratchFile& f, std::string_view data, off_t off, bool append) {
  const uint64_t limit = r.fs().max_image_bytes();
  bool fits;
  {
    std::lock_guard<std::mutex> l(f.mu);
    // Only the first write looks up what its process read (see ScratchFile::writer_base).
    if (f.writer_base == nullptr) f.writer_base = r.fs().pid_snapshots().Lookup(r.pid());
    uint64_t pos = append ? f.data.size() : static_cast<uint64_t>(off);
    uint64_t end = pos + data.size();
    fits = end <= limit;
    if (fits) {
      if (end > f.data.size()) f.data.resize(end, '\0');
      std::memcpy(f.data.data() + pos, data.data(), data.size());
      f.TouchModified();
    }
  }
  if (!fits) {
    r.fs().Refuse(r.pid(), "write", "scratch file", EFBIG, "over max_image");
    r.ReplyErr(EFBIG);
    return;
  }
  r.ReplyWrite(data.size());
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
      uint64_t lsn = 0;  // sync=always: the engine waited for durability already
      core::Status s = HandleCommitter(fs).AppendWrite(*h, r.pid(), data, &lsn);
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
    case HandleKind::kScratch:
      WriteScratch(r, *h->scratch, data, off, Appends(fi->flags));
      return;
    default:
      r.ReplyErr(EBADF);
      return;
  }
}

}  // namespace csvfs::fs::ops
