// Engine: checkpoints (folding the journal into a new BACKING) and the thread that runs them.
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


Status Engine::Checkpoint() { return impl_->RunCheckpoint(); }

void Engine::RequestCheckpoint() {
  std::lock_guard<std::mutex> l(impl_->ckpt_mu);
  impl_->ckpt_requested = true;
  impl_->ckpt_cv.notify_one();
}

}  // namespace csvfs::core
