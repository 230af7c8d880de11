// ProcessIds: the process (thread group) a FUSE request comes from. The kernel puts the calling
// *thread's* id in each request, so the threads of one program (Go's runtime, a Python thread
// pool) look like different processes: a program that read the table on one thread and
// renames its edited copy over it on another would have its rename merged against the wrong
// snapshot, and rows appended meanwhile would be taken for rows it deleted (found with Miller's
// `mlr -I`). Snapshots and partial records are therefore kept per process: the thread group
// id from /proc/TID/status.
//
// Answers are cached for a second (a thread id is not reused that fast). A thread that is
// gone, or a /proc that cannot be read, maps to itself. FUSE-free; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace csvfs::fs {

class ProcessIds {
 public:
  // The thread group id of thread `tid` (tid itself if it cannot be found).
  uint32_t Of(uint32_t tid);

 private:
  using Clock = std::chrono::steady_clock;
  std::mutex mu_;
  std::unordered_map<uint32_t, std::pair<uint32_t, Clock::time_point>> cache_;
};

// The Tgid of a /proc/PID/status text, or 0 if it has none (exposed for tests).
uint32_t ParseTgid(std::string_view status_text);

// Fields of a /proc/PID/stat text (the command name may hold spaces and parentheses: fields
// are counted after its last ')'). False if the text is malformed.
struct ProcStat {
  uint32_t ppid = 0;        // field 4
  uint64_t start_time = 0;  // field 22, clock ticks after boot
};
bool ParseProcStat(std::string_view stat_text, ProcStat* out);

// The start time of process `pid` (with the pid, it identifies the process across pid reuse),
// or 0 if it is gone. Reads /proc/PID/stat (uncached: ~10 us).
uint64_t ProcessStartTime(uint32_t pid);

// Whether `ancestor` is `pid`'s parent, grandparent, ... (follows /proc/PID/stat's ppid up to
// init, at most 64 steps; false when a link cannot be read).
bool IsAncestor(uint32_t ancestor, uint32_t pid);

}  // namespace csvfs::fs
