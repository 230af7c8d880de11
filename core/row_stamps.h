// RowStamps: for each row changed since the table was loaded, the commit that last changed
// it (its version number and time). A persistent (immutable, path-copying) treap keyed by row
// id: Set/Erase return a new map sharing all but O(log k) nodes with the old one, so every
// Version carries its own map at O(log k) cost per changed row, and readers need no lock.
// Memory: one node (~100 bytes plus the id) per row changed or appended since the load,
// none for rows nobody changed.
//
// Thread-safety: a RowStamps value is immutable; safe to read from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace csvfs::core {

// When a row (or the table) last changed: the commit's version number and time.
struct ChangeStamp {
  uint64_t number = 0;
  int64_t time_ns = 0;
  bool operator==(const ChangeStamp&) const = default;
};

class RowStamps {
 public:
  // O(log k).
  RowStamps Set(std::string_view id, ChangeStamp stamp) const;
  RowStamps Erase(std::string_view id) const;
  const ChangeStamp* Find(std::string_view id) const;
  // In id order; fn returns false to stop.
  void ForEach(const std::function<bool(std::string_view id, ChangeStamp)>& fn) const;
  uint64_t size() const;

 private:
  struct Node;
  using NodePtr = std::shared_ptr<const Node>;
  static NodePtr Merge(const NodePtr& a, const NodePtr& b);
  // Splits t into keys < id (or <= id if `inclusive`) and the rest.
  static void Split(const NodePtr& t, std::string_view id, bool inclusive, NodePtr* left,
                    NodePtr* right);
  static NodePtr Make(const Node& proto, NodePtr left, NodePtr right);
  NodePtr root_;
};

}  // namespace csvfs::core
