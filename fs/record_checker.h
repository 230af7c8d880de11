// RecordChecker: checks the records of a rewritten file (the table opened with O_TRUNC, a row
// file) as the write() that completes each one arrives, so that the write itself fails with
// EINVAL (SPEC 3 "Rewriting"): shells discard the error of the close that restores their
// stdout, so `echo bad > rows/7` must fail at write() to be seen.
//
// Only sequential writes are checked this way (each write starting where the previous one
// ended, from where the checked bytes end); the first out-of-order write switches the checker
// off and the whole image is checked at close, as before. Rules:
//   - every record has the header's field count (unless `ragged`): for the table, its own
//     first record (the image's header); for a row file, the table's;
//   - a row file holds one record (a second one fails the write that completes it);
//   - in key mode, a row file's key field equals its name;
//   - the bytes are CSV (no stray quote, no NUL, ...).
// Empty lines are not records and are skipped. The image is read only through RewriteImage's
// public API. FUSE-free; not thread-safe (the owning handle serializes calls).
// Cost: each written byte is scanned once; a checked record is split into fields only for the
// key check.
#pragma once

#include <cstdint>
#include <string>

#include "core/csv.h"
#include "core/status.h"
#include "fs/rewrite_image.h"

namespace csvfs::fs {

struct RecordRules {
  bool row_file = false;        // rows/<id>: one record
  uint32_t field_count = 0;     // rows/: the table's (0: unknown); the table: taken from the image
  bool ragged = false;          // field counts are not checked
  int key_column = -1;          // rows/ in key mode: the key field (0-based)
  std::string key;              // ... and the value it must have (the file name)
  uint32_t records_before = 0;  // records already in [0, checked_end) (an O_APPEND row file: 1)
};

class RecordChecker {
 public:
  // `checked_end`: the image's bytes before it are valid and complete (0 after O_TRUNC, the
  // row's content for an O_APPEND row file). Writes continue from there. `!active`: checks
  // nothing until an ftruncate to 0 (an image whose last record may lack its line ending:
  // a write after it could complete that record).
  RecordChecker(RecordRules rules, uint64_t checked_end, bool active = true);

  // A write of `len` bytes at `off` has just been applied to `image`. Checks the records it
  // completed; kInvalid names the first bad one. Once a check failed or the writes went out of
  // order, it returns OK and checks nothing more (the close checks the image).
  core::Status AfterWrite(const RewriteImage& image, uint64_t off, uint64_t len);
  // The image was truncated (ftruncate) to `size`. To 0: checking starts over; a no-op keeps
  // it going; anything else switches it off.
  void AfterTruncate(uint64_t size);

  bool active() const { return active_; }

 private:
  core::Status Check(std::string_view record, const core::RecordSpan& span);

  RecordRules initial_;
  RecordRules rules_;
  bool active_ = true;
  uint64_t next_;         // where the next sequential write must start
  uint64_t records_ = 0;  // records checked so far (including rules.records_before)
  core::CsvScanner scanner_;
};

// The 0-based index of key column `key` in `header` (a record, with or without terminator):
// by name (a UTF-8 byte order mark before the first name is ignored), or with `!has_header`
// by number 1..N. -1 if it cannot be resolved.
int KeyColumnIndex(std::string_view header, const std::string& key, bool has_header);

}  // namespace csvfs::fs
