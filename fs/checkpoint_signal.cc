#include "fs/checkpoint_signal.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <ctime>

namespace csvfs::fs {

bool CheckpointSignal::Block() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  return pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0;
}

bool CheckpointSignal::Start() {
  if (!Block()) return false;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
  return true;
}

void CheckpointSignal::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void CheckpointSignal::Run() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  // Woken every 200 ms to notice Stop(): no signal needs to be sent to end the thread.
  const struct timespec tick = {0, 200 * 1000 * 1000};
  while (!stop_) {
    siginfo_t info;
    const int sig = sigtimedwait(&set, &info, &tick);
    if (sig != SIGUSR1) continue;  // timeout or EINTR
    spdlog::info("SIGUSR1 from pid {}: checkpoint requested", info.si_pid);
    engine_->RequestCheckpoint();
  }
}

}  // namespace csvfs::fs
