// read: snapshot reads of the table (page-cache friendly), and reads of private images,
// row contents, the status text and sidecar files.
#include <algorithm>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <vector>

#include "fs/follow_view.h"
#include "fs/op_common.h"
#include "fs/ops.h"

namespace csvfs::fs::ops {
namespace {

void ReplySlice(Request& r, std::string_view data, size_t size, off_t off) {
  uint64_t o = static_cast<uint64_t>(off);
  if (o >= data.size()) {
    r.ReplyBuf(nullptr, 0);
    return;
  }
  size_t n = std::min<uint64_t>(size, data.size() - o);
  r.ReplyBuf(data.data() + o, n);
}

// What a table handle reads at [off, off+size): its snapshot while the range lies inside it;
// past its end, the newest version of the same lineage (the bytes it already has are identical
// there, and `tail -f` sees what was appended), and once other changes replaced that lineage,
// the rows appended after them (fs/follow_view.h).
//
// The reading process is noted as having read h.snap: a rewrite or rename over the table that
// it commits later merges against what it actually saw (the bytes it reads up to its EOF are
// those of this version or a newer one of the same lineage).
void ReadTable(Request& r, Handle& h, size_t size, off_t off) {
  Filesystem& fs = r.fs();
  const uint32_t pid = r.pid();
  const uint64_t end = static_cast<uint64_t>(off) + size;
  core::Snapshot snap;
  std::vector<LineageLog::Segment> after;  // also keeps the pieces' bytes alive until the reply
  {
    std::lock_guard<std::mutex> l(h.mu);
    if (end > h.snap->size()) {
      core::Snapshot cur = fs.Current();
      if (cur->lineage() == h.snap->lineage()) {
        if (cur->number() > h.snap->number()) h.snap = cur;
      } else {
        auto info = fs.inodes().Get(h.ino);
        if (info && info->kind == NodeKind::kTable && info->head &&
            info->head->lineage() == h.snap->lineage() && info->head->number() > h.snap->number()) {
          h.snap = info->head;
        }
        if (end > h.snap->size()) after = fs.lineages().After(h.snap->lineage());
      }
    }
    if (pid != h.recorded_pid || h.snap->number() != h.recorded_number) {
      fs.pid_snapshots().NoteRead(pid, h.snap);
      h.recorded_pid = pid;
      h.recorded_number = h.snap->number();
    }
    snap = h.snap;
  }
  std::vector<std::string_view> pieces;
  uint64_t got = 0;
  ReadFollowing(snap, after, static_cast<uint64_t>(off), size, [&](std::string_view p) {
    pieces.push_back(p);
    got += p.size();
  });
  // Read on past the snapshot it opened, through to the end of a newer version of its
  // lineage: the process saw those appended rows (a later open reading to the end does not
  // count: a header check's buffered read would take rows it never looked at).
  if (after.empty() && snap->number() > h.open_number &&
      static_cast<uint64_t>(off) + got >= snap->size()) {
    fs.pid_snapshots().NoteReadThrough(pid, snap);
  }
  if (pieces.size() == 1) {
    r.ReplyBuf(pieces[0].data(), pieces[0].size());  // `snap` and `after` keep the bytes alive
    return;
  }
  std::string buf;
  for (std::string_view p : pieces) buf.append(p);
  r.ReplyBuf(buf.data(), buf.size());
}

}  // namespace

void Read(Request& r, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  auto h = HandleOf(r.fs(), fi);
  if (h == nullptr) {
    r.ReplyErr(EBADF);
    return;
  }
  if (off < 0) {
    r.ReplyErr(EINVAL);
    return;
  }
  switch (h->kind) {
    case HandleKind::kTableRead:
    case HandleKind::kTableAppend:
      ReadTable(r, *h, size, off);
      return;
    case HandleKind::kTableRewrite:
    case HandleKind::kRowWrite: {
      std::string buf(size, '\0');
      {
        std::lock_guard<std::mutex> l(h->mu);
        buf.resize(h->image->Read(static_cast<uint64_t>(off), buf.data(), size));
      }
      r.ReplyBuf(buf.data(), buf.size());
      return;
    }
    case HandleKind::kRowRead:
    case HandleKind::kStatus:
      ReplySlice(r, h->content, size, off);
      return;
    case HandleKind::kSidecar: {
      std::string buf(size, '\0');
      ssize_t n = pread(h->file.get(), buf.data(), size, off);
      if (n < 0) {
        r.ReplyErr(errno);
        return;
      }
      r.ReplyBuf(buf.data(), static_cast<size_t>(n));
      return;
    }
    case HandleKind::kDir:
      r.ReplyErr(EISDIR);
      return;
  }
  r.ReplyErr(EBADF);
}

}  // namespace csvfs::fs::ops
