#include "fs/append_buffer.h"

namespace csvfs::fs {

core::Status AppendBuffer::Feed(uint32_t pid, std::string_view chunk, std::string* records) {
  records->clear();
  if (poisoned_.count(pid) != 0) {
    return core::Status::TooBig("the rest of a record over " + std::to_string(max_record_bytes_) +
                                " bytes");
  }
  closed_.erase(pid);
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
    poisoned_.insert(pid);
    return core::Status::TooBig("record over " + std::to_string(max_record_bytes_) + " bytes");
  }
  if (scanner.pending().empty()) scanners_.erase(pid);
  return core::Status::Ok();
}

core::Status AppendBuffer::Finish(uint32_t pid, std::string* records) {
  records->clear();
  poisoned_.erase(pid);
  closed_.erase(pid);
  auto it = scanners_.find(pid);
  if (it == scanners_.end()) return core::Status::Ok();
  core::Status s = it->second.Finish(
      [records](std::string_view record, const core::RecordSpan&) { records->append(record); });
  scanners_.erase(it);
  if (!s.ok()) records->clear();
  return s;
}

void AppendBuffer::MarkClosed(uint32_t pid) {
  poisoned_.erase(pid);
  if (HasPending(pid)) closed_.insert(pid);
}

bool AppendBuffer::IsClosed(uint32_t pid) const { return closed_.count(pid) != 0; }

bool AppendBuffer::Adopt(uint32_t from, uint32_t to) {
  if (from == to || !HasPending(from) || HasPending(to)) return false;
  scanners_.erase(to);
  auto node = scanners_.extract(from);
  node.key() = to;
  scanners_.insert(std::move(node));
  closed_.erase(from);
  closed_.erase(to);
  return true;
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
