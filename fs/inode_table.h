// InodeTable: inode numbers of the mount and their kernel lookup counts. FUSE-free.
//
// Fixed inodes: the root, rows/ and the status file. Dynamic ones:
//  - the table: one inode per lineage (core::Version::lineage()). Appends keep the inode;
//    any other change publishes a new lineage and hence a new inode, so each inode's bytes
//    only ever grow at the end. Table reads bypass the page cache (direct_io: cached reads
//    of a growing file were torn, see fs/device_io.h); what the kernel still caches per
//    inode (mmap()ed pages, the size) is thus never mixed across versions, and an append
//    needs only the old last page invalidated. Each table node remembers the newest version
//    of its lineage it has seen (`head`).
//  - rows/<id>: one inode per row id.
//  - other files of the root (fs/sidecar.h): one inode per sidecar object (st_dev, st_ino),
//    so hard links share it.
// A dynamic node lives while the kernel holds a lookup reference on it (lookup/create
// replies add one, forget removes them). Numbers are never reused within a mount.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/version.h"
#include "fs/sidecar.h"

namespace csvfs::fs {

inline constexpr uint64_t kRootIno = 1;
inline constexpr uint64_t kRowsIno = 2;
inline constexpr uint64_t kStatusIno = 3;

enum class NodeKind { kRoot, kRowsDir, kStatus, kTable, kRow, kSidecar };

// A copy of a node's identity (not its counters).
struct NodeInfo {
  NodeKind kind = NodeKind::kRoot;
  uint64_t lineage = 0;                  // kTable
  core::Snapshot head;                   // kTable: newest version of the lineage seen
  std::string row_id;                    // kRow
  std::shared_ptr<SidecarNode> side;     // kSidecar
};

class InodeTable {
 public:
  InodeTable() = default;
  InodeTable(const InodeTable&) = delete;
  InodeTable& operator=(const InodeTable&) = delete;

  // The inode of `version`'s lineage, created if needed, with one more lookup reference if
  // `add_lookup`. Updates the lineage's head if `version` is newer.
  uint64_t TableIno(const core::Snapshot& version, bool add_lookup);
  // Updates the head of `version`'s lineage if a node exists for it.
  void NoteVersion(const core::Snapshot& version);
  // (inode, lineage) of every live table node.
  std::vector<std::pair<uint64_t, uint64_t>> TableNodes() const;
  std::optional<uint64_t> FindTableIno(uint64_t lineage) const;

  // Page-cache bookkeeping for appends to a table inode. Table reads use direct_io, so only
  // mmap fills an inode's page cache (the kernel drops it when a mapping is made). A mapping
  // can hold the page at the old end of file, so while readers are open NoteAppend returns
  // true: send the notice for the tail. With none open, nothing needs to be sent.
  bool NoteAppend(uint64_t ino);
  void OpenReader(uint64_t ino);
  void CloseReader(uint64_t ino);

  uint64_t RowIno(std::string_view id, bool add_lookup);
  // The node of the sidecar object `st` describes (created, keeping `path_fd`, if new; else
  // `path_fd` is closed), with one more lookup reference if `add_lookup`.
  std::shared_ptr<SidecarNode> SidecarNodeFor(UniqueFd path_fd, const struct stat& st,
                                              bool add_lookup);

  std::optional<NodeInfo> Get(uint64_t ino) const;
  void AddLookup(uint64_t ino);
  // Drops `n` lookup references; frees the node at zero (fixed inodes are never freed).
  void Forget(uint64_t ino, uint64_t n);

  size_t size() const;  // live dynamic nodes

 private:
  struct Node {
    NodeInfo info;
    uint64_t lookups = 0;
  };
  Node* FindLocked(uint64_t ino);

  mutable std::mutex mu_;
  uint64_t next_ino_ = 16;
  std::unordered_map<uint64_t, Node> nodes_;
  std::unordered_map<uint64_t, uint64_t> lineage_ino_;
  std::unordered_map<std::string, uint64_t> row_ino_;
  std::unordered_map<uint64_t, uint64_t> readers_;  // open readers per table inode
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> sidecar_ino_;  // (dev, ino) -> inode
};

}  // namespace csvfs::fs
