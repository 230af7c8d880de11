// PreparedRewrites: rewrite merges prepared when a scratch file is closed, for the rename that
// usually follows (`sed -i`, `perl -i`, Python's tempfile + os.replace, rsync: write a
// temporary file, close it, rename it over the table). The kernel holds the root directory's
// and the table's locks for the whole RENAME request, so every appender waits for it; the
// byte comparison of a big table (hundreds of milliseconds per GB) is therefore done at the
// writer's close(), where no one else waits, and the rename only rebases onto what landed
// since (core::Engine::Rewrite).
//
// A plan is used only for the exact file it was made from: same sidecar object (st_dev,
// st_ino), no write or truncate through the mount since (SidecarNode::write_gen), same size,
// and the same merge base the rename computes. Anything else: the rename merges as before.
//
// Thread-safety: all methods may be called from any thread. Cost: a prepare maps the file and
// compares it with the table (memory: what differs); at most kMaxPlans plans are kept.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include "core/engine.h"
#include "fs/sidecar.h"

namespace csvfs::fs {

class Filesystem;

class PreparedRewrites {
 public:
  // Files smaller than this are merged at the rename (it is fast for them).
  static constexpr uint64_t kMinBytes = uint64_t{1} << 20;
  static constexpr size_t kMaxPlans = 4;

  // After process `pid` closed a descriptor it wrote `node` through (its flush): if the file
  // looks like a new version of the table (starts with its header), prepares the merge a
  // rename by `pid` would make. Errors are not reported here (the rename reports them).
  void AfterWriterClose(Filesystem& fs, const std::shared_ptr<SidecarNode>& node, uint32_t pid);
  // Removes and returns the plan made for the file `st` (its fstat) at write generation
  // `gen` (the node's write_gen, read under its mutex) and merge base `base`, or nullptr.
  std::shared_ptr<core::PreparedRewrite> Take(const struct stat& st, uint64_t gen,
                                              const core::Snapshot& base);
  size_t size() const;
  uint64_t prepared() const { return prepared_.load(); }  // plans made since the mount
  uint64_t used() const { return used_.load(); }          // plans a rename committed

 private:
  struct Plan {
    dev_t dev = 0;
    ino_t ino = 0;
    uint64_t gen = 0;
    uint64_t size = 0;
    core::Snapshot base;
    std::shared_ptr<core::PreparedRewrite> plan;
  };
  mutable std::mutex mu_;
  std::deque<Plan> plans_;  // newest last
  std::atomic<uint64_t> prepared_{0}, used_{0};
};

// The merge base of a rename of sidecar file `node` over the table by process `pid`: the
// earliest snapshot `pid` read since its last commit; if it read nothing (`mv`), what the
// process that wrote the file had read (`awk ... > tmp && mv tmp table.csv`); else the
// current table. `node` may be nullptr (the file is not one the kernel knows).
core::Snapshot RewriteBase(Filesystem& fs, uint32_t pid, SidecarNode* node);

}  // namespace csvfs::fs
