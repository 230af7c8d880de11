// Engine: the transactional table. Serializes every change into one total order, makes it
// durable through the journal (with group commit) and publishes immutable Versions.
//
// Thread-safety: every method may be called from any thread. Changes are serialized by an
// internal writer mutex held only for the (short, in-memory + one write(2)) commit step;
// durability waits happen outside it. Snapshot() never blocks on writers.
//
// Visibility vs durability: a change is visible to Snapshot() as soon as its method returns;
// it is durable once WhenDurable(result.lsn) reports success. In sync=always mode every
// mutating method waits for durability itself before returning; in sync=off durability is
// only promised at checkpoints and Close().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/merge.h"
#include "core/status.h"
#include "core/version.h"

namespace csvfs::core {

enum class SyncMode { kClose, kAlways, kOff };

struct EngineOptions {
  std::string backing_path;          // BACKING.csv (absolute or relative)
  std::string key_column;            // empty: numeric ids
  bool header = true;                // false: `noheader`, columns named 1..N
  SyncMode sync = SyncMode::kClose;
  bool ragged = false;               // accept rows whose field count differs from the header
  bool create = false;               // create BACKING if missing (empty table)
  bool read_only = false;            // `ro`: every change refused with kReadOnly
  uint64_t max_record_bytes = 16ull << 20;   // EFBIG beyond: one record
  uint64_t max_image_bytes = 4ull << 30;     // EFBIG beyond: a staged rewrite image
  uint64_t checkpoint_bytes = 64ull << 20;   // background checkpoint when the journal grows past
  // Background checkpoint once the oldest change not yet in BACKING is this old (0: never).
  uint64_t checkpoint_interval_ms = 300000;
  // EFBIG beyond: one commit's journal record. Never above kMaxJournalPayload (what recovery
  // can read); lower only in tests, to reach the limit with small tables.
  uint64_t max_journal_record = uint64_t{1} << 30;
  Env* env = nullptr;                // nullptr: PosixEnv()
  // Start the background threads (group-commit syncer, checkpointer) inside Open(). A daemon
  // that forks after opening passes false and calls StartThreads() after the fork.
  bool start_threads = true;
};

struct CommitResult {
  uint64_t lsn = 0;                 // pass to WhenDurable / WaitDurable
  Snapshot version;                 // the version this commit published
  bool append_only = false;         // only appended at the end (same lineage)
  uint64_t old_size = 0;            // table size before this commit
  std::vector<std::string> ids;     // ids of the rows inserted, in order
  std::vector<Conflict> conflicts;  // rewrite merges only
};

// BACKING's permission bits and owner: what the table shows.
struct FileOwnership {
  uint32_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct EngineStats {
  uint64_t version = 0, rows = 0, size = 0;
  uint64_t journal_bytes = 0, commits = 0, conflicts = 0, refused = 0;
  uint64_t checkpoints = 0, fsyncs = 0;
  int64_t last_checkpoint_ns = 0;
  bool read_only = false;
  std::string read_only_reason;
};

// A rewrite merged ahead of its commit (Engine::PrepareRewrite). Opaque.
struct PreparedRewrite;

class Engine {
 public:
  // Locks, recovers (BACKING + journal) and opens the store. Fails with kBusy if another
  // instance holds it, kCorruption on mid-log journal corruption, kInvalid (with line number)
  // on malformed BACKING, kNotFound if BACKING is missing and !create.
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  void StartThreads();  // idempotent
  ~Engine();  // Close() if not yet closed
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The current version. O(1), never blocks on a commit in progress.
  Snapshot Current() const;
  const EngineOptions& options() const;

  // Appends complete records (each ending with its terminator, except that the last may lack
  // one: it is then committed as a record without final newline would be, and the line ending
  // is supplied). Atomic: all records or none. Appending to an empty table makes the first
  // record the header. kInvalid on malformed CSV / wrong field count / duplicate key,
  // kTooBig on a record over max_record_bytes.
  Result<CommitResult> Append(std::string_view records, uint32_t pid);

  // Row-level operations (rows/<id>).
  Result<CommitResult> DeleteRow(std::string_view id, uint32_t pid);
  // Replaces row `id` with `record` (exactly one record; terminator optional). With
  // `create` (key mode only) inserts it at the end if missing; with `exclusive`, kExists if
  // it exists. Without key mode, create is refused with kNotPermitted.
  Result<CommitResult> PutRow(std::string_view id, std::string_view record, bool create,
                              bool exclusive, uint32_t pid);
  // Key mode: gives row `from` the key `to` (its key field is rewritten). If `to` exists it
  // is replaced, unless noreplace (kExists).
  Result<CommitResult> RenameRow(std::string_view from, std::string_view to, bool noreplace,
                                 uint32_t pid);
  // The current bytes of row `id` (with line ending; without empty lines around it), or
  // nullopt.
  std::optional<std::string> RowContent(std::string_view id) const;

  // Commits `image` (a whole table file) as a row-level three-way merge against `base`
  // (the snapshot the writer started from) and the current table (README "Rewrites").
  // The merge is prepared against a snapshot without the writer lock; under it, only rebased
  // onto what landed meanwhile. `prepared`: that preparation, made earlier by PrepareRewrite
  // for this same base and image (the caller vouches that the image did not change since);
  // nullptr: prepared here.
  Result<CommitResult> Rewrite(const Snapshot& base, std::string_view image, uint32_t pid,
                               std::shared_ptr<PreparedRewrite> prepared = nullptr);
  // Prepares the merge of `image` against `base` ahead of its commit (e.g. when the scratch
  // file that will replace the table is closed, so that the rename only rebases): one byte
  // comparison of the table, parsing only what differs. Takes no lock; any thread. nullptr
  // if the rewrite is not the kind that can be prepared (the commit then merges as usual,
  // and reports any error). The plan holds what the image changed (not the image) and the
  // snapshot it was made against.
  std::shared_ptr<PreparedRewrite> PrepareRewrite(const Snapshot& base, std::string_view image) const;

  // Calls done(status) once everything up to `lsn` is durable (possibly at once, possibly
  // from another thread). Group commit: waiters that arrive together share one fdatasync.
  void WhenDurable(uint64_t lsn, std::function<void(Status)> done);
  Status WaitDurable(uint64_t lsn);

  // BACKING's mode and owner. Cached: read at Open and after each checkpoint (which gives
  // the new BACKING the old one's, so a chmod of BACKING itself shows then), changed by
  // SetBackingModeOwner. O(1).
  FileOwnership BackingOwnership() const;
  // chmod/chown of BACKING (uid/gid UINT32_MAX: keep), through the held directory. Waits for
  // a running checkpoint, so that no checkpoint replaces BACKING by a file of the old mode.
  // kReadOnly on a read-only mount; the OS's error (kNotPermitted, ...) otherwise.
  Status SetBackingModeOwner(uint32_t mode, uint32_t uid, uint32_t gid);

  Status Checkpoint();  // folds the journal into BACKING now
  // Asks the background checkpointer to fold the journal soon (without waiting for it): safe
  // to call from any thread (not from a signal handler).
  void RequestCheckpoint();
  Status Close();       // finishes commits, checkpoints, stops threads, releases the lock
  EngineStats Stats() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace csvfs::core
