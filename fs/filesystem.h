// Filesystem: the adapter's state, handed to libfuse as the session's userdata (no globals).
// Owns the engine and the FUSE-free bookkeeping; FUSE handlers (fs/op_*.cc) reach it through
// Request::fs(). FUSE-free.
//
// Thread-safety: the members are thread-safe; the engine pointer is set once before the
// session loop starts.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/engine.h"
#include "fs/device_io.h"
#include "fs/follow_view.h"
#include "fs/handle_table.h"
#include "fs/inode_table.h"
#include "fs/invalidator.h"
#include "fs/key_reservations.h"
#include "fs/lock_table.h"
#include "fs/options.h"
#include "fs/pid_snapshots.h"
#include "fs/prepared_rewrites.h"
#include "fs/process_id.h"
#include "fs/refusal_log.h"
#include "fs/sidecar.h"
#include "fs/status_render.h"

namespace csvfs::fs {

// Entry / attribute cache timeouts (seconds) handed to the kernel.
inline constexpr double kTableTimeout = 0.0;  // new lineages must be seen at once
inline constexpr double kRowTimeout = 0.0;    // rows change under any commit
// Sidecar attributes change only through this mount (or behind its back, in the sidecar
// directory); their entries can be renamed over the table (the kernel then moves the
// dentry), so entries are never cached.
inline constexpr double kSidecarTimeout = 1.0;
inline constexpr double kSidecarEntryTimeout = 0.0;
inline constexpr double kDirTimeout = 1.0;

class Filesystem {
 public:
  explicit Filesystem(Options options);
  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;

  void AttachEngine(std::unique_ptr<core::Engine> engine);
  std::unique_ptr<core::Engine> DetachEngine();
  core::Engine& engine() { return *engine_; }
  bool has_engine() const { return engine_ != nullptr; }
  void set_invalidator(Invalidator* inv) { invalidator_ = inv; }
  // The other files of the root (set once before the session loop starts).
  void AttachSidecar(std::unique_ptr<Sidecar> sidecar) { sidecar_ = std::move(sidecar); }
  Sidecar& sidecar() { return *sidecar_; }

  const Options& options() const { return options_; }
  const std::string& table_name() const { return table_name_; }
  const std::string& backing_path() const { return backing_path_; }
  bool key_mode() const { return !options_.key.empty(); }
  // The names the root shows of its own: the table, rows/ and the status file. Every other
  // name of the root is a sidecar file.
  bool IsFixedRootName(std::string_view name) const;
  bool read_only() const { return options_.read_only; }
  uint32_t owner_uid() const { return uid_; }
  uint32_t owner_gid() const { return gid_; }
  // BACKING's mode and owner (the engine's, or the daemon's ids and 0644 before it is attached).
  core::FileOwnership Ownership() const;
  uint64_t max_image_bytes() const;

  InodeTable& inodes() { return inodes_; }
  HandleTable& handles() { return handles_; }
  PidSnapshots& pid_snapshots() { return pid_snapshots_; }
  KeyReservations& reservations() { return reservations_; }
  DeviceIoState& device_io() { return device_io_; }
  ProcessIds& processes() { return processes_; }
  const LineageLog& lineages() const { return lineages_; }
  LockTable& locks() { return locks_; }
  PreparedRewrites& prepared_rewrites() { return prepared_rewrites_; }

  // The text of rows/<id>: the record as it stands in the table plus the table's line ending
  // (supplied when the record is the last one and has none). nullopt if there is no such row.
  std::optional<std::string> RowText(std::string_view id);

  // The current version, noted as the head of its lineage.
  core::Snapshot Current();
  // Bookkeeping after a successful commit: lineage heads and kernel invalidations.
  void OnCommit(const core::CommitResult& result);

  // A change refused by the engine: logged at warn with pid, operation and reason.
  void LogRefused(uint32_t pid, std::string_view op, std::string_view what,
                  const core::Status& status);
  // A change refused by the adapter itself: counted and logged the same way.
  void Refuse(uint32_t pid, std::string_view op, std::string_view what, int err,
              std::string_view reason);
  AdapterStats Stats() const;
  std::string RenderStatusText();

 private:
  Options options_;
  std::string backing_path_;
  std::string table_name_;
  uint32_t uid_ = 0;
  uint32_t gid_ = 0;
  std::unique_ptr<core::Engine> engine_;
  Invalidator* invalidator_ = nullptr;
  InodeTable inodes_;
  HandleTable handles_;
  std::unique_ptr<Sidecar> sidecar_;
  PidSnapshots pid_snapshots_;
  KeyReservations reservations_;
  DeviceIoState device_io_;
  ProcessIds processes_;
  LineageLog lineages_;
  LockTable locks_;
  PreparedRewrites prepared_rewrites_;
  std::atomic<uint64_t> refused_{0};
  std::atomic<const core::Version*> last_current_{nullptr};  // what Current() last returned
  std::atomic<uint64_t> last_number_{0};
  RefusalLog refusals_;  // the last few, for .csvfs-status
};

}  // namespace csvfs::fs
