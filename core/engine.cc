#include "core/engine.h"

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

void Engine::Impl::FailSync(const Status& s) {
  std::vector<Waiter> fired;
  {
    std::lock_guard<std::mutex> l(sync_mu);
    if (sync_error.ok()) {
      sync_error = s;
      spdlog::error("store switched to read-only: {}", s.ToString());
    }
    fired.swap(waiters);
  }
  Status err =
      Status::IoError("the change could not be made durable: " + s.message(), s.os_error());
  for (auto& w : fired) w.done(err);
}

void Engine::Impl::SyncLoop() {
  std::unique_lock<std::mutex> lk(sync_mu);
  for (;;) {
    // Waiters trigger a sync at once; otherwise dirty data is synced within a few ms.
    sync_cv.wait_for(lk, std::chrono::milliseconds(5),
                     [&] { return stop || (!waiters.empty() && synced_lsn < written_lsn); });
    if (!sync_error.ok()) {
      if (stop) return;
      continue;
    }
    if (synced_lsn < written_lsn && opt.sync != SyncMode::kOff) {
      uint64_t target = written_lsn;
      std::shared_ptr<WritableFile> j = store->journal();
      lk.unlock();
      Status s = j->Sync();
      ++fsyncs;
      if (!s.ok()) {
        FailSync(s);
        lk.lock();
        continue;
      }
      lk.lock();
      synced_lsn = std::max(synced_lsn, target);
    }
    std::vector<Waiter> fired;
    for (size_t i = 0; i < waiters.size();) {
      if (waiters[i].lsn <= synced_lsn || opt.sync == SyncMode::kOff) {
        fired.push_back(std::move(waiters[i]));
        waiters[i] = std::move(waiters.back());
        waiters.pop_back();
      } else {
        ++i;
      }
    }
    if (!fired.empty()) {
      lk.unlock();
      for (auto& w : fired) w.done(Status::Ok());
      lk.lock();
    }
    if (stop && waiters.empty() && synced_lsn >= written_lsn) return;
    if (stop && opt.sync == SyncMode::kOff) return;
  }
}

Status Engine::Impl::RunCheckpoint() {
  std::lock_guard<std::mutex> run(ckpt_run_mu);
  {
    std::lock_guard<std::mutex> l(sync_mu);
    if (!sync_error.ok()) return Status::ReadOnly("store is read-only: " + sync_error.message());
  }
  Snapshot v;
  uint64_t lsn, next_id;
  {
    std::lock_guard<std::mutex> l(write_mu);
    if (last_lsn == folded_lsn) {  // nothing to fold
      unfolded_since_ns = 0;
      return Status::Ok();
    }
    v = table->current();
    lsn = last_lsn;
    next_id = table->next_id();
    capturing = true;
    captured.clear();
    captured_payloads.clear();
  }
  auto give_up = [&](const Status& s, bool is_fatal) {
    {
      std::lock_guard<std::mutex> l(write_mu);
      capturing = false;
      captured.clear();
      captured_payloads.clear();
    }
    if (is_fatal) {
      store->AbandonCheckpoint();
      FailSync(s);
    } else {
      store->AbandonCheckpoint();
      spdlog::warn("checkpoint failed, will retry later: {}", s.ToString());
    }
    return s;
  };
  // ENOSPC: try again later. An I/O error (a failed fsync): the store's state is unknown.
  auto fatal = [](const Status& st) { return st.code() == Code::kIoError; };
  auto ck = store->WriteCheckpointFile(*v, lsn, next_id);
  if (!ck.ok()) return give_up(ck.status(), fatal(ck.status()));
  auto next = std::make_unique<Table>(table->config());
  Status s = next->LoadLayout(ck->file, ck->layout, next_id);
  ck->layout = CheckpointLayout();  // 16 bytes a row: freed now, not after the memory is trimmed
  if (!s.ok()) return give_up(s, false);
  next->SetCounters(v->number(), v->lineage(), v->mtime_ns());
  next->CarryStamps(*v);  // rows keep the times of their last change
  std::string first_frames;
  {
    std::lock_guard<std::mutex> l(write_mu);
    first_frames = captured;
  }
  s = store->StartNextJournal(ck.value(), first_frames);
  if (!s.ok()) return give_up(s, fatal(s));
  s = store->InstallCheckpointFile();
  if (!s.ok()) return give_up(s, /*fatal=*/true);  // BACKING's state is now unknown
  std::lock_guard<std::mutex> l(write_mu);
  s = store->FinishNextJournal(std::string_view(captured).substr(first_frames.size()));
  if (!s.ok()) {
    capturing = false;
    FailSync(s);
    return s;
  }
  for (const auto& p : captured_payloads) {
    auto op = Op::Decode(p);
    s = op.ok() ? next->Apply(op.value()) : op.status();
    if (!s.ok()) {
      FailSync(Status::Corruption("replaying after checkpoint failed: " + s.message()));
      return s;
    }
  }
  capturing = false;
  captured.clear();
  captured_payloads.clear();
  folded_lsn = lsn;
  unfolded_since_ns = last_lsn > lsn ? opt.env->NowNanos() : 0;  // commits made meanwhile
  table = std::move(next);
  Publish(table->current());
  v.reset();  // the version before the checkpoint, unless readers still hold it
  opt.env->ReleaseFreeMemory();
  if (auto st = store->dir()->Stat(store->names().name); st.ok()) {  // chmod'ed directly?
    std::lock_guard<std::mutex> ol(own_mu);
    ownership = FileOwnership{st->mode, st->uid, st->gid};
  }
  journal_bytes = store->journal()->Size();
  ++checkpoints;
  last_checkpoint_ns = opt.env->NowNanos();
  {
    std::lock_guard<std::mutex> sl(sync_mu);
    synced_lsn = std::max(synced_lsn, last_lsn);
  }
  sync_cv.notify_all();
  return Status::Ok();
}

