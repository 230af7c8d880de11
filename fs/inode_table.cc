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
  // The same number from a newer object: the same bytes, reloaded by a checkpoint (the old
  // object holds the old BACKING's mapping and row index: let it go).
  if (n.info.head == nullptr || version->number() >= n.info.head->number()) n.info.head = version;
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

std::shared_ptr<SidecarNode> InodeTable::SidecarNodeFor(UniqueFd path_fd, const struct stat& st,
                                                         bool add_lookup) {
  std::lock_guard<std::mutex> l(mu_);
  auto key = std::make_pair(static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino));
  auto found = sidecar_ino_.find(key);
  if (found != sidecar_ino_.end()) {
    Node& n = nodes_.at(found->second);
    if (add_lookup) ++n.lookups;
    return n.info.side;  // path_fd is closed: the node's own descriptor stays
  }
  const uint64_t ino = next_ino_++;
  Node n;
  n.info.kind = NodeKind::kSidecar;
  n.info.side = std::make_shared<SidecarNode>(ino, std::move(path_fd), st);
  n.lookups = add_lookup ? 1 : 0;
  auto side = n.info.side;
  nodes_.emplace(ino, std::move(n));
  sidecar_ino_.emplace(key, ino);
  return side;
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
  } else if (n.info.kind == NodeKind::kSidecar) {
    sidecar_ino_.erase({static_cast<uint64_t>(n.info.side->dev),
                        static_cast<uint64_t>(n.info.side->sino)});
  }
  nodes_.erase(it);
}

size_t InodeTable::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return nodes_.size();
}

}  // namespace csvfs::fs
