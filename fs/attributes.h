// Attributes (struct stat) of every kind of node. FUSE-free.
#pragma once

#include <sys/stat.h>

#include <cstdint>

#include "core/version.h"
#include "fs/filesystem.h"
#include "fs/inode_table.h"

namespace csvfs::fs {

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
