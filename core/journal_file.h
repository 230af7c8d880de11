// Reading a journal-format file (the journal, journal.new or the ids file) from a Directory:
// its frames scanned (core/journal.h) and decoded (core/op.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/op.h"
#include "core/status.h"

namespace csvfs::core {

struct JournalImage {
  std::unique_ptr<ReadOnlyFile> file;
  JournalBase base;
  bool has_base = false;
  std::vector<Op> ops;
  bool torn = false;  // bytes after the valid frames that are not preallocated zeros
  uint64_t valid_bytes = 0;
  // Valid frames cut with the tail because a never-written sector precedes them (see
  // journal.h), and the bytes from valid_bytes to the end of the last of them.
  uint64_t dropped_frames = 0;
  uint64_t dropped_bytes = 0;
};

// Reads and decodes `name`; nullopt if it does not exist. kCorruption (naming the file) if
// it is corrupt in the middle or a record does not decode.
Result<std::optional<JournalImage>> ReadJournal(Directory* dir, const std::string& name);

}  // namespace csvfs::core
