// crc32c: the three-stream hardware path agrees with the byte-wise table at every length and
// alignment around its round size (3 x 16 KiB), and extending a crc equals one pass.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "core/crc32c.h"
#include "core/journal.h"

namespace csvfs::testing {

TEST_CASE("crc32c: three interleaved streams agree with the table across round boundaries") {
  std::mt19937 rng(11);
  std::string buf(200 << 10, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  constexpr size_t kRound = 3 * (16 << 10);
  for (size_t start : {0, 1, 5, 8}) {
    for (size_t len : {kRound - 9, kRound - 1, kRound, kRound + 1, kRound + 7, 2 * kRound,
                       2 * kRound + 13, 3 * kRound + 100, buf.size() - 8}) {
      INFO("start " << start << " len " << len);
      const uint32_t sw = core::internal::Crc32cSoftware(0x1234u, buf.data() + start, len);
      const uint32_t hw = core::internal::Crc32cHardware(0x1234u, buf.data() + start, len);
      REQUIRE(sw == hw);
      REQUIRE(core::Crc32c(0x1234u, buf.data() + start, len) == sw);
    }
  }
  const uint32_t whole = core::Crc32c(buf);
  for (size_t cut : {size_t{1}, size_t{4096}, kRound + 3, buf.size() - 1}) {
    CHECK(core::Crc32c(core::Crc32c(0, buf.data(), cut), buf.data() + cut, buf.size() - cut) ==
          whole);
  }
}

}  // namespace csvfs::testing
