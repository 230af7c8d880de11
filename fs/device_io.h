// DeviceIo: the session's reads and writes of /dev/fuse, through libfuse 3.14's custom io
// hook, so that the INIT reply can ask for one kernel feature libfuse 3.14 cannot name:
// FUSE_DIRECT_IO_ALLOW_MMAP (protocol 7.39, Linux >= 6.6).
//
// Why: table readers are opened with direct_io. A page-cached reader can copy stale zeros
// from the page at an earlier end of file when a concurrent O_APPEND write grows i_size
// (the kernel's read path takes its folio reference before it reads i_size, and an
// invalidation cannot take the folio back), so cached reads of a growing file can be torn.
// direct_io reads go to the daemon, which serves whole records from a snapshot; but without
// DIRECT_IO_ALLOW_MMAP the kernel refuses MAP_SHARED mappings of direct_io files (ENODEV).
//
// Only the INIT reply is changed, and only when the kernel's INIT request offered the flag.
// FUSE-free header; thread-safe (atomics).
#pragma once

#include <atomic>
#include <cstdint>

namespace csvfs::fs {

struct DeviceIoState {
  std::atomic<uint64_t> init_unique{0};
  std::atomic<bool> init_seen{false};
  std::atomic<bool> kernel_offers_mmap{false};  // the kernel's INIT offered the flag
  std::atomic<bool> mmap_enabled{false};        // our INIT reply asked for it
};

// Installs the hook on `session` (a fuse_session*, already mounted, whose userdata is the
// Filesystem that owns the state). Returns 0 or a negative errno.
int InstallDeviceIo(void* session, int fd);

// Pure parts, unit-tested: inspect a request read from the device, amend an INIT reply.
// `buf` holds one request; returns true if it was FUSE_INIT (state updated).
bool NoteRequest(const void* buf, size_t len, DeviceIoState* state);
// `header`/`arg`: the reply's fuse_out_header and fuse_init_out bytes. Returns true if the
// reply was amended to ask for DIRECT_IO_ALLOW_MMAP.
bool AmendInitReply(const void* header, size_t header_len, void* arg, size_t arg_len,
                    DeviceIoState* state);

}  // namespace csvfs::fs
