#include "fs/handle_committer.h"

#include <signal.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "fs/process_id.h"

namespace csvfs::fs {
namespace {

bool ProcessGone(uint32_t pid) {
  return pid != 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// SPEC 3 "Appending": a line composed by several processes on one open file is one record.
// `pid` (which has nothing pending) continues an unfinished record left by a process that
// closed its descriptor or exited, or by one of its ancestors (a shell waiting for it).
// Siblings (`xargs -P` children) never continue each other's records.
void ContinueUnfinished(AppendBuffer& buf, uint32_t pid) {
  if (buf.HasPending(pid)) return;
  std::vector<uint32_t> pending = buf.PendingPids();
  if (pending.empty()) return;
  for (uint32_t p : pending) {
    if (buf.IsClosed(p) || ProcessGone(p)) {
      buf.Adopt(p, pid);
      return;
    }
  }
  for (uint32_t p : pending) {
    if (IsAncestor(p, pid)) {
      buf.Adopt(p, pid);
      return;
    }
  }
}

}  // namespace

CommitOutcome HandleCommitter::Commit(Handle& h, uint32_t pid, CommitPoint point) {
  switch (h.kind) {
    case HandleKind::kTableAppend:
      return CommitAppend(h, pid, point);
    case HandleKind::kTableRewrite:
      return CommitTableImage(h, pid, point);
    case HandleKind::kRowWrite:
      return CommitRowImage(h, pid, point);
    default:
      return {};
  }
}

core::Status HandleCommitter::AppendRecords(Handle& h, uint32_t pid, const std::string& records) {
  auto r = fs_.engine().Append(records, pid);
  if (!r.ok()) {
    fs_.LogRefused(pid, "append", fs_.table_name(), r.status());
    return r.status();
  }
  if (r->lsn > h.last_lsn) h.last_lsn = r->lsn;
  fs_.OnCommit(*r);
  return core::Status::Ok();
}

core::Status HandleCommitter::AppendWrite(Handle& h, uint32_t pid, std::string_view data) {
  std::lock_guard<std::mutex> l(h.mu);
  std::string records;
  ContinueUnfinished(*h.append, pid);
  core::Status s = h.append->Feed(pid, data, &records);
  if (!s.ok()) {
    fs_.LogRefused(pid, "append", fs_.table_name(), s);
    return s;
  }
  if (records.empty()) return core::Status::Ok();
  return AppendRecords(h, pid, records);
}

CommitOutcome HandleCommitter::CommitAppend(Handle& h, uint32_t pid, CommitPoint point) {
  std::lock_guard<std::mutex> l(h.mu);
  CommitOutcome out;
  // fsync makes durable what is committed; a record still being written stays pending.
  if (point == CommitPoint::kFsync) return {core::Status::Ok(), h.last_lsn};
  std::vector<uint32_t> pids;
  if (point == CommitPoint::kRelease) {
    pids = h.append->PendingPids();
  } else if (pid != h.open_pid) {
    // A child's close: its unfinished record waits for the next writer (its parent's
    // `printf ',x\n'`) or for the opener's close.
    h.append->MarkClosed(pid);
    return {core::Status::Ok(), h.last_lsn};
  } else {
    // The opener's close: its remainder, and that of writers that closed or exited (their
    // records can no longer be completed by them).
    pids.push_back(pid);
    for (uint32_t p : h.append->PendingPids()) {
      if (p != pid && (h.append->IsClosed(p) || ProcessGone(p))) pids.push_back(p);
    }
  }
  for (uint32_t p : pids) {
    std::string records;
    core::Status s = h.append->Finish(p, &records);
    if (s.ok() && !records.empty()) s = AppendRecords(h, p, records);
    if (!s.ok()) {
      if (records.empty()) fs_.LogRefused(p, "append (close)", fs_.table_name(), s);
      if (p == pid && out.status.ok()) out.status = s;
    }
  }
  out.durable_lsn = h.last_lsn;
  return out;
}

CommitOutcome HandleCommitter::CommitTableImage(Handle& h, uint32_t pid, CommitPoint point) {
  std::lock_guard<std::mutex> l(h.mu);
  RewriteImage& img = *h.image;
  const bool size_set = std::exchange(h.size_set, false);
  if (core::Status e = img.TakeEpochError(); !e.ok()) return {e, 0};  // logged at the write
  // An explicit ftruncate (`truncate -s N t.csv`) is committed at the close that follows it,
  // whose error the program sees; only an O_TRUNC at open waits for writes (the shell's `>`).
  bool due = point == CommitPoint::kRelease ? img.ShouldCommitAtRelease()
                                            : img.ShouldCommitAtFlush() || size_set;
  if (!due) return {core::Status::Ok(), h.last_lsn};
  auto r = fs_.engine().Rewrite(img.base(), img.data(), pid);
  if (!r.ok()) {
    img.MarkFailed();
    fs_.LogRefused(pid, "rewrite", fs_.table_name(), r.status());
    return {r.status(), 0};
  }
  img.MarkCommitted(r->version);
  h.last_lsn = r->lsn;
  fs_.pid_snapshots().NoteCommit(pid, r->version);
  fs_.OnCommit(*r);
  return {core::Status::Ok(), r->lsn};
}

CommitOutcome HandleCommitter::CommitRowImage(Handle& h, uint32_t pid, CommitPoint point) {
  std::lock_guard<std::mutex> l(h.mu);
  RewriteImage& img = *h.image;
  const std::string what = "rows/" + h.row_id;
  if (core::Status e = img.TakeEpochError(); !e.ok()) return {e, 0};  // logged at the write
  if (point != CommitPoint::kRelease && !img.ShouldCommitAtFlush() && img.ShouldCommitAtRelease()) {
    // Emptied (O_TRUNC) and closed with nothing written: a row file must hold one record,
    // so this close fails. The shell's `cmd > rows/ID` ignores the error of this first close
    // (of the descriptor it dup2()ed) and commits at the close after its writes; the
    // refusal is logged at release if nothing was ever committed.
    img.MarkFailed();
    h.row_emptied = true;
    return {core::Status::Invalid("a row file must hold exactly one record, not 0"), 0};
  }
  if (point == CommitPoint::kRelease && h.row_emptied && !img.committed_any() &&
      !img.ShouldCommitAtRelease()) {
    fs_.Refuse(pid, "truncate", what, EINVAL, "a row file must hold exactly one record, not 0");
    return {};
  }
  bool due =
      point == CommitPoint::kRelease ? img.ShouldCommitAtRelease() : img.ShouldCommitAtFlush();
  if (!due) return {core::Status::Ok(), h.last_lsn};
  auto r = fs_.engine().PutRow(h.row_id, img.data(), h.row_create, h.row_exclusive, pid);
  if (!r.ok()) {
    img.MarkFailed();
    fs_.LogRefused(pid, h.row_create ? "create" : "write", what, r.status());
    return {r.status(), 0};
  }
  h.row_create = false;
  h.row_exclusive = false;
  img.MarkCommitted(r->version);
  h.last_lsn = r->lsn;
  fs_.OnCommit(*r);
  return {core::Status::Ok(), r->lsn};
}

}  // namespace csvfs::fs
