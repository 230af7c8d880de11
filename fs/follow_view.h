// Following appends across other changes (SPEC 3 "Reading"): a reader at the end of its
// snapshot continues into the rows appended since, even when deletes, edits or rewrites
// happened meanwhile; those it does not see. Every change but an append starts a new lineage
// (numbered one above the one it replaces; the appends of a lineage only grow it at the end),
// so a reader of lineage L sees, past the newest version of L, the bytes appended to each
// later lineage after its first version, in order. This view is a function of L alone, so
// reads through any descriptor of L's inode and fstat on it (which reaches the daemon as a
// getattr of that inode, without the descriptor) agree on it: `tail -f` sees the file grow.
//
// LineageLog remembers, for the most recent lineages (`capacity`), the size of each one's
// first version and its newest version; of a replaced lineage it keeps only the bytes appended
// to it (copied when they are at most kMaxCopiedTail, else its newest version), so that old
// versions (their row index, the old BACKING's mapping) are freed once nobody reads them. A reader whose lineage is older than the log's window no longer
// sees the appends of the lineages the window dropped (the view shrinks: `tail -f` then reports
// a truncation and re-reads).
//
// FUSE-free; thread-safe. Cost: O(capacity) per call, under a mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "core/version.h"

namespace csvfs::fs {

class LineageLog {
 public:
  explicit LineageLog(size_t capacity = 32) : capacity_(capacity) {}

  // A commit published `v`; `append_only`: it only appended (same lineage).
  void NoteCommit(const core::Snapshot& v, bool append_only);
  // `v` is the current version: if its lineage is known, it becomes that lineage's head (a
  // checkpoint reloads the current version as a new object; the old one is then released).
  void NoteHead(const core::Snapshot& v);

  static constexpr uint64_t kMaxCopiedTail = uint64_t{8} << 20;

  // Bytes [from, v->size()) of `v`, or the bytes `copy` holds.
  struct Segment {
    core::Snapshot v;
    uint64_t from = 0;
    std::shared_ptr<const std::string> copy;  // if set, v is null
    uint64_t size() const { return copy ? copy->size() : v->size() - from; }
  };
  // What a reader of `lineage` sees past the newest version of that lineage: the rows appended
  // to each later lineage, oldest first (empty if none, or if `lineage` is the newest).
  std::vector<Segment> After(uint64_t lineage) const;
  // The total size of After(lineage).
  uint64_t BytesAfter(uint64_t lineage) const;

 private:
  struct Entry {
    std::optional<uint64_t> start;  // size of the first version (unknown for the mount's first)
    core::Snapshot head;            // newest version (dropped once replaced)
    std::shared_ptr<const std::string> tail;  // a replaced lineage's appended bytes, copied
  };
  size_t capacity_;
  mutable std::mutex mu_;
  std::map<uint64_t, Entry> lineages_;
};

// Calls fn with the pieces covering [off, off+len) of `head` followed by `after` (clipped to
// the end).
void ReadFollowing(const core::Snapshot& head, const std::vector<LineageLog::Segment>& after,
                   uint64_t off, size_t len, const std::function<void(std::string_view)>& fn);

}  // namespace csvfs::fs
