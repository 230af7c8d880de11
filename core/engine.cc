#include "core/engine.h"
#include "core/engine_impl.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/journal.h"
#include "core/merge_internal.h"
#include "core/store.h"
#include "core/table.h"
#include "spdlog/spdlog.h"

namespace csvfs::core {

Result<CommitResult> Engine::Impl::Commit(Op op) {
  // Caller holds write_mu.
  CSVFS_RETURN_IF_ERROR(ReadOnlyStatus());
  Snapshot before = table->current();
  op.lsn = last_lsn + 1;
  op.time_ns = std::max(opt.env->NowNanos(), last_time + 1);
  std::string payload = op.Encode();
  // Refused before anything is written: a record recovery could not read must never be
  // acknowledged.
  if (payload.size() > std::min<uint64_t>(opt.max_journal_record, kMaxJournalPayload)) {
    return Status::TooBig("the change needs a journal record of " +
                          std::to_string(payload.size()) + " bytes, over the limit of " +
                          std::to_string(std::min<uint64_t>(opt.max_journal_record,
                                                            kMaxJournalPayload)));
  }
  std::string frame;
  CSVFS_RETURN_IF_ERROR(AppendJournalFrame(payload, &frame));
  Status s = store->AppendFrame(frame);
  if (!s.ok()) return s;
  s = table->Apply(op);
  if (!s.ok()) {  // a prepared op must apply: the journal now disagrees with memory
    FailSync(Status::Corruption("applying a committed change failed: " + s.message()));
    return Status::IoError("internal error applying change: " + s.message());
  }
  last_lsn = op.lsn;
  last_time = op.time_ns;
  if (unfolded_since_ns.load() == 0) unfolded_since_ns = op.time_ns;
  journal_bytes += frame.size();
  if (capturing) {
    captured += frame;
    captured_payloads.push_back(std::move(payload));
  }
  CommitResult r;
  r.lsn = op.lsn;
  r.version = table->current();
  r.old_size = before->size();
  r.append_only = r.version->lineage() == before->lineage();
  for (const auto& a : op.appends) r.ids.push_back(a.id);
  for (const auto& e : op.entries) {
    if (!e.keep) r.ids.push_back(e.id);
  }
  Publish(r.version);
  ++commits;
  {
    std::lock_guard<std::mutex> l(sync_mu);
    written_lsn = op.lsn;
  }
  // A rewrite's journal record holds only its difference, but its version indexes every row
  // in memory until a checkpoint maps the new table from disk: fold it soon.
  if (journal_bytes.load() > opt.checkpoint_bytes || op.type == Op::Type::kRewrite) {
    std::lock_guard<std::mutex> l(ckpt_mu);
    ckpt_requested = true;
    ckpt_cv.notify_one();
  }
  return r;
}


Result<CommitResult> Engine::Impl::Finish(Result<CommitResult> r, const char* what, uint32_t pid) {
  if (!r.ok()) {
    ++refused;
    return r;
  }
  for (const auto& c : r->conflicts) {
    ++conflicts;
    // Every part a row can hold is escaped ({:?}): a quoted newline must not split the line.
    spdlog::warn("conflict on row {:?} (pid {} {}): the later commit wins; theirs: {:?} ours: {:?}",
                 c.id, pid, what, c.theirs, c.ours);
  }
  if (opt.sync == SyncMode::kAlways) {
    Status s = WaitDurable(r->lsn);
    if (!s.ok()) return s;
  }
  return r;
}

// ---- Engine ----

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() { (void)Close(); }

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  if (impl->opt.env == nullptr) impl->opt.env = PosixEnv();
  TableConfig cfg;
  cfg.key_name = options.key_column;
  cfg.header = options.header;
  cfg.ragged = options.ragged;
  cfg.max_record_bytes = options.max_record_bytes;
  Recovered rec;
  auto store = Store::Open(impl->opt.env, options.backing_path, options.create, cfg, &rec);
  if (!store.ok()) return store.status();
  impl->store = std::move(store.value());
  impl->table = std::move(rec.table);
  impl->last_lsn = impl->written_lsn = impl->synced_lsn = rec.last_lsn;
  impl->folded_lsn = rec.needs_checkpoint ? UINT64_MAX : rec.last_lsn;
  impl->last_time = impl->table->current()->mtime_ns();
  impl->journal_bytes = rec.journal_bytes;
  impl->Publish(impl->table->current());
  if (auto st = impl->store->dir()->Stat(impl->store->names().name); st.ok()) {
    impl->ownership = FileOwnership{st->mode, st->uid, st->gid};
  }
  if (!rec.note.empty()) spdlog::warn("{}: {}", options.backing_path, rec.note);
  if (rec.replayed > 0) {
    spdlog::info("{}: replayed {} journaled changes", options.backing_path, rec.replayed);
  }
  std::unique_ptr<Engine> engine(new Engine(std::move(impl)));
  if (rec.needs_checkpoint) {
    Status s = engine->impl_->RunCheckpoint();
    if (!s.ok()) return s;
  }
  if (options.start_threads) engine->StartThreads();
  return engine;
}

void Engine::StartThreads() {
  if (impl_->threads_started) return;
  impl_->threads_started = true;
  impl_->syncer = std::thread([this] { impl_->SyncLoop(); });
  impl_->checkpointer = std::thread([this] { impl_->CheckpointLoop(); });
}

