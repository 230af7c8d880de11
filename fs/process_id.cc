#include "fs/process_id.h"

#include <fstream>
#include <sstream>
#include <string>

namespace csvfs::fs {
namespace {

constexpr auto kTtl = std::chrono::seconds(1);
constexpr size_t kMaxEntries = 4096;

uint32_t ReadTgid(uint32_t tid) {
  std::ifstream f("/proc/" + std::to_string(tid) + "/status");
  if (!f) return 0;
  std::ostringstream text;
  text << f.rdbuf();
  return ParseTgid(text.str());
}

}  // namespace

uint32_t ParseTgid(std::string_view status) {
  size_t at = status.rfind("\nTgid:", std::string_view::npos);
  if (at == std::string_view::npos) {
    if (status.rfind("Tgid:", 0) != 0) return 0;
    at = 0;
  } else {
    at += 1;
  }
  uint64_t v = 0;
  bool digits = false;
  for (size_t i = at + 5; i < status.size() && status[i] != '\n'; ++i) {
    char c = status[i];
    if (c == ' ' || c == '\t') {
      if (digits) break;
      continue;
    }
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > UINT32_MAX) return 0;
    digits = true;
  }
  return digits ? static_cast<uint32_t>(v) : 0;
}

uint32_t ProcessIds::Of(uint32_t tid) {
  if (tid == 0) return 0;
  const auto now = Clock::now();
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = cache_.find(tid);
    if (it != cache_.end() && now - it->second.second < kTtl) return it->second.first;
  }
  uint32_t tgid = ReadTgid(tid);
  if (tgid == 0) tgid = tid;
  std::lock_guard<std::mutex> l(mu_);
  if (cache_.size() >= kMaxEntries) cache_.clear();
  cache_[tid] = {tgid, now};
  return tgid;
}

}  // namespace csvfs::fs
