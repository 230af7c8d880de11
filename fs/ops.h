// The FUSE low-level operations of csvfs: one handler per operation, named after it, in the
// file fs/op_<group>.cc. Each handler decodes, acts and replies exactly once through its
// Request (or detaches it for a delayed reply). fs/ops_table.cc wires them into libfuse.
#pragma once

#include <fcntl.h>
#include <fuse_lowlevel.h>

#include <string>

#include "fs/request.h"

namespace csvfs::fs::ops {

// op_session.cc
void Init(void* userdata, fuse_conn_info* conn);
void Statfs(Request& r, fuse_ino_t ino);
void Access(Request& r, fuse_ino_t ino, int mask);

// op_lookup.cc
void Lookup(Request& r, fuse_ino_t parent, const char* name);
void Forget(Request& r, fuse_ino_t ino, uint64_t nlookup);
void ForgetMulti(Request& r, size_t count, fuse_forget_data* forgets);

// op_attr.cc
void Getattr(Request& r, fuse_ino_t ino, fuse_file_info* fi);
void Setattr(Request& r, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi);

// op_open.cc
void Open(Request& r, fuse_ino_t ino, fuse_file_info* fi);

// op_create.cc
void Create(Request& r, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi);
void Mknod(Request& r, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev);

// op_read.cc
void Read(Request& r, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);

// op_write.cc
void Write(Request& r, fuse_ino_t ino, const char* buf, size_t size, off_t off, fuse_file_info* fi);

// op_close.cc
void Flush(Request& r, fuse_ino_t ino, fuse_file_info* fi);
void Fsync(Request& r, fuse_ino_t ino, int datasync, fuse_file_info* fi);
void Release(Request& r, fuse_ino_t ino, fuse_file_info* fi);

// op_dir.cc
void Opendir(Request& r, fuse_ino_t ino, fuse_file_info* fi);
void Readdir(Request& r, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);
void Releasedir(Request& r, fuse_ino_t ino, fuse_file_info* fi);
void Fsyncdir(Request& r, fuse_ino_t ino, int datasync, fuse_file_info* fi);

// op_unlink.cc
void Unlink(Request& r, fuse_ino_t parent, const char* name);
void Rmdir(Request& r, fuse_ino_t parent, const char* name);

// op_rename.cc
void Rename(Request& r, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
            const char* newname, unsigned int flags);

// op_links.cc
void Mkdir(Request& r, fuse_ino_t parent, const char* name, mode_t mode);
void Symlink(Request& r, const char* link, fuse_ino_t parent, const char* name);
void Link(Request& r, fuse_ino_t ino, fuse_ino_t newparent, const char* newname);
void Readlink(Request& r, fuse_ino_t ino);

// op_lock.cc
void Getlk(Request& r, fuse_ino_t ino, fuse_file_info* fi, struct flock* lock);
void Setlk(Request& r, fuse_ino_t ino, fuse_file_info* fi, struct flock* lock, int sleep);
void Flock(Request& r, fuse_ino_t ino, fuse_file_info* fi, int op);
// The LockTable key of an inode: the table's name for every inode of the table.
std::string LockKeyOf(Filesystem& fs, fuse_ino_t ino);
// flush (every close): the closing process's record locks on the file go.
void ReleaseRecordLocks(Filesystem& fs, fuse_ino_t ino, const fuse_file_info* fi);
// release (last close of an open file): its flock (fi->flock_release) and the record locks
// taken through it (OFD locks) go.
void ReleaseLocksOnRelease(Filesystem& fs, fuse_ino_t ino, const fuse_file_info* fi);

// The low-level operations table (the one wiring table).
const fuse_lowlevel_ops& LowLevelOps();

}  // namespace csvfs::fs::ops
