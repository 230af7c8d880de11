// OverrideTree: a persistent (immutable, path-copying) treap of the rows of a Version that
// differ from their block: deleted rows and rows whose bytes were replaced. Keys are
// RowRef::key(), which orders rows in table order. Each node carries the change in bytes and
// rows it causes, summed over its subtree, so byte offsets and row ordinals of a Version can
// be found in O(log k) for k overrides. Set() returns a new tree sharing all but O(log k)
// nodes with the old one; trees are safe to read from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace csvfs::core {

class OverrideTree {
 public:
  struct Node;
  using NodePtr = std::shared_ptr<const Node>;
  struct Node {
    uint64_t key;
    uint32_t prio;
    std::shared_ptr<const std::string> content;  // nullptr: deleted
    int64_t delta_bytes;                          // new length - original length
    int64_t sum_bytes;                            // over the subtree
    int64_t sum_rows;                             // -1 per deleted row, over the subtree
    uint64_t count;                               // nodes in the subtree
    NodePtr left, right;
  };

  // Returns a tree where row `key` (originally `orig_len` bytes) has `content` (nullptr:
  // deleted).
  OverrideTree Set(uint64_t key, std::shared_ptr<const std::string> content,
                   uint64_t orig_len) const;
  // The override of `key`, or nullptr if the row is as in its block.
  const Node* Find(uint64_t key) const;
  // Sum of delta_bytes / row deltas over keys < key.
  void PrefixDelta(uint64_t key, int64_t* bytes, int64_t* rows) const;
  // Calls fn for each override with key >= from, in key order, until fn returns false.
  void ForEachFrom(uint64_t from, const std::function<bool(const Node&)>& fn) const;
  const Node* root() const { return root_.get(); }
  uint64_t size() const { return root_ ? root_->count : 0; }
  int64_t total_bytes() const { return root_ ? root_->sum_bytes : 0; }
  int64_t total_rows() const { return root_ ? root_->sum_rows : 0; }

 private:
  NodePtr root_;
};

}  // namespace csvfs::core
