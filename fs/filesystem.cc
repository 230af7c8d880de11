#include "fs/filesystem.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace csvfs::fs {

Filesystem::Filesystem(Options options) : options_(std::move(options)) {
  backing_path_ = ToEngineOptions(options_).backing_path;
  table_name_ = std::filesystem::path(backing_path_).filename().string();
  if (table_name_.empty()) table_name_ = "table.csv";
  uid_ = getuid();
  gid_ = getgid();
  struct stat st;
  if (stat(backing_path_.c_str(), &st) == 0 && getuid() == 0) {
    uid_ = st.st_uid;
    gid_ = st.st_gid;
  }
}

bool Filesystem::IsFixedRootName(std::string_view name) const {
  return name == table_name_ || name == "rows" || name == kStatusFileName;
}

void Filesystem::AttachEngine(std::unique_ptr<core::Engine> engine) { engine_ = std::move(engine); }

std::unique_ptr<core::Engine> Filesystem::DetachEngine() { return std::move(engine_); }

core::FileOwnership Filesystem::Ownership() const {
  if (engine_ != nullptr) return engine_->BackingOwnership();
  return core::FileOwnership{0644, uid_, gid_};
}

uint64_t Filesystem::max_image_bytes() const { return engine_->options().max_image_bytes; }

std::optional<std::string> Filesystem::RowText(std::string_view id) {
  std::optional<std::string> text = engine_->RowContent(id);
  if (text && (text->empty() || text->back() != '\n')) {
    core::LineEnding eol = engine_->Current()->eol();
    text->append(core::EolBytes(eol == core::LineEnding::kNone ? core::LineEnding::kLF : eol));
  }
  return text;
}

core::Snapshot Filesystem::Current() {
  core::Snapshot v = engine_->Current();
  inodes_.NoteVersion(v);
  lineages_.NoteHead(v);
  // A new object of the same version: a checkpoint reloaded it. Whoever holds the old one
  // only for bookkeeping moves to the new one.
  const core::Version* was = last_current_.exchange(v.get());
  if (was != v.get() && v->number() == last_number_.exchange(v->number())) {
    pid_snapshots_.Sweep();  // exited processes' bases hold older versions
    pid_snapshots_.Rebind(v);
  } else {
    last_number_.store(v->number());
  }
  return v;
}

void Filesystem::OnCommit(const core::CommitResult& result) {
  const core::Snapshot& v = result.version;
  if (v == nullptr) return;
  inodes_.NoteVersion(v);
  lineages_.NoteCommit(v, result.append_only);
  if (invalidator_ == nullptr) return;
  if (result.append_only) {
    auto ino = inodes_.FindTableIno(v->lineage());
    if (ino && inodes_.NoteAppend(*ino)) {
      invalidator_->InvalidateDataNow(*ino,
                                      static_cast<int64_t>(result.old_size & ~uint64_t{4095}));
    }
    return;
  }
  // Entries of the table, rows/ and sidecar files are handed out with a zero timeout, so the
  // kernel asks again at every use and needs no entry invalidation. None is sent: a thread
  // waiting in the kernel for a directory lock (which inval_entry takes) can keep a killed
  // daemon from ever exiting while a client holds that lock waiting for the daemon.
  for (const auto& [ino, lineage] : inodes_.TableNodes()) {
    if (lineage != v->lineage()) invalidator_->InvalidateInode(ino, -1, 0);
  }
}

void Filesystem::LogRefused(uint32_t pid, std::string_view op, std::string_view what,
                            const core::Status& status) {
  spdlog::warn("refused {} of {} by pid {}: {}", op, what, pid, status.ToString());
  refusals_.Add(pid, op, what, status.ToString());
}

void Filesystem::Refuse(uint32_t pid, std::string_view op, std::string_view what, int err,
                        std::string_view reason) {
  refused_.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("refused {} of {} by pid {}: {} ({})", op, what, pid, reason, std::strerror(err));
  refusals_.Add(pid, op, what, std::string(reason) + " (" + std::strerror(err) + ")");
}

AdapterStats Filesystem::Stats() const {
  AdapterStats s;
  s.open_handles = handles_.size();
  if (sidecar_ != nullptr) {
    std::vector<SidecarEntry> entries;
    if (Sidecar::List(sidecar_->root_fd(), &entries) == 0) s.other_files = entries.size();
  }
  s.refused = refused_.load(std::memory_order_relaxed);
  s.locked_files = locks_.files();
  s.lock_waiters = locks_.waiters();
  s.rewrites_prepared = prepared_rewrites_.prepared();
  s.rewrites_prepared_used = prepared_rewrites_.used();
  s.pid = static_cast<int64_t>(getpid());
  s.recent_refusals = refusals_.Recent();
  return s;
}

std::string Filesystem::RenderStatusText() {
  (void)Current();  // bookkeeping moves off versions a checkpoint replaced
  const char* sync = options_.sync == core::SyncMode::kClose    ? "close"
                     : options_.sync == core::SyncMode::kAlways ? "always"
                                                                : "off";
  return RenderStatus(engine_->Stats(), Stats(), backing_path_, sync);
}

}  // namespace csvfs::fs
