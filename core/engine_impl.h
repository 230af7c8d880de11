// Engine::Impl: the engine's state, shared by its source files (not a public API):
//   engine.cc              open, the row-level operations, commit, close, stats
//   engine_rewrite.cc      rewrites: the merge prepared without the writer lock, then rebased
//   engine_group_commit.cc durability: the syncer thread and its waiters (group commit)
//   engine_checkpoint.cc   folding the journal into BACKING, and the thread that decides when
// Thread-safety: as documented on each member (write_mu serializes commits).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/engine.h"
#include "core/journal.h"
#include "core/merge_internal.h"
#include "core/store.h"
#include "core/table.h"
#include "spdlog/spdlog.h"

namespace csvfs::core {

struct Engine::Impl {
  EngineOptions opt;
  std::unique_ptr<Store> store;
  std::unique_ptr<Table> table;

  // Commits: serialized by write_mu.
  std::mutex write_mu;
  uint64_t last_lsn = 0;
  uint64_t folded_lsn = 0;  // everything up to here is in BACKING (UINT64_MAX: unknown)
  int64_t last_time = 0;
  bool capturing = false;  // a checkpoint is running: keep frames committed meanwhile
  std::string captured;    // their frames
  std::vector<std::string> captured_payloads;
  bool closed = false;

  // Publication.
  mutable std::mutex pub_mu;
  Snapshot current;

  // Group commit.
  struct Waiter {
    uint64_t lsn;
    std::function<void(Status)> done;
  };
  mutable std::mutex sync_mu;
  std::condition_variable sync_cv;
  uint64_t written_lsn = 0, synced_lsn = 0;
  std::vector<Waiter> waiters;
  Status sync_error;  // set once: the store is read-only from then on
  std::atomic<bool> stop{false};
  std::thread syncer;

  // Checkpoints.
  std::mutex ckpt_run_mu;  // one checkpoint at a time
  std::mutex ckpt_mu;      // guards ckpt_requested
  std::condition_variable ckpt_cv;
  bool ckpt_requested = false;
  std::thread checkpointer;
  bool threads_started = false;

  mutable std::mutex own_mu;  // guards ownership
  FileOwnership ownership;

  // Stats.
  std::atomic<uint64_t> commits{0}, conflicts{0}, refused{0}, checkpoints{0}, fsyncs{0};
  std::atomic<uint64_t> journal_bytes{0};
  std::atomic<int64_t> last_checkpoint_ns{0};
  std::atomic<int64_t> unfolded_since_ns{0};  // time of the oldest change not in BACKING (0: none)

  Status ReadOnlyStatus() {
    if (opt.read_only) return Status::ReadOnly("mounted read-only");
    std::lock_guard<std::mutex> l(sync_mu);
    if (!sync_error.ok()) {
      return Status::ReadOnly("store is read-only after a failed sync: " + sync_error.message());
    }
    return Status::Ok();
  }
  void Publish(Snapshot v) {
    std::lock_guard<std::mutex> l(pub_mu);
    current = std::move(v);
  }
  Result<CommitResult> Commit(Op op);
  void FailSync(const Status& s);
  void SyncLoop();
  void CheckpointLoop();
  Status RunCheckpoint();
  Result<CommitResult> Finish(Result<CommitResult> r, const char* what, uint32_t pid);
  // The rewrite merge's preparation against the current snapshot (no lock held meanwhile).
  std::shared_ptr<PreparedRewrite> PrepareMerge(const Snapshot& base, std::string_view image);
  void WhenDurable(uint64_t lsn, std::function<void(Status)> done);
  Status WaitDurable(uint64_t lsn);
  // The result of a request that changes nothing.
  Result<CommitResult> NoChange() {
    CommitResult r;
    r.lsn = last_lsn;
    r.version = table->current();
    r.old_size = r.version->size();
    r.append_only = true;
    return r;
  }
};

// A rewrite merged ahead of its commit (Engine::PrepareRewrite).
struct PreparedRewrite {
  Snapshot base;      // what it was prepared for
  uint64_t image_size = 0;
  // nullopt: not the append-only case (the general merge runs under the writer lock).
  std::optional<Result<merge_internal::AppendOnlyPlan>> plan;
};

}  // namespace csvfs::core
