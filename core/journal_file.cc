#include "core/journal_file.h"

#include <cstring>

#include "core/env_util.h"
#include "core/journal.h"

namespace csvfs::core {

namespace {

bool AllZero(std::string_view s) {
  return s.empty() || (s[0] == '\0' && memcmp(s.data(), s.data() + 1, s.size() - 1) == 0);
}

}  // namespace

Result<std::optional<JournalImage>> ReadJournal(Directory* dir, const std::string& name) {
  auto f = dir->OpenReadOnly(name);
  if (!f.ok()) {
    if (f.status().code() == Code::kNotFound) return std::optional<JournalImage>();
    return f.status();
  }
  JournalImage j;
  j.file = std::move(f.value());
  std::string path = JoinPath(dir->path(), name);
  auto scan = ScanJournal(j.file->data());
  if (!scan.ok()) return Status::Corruption(path + ": " + scan.status().message());
  j.valid_bytes = scan->valid_bytes;
  j.dropped_frames = scan->dropped_frames;
  j.dropped_bytes = scan->dropped_bytes;
  j.torn = scan->torn_tail && !AllZero(j.file->data().substr(scan->valid_bytes));
  if (scan->payloads.empty()) {
    j.torn = true;  // not even a base frame: an interrupted creation
    return std::optional<JournalImage>(std::move(j));
  }
  auto base = JournalBase::Decode(scan->payloads[0]);
  if (!base.ok()) return Status::Corruption(path + ": " + base.status().message());
  j.base = base.value();
  j.has_base = true;
  for (size_t i = 1; i < scan->payloads.size(); ++i) {
    auto op = Op::Decode(scan->payloads[i]);
    if (!op.ok()) return Status::Corruption(path + ": " + op.status().message());
    j.ops.push_back(std::move(op.value()));
  }
  return std::optional<JournalImage>(std::move(j));
}

}  // namespace csvfs::core
