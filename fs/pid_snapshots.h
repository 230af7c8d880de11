// PidSnapshots: per process, the base that a rewrite or a rename over the table by that process
// merges against (SPEC 3 "Replacing by rename"): the *earliest* snapshot it read since its last
// commit to the table, so rows appended meanwhile by others are kept even when the program
// re-opened the table (a header check) before saving. A commit restarts the base at the version
// it published.
//
// Processes are identified by pid *and* start time (field 22 of /proc/PID/stat): an entry
// whose process has exited, or whose pid now belongs to another process, is dropped when it is
// looked up, and a sweep (at most every `sweep_every`, run by NoteRead) drops those of exited
// processes. Bounded: the least recently used entries are evicted past `capacity`.
//
// FUSE-free; thread-safe. Cost: NoteRead, NoteCommit and Lookup read /proc/PID/stat once
// (outside the lock); a sweep reads it once per entry.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <unordered_map>

#include "core/version.h"

namespace csvfs::fs {

class PidSnapshots {
 public:
  // The start time of process `pid`, or 0 if there is no such process.
  using StartTimeFn = std::function<uint64_t(uint32_t pid)>;

  // `start_time` defaults to reading /proc (ProcessStartTime).
  explicit PidSnapshots(size_t capacity = 1024, StartTimeFn start_time = nullptr,
                        std::chrono::steady_clock::duration sweep_every = std::chrono::seconds(5));

  // `pid` read `snapshot`: it becomes pid's base unless pid already has an earlier one.
  void NoteRead(uint32_t pid, core::Snapshot snapshot);
  // `pid` read `snapshot` through to its end, past the end of its base (a reader follows rows
  // appended after its snapshot): when its base is of the same lineage (only appends since),
  // the base grows to `snapshot`, since it saw those rows (sed -i's image holds them edited).
  void NoteReadThrough(uint32_t pid, core::Snapshot snapshot);
  // `pid` committed `version` to the table (a rewrite, a rename over it): its base restarts there.
  void NoteCommit(uint32_t pid, core::Snapshot version);
  // pid's base, or nullptr (never read, exited, or the pid now names another process).
  core::Snapshot Lookup(uint32_t pid);
  // Drops the entries of processes that have exited (or whose pid was reused).
  void Sweep();
  // A checkpoint reloaded the current version as a new object `v` (same number, same bytes):
  // entries holding the old object hold `v` instead, so that the old one (the old BACKING's
  // mapping and row index) is freed. O(entries).
  void Rebind(const core::Snapshot& v);
  size_t size() const;

 private:
  struct Entry {
    uint32_t pid;
    uint64_t start;
    core::Snapshot snap;
  };
  void PutLocked(uint32_t pid, uint64_t start, core::Snapshot snap, bool earliest);  // mu_ held
  void EraseLocked(uint32_t pid);
  void MaybeSweep();

  size_t capacity_;
  StartTimeFn start_time_;
  std::chrono::steady_clock::duration sweep_every_;
  mutable std::mutex mu_;
  std::chrono::steady_clock::time_point last_sweep_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<uint32_t, std::list<Entry>::iterator> index_;
};

}  // namespace csvfs::fs
