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

bool ReadProcStat(uint32_t pid, ProcStat* out) {
  if (pid == 0) return false;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  if (!f) return false;
  std::string text;
  std::getline(f, text);
  return ParseProcStat(text, out);
}

}  // namespace

bool ParseProcStat(std::string_view text, ProcStat* out) {
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) return false;
  // Field 3 (state) follows ") "; count fields from there.
  size_t i = close + 1;
  int field = 2;
  bool have_ppid = false, have_start = false;
  while (i < text.size() && !(have_ppid && have_start)) {
    while (i < text.size() && text[i] == ' ') ++i;
    if (i >= text.size()) break;
    ++field;
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    if (field == 4 || field == 22) {
      uint64_t v = 0;
      for (size_t j = i; j < end; ++j) {
        char c = text[j];
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<uint64_t>(c - '0');
      }
      if (end == i) return false;
      if (field == 4) {
        if (v > UINT32_MAX) return false;
        out->ppid = static_cast<uint32_t>(v);
        have_ppid = true;
      } else {
        out->start_time = v;
        have_start = true;
      }
    }
    i = end;
  }
  return have_ppid && have_start;
}

uint64_t ProcessStartTime(uint32_t pid) {
  ProcStat st;
  return ReadProcStat(pid, &st) ? st.start_time : 0;
}

bool IsAncestor(uint32_t ancestor, uint32_t pid) {
  if (ancestor == 0) return false;
  for (int step = 0; step < 64 && pid > 1; ++step) {
    ProcStat st;
    if (!ReadProcStat(pid, &st)) return false;
    if (st.ppid == ancestor) return true;
    pid = st.ppid;
  }
  return false;
}

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
