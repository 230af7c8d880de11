// Renders the read-only status file `.csvfs-status` (README "Usage", man page FILES). FUSE-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/engine.h"
#include "fs/refusal_log.h"

namespace csvfs::fs {

inline constexpr const char* kStatusFileName = ".csvfs-status";

// Counters kept by the adapter itself.
struct AdapterStats {
  uint64_t open_handles = 0;
  uint64_t other_files = 0;
  uint64_t refused = 0;  // changes refused at the adapter (before reaching the engine)
  uint64_t locked_files = 0;  // files with a flock or record lock held (fs/lock_table.h)
  uint64_t lock_waiters = 0;  // lock requests waiting for a lock
  uint64_t rewrites_prepared = 0;  // merges prepared at a scratch file's close (fs/prepared_rewrites.h)
  uint64_t rewrites_prepared_used = 0;  // ... that the rename over the table committed
  int64_t pid = 0;       // the daemon's process id (mount-helpers/csvfs-umount waits for it)
  std::vector<Refusal> recent_refusals;  // oldest first
};

// "key: value" lines, one per fact; then one `refused: TIME pid PID (COMMAND) OP FILE: REASON`
// line per recent refusal, oldest first (line breaks in a reason shown as \n).
std::string RenderStatus(const core::EngineStats& engine, const AdapterStats& adapter,
                         const std::string& backing, const std::string& sync_mode);

// An ISO-8601 UTC time for a nanosecond timestamp, or "never" for 0.
std::string FormatTimeNs(int64_t ns);

}  // namespace csvfs::fs
