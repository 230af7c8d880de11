#include "fs/rewrite_image.h"

#include <algorithm>
#include <cstring>

namespace csvfs::fs {

RewriteImage::RewriteImage(std::string image, core::Snapshot base, bool truncated,
                           uint64_t max_bytes)
    : image_(std::move(image)),
      base_(std::move(base)),
      max_bytes_(max_bytes),
      truncated_(truncated) {}

core::Status RewriteImage::Write(uint64_t off, std::string_view data) {
  if (!epoch_error_.ok()) return epoch_error_;
  uint64_t end = off + data.size();
  if (max_bytes_ != 0 && end > max_bytes_) {
    epoch_error_ = core::Status::TooBig("staged image over " + std::to_string(max_bytes_) +
                                        " bytes");
    return epoch_error_;
  }
  if (end > image_.size()) image_.resize(end, '\0');
  std::memcpy(image_.data() + off, data.data(), data.size());
  written_ = true;
  return core::Status::Ok();
}

core::Status RewriteImage::Append(std::string_view data) { return Write(image_.size(), data); }

core::Status RewriteImage::Truncate(uint64_t size) {
  if (!epoch_error_.ok()) return epoch_error_;
  if (max_bytes_ != 0 && size > max_bytes_) {
    epoch_error_ = core::Status::TooBig("staged image over " + std::to_string(max_bytes_) +
                                        " bytes");
    return epoch_error_;
  }
  image_.resize(size, '\0');
  truncated_ = true;
  return core::Status::Ok();
}

size_t RewriteImage::Read(uint64_t off, char* buf, size_t len) const {
  if (off >= image_.size()) return 0;
  size_t n = std::min<uint64_t>(len, image_.size() - off);
  std::memcpy(buf, image_.data() + off, n);
  return n;
}

void RewriteImage::MarkCommitted(core::Snapshot new_base) {
  if (new_base) base_ = std::move(new_base);
  written_ = false;
  truncated_ = false;
  committed_ = true;
}

void RewriteImage::FailEpoch(core::Status error) {
  if (epoch_error_.ok()) epoch_error_ = std::move(error);
}

core::Status RewriteImage::TakeEpochError() {
  core::Status e = std::move(epoch_error_);
  epoch_error_ = core::Status::Ok();
  if (!e.ok()) MarkFailed();
  return e;
}

void RewriteImage::MarkFailed() {
  written_ = false;
  truncated_ = false;
}

}  // namespace csvfs::fs
