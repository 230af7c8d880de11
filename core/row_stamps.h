// RowStamps: for each row changed since the table was loaded, the commit that last changed
// it (its version number and time). A persistent (immutable, path-copying) treap keyed by row
// id: Set/Erase return a new map sharing all but O(log k) nodes with the old one, so every
// Version carries its own map at O(log k) cost per changed row, and readers need no lock.
// Rows appended with numeric ids (consecutive, never reused) are not stored one by one: each
// appending commit adds one *run* (its first id and stamp) to an append-only array shared by
// all versions, so a row appended and never changed costs nothing of its own.
// Memory: one node (~100 bytes plus the id) per row changed since the load (updated, re-keyed,
// inserted by a rewrite, appended in key mode), 24 bytes per appending commit; none for rows
// nobody changed.
//
// Thread-safety: a RowStamps value is immutable; safe to read from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/chunked_vector.h"

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

  // Numeric ids only: rows first_id, first_id+1, ... up to the next run were appended by the
  // commit `stamp`. first_id must exceed every earlier run's. O(1) amortized; O(runs) once
  // when two maps derived from one (a checkpoint replaying commits) both add runs.
  RowStamps AddAppendRun(uint64_t first_id, ChangeStamp stamp) const;
  // The stamp of numeric id `id` from the explicit entries, else from the append runs;
  // nullptr if neither knows it. O(log k + log runs).
  const ChangeStamp* Lookup(std::string_view id) const;
  uint64_t append_runs() const { return run_count_; }

 private:
  struct AppendRun {
    uint64_t first_id = 0;
    ChangeStamp stamp;
  };
  struct Node;
  using NodePtr = std::shared_ptr<const Node>;
  static NodePtr Merge(const NodePtr& a, const NodePtr& b);
  // Splits t into keys < id (or <= id if `inclusive`) and the rest.
  static void Split(const NodePtr& t, std::string_view id, bool inclusive, NodePtr* left,
                    NodePtr* right);
  static NodePtr Make(const Node& proto, NodePtr left, NodePtr right);
  NodePtr root_;
  std::shared_ptr<ChunkedVector<AppendRun>> runs_;  // shared; this map sees [0, run_count_)
  size_t run_count_ = 0;
};

}  // namespace csvfs::core
