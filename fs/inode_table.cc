#include "fs/inode_table.h"

namespace csvfs::fs {

bool InodeTable::NoteAppend(uint64_t ino) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = readers_.find(ino);
  return it != readers_.end() && it->second > 0;
}

void InodeTable::OpenReader(uint64_t ino) {
  std::lock_guard<std::mutex> l(mu_);
  ++readers_[ino];
}

void InodeTable::CloseReader(uint64_t ino) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = readers_.find(ino);
  if (it == readers_.end()) return;
  if (it->second > 1) {
    --it->second;
  } else {
    readers_.erase(it);
  }
}

uint64_t InodeTable::TableIno(const core::Snapshot& version, bool add_lookup) {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t lineage = version->lineage();
  auto it = lineage_ino_.find(lineage);
  uint64_t ino;
  if (it == lineage_ino_.end()) {
    ino = next_ino_++;
    Node n;
    n.info.kind = NodeKind::kTable;
    n.info.lineage = lineage;
    n.info.head = version;
    nodes_.emplace(ino, std::move(n));
    lineage_ino_.emplace(lineage, ino);
  } else {
    ino = it->second;
  }
  Node& n = nodes_.at(ino);
  if (n.info.head == nullptr || version->number() > n.info.head->number()) n.info.head = version;
  if (add_lookup) ++n.lookups;
  return ino;
}

void InodeTable::NoteVersion(const core::Snapshot& version) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = lineage_ino_.find(version->lineage());
  if (it == lineage_ino_.end()) return;
  Node& n = nodes_.at(it->second);
  if (n.info.head == nullptr || version->number() > n.info.head->number()) n.info.head = version;
}

std::vector<std::pair<uint64_t, uint64_t>> InodeTable::TableNodes() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const auto& [lineage, ino] : lineage_ino_) out.emplace_back(ino, lineage);
  return out;
}

std::optional<uint64_t> InodeTable::FindTableIno(uint64_t lineage) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = lineage_ino_.find(lineage);
  if (it == lineage_ino_.end()) return std::nullopt;
  return it->second;
}

uint64_t InodeTable::RowIno(std::string_view id, bool add_lookup) {
  std::lock_guard<std::mutex> l(mu_);
  std::string key(id);
  auto it = row_ino_.find(key);
  uint64_t ino;
  if (it == row_ino_.end()) {
    ino = next_ino_++;
    Node n;
    n.info.kind = NodeKind::kRow;
    n.info.row_id = key;
    nodes_.emplace(ino, std::move(n));
    row_ino_.emplace(std::move(key), ino);
  } else {
    ino = it->second;
  }
  if (add_lookup) ++nodes_.at(ino).lookups;
  return ino;
}

uint64_t InodeTable::NewIno() {
  std::lock_guard<std::mutex> l(mu_);
  return next_ino_++;
}

void InodeTable::AddScratch(const std::shared_ptr<ScratchFile>& file, bool add_lookup) {
  std::lock_guard<std::mutex> l(mu_);
  auto [it, inserted] = nodes_.try_emplace(file->ino);
  if (inserted) {
    it->second.info.kind = NodeKind::kScratch;
    it->second.info.scratch = file;
  }
  if (add_lookup) ++it->second.lookups;
}

InodeTable::Node* InodeTable::FindLocked(uint64_t ino) {
  auto it = nodes_.find(ino);
  return it == nodes_.end() ? nullptr : &it->second;
}

std::optional<NodeInfo> InodeTable::Get(uint64_t ino) const {
  NodeInfo info;
  switch (ino) {
    case kRootIno:
      info.kind = NodeKind::kRoot;
      return info;
    case kRowsIno:
      info.kind = NodeKind::kRowsDir;
      return info;
    case kStatusIno:
      info.kind = NodeKind::kStatus;
      return info;
    default:
      break;
  }
  std::lock_guard<std::mutex> l(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return std::nullopt;
  return it->second.info;
}

void InodeTable::AddLookup(uint64_t ino) {
  std::lock_guard<std::mutex> l(mu_);
  if (Node* n = FindLocked(ino)) ++n->lookups;
}

void InodeTable::Forget(uint64_t ino, uint64_t count) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return;
  Node& n = it->second;
  n.lookups = count >= n.lookups ? 0 : n.lookups - count;
  if (n.lookups != 0) return;
  if (n.info.kind == NodeKind::kTable) {
    lineage_ino_.erase(n.info.lineage);
  } else if (n.info.kind == NodeKind::kRow) {
    row_ino_.erase(n.info.row_id);
  }
  nodes_.erase(it);
}

size_t InodeTable::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return nodes_.size();
}

}  // namespace csvfs::fs
