// Notifier: a thread that sends the kernel invalidation notices queued after commits.
// Notices are never sent from the handler of the operation that caused them (the kernel may
// hold locks that the notice needs). Implements Invalidator.
#pragma once

#include <fuse_lowlevel.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "fs/invalidator.h"

namespace csvfs::fs {

class Notifier : public Invalidator {
 public:
  explicit Notifier(fuse_session* session) : session_(session) {}
  ~Notifier() override;
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void Start();
  // Sends what is queued, then stops the thread. Idempotent.
  void Stop();

  void InvalidateInode(uint64_t ino, int64_t off, int64_t len) override;
  void InvalidateEntry(uint64_t parent, std::string name) override;

  void InvalidateDataNow(uint64_t ino, int64_t off) override;

 private:
  struct Notice {
    bool entry = false;
    uint64_t ino = 0;  // inode, or parent for entries
    int64_t off = 0;
    int64_t len = 0;
    std::string name;
  };
  void Push(Notice n);
  void Run();
  void Send(const Notice& n);

  fuse_session* session_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Notice> queue_;
  bool stop_ = false;
  bool started_ = false;
  std::thread thread_;
};

}  // namespace csvfs::fs
