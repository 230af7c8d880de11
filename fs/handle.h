// Handle: the adapter's state for one open file or directory (a FUSE file handle).
// FUSE-free. `mu` serializes the requests of one handle; it is never held across a reply.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/version.h"
#include "fs/append_buffer.h"
#include "fs/record_checker.h"
#include "fs/rewrite_image.h"
#include "fs/sidecar.h"

namespace csvfs::fs {

enum class HandleKind {
  kTableRead,     // read-only open of the table: snapshot reads, page cache
  kTableAppend,   // O_APPEND open of the table (reads, if O_RDWR, like kTableRead)
  kTableRewrite,  // any other writable open of the table: private image
  kRowRead,       // read-only open of rows/<id>: content captured at open
  kRowWrite,      // writable open of rows/<id>: private image, PutRow at flush
  kSidecar,       // a regular file of the sidecar (fs/sidecar.h): an open descriptor
  kStatus,        // .csvfs-status: text rendered at open
  kDir,           // the root, rows/ or a sidecar directory: entries captured at opendir
};

struct DirEntry {
  std::string name;
  uint64_t ino = 0;
  mode_t type = 0;  // S_IFDIR or S_IFREG
};

struct Handle {
  Handle(HandleKind k, uint64_t inode, int open_flags, uint32_t pid)
      : kind(k), ino(inode), flags(open_flags), open_pid(pid) {}

  const HandleKind kind;
  const uint64_t ino;
  const int flags;
  const uint32_t open_pid;

  std::mutex mu;  // guards everything below

  core::Snapshot snap;                   // table reads: snapshot at open (advances, see op_read)
  uint64_t open_number = 0;              // table reads: snap's version number at open
  uint32_t recorded_pid = 0;             // table reads: last (pid, version) noted in
  uint64_t recorded_number = 0;          //   PidSnapshots by a read
  std::unique_ptr<AppendBuffer> append;  // kTableAppend
  uint64_t last_lsn = 0;                 // newest commit made through this handle
  std::unique_ptr<RewriteImage> image;   // kTableRewrite, kRowWrite
  std::unique_ptr<RecordChecker> checker;  // kTableRewrite, kRowWrite: checks at each write()
  bool size_set = false;                   // kTableRewrite, kRowWrite: ftruncate in this epoch
  std::string content;                   // kRowRead, kStatus
  std::string row_id;                    // kRowRead, kRowWrite
  bool row_create = false;               // kRowWrite: insert the row at commit
  bool row_exclusive = false;            // kRowWrite: O_EXCL creation
  bool row_reserved = false;             // kRowWrite: holds a KeyReservations entry
  bool row_emptied = false;              // kRowWrite: a flush refused an emptied row file
  std::shared_ptr<SidecarNode> side;     // kSidecar
  UniqueFd file;                         // kSidecar: the open file
  bool wrote = false;                    // kSidecar: written through since the last flush
  std::vector<DirEntry> entries;         // kDir
};

}  // namespace csvfs::fs
