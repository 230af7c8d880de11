// CheckpointSignal: SIGUSR1 asks the engine for a checkpoint (for backup jobs that want
// BACKING current now). No work happens in a signal handler: SIGUSR1 is blocked in every
// thread and one thread takes it with sigtimedwait and calls Engine::RequestCheckpoint.
//
// Start() must run before the threads that should not receive SIGUSR1 are created (they
// inherit the blocked mask); Stop() (or the destructor) joins the thread. FUSE-free.
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

  // Blocks SIGUSR1 in the calling thread (and so in every thread it creates later) and
  // starts the waiting thread. False if the mask cannot be set.
  bool Start();
  void Stop();

 private:
  void Run();
  core::Engine* engine_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace csvfs::fs
