// FileBytes: the contents of one FaultEnv file, as the running system sees them (live) and as
// a power loss would find them (durable), and what each CrashMode keeps of the difference.
// Internal to FaultEnv (see fault_env.h for the durability model); not thread-safe.
//
// Each image is its written bytes followed by zeros up to the image's length, held implicitly
// so that a preallocated journal's megabytes of zeros cost nothing until a reader asks for them.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "core/env.h"
#include "tests/unit/fault_env.h"

namespace csvfs::testing::internal {

inline constexpr uint64_t kSectorBytes = 512;

class FileBytes {
 public:
  uint64_t size() const { return live_size_; }
  uint64_t durable_size() const { return durable_size_; }
  // The live bytes up to the last one written; zeros follow them up to size().
  std::string_view written() const { return live_; }

  // Writes `bytes` at `offset` (at most size(): appends or overwrites in place). The written
  // range is unsynced until Sync().
  void Write(uint64_t offset, std::string_view bytes);
  // Makes the live bytes durable (fdatasync).
  void Sync();
  // Syncs, then grows the file to `size` bytes of zeros, durably (writing zeros + fdatasync).
  void GrowDurably(uint64_t size);
  // Cuts both images to `size` bytes (durable at once).
  void Truncate(uint64_t size);
  // Zeroes [from, to) in both images (durable at once).
  void ZeroDurably(uint64_t from, uint64_t to);
  // A power loss: decides which unsynced bytes survive; afterwards everything is durable.
  void Crash(CrashMode mode, std::mt19937_64* rng);

 private:
  void MarkDirty(uint64_t lo, uint64_t hi);
  // Puts back the durable bytes of [from, to) (zeros past the durable image's end).
  void Revert(uint64_t from, uint64_t to);
  void SetLiveSize(uint64_t size);

  std::string live_, durable_;  // the written bytes; zeros follow up to the sizes below
  uint64_t live_size_ = 0;
  uint64_t durable_size_ = 0;  // never more than live_size_
  // Live bytes may differ from durable ones only in [dirty_lo_, dirty_hi_), which is within
  // live_ and covers everything past durable_size_. Empty (lo == hi) when clean.
  uint64_t dirty_lo_ = 0;
  uint64_t dirty_hi_ = 0;
};

// A ReadOnlyFile holding a copy of the file's live bytes.
std::unique_ptr<core::ReadOnlyFile> Snapshot(const FileBytes& file);

}  // namespace csvfs::testing::internal
