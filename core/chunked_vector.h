// ChunkedVector<T>: an append-only array whose elements never move. One writer appends;
// readers may read any element below a count that was published to them (through a mutex or
// an atomic), concurrently with further appends. Memory is allocated in chunks of 4096
// elements, found through a fixed two-level table (8 KiB per vector when empty). The first
// kSmallChunks chunks are ordinary heap allocations; a vector that grows beyond them takes
// its further chunks from 2 MiB huge-page extents (core/large_alloc.h), so that a large index
// faults in 2 MiB at a time rather than 4 KiB (at most one extent, 2 MiB, is partly unused).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "core/large_alloc.h"

namespace csvfs::core {

template <typename T>
class ChunkedVector {
  static_assert(std::is_trivially_destructible_v<T>, "chunks are freed without destructors");

 public:
  static constexpr size_t kChunkBits = 12;  // elements per chunk: 4096
  static constexpr size_t kDirBits = 10;    // chunks per directory: 1024
  static constexpr size_t kChunk = size_t{1} << kChunkBits;
  static constexpr size_t kDirSize = size_t{1} << kDirBits;
  static constexpr size_t kTopSize = 1024;  // directories: 4G elements in all
  static constexpr size_t kSmallChunks = 16;  // chunks allocated one by one
  // Chunks per huge-page extent.
  static constexpr size_t kExtentChunks =
      kLargePage / (kChunk * sizeof(T)) == 0 ? 1 : kLargePage / (kChunk * sizeof(T));
  static constexpr size_t kExtentBytes = kExtentChunks * kChunk * sizeof(T);

  ChunkedVector() = default;
  ChunkedVector(const ChunkedVector&) = delete;
  ChunkedVector& operator=(const ChunkedVector&) = delete;
  ~ChunkedVector() { clear(); }
  // Frees everything. Writer-only, and only while no reader can see the vector.
  void clear() {
    size_t c = 0;
    for (T**& dir : top_) {
      if (dir == nullptr) break;
      for (size_t i = 0; i < kDirSize && dir[i] != nullptr; ++i, ++c) {
        if (c < kSmallChunks) {
          delete[] dir[i];
        } else if ((c - kSmallChunks) % kExtentChunks == 0) {
          FreeLarge(dir[i], kExtentBytes);  // the extent starts with this chunk
        }
      }
      delete[] dir;
      dir = nullptr;
    }
    size_ = 0;
  }

  void push_back(const T& v) {
    size_t c = size_ >> kChunkBits;
    T**& dir = top_[c >> kDirBits];
    if (dir == nullptr) dir = new T*[kDirSize]();
    T*& chunk = dir[c & (kDirSize - 1)];
    if (chunk == nullptr) chunk = NewChunk(c);
    chunk[size_ & (kChunk - 1)] = v;
    ++size_;
  }
  const T& operator[](size_t i) const {
    size_t c = i >> kChunkBits;
    return top_[c >> kDirBits][c & (kDirSize - 1)][i & (kChunk - 1)];
  }
  T& back() { return const_cast<T&>((*this)[size_ - 1]); }
  size_t size() const { return size_; }  // writer's view
  size_t MemoryBytes() const {
    const size_t chunks = (size_ + kChunk - 1) / kChunk;
    if (chunks <= kSmallChunks) return chunks * kChunk * sizeof(T);
    const size_t extents = (chunks - kSmallChunks + kExtentChunks - 1) / kExtentChunks;
    return kSmallChunks * kChunk * sizeof(T) + extents * kExtentBytes;
  }

 private:
  // Memory for chunk number c (the next one): its own allocation, or the next part of the
  // current extent, or a new extent.
  T* NewChunk(size_t c) {
    if (c < kSmallChunks) return new T[kChunk];
    T* chunk;
    if ((c - kSmallChunks) % kExtentChunks == 0) {
      chunk = static_cast<T*>(AllocateLarge(kExtentBytes));
    } else {
      chunk = extent_next_;
    }
    extent_next_ = chunk + kChunk;
    std::uninitialized_default_construct_n(chunk, kChunk);
    return chunk;
  }

  std::array<T**, kTopSize> top_{};
  size_t size_ = 0;
  T* extent_next_ = nullptr;  // the next chunk of the current extent
};

}  // namespace csvfs::core
