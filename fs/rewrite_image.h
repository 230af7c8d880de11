// RewriteImage: the private image of a file opened for rewriting (the table without
// O_APPEND, or a row file), and its commit epochs. FUSE-free; not thread-safe (the owning
// handle serializes calls).
//
// Epochs: every flush (close of any duplicate descriptor) or fsync ends an epoch. An epoch
// with writes is committed at its end. An epoch with only a truncate is NOT committed at
// flush (the shell's `cmd > f` opens with O_TRUNC, dup2()s and closes the original before
// anything is written), but at release if nothing else was committed through the handle
// (`: > f`).
//
// A failed write or truncate (EFBIG) voids its epoch: nothing of it is committed, not even
// an O_TRUNC at open, later writes of the epoch fail with the same error, and so does the
// flush that ends it (TakeEpochError). A program that ignores a failed write() and closes
// therefore changes nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/version.h"

namespace csvfs::fs {

class RewriteImage {
 public:
  // `image`: the starting content; `truncated`: it was emptied by O_TRUNC at open.
  // `base`: the snapshot the image derives from (for the row-level merge).
  RewriteImage(std::string image, core::Snapshot base, bool truncated, uint64_t max_bytes);

  // Writes `data` at `off` (zero-filling a gap). kTooBig past max_bytes.
  core::Status Write(uint64_t off, std::string_view data);
  // Appends at the end (O_APPEND on a rewritten handle).
  core::Status Append(std::string_view data);
  // Sets the size (zero-filling growth). kTooBig past max_bytes.
  core::Status Truncate(uint64_t size);
  // Copies up to len bytes at off; the number copied.
  size_t Read(uint64_t off, char* buf, size_t len) const;

  // Whether the epoch ending with a flush/fsync should be committed.
  bool ShouldCommitAtFlush() const { return written_ && epoch_error_.ok(); }
  // Whether anything is left to commit when the handle is released.
  bool ShouldCommitAtRelease() const {
    return epoch_error_.ok() && (written_ || (truncated_ && !committed_));
  }
  // The error that voided the current epoch (OK if none); ends that epoch.
  core::Status TakeEpochError();
  // Marks the current epoch committed; later writes start a new epoch against `new_base`.
  void MarkCommitted(core::Snapshot new_base);
  // Voids the current epoch with `error` (a write whose content was refused): as a failed
  // write does, so later writes of the epoch and the flush that ends it fail with it.
  void FailEpoch(core::Status error);
  // Drops the current epoch's changes from consideration (after a failed commit; the
  // image keeps its bytes so that a retry through fsync can commit them again if written).
  void MarkFailed();

  const std::string& data() const { return image_; }
  const core::Snapshot& base() const { return base_; }
  uint64_t size() const { return image_.size(); }
  bool committed_any() const { return committed_; }

 private:
  std::string image_;
  core::Snapshot base_;
  uint64_t max_bytes_;
  bool written_ = false;    // writes in this epoch
  bool truncated_ = false;  // a truncate in this epoch
  bool committed_ = false;  // an epoch was committed through this handle
  core::Status epoch_error_;  // a write of this epoch failed: it commits nothing
};

}  // namespace csvfs::fs
