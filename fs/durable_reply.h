// Replies that wait for durability without pinning a FUSE worker thread: the request is
// detached and answered from the engine's syncer thread once the commit is durable.
#pragma once

#include <fuse_lowlevel.h>

#include <cstdint>
#include <functional>

#include "fs/request.h"

namespace csvfs::fs {

// Answers `r` once everything up to `lsn` is durable under the mount's sync= mode:
// `on_ok(req)` (which must reply exactly once) on success, the failure's errno otherwise.
// lsn 0, or sync=off: answers at once.
void ReplyWhenDurable(Request& r, uint64_t lsn, const char* op,
                      std::function<void(fuse_req_t)> on_ok);

// Shorthand: replies 0 (success) once durable.
void ReplyOkWhenDurable(Request& r, uint64_t lsn, const char* op);

}  // namespace csvfs::fs
