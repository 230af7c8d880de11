// FaultEnv: an in-memory core::Env for crash and fault-injection tests.
//
// Durability model (what a simulated power loss keeps):
//  - File bytes: each file has a live image (what reads see) and a durable image (what is on
//    disk), which WritableFile::Sync() makes equal. The range written since the last sync
//    (writes are sequential, so one range) is what SimulateCrash() drops, tears, garbles or
//    keeps sector by sector (CrashMode); everything else keeps its durable bytes.
//  - Preallocation, as PosixEnv does it: WritableFile::Preallocate() appends zeros and syncs
//    the file, the way PosixEnv writes zeros and fdatasyncs; the file's length (Stat,
//    OpenReadOnly) then includes the zeros, and later Append()s on that handle overwrite them
//    in place at Size(). An Append() past the zeros first grows them by PosixEnv's step
//    (syncing again), as PosixEnv does. So a crash before a journal frame is synced leaves
//    zeros where it, or its unsynced sectors, would have been.
//  - Directory entries: each directory remembers its name -> file table as of its last
//    Directory::Sync(). SimulateCrash() restores that table (DirCrash::kRevert): files created
//    since vanish, removed files come back, and a rename is undone (the old name again holds
//    the old file, the target its previous file). DirCrash::kKeep instead keeps every entry,
//    as if the kernel had flushed the directories on its own; crash tests should try both.
//  - After SimulateCrash() every WritableFile and Directory opened before it is dead: all their
//    calls return kIoError (Writable() returns false). ReadOnlyFiles stay readable (they are
//    snapshot copies). All FileLocks are released. Reopen with OpenDirectory() to "reboot".
//
// Fault injection and crash points. Each call of these kinds is counted (per kind, from 1):
//    kAppend   WritableFile::Append      kSync      WritableFile::Sync
//    kDirSync  Directory::Sync           kRename    Directory::Rename
//    kCreate   Directory::CreateExclusive and Directory::OpenAppend (every call)
//    kRemove   Directory::Remove
//  Other calls (OpenReadOnly, Stat, Lock, Close, SetModeOwner, Preallocate, Truncate) are
//  neither counted nor failed. WritableFile::Truncate() takes effect durably at once (synced
//  length is cut too; on a preallocated handle, as in PosixEnv, the dropped bytes become zeros
//  and the length stays).
//  - FailAt(kind, nth, code): the nth call of `kind` from now fails with `code` and os_error
//    set to the matching errno (kNoSpace: ENOSPC, kIoError: EIO, kReadOnly: EROFS) and has no
//    effect, except that a failing Append first writes `append_prefix` bytes (clamped).
//  - FailAllOps(code): every counted call fails from now on (a dead disk), until ClearFaults().
//  - A failed WritableFile::Sync() is sticky, as for PosixEnv: that handle's later Append() and
//    Sync() calls return the same error. Its synced length does not advance.
//  - on_op(kind, n) runs before the nth call of `kind` takes effect, on the calling thread,
//    without FaultEnv's lock held: it may call SimulateCrash() (the call then fails with
//    kIoError as its handle is dead), FailAllOps(), FailAt(), or throw.
//  - Count(kind): calls of `kind` so far. Run a workload once, read Count(), then rerun it
//    crashing at each call 1..Count() to enumerate every crash point.
//
// Thread-safe; handles keep the shared state alive, so they may outlive the FaultEnv.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/env.h"

namespace csvfs::testing {

enum class OpKind { kAppend, kSync, kDirSync, kRename, kCreate, kRemove };
inline constexpr int kNumOpKinds = 6;
inline const char* OpKindName(OpKind kind) {
  static const char* const kNames[kNumOpKinds] = {"append", "sync",   "dirsync",
                                                  "rename", "create", "remove"};
  return kNames[static_cast<int>(kind)];
}

enum class CrashMode {
  // In each mode, unsynced bytes that do not survive read as their durable bytes from before
  // (a preallocated file's zeros), or are cut off if they were past the durable length.
  kDropUnsynced,  // each file is back to its durable image (an appended file: synced length)
  kTornTail,      // each file keeps a random prefix (possibly empty/all) of its unsynced bytes
  kGarbageTail,   // each file's unsynced bytes are replaced by as many random bytes
  // Writeback is not in write order: each 512-byte sector (aligned in file offsets) holding
  // unsynced bytes independently either reached the disk (new bytes) or did not (its bytes are
  // the durable ones from before: e.g. a preallocated file's zeros; zeros too for bytes past
  // the durable length). The file keeps its durable length, or reaches to the end of the last
  // sector that reached the disk. So a later sector can survive an earlier one's loss.
  kReorderSectors,
};

enum class DirCrash {
  kRevert,  // directory operations not made durable by Directory::Sync() are undone
  kKeep,    // all directory operations survive
};

class FaultEnv : public core::Env {
 public:
  struct State;  // the shared implementation, defined in fault_env.cc

  explicit FaultEnv(uint64_t seed = 1);  // seed: for the random CrashModes
  ~FaultEnv() override = default;
  FaultEnv(const FaultEnv&) = delete;
  FaultEnv& operator=(const FaultEnv&) = delete;

  core::Result<std::unique_ptr<core::Directory>> OpenDirectory(const std::string& path) override;
  int64_t NowNanos() override;

  void SimulateCrash(CrashMode mode, DirCrash dirs = DirCrash::kRevert);

  void FailAt(OpKind kind, int nth, core::Code code, size_t append_prefix = 0);
  void FailAllOps(core::Code code = core::Code::kIoError);
  void ClearFaults();  // cancels pending FailAt()s and FailAllOps()
  int64_t Count(OpKind kind) const;

  // The length of the file's durable image (for a preallocated file: with its zeros), or -1
  // if `dir_path`/`name` does not exist (for assertions).
  int64_t SyncedLength(const std::string& dir_path, const std::string& name) const;

 private:
  std::shared_ptr<State> state_;

 public:
  // Set before the workload starts; see above. Refers into the shared state.
  std::function<void(OpKind kind, int64_t n)>& on_op;
};

}  // namespace csvfs::testing
