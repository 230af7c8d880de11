// Store: the files beside BACKING and the protocols that keep them consistent.
//
//   NAME                     BACKING: always a complete, valid CSV (replaced only by rename)
//   .NAME.csvfs-journal      journal: a JournalBase frame describing BACKING, then Op frames
//   .NAME.csvfs-journal.new  the next journal, written during a checkpoint
//   .NAME.csvfs-tmp          the next BACKING, written during a checkpoint
//   .NAME.csvfs-ids          after a clean unmount: the row ids of BACKING (a JournalBase
//                            frame); the journal itself is then removed
//   .NAME.csvfs-lock         flock()ed while a csvfs serves NAME; removed on exit (a leftover
//                            from a killed daemon is harmless: the kernel lock decides)
//
// Checkpoint: tmp written, fsynced, given BACKING's mode/owner → journal.new written (base
// frame for tmp + frames committed meanwhile), fsynced → rename(tmp, NAME) → fsync(dir) →
// frames committed meanwhile appended to journal.new, fsynced → rename(journal.new,
// journal) → fsync(dir). Recovery picks the journal whose base frame matches BACKING's size
// and crc32c: journal.new (then replays the old journal's later frames too) or journal.
//
// Thread-safety: none; the Engine serializes access.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/op.h"
#include "core/status.h"
#include "core/table.h"

namespace csvfs::core {

struct StoreNames {
  std::string dir, name, journal, journal_new, tmp, lock, ids, ids_new;
  static StoreNames For(const std::string& backing_path);
};

// What recovery found.
struct Recovered {
  std::unique_ptr<Table> table;
  uint64_t last_lsn = 0;
  bool needs_checkpoint = false;   // the journal must be folded / rewritten before use
  uint64_t replayed = 0;           // ops replayed from the journal
  uint64_t journal_bytes = 0;
  std::string note;                // what recovery did, for the log ("" if nothing notable)
};

// A checkpoint file written and synced but not yet renamed over BACKING.
struct PreparedCheckpoint {
  JournalBase base;
  CheckpointLayout layout;
  std::shared_ptr<const ReadOnlyFile> file;  // mapping of the new file
};

class Store {
 public:
  // Takes the lock, then reads BACKING and the journal(s) and rebuilds the table.
  static Result<std::unique_ptr<Store>> Open(Env* env, const std::string& backing_path,
                                             bool create, const TableConfig& cfg,
                                             Recovered* out);
  const StoreNames& names() const { return names_; }
  Directory* dir() { return dir_.get(); }

  // The live journal, open for appending. Safe to call from any thread (the syncer).
  std::shared_ptr<WritableFile> journal() const {
    std::lock_guard<std::mutex> l(journal_mu_);
    return journal_;
  }
  // Appends one frame; on failure the journal is cut back so nothing partial remains.
  Status AppendFrame(std::string_view frame);

  // Checkpoint steps (see the file comment); the Engine interleaves them with commits.
  Result<PreparedCheckpoint> WriteCheckpointFile(const Version& v, uint64_t lsn,
                                                 uint64_t next_id);
  Status StartNextJournal(const PreparedCheckpoint& ckpt, std::string_view frames);
  Status InstallCheckpointFile();
  Status FinishNextJournal(std::string_view frames);  // appends, syncs, renames, swaps
  void AbandonCheckpoint();                           // removes tmp and journal.new
  // After a final checkpoint (the journal holds only its base frame): moves the row ids to
  // the ids file and removes the journal, so BACKING alone holds the table.
  Status CloseClean();

 private:
  Store(Env* env, std::unique_ptr<Directory> dir, StoreNames names)
      : env_(env), dir_(std::move(dir)), names_(std::move(names)) {}
  Status Recover(bool create, const TableConfig& cfg, Recovered* out);
  Status WriteFreshJournal(const JournalBase& base);
  Status WriteFileDurably(const std::string& name, const std::string& tmp, std::string_view data);

  uint32_t flags_ = 0;  // JournalBase flags for this mount's options
  JournalBase base_;    // the base frame of the live journal
  Env* env_;
  std::unique_ptr<Directory> dir_;
  StoreNames names_;
  std::unique_ptr<FileLock> lock_;
  mutable std::mutex journal_mu_;  // guards the journal_ pointer (not the file)
  std::shared_ptr<WritableFile> journal_;
  std::shared_ptr<WritableFile> next_journal_;
  void SetJournal(std::shared_ptr<WritableFile> j) {
    std::lock_guard<std::mutex> l(journal_mu_);
    journal_ = std::move(j);
  }
};

}  // namespace csvfs::core
