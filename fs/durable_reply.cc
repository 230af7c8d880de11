#include "fs/durable_reply.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "fs/status_errno.h"

namespace csvfs::fs {

void ReplyWhenDurable(Request& r, uint64_t lsn, const char* op,
                      std::function<void(fuse_req_t)> on_ok) {
  Filesystem& fs = r.fs();
  if (lsn == 0 || fs.options().sync == core::SyncMode::kOff) {
    on_ok(r.Detach());
    return;
  }
  uint32_t pid = r.pid();
  fuse_req_t req = r.Detach();
  auto ok = std::make_shared<std::function<void(fuse_req_t)>>(std::move(on_ok));
  fs.engine().WhenDurable(lsn, [req, ok, op, pid](core::Status s) {
    try {
      if (s.ok()) {
        (*ok)(req);
        return;
      }
      spdlog::error("{} by pid {}: not durable: {}", op, pid, s.ToString());
      fuse_reply_err(req, StatusToErrno(s));
    } catch (...) {
      fuse_reply_err(req, EIO);
    }
  });
}

void ReplyOkWhenDurable(Request& r, uint64_t lsn, const char* op) {
  ReplyWhenDurable(r, lsn, op, [](fuse_req_t req) { fuse_reply_err(req, 0); });
}

}  // namespace csvfs::fs
