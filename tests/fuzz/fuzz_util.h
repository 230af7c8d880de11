// Helpers shared by the libFuzzer targets in tests/fuzz.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// Aborts (so libFuzzer records a crash) with the failed condition and where it is.
#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace csvfs::fuzz {

// Consumes the fuzzer input front to back; reads past the end yield zeros.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(reinterpret_cast<const char*>(data), size) {}
  explicit ByteReader(std::string_view data) : data_(data) {}

  bool empty() const { return pos_ >= data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }
  uint8_t Byte() { return pos_ < data_.size() ? static_cast<uint8_t>(data_[pos_++]) : 0; }
  // The next n bytes (fewer at the end).
  std::string_view Bytes(size_t n) {
    n = n < remaining() ? n : remaining();
    std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view Rest() { return Bytes(remaining()); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace csvfs::fuzz
