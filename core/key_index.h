// KeyIndex: the key-mode index, key -> RowRef, without a copy of the keys.
//
// An open-addressing table (linear probing) of 12-byte slots: a 32-bit fingerprint of the
// key's hash and the RowRef. The keys themselves are the key fields of the rows, which the
// table already holds: every slot whose fingerprint matches is checked by asking the caller
// whether that row's key is the one wanted (it parses the key from the row's bytes in a
// Version). So Find, Insert's duplicate detection and Set are exact whatever the hash does;
// a false match costs one key parse and happens for about 1 in 2^32 probed slots.
//
// Cost: O(1) expected per operation (plus one key parse per match). Memory: 12 bytes per slot,
// at most 80% of the slots used; 15 bytes per key after Reserve(n) of the right n, up to
// ~22 bytes after growing on its own (x1.5), whatever the keys' length. Large tables live in
// huge-page extents (core/large_alloc.h).
//
// Thread-safety: not thread-safe; the owner (Table) serializes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/row_block.h"

namespace csvfs::core {

class KeyIndex {
 public:
  using FingerprintFn = uint32_t (*)(std::string_view key);
  // Never 0.
  static uint32_t Fingerprint(std::string_view key);

  // `fingerprint`: for tests that force collisions; must never return 0.
  explicit KeyIndex(FingerprintFn fingerprint = &Fingerprint) : fingerprint_(fingerprint) {}
  KeyIndex(const KeyIndex&) = delete;
  KeyIndex& operator=(const KeyIndex&) = delete;
  ~KeyIndex() { Clear(); }

  // In the templates below, is_key(RowRef ref, std::string_view key) -> bool says whether the
  // row at `ref` has key `key` (in whatever version the caller's entries describe).

  // The row whose key is `key`.
  template <typename IsKey>
  std::optional<RowRef> Find(std::string_view key, const IsKey& is_key) const {
    if (size_ == 0) return std::nullopt;
    const uint32_t fp = fingerprint_(key);
    for (size_t i = Home(fp);; i = Next(i)) {
      const Slot& s = slots_[i];
      if (s.fp == 0) return std::nullopt;
      if (s.fp == fp && is_key(s.ref, key)) return s.ref;
    }
  }
  // Adds key -> ref; returns false, changing nothing, if the index has `key` already.
  template <typename IsKey>
  bool Insert(std::string_view key, RowRef ref, const IsKey& is_key) {
    return Put(fingerprint_(key), key, ref, is_key, /*replace=*/false);
  }
  // key -> ref, replacing the entry of `key` if there is one.
  template <typename IsKey>
  void Set(std::string_view key, RowRef ref, const IsKey& is_key) {
    (void)Put(fingerprint_(key), key, ref, is_key, /*replace=*/true);
  }
  // Bulk loading: the same as Insert, with key's fingerprint from FingerprintOf, so that the
  // caller can Prefetch the slots of the next few keys first and overlap their cache misses
  // (at millions of keys nearly every insert misses the cache).
  uint32_t FingerprintOf(std::string_view key) const { return fingerprint_(key); }
  void Prefetch(uint32_t fp) const {
    if (capacity_ != 0) __builtin_prefetch(&slots_[Home(fp)], 1);
  }
  template <typename IsKey>
  bool InsertFingerprinted(uint32_t fp, std::string_view key, RowRef ref, const IsKey& is_key) {
    return Put(fp, key, ref, is_key, /*replace=*/false);
  }
  // Removes the entry key -> ref, if there is one: `ref` is what Find(key) gives, or a row the
  // index does not hold (a row has one key, so the fingerprint and the ref identify the entry
  // without a key parse). Returns whether it was there.
  bool Erase(std::string_view key, RowRef ref);

  size_t size() const { return size_; }
  // Frees the table.
  void Clear();
  // Room for n keys without growing.
  void Reserve(size_t n);
  // Shrinks the table to what size() needs, when a Reserve over-estimated by far.
  void ShrinkToFit();
  size_t MemoryBytes() const { return bytes_; }

 private:
  struct Slot {
    uint32_t fp = 0;  // 0: empty
    RowRef ref;
  };
  static_assert(sizeof(Slot) == 12);

  // Slots are ordered by fingerprint (scaled to the capacity), wrapping at the end.
  size_t Home(uint32_t fp) const { return size_t((uint64_t{fp} * capacity_) >> 32); }
  size_t Next(size_t i) const { return i + 1 == capacity_ ? 0 : i + 1; }
  static size_t SlotsFor(size_t n) { return n + n / 4 + 1; }  // at most 80% used, one empty

  template <typename IsKey>
  bool Put(uint32_t fp, std::string_view key, RowRef ref, const IsKey& is_key, bool replace) {
    if (SlotsFor(size_ + 1) > capacity_) Grow();
    size_t i = Home(fp);
    for (; slots_[i].fp != 0; i = Next(i)) {
      if (slots_[i].fp == fp && is_key(slots_[i].ref, key)) {
        if (!replace) return false;
        slots_[i].ref = ref;
        return true;
      }
    }
    slots_[i] = Slot{fp, ref};
    ++size_;
    return true;
  }
  void Grow();
  void Rehash(size_t min_slots);
  void PlaceNew(const Slot& s);  // into a slot known to be absent

  FingerprintFn fingerprint_;
  Slot* slots_ = nullptr;
  size_t capacity_ = 0;  // slots
  size_t size_ = 0;
  size_t bytes_ = 0;     // memory behind slots_
  bool large_ = false;   // slots_ is a large_alloc extent
};

}  // namespace csvfs::core
