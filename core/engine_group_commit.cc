// Engine: durability. Commits append to the journal under write_mu; the syncer thread makes
// them durable with one fdatasync for everyone waiting (group commit).
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

}  // namespace csvfs::core
