// ChunkedVector<T>: an append-only array whose elements never move. One writer appends;
// readers may read any element below a count that was published to them (through a mutex or
// an atomic), concurrently with further appends. Memory is allocated in chunks of 4096
// elements, found through a fixed two-level table (8 KiB per vector when empty).
#pragma once

#include <cstdint>
#include <array>
#include <cstddef>

namespace csvfs::core {

template <typename T>
class ChunkedVector {
 public:
  static constexpr size_t kChunkBits = 12;  // elements per chunk: 4096
  static constexpr size_t kDirBits = 10;    // chunks per directory: 1024
  static constexpr size_t kChunk = size_t{1} << kChunkBits;
  static constexpr size_t kDirSize = size_t{1} << kDirBits;
  static constexpr size_t kTopSize = 1024;  // directories: 4G elements in all

  ChunkedVector() = default;
  ChunkedVector(const ChunkedVector&) = delete;
  ChunkedVector& operator=(const ChunkedVector&) = delete;
  ~ChunkedVector() { clear(); }
  // Frees everything. Writer-only, and only while no reader can see the vector.
  void clear() {
    for (T**& dir : top_) {
      if (dir == nullptr) break;
      for (size_t i = 0; i < kDirSize && dir[i] != nullptr; ++i) delete[] dir[i];
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
    if (chunk == nullptr) chunk = new T[kChunk];
    chunk[size_ & (kChunk - 1)] = v;
    ++size_;
  }
  const T& operator[](size_t i) const {
    size_t c = i >> kChunkBits;
    return top_[c >> kDirBits][c & (kDirSize - 1)][i & (kChunk - 1)];
  }
  T& back() { return const_cast<T&>((*this)[size_ - 1]); }
  size_t size() const { return size_; }  // writer's view
  size_t MemoryBytes() const { return ((size_ + kChunk - 1) / kChunk) * kChunk * sizeof(T); }

 private:
  std::array<T**, kTopSize> top_{};
  size_t size_ = 0;
};

}  // namespace csvfs::core
