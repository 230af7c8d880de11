#include "tests/unit/fault_file.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <new>

namespace csvfs::testing::internal {

namespace {

// A copy of a file's live bytes. calloc() may leave the zeros of a preallocated file to
// fresh zero pages instead of writing megabytes of them for every open.
class SnapshotFile final : public core::ReadOnlyFile {
 public:
  explicit SnapshotFile(const FileBytes& file)
      : size_(file.size()), bytes_(static_cast<char*>(calloc(std::max<uint64_t>(size_, 1), 1))) {
    if (bytes_ == nullptr) throw std::bad_alloc();
    std::copy(file.written().begin(), file.written().end(), bytes_.get());
  }
  std::string_view data() const override { return std::string_view(bytes_.get(), size_); }

 private:
  struct Free {
    void operator()(char* p) const { free(p); }
  };
  const uint64_t size_;
  const std::unique_ptr<char[], Free> bytes_;
};

}  // namespace

void FileBytes::MarkDirty(uint64_t lo, uint64_t hi) {
  if (lo >= hi) return;
  if (dirty_lo_ >= dirty_hi_) {
    dirty_lo_ = lo;
    dirty_hi_ = hi;
  } else {
    dirty_lo_ = std::min(dirty_lo_, lo);
    dirty_hi_ = std::max(dirty_hi_, hi);
  }
}

void FileBytes::SetLiveSize(uint64_t size) {
  live_size_ = size;
  if (live_.size() > size) live_.resize(size);
}

void FileBytes::Write(uint64_t offset, std::string_view bytes) {
  assert(offset <= live_size_);
  const uint64_t end = offset + bytes.size();
  if (end > live_.size()) live_.resize(end, '\0');
  std::copy(bytes.begin(), bytes.end(), live_.begin() + static_cast<ptrdiff_t>(offset));
  live_size_ = std::max(live_size_, end);
  MarkDirty(offset, end);
}

void FileBytes::Sync() {
  if (dirty_lo_ < dirty_hi_) {
    if (durable_.size() < dirty_hi_) durable_.resize(dirty_hi_, '\0');
    std::copy(live_.begin() + static_cast<ptrdiff_t>(dirty_lo_),
              live_.begin() + static_cast<ptrdiff_t>(dirty_hi_),
              durable_.begin() + static_cast<ptrdiff_t>(dirty_lo_));
  }
  durable_size_ = live_size_;
  dirty_lo_ = dirty_hi_ = 0;
}

void FileBytes::GrowDurably(uint64_t size) {
  Sync();
  live_size_ = durable_size_ = std::max(live_size_, size);
}

void FileBytes::Truncate(uint64_t size) {
  SetLiveSize(std::min(live_size_, size));
  durable_size_ = std::min(durable_size_, size);
  if (durable_.size() > size) durable_.resize(size);
  dirty_hi_ = std::min(dirty_hi_, size);
  if (dirty_lo_ >= dirty_hi_) dirty_lo_ = dirty_hi_ = 0;
}

void FileBytes::ZeroDurably(uint64_t from, uint64_t to) {
  for (uint64_t i = from; i < std::min<uint64_t>(to, live_.size()); ++i) live_[i] = '\0';
  for (uint64_t i = from; i < std::min<uint64_t>(to, durable_.size()); ++i) durable_[i] = '\0';
}

void FileBytes::Revert(uint64_t from, uint64_t to) {
  for (uint64_t i = from; i < to; ++i) live_[i] = i < durable_.size() ? durable_[i] : '\0';
}

void FileBytes::Crash(CrashMode mode, std::mt19937_64* rng) {
  const bool dirty = dirty_lo_ < dirty_hi_;
  const uint64_t lo = dirty ? dirty_lo_ : live_size_;
  const uint64_t hi = dirty ? dirty_hi_ : live_size_;
  switch (mode) {
    case CrashMode::kDropUnsynced:
      live_ = durable_;
      SetLiveSize(durable_size_);
      break;
    case CrashMode::kTornTail: {
      const uint64_t keep = std::uniform_int_distribution<uint64_t>(0, hi - lo)(*rng);
      Revert(lo + keep, hi);
      SetLiveSize(std::max(durable_size_, lo + keep));
      break;
    }
    case CrashMode::kGarbageTail:
      for (uint64_t i = lo; i < hi; ++i) live_[i] = static_cast<char>((*rng)() & 0xFF);
      break;
    case CrashMode::kReorderSectors: {
      // Each sector touched since the last sync independently made it to disk or not. The
      // file keeps its durable length, or reaches to the end of the last sector that made it.
      uint64_t length = durable_size_;
      for (uint64_t sector = lo - lo % kSectorBytes; sector < hi; sector += kSectorBytes) {
        const uint64_t from = std::max(sector, lo);
        const uint64_t to = std::min(sector + kSectorBytes, hi);
        if ((*rng)() & 1) {
          length = std::max(length, to);
        } else {
          Revert(from, to);
        }
      }
      SetLiveSize(length);
      break;
    }
  }
  durable_ = live_;
  durable_size_ = live_size_;
  dirty_lo_ = dirty_hi_ = 0;
}

std::unique_ptr<core::ReadOnlyFile> Snapshot(const FileBytes& file) {
  return std::make_unique<SnapshotFile>(file);
}

}  // namespace csvfs::testing::internal
