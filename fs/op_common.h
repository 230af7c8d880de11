// Helpers shared by the FUSE operation handlers.
#pragma once

#include <fuse_lowlevel.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "fs/filesystem.h"
#include "fs/handle.h"
#include "fs/request.h"

namespace csvfs::fs {

// Fills *e for `name` in directory `parent`, taking one lookup reference on success.
// Returns 0 or an errno (ENOENT for a missing name).
int LookupEntry(Filesystem& fs, fuse_ino_t parent, std::string_view name, fuse_entry_param* e);

// The directory descriptor behind `parent` when it is the root (the sidecar's own directory,
// for every name but the fixed ones) or a sidecar directory; -1 with *err (ENOTDIR, ENOENT)
// otherwise. *keep holds the node whose descriptor is returned alive.
int SidecarDirFd(Filesystem& fs, fuse_ino_t parent, std::shared_ptr<SidecarNode>* keep, int* err);

// Looks up `name` in sidecar directory `dir_fd` and fills *e (one lookup reference).
int LookupSidecar(Filesystem& fs, int dir_fd, const std::string& name, fuse_entry_param* e);

// The handle of `fi`, or nullptr.
std::shared_ptr<Handle> HandleOf(Filesystem& fs, const fuse_file_info* fi);

// Replies with the errno of a failed engine Status.
void ReplyStatus(Request& r, const core::Status& s);

// Registers `h`, sets fi->fh and replies to the open/create (entry given: create). If the
// opener vanished meanwhile, undoes the registration.
void ReplyOpened(Request& r, std::shared_ptr<Handle> h, fuse_file_info* fi,
                 const fuse_entry_param* entry);

// What each write() to a rewritten table or to row file `id` is checked against
// (fs/record_checker.h): the table's own header; the table's field count and key column.
RecordRules TableRules(Filesystem& fs);
RecordRules RowRules(Filesystem& fs, const core::Version& table, std::string_view id);

// Releases what a handle holds beyond its memory (row key reservations).
void DropHandleResources(Filesystem& fs, Handle& h);

namespace ops {
// Opens an existing node for `fi->flags` (op_open.cc); nullptr with *err on failure.
std::shared_ptr<Handle> OpenNode(Request& r, fuse_ino_t ino, fuse_file_info* fi, int* err);
}  // namespace ops

}  // namespace csvfs::fs
