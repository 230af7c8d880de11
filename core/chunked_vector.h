// ChunkedVector<T>: an append-only array whose elements never move. One writer appends;
// readers may read any element below a count that was published to them (through a mutex or
// an atomic), concurrently with further appends. Memory is allocated in chunks of 4096
// elements; the chunk table is reserved lazily (calloc), so an empty vector costs nothing.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <new>

namespace csvfs::core {

template <typename T>
class ChunkedVector {
 public:
  static constexpr size_t kChunkBits = 12;
  static constexpr size_t kChunk = size_t{1} << kChunkBits;
  static constexpr size_t kMaxChunks = size_t{1} << 20;  // 4G elements

  ChunkedVector() = default;
  ChunkedVector(const ChunkedVector&) = delete;
  ChunkedVector& operator=(const ChunkedVector&) = delete;
  ~ChunkedVector() {
    if (chunks_ == nullptr) return;
    for (size_t i = 0; i < kMaxChunks && chunks_[i] != nullptr; ++i) delete[] chunks_[i];
    std::free(chunks_);
  }

  void push_back(const T& v) {
    size_t c = size_ >> kChunkBits;
    if (chunks_ == nullptr) {
      chunks_ = static_cast<T**>(std::calloc(kMaxChunks, sizeof(T*)));
      if (chunks_ == nullptr) throw std::bad_alloc();
    }
    if (chunks_[c] == nullptr) chunks_[c] = new T[kChunk];
    chunks_[c][size_ & (kChunk - 1)] = v;
    ++size_;
  }
  const T& operator[](size_t i) const { return chunks_[i >> kChunkBits][i & (kChunk - 1)]; }
  T& back() { return chunks_[(size_ - 1) >> kChunkBits][(size_ - 1) & (kChunk - 1)]; }
  size_t size() const { return size_; }  // writer's view
  size_t MemoryBytes() const { return ((size_ + kChunk - 1) / kChunk) * kChunk * sizeof(T); }

 private:
  T** chunks_ = nullptr;
  size_t size_ = 0;
};

}  // namespace csvfs::core