Snapshot Engine::Current() const {
  std::lock_guard<std::mutex> l(impl_->pub_mu);
  return impl_->current;
}

const EngineOptions& Engine::options() const { return impl_->opt; }

#define CSVFS_PREPARE_AND_COMMIT(what, prepare_expr)                        \
  std::unique_lock<std::mutex> l(impl_->write_mu);                          \
  if (impl_->closed) return Status::ReadOnly("the store is shutting down"); \
  if (Status ro = impl_->ReadOnlyStatus(); !ro.ok()) {                      \
    ++impl_->refused;                                                       \
    return ro;                                                              \
  }                                                                         \
  auto op = (prepare_expr);                                                 \
  if (!op.ok()) return impl_->Finish(op.status(), what, pid);               \
  if (op->empty()) return impl_->NoChange();                                \
  auto r = impl_->Commit(std::move(op.value()));                            \
  l.unlock();                                                               \
  return impl_->Finish(std::move(r), what, pid)

Result<CommitResult> Engine::Append(std::string_view records, uint32_t pid) {
  CSVFS_PREPARE_AND_COMMIT("append", impl_->table->PrepareAppend(records));
}

Result<CommitResult> Engine::DeleteRow(std::string_view id, uint32_t pid) {
  CSVFS_PREPARE_AND_COMMIT("delete", impl_->table->PrepareDelete(id));
}

Result<CommitResult> Engine::PutRow(std::string_view id, std::string_view record, bool create,
                                    bool exclusive, uint32_t pid) {
  CSVFS_PREPARE_AND_COMMIT("put", impl_->table->PreparePut(id, record, create, exclusive));
}

Result<CommitResult> Engine::RenameRow(std::string_view from, std::string_view to, bool noreplace,
                                       uint32_t pid) {
  CSVFS_PREPARE_AND_COMMIT("rename", impl_->table->PrepareRename(from, to, noreplace));
}

#undef CSVFS_PREPARE_AND_COMMIT

std::optional<std::string> Engine::RowContent(std::string_view id) const {
  std::lock_guard<std::mutex> l(impl_->write_mu);
  auto b = impl_->table->RowBytes(id);
  if (!b) return std::nullopt;
  return std::string(RecordOnly(*b));  // without the empty lines kept with the row
}


FileOwnership Engine::BackingOwnership() const {
  std::lock_guard<std::mutex> l(impl_->own_mu);
  return impl_->ownership;
}

Status Engine::SetBackingModeOwner(uint32_t mode, uint32_t uid, uint32_t gid) {
  Impl& d = *impl_;
  if (d.opt.read_only) return Status::ReadOnly("mounted read-only");
  std::lock_guard<std::mutex> run(d.ckpt_run_mu);  // not between a checkpoint's copy and rename
  Directory* dir = d.store->dir();
  const std::string& name = d.store->names().name;
  Status s = dir->SetModeOwner(name, mode, uid, gid);
  if (!s.ok()) return s;
  auto st = dir->Stat(name);
  if (!st.ok()) return st.status();
  std::lock_guard<std::mutex> l(d.own_mu);
  d.ownership = FileOwnership{st->mode, st->uid, st->gid};
  return Status::Ok();
}

Status Engine::Close() {
  Impl& d = *impl_;
  {
    std::lock_guard<std::mutex> l(d.write_mu);
    if (d.closed) return Status::Ok();
    d.closed = true;
  }
  Status s;
  {
    std::lock_guard<std::mutex> l(d.sync_mu);
    if (!d.sync_error.ok()) s = Status::ReadOnly(d.sync_error.message());
  }
  if (s.ok() && d.store) s = d.RunCheckpoint();
  d.stop = true;
  {
    std::lock_guard<std::mutex> l(d.sync_mu);  // no waiter can miss the notification
    d.sync_cv.notify_all();
  }
  {
    std::lock_guard<std::mutex> l(d.ckpt_mu);
    d.ckpt_cv.notify_all();
  }
  if (d.syncer.joinable()) d.syncer.join();
  if (d.checkpointer.joinable()) d.checkpointer.join();
  if (s.ok() && d.store) {
    s = d.store->CloseClean();
    if (!s.ok()) spdlog::warn("could not remove the folded journal: {}", s.ToString());
  }
  std::vector<Impl::Waiter> left;
  {
    std::lock_guard<std::mutex> l(d.sync_mu);
    left.swap(d.waiters);
  }
  for (auto& w : left) w.done(s.ok() ? Status::Ok() : Status::IoError(s.message()));
  d.store.reset();  // releases the lock
  return s;
}

EngineStats Engine::Stats() const {
  const Impl& d = *impl_;
  EngineStats st;
  Snapshot v = Current();
  st.version = v->number();
  st.rows = v->row_count();
  st.size = v->size();
  st.journal_bytes = d.journal_bytes;
  st.commits = d.commits;
  st.conflicts = d.conflicts;
  st.refused = d.refused;
  st.checkpoints = d.checkpoints;
  st.fsyncs = d.fsyncs;
  st.last_checkpoint_ns = d.last_checkpoint_ns;
  std::lock_guard<std::mutex> l(impl_->sync_mu);
  st.read_only = d.opt.read_only || !d.sync_error.ok();
  st.read_only_reason = d.opt.read_only ? "mounted ro" : d.sync_error.message();
  return st;
}

}  // namespace csvfs::core
