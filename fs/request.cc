#include "fs/request.h"

#include <spdlog/spdlog.h>

#include <cerrno>

namespace csvfs::fs {

Request::Request(fuse_req_t req, bool no_reply) : req_(req), no_reply_(no_reply) {}

Request::~Request() {
  if (done_) return;
  if (no_reply_) {
    fuse_reply_none(req_);
  } else {
    spdlog::error("internal error: a request was left without a reply; answering EIO");
    fuse_reply_err(req_, EIO);
  }
}

Filesystem& Request::fs() const { return *static_cast<Filesystem*>(fuse_req_userdata(req_)); }
// The process, not the thread, that made the request (fs/process_id.h says why).
uint32_t Request::pid() const {
  return fs().processes().Of(static_cast<uint32_t>(fuse_req_ctx(req_)->pid));
}
uint32_t Request::uid() const { return static_cast<uint32_t>(fuse_req_ctx(req_)->uid); }
uint32_t Request::gid() const { return static_cast<uint32_t>(fuse_req_ctx(req_)->gid); }

void Request::Finish(int rc) {
  done_ = true;
  if (rc < 0 && rc != -ENOENT) spdlog::debug("reply failed: {}", rc);
}

void Request::ReplyErr(int err) {
  done_ = true;
  Finish(fuse_reply_err(req_, err));
}
void Request::ReplyEntry(const fuse_entry_param& e) {
  done_ = true;
  Finish(fuse_reply_entry(req_, &e));
}
int Request::ReplyCreate(const fuse_entry_param& e, const fuse_file_info* fi) {
  done_ = true;
  return fuse_reply_create(req_, &e, fi);
}
void Request::ReplyAttr(const struct stat& st, double timeout) {
  done_ = true;
  Finish(fuse_reply_attr(req_, &st, timeout));
}
int Request::ReplyOpen(const fuse_file_info* fi) {
  done_ = true;
  return fuse_reply_open(req_, fi);
}
void Request::ReplyWrite(size_t count) {
  done_ = true;
  Finish(fuse_reply_write(req_, count));
}
void Request::ReplyBuf(const char* buf, size_t size) {
  done_ = true;
  Finish(fuse_reply_buf(req_, buf, size));
}
void Request::ReplyStatfs(const struct statvfs& st) {
  done_ = true;
  Finish(fuse_reply_statfs(req_, &st));
}
void Request::ReplyReadlink(const std::string& target) {
  done_ = true;
  Finish(fuse_reply_readlink(req_, target.c_str()));
}
void Request::ReplyNone() {
  done_ = true;
  fuse_reply_none(req_);
}
fuse_req_t Request::Detach() {
  done_ = true;
  return req_;
}

void LogHandlerException(const char* op, const char* what) {
  try {
    spdlog::error("{}: unexpected failure: {}", op, what);
  } catch (...) {
  }
}

}  // namespace csvfs::fs