void Engine::Impl::CheckpointLoop() {
  using std::chrono::milliseconds;
  std::unique_lock<std::mutex> lk(ckpt_mu);
  milliseconds backoff(0);
  // checkpoint_interval: looked at every second (or every interval, if shorter).
  const int64_t interval_ms = int64_t(std::min<uint64_t>(opt.checkpoint_interval_ms, 1ull << 40));
  const milliseconds tick(interval_ms == 0 ? 3600000 : std::min<int64_t>(interval_ms, 1000));
  auto interval_due = [&] {
    const int64_t since = unfolded_since_ns.load();
    return interval_ms > 0 && since != 0 && opt.env->NowNanos() - since >= interval_ms * 1000000;
  };
  for (;;) {
    ckpt_cv.wait_for(lk, tick, [&] { return stop || ckpt_requested; });
    if (stop) return;
    if (!ckpt_requested && !interval_due()) continue;
    // After a failed attempt (a full disk), every commit asks again: wait first, doubling
    // from 250 ms to 5 s, so that a full disk costs neither a temp-file write nor a log line
    // per commit.
    if (backoff.count() > 0 && ckpt_cv.wait_for(lk, backoff, [&] { return stop.load(); })) return;
    ckpt_requested = false;
    lk.unlock();
    const bool ok = RunCheckpoint().ok();
    lk.lock();
    backoff = ok ? milliseconds(0)
                 : std::min(milliseconds(5000), std::max(milliseconds(250), backoff * 2));
  }
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

struct PreparedRewrite {
  Snapshot base;      // what it was prepared for
  uint64_t image_size = 0;
  // nullopt: not the append-only case (the general merge runs under the writer lock).
  std::optional<Result<merge_internal::AppendOnlyPlan>> plan;
};

std::shared_ptr<PreparedRewrite> Engine::Impl::PrepareMerge(const Snapshot& base,
                                                            std::string_view image) {
  Impl& d = *this;
  merge_internal::MergeContext ctx;
  Snapshot snap;
  {
    std::lock_guard<std::mutex> l(d.write_mu);
    ctx = merge_internal::MergeContext::Of(*d.table);
    snap = d.table->current();
  }
  auto p = std::make_shared<PreparedRewrite>();
  p->base = base;
  p->image_size = image.size();
  p->plan = merge_internal::PrepareAppendOnly(ctx, snap, base ? *base : *snap, image);
  return p;
}

std::shared_ptr<PreparedRewrite> Engine::PrepareRewrite(const Snapshot& base,
                                                        std::string_view image) const {
  if (image.size() > impl_->opt.max_image_bytes) return nullptr;
  auto p = impl_->PrepareMerge(base, image);
  if (!p->plan || !p->plan->ok()) return nullptr;
  return p;
}

Result<CommitResult> Engine::Rewrite(const Snapshot& base, std::string_view image, uint32_t pid,
                                     std::shared_ptr<PreparedRewrite> prepared) {
  if (image.size() > impl_->opt.max_image_bytes) {
    ++impl_->refused;
    return Status::TooBig("new content of " + std::to_string(image.size()) +
                          " bytes is over the limit of " +
                          std::to_string(impl_->opt.max_image_bytes));
  }
  if (prepared != nullptr && (prepared->base != base || prepared->image_size != image.size())) {
    prepared = nullptr;  // made for another rewrite
  }
  // Prepared outside the writer lock against a snapshot (other writers go on meanwhile);
  // under it, only rebased onto what landed since.
  if (prepared == nullptr) prepared = impl_->PrepareMerge(base, image);
  auto& plan = prepared->plan;
  if (plan && !plan->ok()) return impl_->Finish(plan->status(), "rewrite", pid);
  std::unique_lock<std::mutex> l(impl_->write_mu);
  if (impl_->closed) return Status::ReadOnly("the store is shutting down");
  if (Status ro = impl_->ReadOnlyStatus(); !ro.ok()) {
    ++impl_->refused;
    return ro;
  }
  std::optional<MergeResult> fast;
  if (plan) fast = merge_internal::FinishAppendOnly(*impl_->table, std::move(plan->value()));
  plan.reset();  // consumed
  auto m = fast ? Result<MergeResult>(std::move(*fast))
                : MergeRewrite(*impl_->table, base ? *base : *impl_->table->current(), image,
                               /*try_append_only=*/false);
  if (!m.ok()) return impl_->Finish(m.status(), "rewrite", pid);
  if (m->no_change) return impl_->NoChange();
  auto r = impl_->Commit(std::move(m->op));
  l.unlock();
  if (r.ok()) r->conflicts = std::move(m->conflicts);
  return impl_->Finish(std::move(r), "rewrite", pid);
}

void Engine::Impl::WhenDurable(uint64_t lsn, std::function<void(Status)> done) {
  Impl& d = *this;
  std::unique_lock<std::mutex> l(d.sync_mu);
  if (!d.sync_error.ok()) {
    Status err = Status::IoError("the store failed to sync: " + d.sync_error.message(),
                                 d.sync_error.os_error());
    l.unlock();
    done(err);
    return;
  }
  if (d.opt.sync == SyncMode::kOff || lsn <= d.synced_lsn) {
    l.unlock();
    done(Status::Ok());
    return;
  }
  if (!d.threads_started) {  // no syncer yet: sync here
    uint64_t target = d.written_lsn;
    auto j = d.store->journal();
    l.unlock();
    Status s = j->Sync();
    ++d.fsyncs;
    if (!s.ok()) {
      d.FailSync(s);
      done(Status::IoError("the change could not be made durable: " + s.message(), s.os_error()));
      return;
    }
    l.lock();
    d.synced_lsn = std::max(d.synced_lsn, target);
    l.unlock();
    done(Status::Ok());
    return;
  }
  d.waiters.push_back(Impl::Waiter{lsn, std::move(done)});
  d.sync_cv.notify_one();
}

Status Engine::Impl::WaitDurable(uint64_t lsn) {
  std::mutex m;
  std::condition_variable cv;
  bool fired = false;
  Status result;
  WhenDurable(lsn, [&](Status s) {
    std::lock_guard<std::mutex> l(m);
    result = std::move(s);
    fired = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> l(m);
  cv.wait(l, [&] { return fired; });
  return result;
}

Status Engine::WaitDurable(uint64_t lsn) { return impl_->WaitDurable(lsn); }

void Engine::WhenDurable(uint64_t lsn, std::function<void(Status)> done) {
  impl_->WhenDurable(lsn, std::move(done));
}

Status Engine::Checkpoint() { return impl_->RunCheckpoint(); }

void Engine::RequestCheckpoint() {
  std::lock_guard<std::mutex> l(impl_->ckpt_mu);
  impl_->ckpt_requested = true;
  impl_->ckpt_cv.notify_one();
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
