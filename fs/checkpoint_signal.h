// CheckpointSignal: SIGUSR1 asks the engine for a checkpoint (for backup jobs that want
// BACKING current now). No work happens in a signal handler: SIGUSR1 is blocked in every
// thread and one thread takes it with sigtimedwait and calls Engine::RequestCheckpoint.
//
// Block() must run before any other thread is created (they inherit the blocked mask), and
// early, so that a SIGUSR1 during startup does not kill the daemon (its default action);
// Start() then starts the waiting thread (after a fork: fork keeps only the calling thread).
// Stop() (or the destructor) joins it. FUSE-free.
#pragma once

#include <atomic>
#include <thread>

#include "core/engine.h"

namespace csvfs::fs {

class CheckpointSignal {
 public:
  explicit CheckpointSignal(core::Engine* engine) : engine_(engine) {}
  ~CheckpointSignal() { Stop(); }
  CheckpointSignal(const CheckpointSignal&) = delete;
  CheckpointSignal& operator=(const CheckpointSignal&) = delete;

  // Blocks SIGUSR1 in the calling thread (and so in every thread it creates later). False
  // if the mask cannot be set.
  static bool Block();
  // Block(), then starts the waiting thread.
  bool Start();
  void Stop();

 private:
  void Run();
  core::Engine* engine_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace csvfs::fs
