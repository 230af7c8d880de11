#include "fs/refusal_log.h"

#include <chrono>
#include <fstream>

namespace csvfs::fs {

std::string RefusalLog::CommandOf(uint32_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (!in || !std::getline(in, name) || name.empty()) return "?";
  return name;
}

void RefusalLog::Add(uint32_t pid, std::string_view op, std::string_view what,
                     std::string_view reason) {
  Refusal r;
  r.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  r.pid = pid;
  r.command = CommandOf(pid);
  r.op = op;
  r.what = what;
  r.reason = reason;
  std::lock_guard<std::mutex> l(mu_);
  recent_.push_back(std::move(r));
  while (recent_.size() > kKeep) recent_.pop_front();
}

std::vector<Refusal> RefusalLog::Recent() const {
  std::lock_guard<std::mutex> l(mu_);
  return {recent_.begin(), recent_.end()};
}

}  // namespace csvfs::fs
