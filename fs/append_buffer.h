// AppendBuffer: reassembles the records written through one O_APPEND file handle, separately
// for every writing process (children sharing an inherited descriptor never tear each other's
// records). An unfinished record can pass to another process (Adopt): the caller decides who
// continues whose (a child its waiting parent's, anyone one whose writer closed; see
// HandleCommitter). A record over the limit poisons its writer: its further bytes on this
// handle fail with kTooBig until it closes (Finish/MarkClosed), so the tail of the oversized
// record (a program retrying a short write) is never taken for new records.
// FUSE-free; not thread-safe (the owning handle serializes calls).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/csv.h"
#include "core/status.h"

namespace csvfs::fs {

class AppendBuffer {
 public:
  // `max_record_bytes`: a pending record growing past this fails with kTooBig (0: no limit).
  explicit AppendBuffer(uint64_t max_record_bytes = 0) : max_record_bytes_(max_record_bytes) {}

  // Feeds bytes written by `pid`. On success `*records` holds every record this chunk
  // completed, each with its terminator (possibly none). On malformed CSV (kInvalid) or an
  // oversized record (kTooBig) the pid's pending bytes are dropped and *records is empty.
  core::Status Feed(uint32_t pid, std::string_view chunk, std::string* records);

  // The end of `pid`'s writing (its close). `*records` gets the pending remainder if it is a
  // valid record without final newline (empty if nothing is pending). kInvalid if it ends
  // inside a quoted field; either way nothing stays pending for `pid`.
  core::Status Finish(uint32_t pid, std::string* records);

  // `pid` closed its descriptor (a child's close): its unfinished record stays pending, to be
  // continued by the next writer or committed by the opener's close. Clears a poison.
  void MarkClosed(uint32_t pid);
  // Whether `pid` has an unfinished record and closed since it last wrote.
  bool IsClosed(uint32_t pid) const;
  // Moves `from`'s unfinished record to `to` (which has none); false if that is not so.
  bool Adopt(uint32_t from, uint32_t to);

  // Pids that have bytes pending.
  std::vector<uint32_t> PendingPids() const;
  bool HasPending(uint32_t pid) const;
  size_t pending_bytes() const;

 private:
  uint64_t max_record_bytes_;
  std::map<uint32_t, core::CsvScanner> scanners_;
  std::set<uint32_t> closed_;    // pending records whose writer closed
  std::set<uint32_t> poisoned_;  // wrote a record over the limit; cleared at its close
};

}  // namespace csvfs::fs
