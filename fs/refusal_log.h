// RefusalLog: the last few refused changes, for `.csvfs-status` (where no syslog runs, the
// log lines of refusals are otherwise invisible). Thread-safe; FUSE-free.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace csvfs::fs {

struct Refusal {
  int64_t time_ns = 0;
  uint32_t pid = 0;
  std::string command;  // /proc/PID/comm at the time ("?" if the process is gone)
  std::string op;       // e.g. "append", "rewrite", "unlink"
  std::string what;     // the file
  std::string reason;
};

class RefusalLog {
 public:
  static constexpr size_t kKeep = 10;

  // Records a refusal (the command name is read from /proc now, while the process runs).
  void Add(uint32_t pid, std::string_view op, std::string_view what, std::string_view reason);
  // The kept refusals, oldest first.
  std::vector<Refusal> Recent() const;

  // The command name of a process, "?" if unknown.
  static std::string CommandOf(uint32_t pid);

 private:
  mutable std::mutex mu_;
  std::deque<Refusal> recent_;
};

}  // namespace csvfs::fs
