#include "fs/notifier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>

namespace csvfs::fs {


Notifier::~Notifier() { Stop(); }

void Notifier::Start() {
  std::lock_guard<std::mutex> l(mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void Notifier::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Notifier::InvalidateInode(uint64_t ino, int64_t off, int64_t len) {
  Notice n;
  n.ino = ino;
  n.off = off;
  n.len = len;
  Push(std::move(n));
}

void Notifier::InvalidateDataNow(uint64_t ino, int64_t off) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!started_ || stop_) return;
  }
  Notice n;
  n.ino = ino;
  n.off = off;
  Send(n);
}

void Notifier::InvalidateEntry(uint64_t parent, std::string name) {
  Notice n;
  n.entry = true;
  n.ino = parent;
  n.name = std::move(name);
  Push(std::move(n));
}

// Pending notices for the same target are merged (a burst of appends costs one kernel
// notification, not one each), so the queue holds at most one notice per inode or entry and
// nothing is ever dropped.
void Notifier::Push(Notice n) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!started_ || stop_) return;
    for (Notice& q : queue_) {
      if (q.entry != n.entry || q.ino != n.ino) continue;
      if (n.entry) {
        if (q.name == n.name) return;
        continue;
      }
      if ((q.off < 0) != (n.off < 0)) continue;  // attributes only vs data: kept apart
      if (n.off < 0) return;
      int64_t end = (q.len == 0 || n.len == 0) ? 0 : std::max(q.off + q.len, n.off + n.len);
      q.off = std::min(q.off, n.off);
      q.len = end == 0 ? 0 : end - q.off;
      return;
    }
    queue_.push_back(std::move(n));
  }
  cv_.notify_one();
}

void Notifier::Run() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    cv_.wait(l, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ and drained
    Notice n = std::move(queue_.front());
    queue_.pop_front();
    l.unlock();
    Send(n);
    l.lock();
  }
}

void Notifier::Send(const Notice& n) {
  int rc;
  if (n.entry) {
    rc = fuse_lowlevel_notify_inval_entry(session_, n.ino, n.name.c_str(), n.name.size());
  } else {
    rc = fuse_lowlevel_notify_inval_inode(session_, n.ino, n.off, n.len);
  }
  // -ENOENT: the kernel does not know the inode/entry (nothing cached); fine.
  if (rc != 0 && rc != -ENOENT) spdlog::debug("invalidation notice failed: {}", rc);
}

}  // namespace csvfs::fs
