#include "fs/append_buffer.h"

namespace csvfs::fs {

core::Status AppendBuffer::Feed(uint32_t pid, std::string_view chunk, std::string* records) {
  records->clear();
  core::CsvScanner& scanner = scanners_[pid];
  core::Status s = scanner.Feed(chunk, [records](std::string_view record, const core::RecordSpan&) {
    records->append(record);
  });
  if (!s.ok()) {
    records->clear();
    scanners_.erase(pid);
    return s;
  }
  if (max_record_bytes_ != 0 && scanner.pending().size() > max_record_bytes_) {
    records->clear();
    scanners_.erase(pid);
    return core::Status::TooBig("record over " + std::to_string(max_record_bytes_) + " bytes");
  }
  if (scanner.pending().empty()) scanners_.erase(pid);
  return core::Status::Ok();
}

core::Status AppendBuffer::Finish(uint32_t pid, std::string* records) {
  records->clear();
  auto it = scanners_.find(pid);
  if (it == scanners_.end()) return core::Status::Ok();
  core::Status s = it->second.Finish(
      [records](std::string_view record, const core::RecordSpan&) { records->append(record); });
  scanners_.erase(it);
  if (!s.ok()) records->clear();
  return s;
}

std::vector<uint32_t> AppendBuffer::PendingPids() const {
  std::vector<uint32_t> out;
  for (const auto& [pid, scanner] : scanners_) {
    if (!scanner.pending().empty()) out.push_back(pid);
  }
  return out;
}

bool AppendBuffer::HasPending(uint32_t pid) const {
  auto it = scanners_.find(pid);
  return it != scanners_.end() && !it->second.pending().empty();
}

size_t AppendBuffer::pending_bytes() const {
  size_t n = 0;
  for (const auto& [pid, scanner] : scanners_) n += scanner.pending().size();
  return n;
}

}  // namespace csvfs::fs
