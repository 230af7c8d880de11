#include "core/key_index.h"

#include <algorithm>
#include <functional>
#include <new>

#include "core/large_alloc.h"

namespace csvfs::core {

uint32_t KeyIndex::Fingerprint(std::string_view key) {
  // The library's string hash, mixed so that the top bits (which place the slot) depend on
  // every bit of it.
  const uint64_t h = std::hash<std::string_view>()(key) * 0x9E3779B97F4A7C15ull;
  const uint32_t fp = uint32_t(h >> 32) ^ uint32_t(h >> 7);
  return fp == 0 ? 1 : fp;
}

bool KeyIndex::Erase(std::string_view key, RowRef ref) {
  if (size_ == 0) return false;
  const uint32_t fp = fingerprint_(key);
  size_t i = Home(fp);
  for (; slots_[i].fp != fp || !(slots_[i].ref == ref); i = Next(i)) {
    if (slots_[i].fp == 0) return false;
  }
  // Backward shift: later slots of the run move up unless that would put them before their
  // home, so that no lookup meets a hole before its key.
  for (size_t j = i;;) {
    j = Next(j);
    if (slots_[j].fp == 0) break;
    const size_t home = Home(slots_[j].fp);
    const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (!stays) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = Slot{};
  --size_;
  return true;
}

void KeyIndex::Clear() {
  if (large_) {
    FreeLarge(slots_, bytes_);
  } else {
    delete[] slots_;
  }
  slots_ = nullptr;
  capacity_ = size_ = bytes_ = 0;
  large_ = false;
}

void KeyIndex::Reserve(size_t n) {
  if (SlotsFor(n) > capacity_) Rehash(SlotsFor(n));
}

void KeyIndex::ShrinkToFit() {
  const size_t want = SlotsFor(size_ + size_ / 32 + 16);
  if (capacity_ > want + want / 4) Rehash(want);
}

void KeyIndex::Grow() { Rehash(SlotsFor(std::max<size_t>(16, size_ + size_ / 2))); }

void KeyIndex::Rehash(size_t min_slots) {
  Slot* old = slots_;
  const size_t old_capacity = capacity_, old_bytes = bytes_;
  const bool old_large = large_;
  size_t bytes = min_slots * sizeof(Slot);
  if (bytes >= kLargePage) {
    bytes = LargeSize(bytes);
    slots_ = static_cast<Slot*>(AllocateLarge(bytes));  // zero-filled: every slot empty
    large_ = true;
  } else {
    slots_ = new Slot[min_slots]();
    large_ = false;
  }
  capacity_ = bytes / sizeof(Slot);
  bytes_ = bytes;
  for (size_t i = 0; i < old_capacity; ++i) {
    if (old[i].fp != 0) PlaceNew(old[i]);
  }
  if (old_large) {
    FreeLarge(old, old_bytes);
  } else {
    delete[] old;
  }
}

void KeyIndex::PlaceNew(const Slot& s) {
  size_t i = Home(s.fp);
  while (slots_[i].fp != 0) i = Next(i);
  slots_[i] = s;
}

}  // namespace csvfs::core
