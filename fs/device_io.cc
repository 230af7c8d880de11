#include "fs/device_io.h"

#include <fuse_lowlevel.h>
#include <linux/fuse.h>
#include <spdlog/spdlog.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <algorithm>
#include <cstring>

#include "fs/filesystem.h"

namespace csvfs::fs {
namespace {

// From Linux's include/uapi/linux/fuse.h 7.39; Debian bookworm's header stops at 7.38.
constexpr uint64_t kDirectIoAllowMmap = 1ULL << 36;
constexpr uint32_t kDirectIoAllowMmap2 = static_cast<uint32_t>(kDirectIoAllowMmap >> 32);

// The session's userdata is the Filesystem.
DeviceIoState* StateOf(void* userdata) {
  return userdata == nullptr ? nullptr : &static_cast<Filesystem*>(userdata)->device_io();
}

ssize_t Read(int fd, void* buf, size_t len, void* userdata) {
  ssize_t n = ::read(fd, buf, len);
  if (n > 0) {
    if (DeviceIoState* s = StateOf(userdata); s != nullptr && !s->init_seen.load()) {
      NoteRequest(buf, static_cast<size_t>(n), s);
    }
  }
  return n;
}

ssize_t Writev(int fd, struct iovec* iov, int count, void* userdata) {
  DeviceIoState* s = StateOf(userdata);
  if (s != nullptr && count >= 2 && s->init_seen.load() && !s->mmap_enabled.load() &&
      s->kernel_offers_mmap.load()) {
    AmendInitReply(iov[0].iov_base, iov[0].iov_len, iov[1].iov_base, iov[1].iov_len, s);
  }
  return ::writev(fd, iov, count);
}

}  // namespace

bool NoteRequest(const void* buf, size_t len, DeviceIoState* state) {
  fuse_in_header in;
  if (len < sizeof in) return false;
  std::memcpy(&in, buf, sizeof in);
  if (in.opcode != FUSE_INIT) return false;
  fuse_init_in init;
  std::memset(&init, 0, sizeof init);
  std::memcpy(&init, static_cast<const char*>(buf) + sizeof in,
              std::min(sizeof init, len - sizeof in));
  bool ext = (init.flags & FUSE_INIT_EXT) != 0;
  state->kernel_offers_mmap.store(ext && (init.flags2 & kDirectIoAllowMmap2) != 0);
  state->init_unique.store(in.unique);
  state->init_seen.store(true);
  return true;
}

bool AmendInitReply(const void* header, size_t header_len, void* arg, size_t arg_len,
                    DeviceIoState* state) {
  fuse_out_header out;
  if (header_len < sizeof out) return false;
  std::memcpy(&out, header, sizeof out);
  if (out.unique != state->init_unique.load() || out.error != 0) return false;
  if (!state->kernel_offers_mmap.load()) return false;
  if (arg_len < offsetof(fuse_init_out, flags2) + sizeof(uint32_t)) return false;
  auto* reply = static_cast<char*>(arg);
  uint32_t flags, flags2;
  std::memcpy(&flags, reply + offsetof(fuse_init_out, flags), sizeof flags);
  std::memcpy(&flags2, reply + offsetof(fuse_init_out, flags2), sizeof flags2);
  flags |= FUSE_INIT_EXT;  // the kernel offered it (it sent flags2)
  flags2 |= kDirectIoAllowMmap2;
  std::memcpy(reply + offsetof(fuse_init_out, flags), &flags, sizeof flags);
  std::memcpy(reply + offsetof(fuse_init_out, flags2), &flags2, sizeof flags2);
  state->mmap_enabled.store(true);
  return true;
}

int InstallDeviceIo(void* session, int fd) {
  static const fuse_custom_io io = {Writev, Read, nullptr, nullptr};
  return fuse_session_custom_io(static_cast<fuse_session*>(session), &io, fd);
}

}  // namespace csvfs::fs
