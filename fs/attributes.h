// Attributes (struct stat) of every kind of node. FUSE-free.
#pragma once

#include <sys/stat.h>

#include <cstdint>

#include "core/version.h"
#include "fs/filesystem.h"
#include "fs/inode_table.h"

namespace csvfs::fs {

// st_blksize of every file: programs size their I/O from it (coreutils: at least 128 KiB;
// glibc stdio: at most 8 KiB, so anything over 8 KiB gives sed, awk and perl 8 KiB requests
// rather than the 4 KiB of a default FUSE file), and each FUSE request costs a round trip.
inline constexpr blksize_t kPreferredIoBytes = 128 * 1024;

// Fills *st for `ino` and the cache timeout to hand the kernel. Returns 0 or an errno
// (ENOENT for an unknown inode or a row that no longer exists).
int StatInode(Filesystem& fs, uint64_t ino, struct stat* st, double* timeout);

// The version a table inode describes: the current version if it is of the inode's lineage
// (appends extend it), else the newest version of its lineage seen (frozen).
core::Snapshot TableVersionFor(Filesystem& fs, uint64_t ino);

void FillTableAttr(const Filesystem& fs, uint64_t ino, const core::Version& v, struct stat* st);
void FillRowAttr(const Filesystem& fs, uint64_t ino, uint64_t size, int64_t mtime_ns,
                 struct stat* st);
// The attributes of a sidecar object, with its FUSE inode number; 0 or an errno.
int FillSidecarAttr(const SidecarNode& node, struct stat* st);

}  // namespace csvfs::fs
