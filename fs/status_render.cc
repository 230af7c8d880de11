#include "fs/status_render.h"

#include <time.h>

#include <cstdio>
#include <sstream>

namespace csvfs::fs {

std::string FormatTimeNs(int64_t ns) {
  if (ns <= 0) return "never";
  time_t secs = static_cast<time_t>(ns / 1000000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((ns / 1000000) % 1000));
  return buf;
}

std::string RenderStatus(const core::EngineStats& e, const AdapterStats& a,
                         const std::string& backing, const std::string& sync_mode) {
  std::ostringstream o;
  o << "backing: " << backing << "\n"
    << "pid: " << a.pid << "\n"
    << "sync: " << sync_mode << "\n"
    << "rows: " << e.rows << "\n"
    << "version: " << e.version << "\n"
    << "size: " << e.size << "\n"
    << "journal_bytes: " << e.journal_bytes << "\n"
    << "last_checkpoint: " << FormatTimeNs(e.last_checkpoint_ns) << "\n"
    << "checkpoints: " << e.checkpoints << "\n"
    << "commits: " << e.commits << "\n"
    << "fsyncs: " << e.fsyncs << "\n"
    << "conflicts: " << e.conflicts << "\n"
    << "refused_writes: " << (e.refused + a.refused) << "\n"
    << "open_handles: " << a.open_handles << "\n"
    << "other_files: " << a.other_files << "\n"
    << "locked_files: " << a.locked_files << "\n"
    << "lock_waiters: " << a.lock_waiters << "\n"
    << "rewrites_prepared: " << a.rewrites_prepared << "\n"
    << "rewrites_prepared_used: " << a.rewrites_prepared_used << "\n"
    << "read_only: " << (e.read_only ? "yes" : "no");
  if (e.read_only && !e.read_only_reason.empty()) o << " (" << e.read_only_reason << ")";
  o << "\n";
  auto one_line = [](const std::string& text) {
    std::string out;
    for (char c : text) {
      if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else out += c;
    }
    return out;
  };
  for (const Refusal& r : a.recent_refusals) {
    o << "refused: " << FormatTimeNs(r.time_ns) << " pid " << r.pid << " (" << one_line(r.command)
      << ") " << r.op << " " << one_line(r.what) << ": " << one_line(r.reason) << "\n";
  }
  return o.str();
}

}  // namespace csvfs::fs
