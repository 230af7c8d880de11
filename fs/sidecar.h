// Sidecar: the mount root's other files (temp files of sed -i, perl -i, rsync, vim and Python,
// backups such as table.csv.bak or logrotate's table.csv.1, emacs's lock symlink) kept as
// real files, symlinks, hard links and directories in `.<name>.csvfs-files/` beside BACKING.
// They persist across unmounts and crashes like files on any file system, and never occupy
// the daemon's memory: a rename of one over the table merges from the file, mapped.
//
// Every object is reached through held file descriptors, never by path: the sidecar
// directory is opened once (O_DIRECTORY|O_NOFOLLOW, mode 0700 when created), and each object
// the kernel knows gets an O_PATH|O_NOFOLLOW descriptor (SidecarNode) through which it is
// stat'ed, opened (/proc/self/fd/N), changed and used as the parent of *at() calls, as in
// libfuse's passthrough_ll example. Objects are identified by (st_dev, st_ino), so hard links
// share one node.
//
// Methods return 0 or an errno: this is the adapter's passthrough layer, next to the FUSE
// boundary. FUSE-free; thread-safe (the kernel serializes operations on one directory entry;
// everything here is per call, and nodes are immutable but for their mutex-guarded fields).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/version.h"

namespace csvfs::fs {

// An owned file descriptor (closed on destruction).
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// One object of the sidecar that the kernel holds a reference to.
struct SidecarNode {
  SidecarNode(uint64_t inode, UniqueFd path_fd, const struct stat& st)
      : ino(inode), fd(std::move(path_fd)), dev(st.st_dev), sino(st.st_ino),
        type(st.st_mode & S_IFMT) {}
  const uint64_t ino;  // the FUSE inode number
  const UniqueFd fd;   // O_PATH|O_NOFOLLOW
  const dev_t dev;
  const ino_t sino;
  const mode_t type;  // S_IFREG, S_IFDIR, S_IFLNK, ...

  // "/proc/self/fd/N": opens the object itself (never a path in the sidecar).
  std::string ProcPath() const;

  std::mutex mu;  // guards what follows
  // The table snapshot the first process to write this file had last read (if any): the
  // base of a rename over the table by a process that read nothing itself, as `mv` in
  // `awk ... table.csv > tmp && mv tmp table.csv`.
  core::Snapshot writer_base;
  bool writer_base_set = false;
  // Bumped after every write or size change through the mount: a merge prepared from the
  // file's bytes (fs/prepared_rewrites.h) is stale once it moved.
  uint64_t write_gen = 0;
};

// A directory entry of the sidecar.
struct SidecarEntry {
  std::string name;
  ino_t sino = 0;
  mode_t type = 0;  // S_IFREG, S_IFDIR, S_IFLNK, ... (0 if unknown)
};

class Sidecar {
 public:
  // The sidecar directory's name for BACKING's base name.
  static std::string DirName(const std::string& table_name);
  // Opens (creating with mode 0700 if missing) the sidecar beside `backing_path`. Fails with
  // an errno and a sentence in *why (e.g. a symlink or non-directory in its place).
  static int Open(const std::string& backing_path, std::unique_ptr<Sidecar>* out,
                  std::string* why);

  // Removes the sidecar directory of `backing_path` if it is empty (after a failed start).
  static void RemoveIfEmpty(const std::string& backing_path);

  int root_fd() const { return root_.get(); }

  // An O_PATH|O_NOFOLLOW descriptor of `name` in directory `dir_fd`, and its stat.
  static int OpenPath(int dir_fd, const std::string& name, UniqueFd* fd, struct stat* st);
  // Stat of a node's object (lstat semantics).
  static int StatNode(const SidecarNode& node, struct stat* st);

  // Creates a regular file (O_CREAT, plus O_EXCL if asked) owned by uid:gid and opens it with
  // `flags`; *fd is the open file. *created tells whether it was made.
  static int CreateFile(int dir_fd, const std::string& name, int flags, mode_t mode, uid_t uid,
                        gid_t gid, UniqueFd* fd, bool* created);
  static int MakeDir(int dir_fd, const std::string& name, mode_t mode, uid_t uid, gid_t gid);
  static int MakeSymlink(int dir_fd, const std::string& name, const std::string& target,
                         uid_t uid, gid_t gid);
  static int MakeLink(const SidecarNode& node, int dir_fd, const std::string& name);
  static int ReadLink(const SidecarNode& node, std::string* target);
  static int Remove(int dir_fd, const std::string& name, bool dir);
  static int Rename(int from_dir, const std::string& from, int to_dir, const std::string& to,
                    unsigned int flags);
  // Opens a node's regular file for I/O with open(2) `flags` (O_CREAT/O_EXCL ignored).
  static int OpenFile(const SidecarNode& node, int flags, UniqueFd* fd);
  // chmod/chown/truncate/utimes of a node (`fd`: an open descriptor of it, or -1). Fields of
  // `attr` are used as FUSE_SET_ATTR_* bits in `to_set` say (passed as plain flags).
  struct AttrChange {
    bool mode = false, uid = false, gid = false, size = false;
    bool atime = false, atime_now = false, mtime = false, mtime_now = false;
  };
  static int SetAttr(const SidecarNode& node, int fd, const struct stat& attr,
                     const AttrChange& what);
  // The entries of directory `dir_fd` ("." and ".." excluded), in the file system's order.
  static int List(int dir_fd, std::vector<SidecarEntry>* out);
  // Opens regular file `name` in `dir_fd` read-only (O_NOFOLLOW); kEISDIR etc. if it is not
  // a regular file. *size is its size.
  static int OpenRegular(int dir_fd, const std::string& name, UniqueFd* fd, uint64_t* size,
                         struct stat* st);

 private:
  explicit Sidecar(UniqueFd root) : root_(std::move(root)) {}
  UniqueFd root_;
};

// A read-only private mapping of a whole file (empty files map to an empty view).
class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  int Map(int fd, uint64_t size);  // 0 or errno
  std::string_view view() const { return {static_cast<const char*>(addr_), size_}; }

 private:
  void* addr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace csvfs::fs
