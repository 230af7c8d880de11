// Request: one FUSE request and the guarantee that it is answered exactly once.
//
// Handlers receive a Request&, decode, act and call exactly one Reply*() — or Detach() the
// raw request to answer it later from another thread (e.g. when a commit is durable).
// Guard() runs a handler, catches every exception before it reaches libfuse's C frames, and
// replies with an error if the handler neither replied nor detached.
#pragma once

#include <fuse_lowlevel.h>

#include <string>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstdint>
#include <exception>
#include <new>

#include "fs/filesystem.h"

namespace csvfs::fs {

class Request {
 public:
  // `no_reply`: the operation is answered with fuse_reply_none (forget).
  explicit Request(fuse_req_t req, bool no_reply = false);
  ~Request();
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  Filesystem& fs() const;
  uint32_t pid() const;
  uint32_t uid() const;
  uint32_t gid() const;

  void ReplyErr(int err);  // err 0 acknowledges success for operations without a payload
  void ReplyEntry(const fuse_entry_param& e);
  // Return libfuse's result: -ENOENT means the opener is gone and no release will follow.
  int ReplyCreate(const fuse_entry_param& e, const fuse_file_info* fi);
  void ReplyAttr(const struct stat& st, double timeout);
  int ReplyOpen(const fuse_file_info* fi);
  void ReplyWrite(size_t count);
  void ReplyBuf(const char* buf, size_t size);
  void ReplyStatfs(const struct statvfs& st);
  void ReplyReadlink(const std::string& target);
  void ReplyNone();
  // Hands the reply over to the caller (who must answer the returned request exactly once).
  fuse_req_t Detach();
  bool done() const { return done_; }

 private:
  void Finish(int rc);
  fuse_req_t req_;
  bool no_reply_;
  bool done_ = false;
};

// Logs an exception that escaped a handler.
void LogHandlerException(const char* op, const char* what);

template <typename Fn>
void Guard(fuse_req_t req, const char* op, bool no_reply, Fn&& fn) noexcept {
  Request r(req, no_reply);
  try {
    fn(r);
  } catch (const std::bad_alloc&) {
    LogHandlerException(op, "out of memory");
    if (!r.done()) r.ReplyErr(ENOMEM);
  } catch (const std::exception& e) {
    LogHandlerException(op, e.what());
    if (!r.done()) r.ReplyErr(EIO);
  } catch (...) {
    LogHandlerException(op, "unknown exception");
    if (!r.done()) r.ReplyErr(EIO);
  }
}

}  // namespace csvfs::fs
