// ChunkedVector: elements past the individually allocated chunks (in huge-page extents) keep
// their values and default-initialize like the first ones; memory grows by whole extents only.
#include <catch2/catch.hpp>

#include <cstdint>

#include "core/chunked_vector.h"

namespace csvfs::testing {
namespace {

struct Defaulted {
  uint32_t a = 7;
  uint32_t b = 9;
};

}  // namespace

TEST_CASE("chunked vector: values survive across chunks and extents, and after clear") {
  using V = core::ChunkedVector<uint64_t>;
  V v;
  const size_t n = (V::kSmallChunks + 2 * V::kExtentChunks + 3) * V::kChunk + 5;
  for (size_t i = 0; i < n; ++i) v.push_back(i * 3 + 1);
  REQUIRE(v.size() == n);
  for (size_t i = 0; i < n; i += 997) REQUIRE(v[i] == i * 3 + 1);
  CHECK(v[n - 1] == (n - 1) * 3 + 1);
  CHECK(v.back() == (n - 1) * 3 + 1);
  // Four extents beyond the small chunks: the bytes of the elements plus less than one extent.
  CHECK(v.MemoryBytes() >= n * sizeof(uint64_t));
  CHECK(v.MemoryBytes() < n * sizeof(uint64_t) + V::kExtentBytes + V::kChunk * sizeof(uint64_t));
  v.clear();
  CHECK(v.size() == 0);
  for (size_t i = 0; i < n; ++i) v.push_back(i);
  for (size_t i = 0; i < n; i += 1013) REQUIRE(v[i] == i);
}

TEST_CASE("chunked vector: elements in extents are default-initialized") {
  using V = core::ChunkedVector<Defaulted>;
  V v;
  const size_t n = (V::kSmallChunks + 1) * V::kChunk + 1;
  for (size_t i = 0; i < n; ++i) v.push_back(Defaulted{uint32_t(i), 1});
  // The rest of the last chunk was default-constructed (readers never see it, but the
  // element type's initializers ran as they do for heap chunks).
  const Defaulted& past = *(&v[n - 1] + 1);
  CHECK(past.a == 7);
  CHECK(past.b == 9);
  CHECK(v[n - 1].a == uint32_t(n - 1));
}

}  // namespace csvfs::testing
