// Unit tests of fs/device_io: the INIT reply asks for FUSE_DIRECT_IO_ALLOW_MMAP exactly when
// the kernel's INIT request offered it, and nothing else is touched.
#include <linux/fuse.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "fs/device_io.h"

using csvfs::fs::AmendInitReply;
using csvfs::fs::DeviceIoState;
using csvfs::fs::NoteRequest;

namespace {

constexpr uint32_t kAllowMmap2 = 1u << 4;  // FUSE_DIRECT_IO_ALLOW_MMAP (bit 36) in flags2

std::string Request(uint32_t opcode, uint64_t unique, uint32_t flags, uint32_t flags2) {
  fuse_in_header in{};
  in.opcode = opcode;
  in.unique = unique;
  fuse_init_in init{};
  init.major = 7;
  init.minor = 39;
  init.flags = flags;
  init.flags2 = flags2;
  in.len = sizeof in + sizeof init;
  std::string buf(reinterpret_cast<const char*>(&in), sizeof in);
  buf.append(reinterpret_cast<const char*>(&init), sizeof init);
  return buf;
}

struct Reply {
  fuse_out_header out{};
  fuse_init_out init{};
  Reply(uint64_t unique, int32_t error, uint32_t flags) {
    out.unique = unique;
    out.error = error;
    init.flags = flags;
  }
  bool Amend(DeviceIoState* s) { return AmendInitReply(&out, sizeof out, &init, sizeof init, s); }
};

}  // namespace

TEST_CASE("fs: device io: INIT asks for MAP_SHARED on direct_io files when offered", "[fs]") {
  DeviceIoState s;
  std::string lookup = Request(FUSE_LOOKUP, 1, 0, 0);
  CHECK_FALSE(NoteRequest(lookup.data(), lookup.size(), &s));
  CHECK_FALSE(s.init_seen.load());

  std::string init = Request(FUSE_INIT, 2, FUSE_INIT_EXT | FUSE_ASYNC_READ, kAllowMmap2);
  REQUIRE(NoteRequest(init.data(), init.size(), &s));
  CHECK(s.kernel_offers_mmap.load());

  Reply other(3, 0, FUSE_ASYNC_READ);  // not the INIT reply: untouched
  CHECK_FALSE(other.Amend(&s));
  CHECK(other.init.flags == FUSE_ASYNC_READ);
  CHECK(other.init.flags2 == 0);

  Reply failed(2, -EPROTO, 0);  // an error reply: untouched
  CHECK_FALSE(failed.Amend(&s));
  CHECK(failed.init.flags2 == 0);

  Reply ok(2, 0, FUSE_ASYNC_READ | FUSE_BIG_WRITES);
  ok.init.flags2 = 1u << 1;  // a bit libfuse set itself stays set
  REQUIRE(ok.Amend(&s));
  CHECK(ok.init.flags == (FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_INIT_EXT));
  CHECK(ok.init.flags2 == ((1u << 1) | kAllowMmap2));
  CHECK(s.mmap_enabled.load());
}

TEST_CASE("fs: device io: nothing is asked of a kernel that did not offer it", "[fs]") {
  for (uint32_t flags : {uint32_t{FUSE_ASYNC_READ}, uint32_t{FUSE_INIT_EXT}}) {
    DeviceIoState s;
    // Without FUSE_INIT_EXT the kernel sends no flags2 at all; with it, the bit is not set.
    std::string init = Request(FUSE_INIT, 7, flags, 0);
    REQUIRE(NoteRequest(init.data(), init.size(), &s));
    CHECK_FALSE(s.kernel_offers_mmap.load());
    Reply r(7, 0, FUSE_ASYNC_READ);
    CHECK_FALSE(r.Amend(&s));
    CHECK(r.init.flags == FUSE_ASYNC_READ);
    CHECK(r.init.flags2 == 0);
    CHECK_FALSE(s.mmap_enabled.load());
  }
  // A short buffer is not taken for a request.
  DeviceIoState s;
  std::string init = Request(FUSE_INIT, 9, FUSE_INIT_EXT, kAllowMmap2);
  CHECK_FALSE(NoteRequest(init.data(), sizeof(fuse_in_header) - 1, &s));
}
