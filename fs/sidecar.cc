// Sidecar: see sidecar.h. Every call goes through a held descriptor (*at() calls, O_NOFOLLOW,
// /proc/self/fd/N for the objects themselves).
#include "fs/sidecar.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/resident_pages.h"

namespace csvfs::fs {
namespace {

int Errno() { return errno != 0 ? errno : EIO; }

// The kernel's renameat2 (glibc 2.28+ has the wrapper; the syscall keeps older headers happy).
int RenameAt2(int olddir, const char* oldname, int newdir, const char* newname,
              unsigned int flags) {
  return static_cast<int>(syscall(SYS_renameat2, olddir, oldname, newdir, newname, flags));
}

// Gives a just-made object the requesting process's ids (the daemon usually runs as root;
// when it does not, the object keeps the daemon's ids: nothing else is possible).
void ChownNew(int dir_fd, const std::string& name, uid_t uid, gid_t gid) {
  if (geteuid() != 0) return;
  (void)fchownat(dir_fd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

std::string SidecarNode::ProcPath() const { return "/proc/self/fd/" + std::to_string(fd.get()); }

std::string Sidecar::DirName(const std::string& table_name) {
  return "." + table_name + ".csvfs-files";
}

int Sidecar::Open(const std::string& backing_path, std::unique_ptr<Sidecar>* out,
                  std::string* why) {
  std::filesystem::path p(backing_path);
  std::string dir = p.parent_path().string();
  if (dir.empty()) dir = ".";
  const std::string name = DirName(p.filename().string());
  UniqueFd parent(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent) {
    int err = Errno();
    *why = "cannot open the directory " + dir + ": " + std::strerror(err);
    return err;
  }
  if (mkdirat(parent.get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
    int err = Errno();
    *why = "cannot create " + dir + "/" + name + ": " + std::strerror(err);
    return err;
  }
  UniqueFd root(openat(parent.get(), name.c_str(),
                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) {
    int err = Errno();
    *why = dir + "/" + name + " is not a directory csvfs can use (" + std::strerror(err) +
           "): move it away";
    return err;
  }
  out->reset(new Sidecar(std::move(root)));
  return 0;
}

void Sidecar::RemoveIfEmpty(const std::string& backing_path) {
  std::filesystem::path p(backing_path);
  std::string dir = p.parent_path().string();
  UniqueFd parent(open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (parent) (void)unlinkat(parent.get(), DirName(p.filename().string()).c_str(), AT_REMOVEDIR);
}

int Sidecar::OpenPath(int dir_fd, const std::string& name, UniqueFd* fd, struct stat* st) {
  UniqueFd f(openat(dir_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!f) return Errno();
  if (fstatat(f.get(), "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return Errno();
  *fd = std::move(f);
  return 0;
}

int Sidecar::StatNode(const SidecarNode& node, struct stat* st) {
  if (fstatat(node.fd.get(), "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return Errno();
  return 0;
}

int Sidecar::CreateFile(int dir_fd, const std::string& name, int flags, mode_t mode, uid_t uid,
                        gid_t gid, UniqueFd* fd, bool* created) {
  const int access = flags & (O_ACCMODE | O_APPEND | O_TRUNC | O_SYNC | O_DSYNC);
  // First try to make it (so ownership is only set on a file this call created).
  UniqueFd f(openat(dir_fd, name.c_str(), access | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    mode & 07777));
  if (f) {
    *created = true;
    ChownNew(dir_fd, name, uid, gid);
    *fd = std::move(f);
    return 0;
  }
  if (errno != EEXIST || (flags & O_EXCL) != 0) return Errno();
  f = UniqueFd(openat(dir_fd, name.c_str(), access | O_NOFOLLOW | O_CLOEXEC));
  if (!f) return Errno();
  *created = false;
  *fd = std::move(f);
  return 0;
}

int Sidecar::MakeDir(int dir_fd, const std::string& name, mode_t mode, uid_t uid, gid_t gid) {
  if (mkdirat(dir_fd, name.c_str(), mode & 07777) != 0) return Errno();
  ChownNew(dir_fd, name, uid, gid);
  return 0;
}

int Sidecar::MakeSymlink(int dir_fd, const std::string& name, const std::string& target,
                         uid_t uid, gid_t gid) {
  if (symlinkat(target.c_str(), dir_fd, name.c_str()) != 0) return Errno();
  ChownNew(dir_fd, name, uid, gid);
  return 0;
}

int Sidecar::MakeLink(const SidecarNode& node, int dir_fd, const std::string& name) {
  if (node.type == S_IFDIR) return EPERM;
  // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc link works for any owner.
  if (linkat(AT_FDCWD, node.ProcPath().c_str(), dir_fd, name.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    return Errno();
  }
  return 0;
}

int Sidecar::ReadLink(const SidecarNode& node, std::string* target) {
  if (node.type != S_IFLNK) return EINVAL;
  std::string buf(4096, '\0');
  ssize_t n = readlinkat(node.fd.get(), "", buf.data(), buf.size());
  if (n < 0) return Errno();
  buf.resize(static_cast<size_t>(n));
  *target = std::move(buf);
  return 0;
}

int Sidecar::Remove(int dir_fd, const std::string& name, bool dir) {
  if (unlinkat(dir_fd, name.c_str(), dir ? AT_REMOVEDIR : 0) != 0) return Errno();
  return 0;
}

int Sidecar::Rename(int from_dir, const std::string& from, int to_dir, const std::string& to,
                    unsigned int flags) {
  if (RenameAt2(from_dir, from.c_str(), to_dir, to.c_str(), flags) != 0) return Errno();
  return 0;
}

int Sidecar::OpenFile(const SidecarNode& node, int flags, UniqueFd* fd) {
  if (node.type == S_IFDIR) return EISDIR;
  if (node.type != S_IFREG) return EACCES;
  // O_NOFOLLOW would refuse the /proc link itself (the node is never a symlink here).
  flags &= ~(O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW);
  UniqueFd f(open(node.ProcPath().c_str(), flags | O_CLOEXEC));
  if (!f) return Errno();
  *fd = std::move(f);
  return 0;
}

int Sidecar::SetAttr(const SidecarNode& node, int fd, const struct stat& attr,
                     const AttrChange& what) {
  const std::string proc = node.ProcPath();
  if (what.mode && node.type != S_IFLNK) {
    if (chmod(proc.c_str(), attr.st_mode & 07777) != 0) return Errno();
  }
  if (what.uid || what.gid) {
    uid_t u = what.uid ? attr.st_uid : static_cast<uid_t>(-1);
    gid_t g = what.gid ? attr.st_gid : static_cast<gid_t>(-1);
    if (fchownat(node.fd.get(), "", u, g, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
      return Errno();
    }
  }
  if (what.size) {
    if (node.type != S_IFREG) return node.type == S_IFDIR ? EISDIR : EINVAL;
    int rc = fd >= 0 ? ftruncate(fd, attr.st_size) : truncate(proc.c_str(), attr.st_size);
    if (rc != 0) return Errno();
  }
  if (what.atime || what.atime_now || what.mtime || what.mtime_now) {
    auto pick = [](bool now, bool set, const struct timespec& t) {
      struct timespec out {};
      out.tv_nsec = now ? UTIME_NOW : UTIME_OMIT;
      return set && !now ? t : out;
    };
    struct timespec tv[2] = {pick(what.atime_now, what.atime, attr.st_atim),
                             pick(what.mtime_now, what.mtime, attr.st_mtim)};
    int rc = node.type == S_IFLNK ? 0  // no way to reach a symlink's own times by descriptor
             : fd >= 0            ? futimens(fd, tv)
                                  : utimensat(AT_FDCWD, proc.c_str(), tv, 0);
    if (rc != 0) return Errno();
  }
  return 0;
}

int Sidecar::List(int dir_fd, std::vector<SidecarEntry>* out) {
  int d = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return Errno();
  DIR* dir = fdopendir(d);
  if (dir == nullptr) {
    int err = Errno();
    close(d);
    return err;
  }
  errno = 0;
  while (struct dirent* e = readdir(dir)) {
    std::string name(e->d_name);
    if (name == "." || name == "..") continue;
    mode_t type = 0;
    switch (e->d_type) {
      case DT_REG: type = S_IFREG; break;
      case DT_DIR: type = S_IFDIR; break;
      case DT_LNK: type = S_IFLNK; break;
      case DT_FIFO: type = S_IFIFO; break;
      case DT_SOCK: type = S_IFSOCK; break;
      default: break;
    }
    out->push_back({std::move(name), e->d_ino, type});
  }
  int err = errno;
  closedir(dir);
  return err;
}

int Sidecar::OpenRegular(int dir_fd, const std::string& name, UniqueFd* fd, uint64_t* size,
                         struct stat* st) {
  UniqueFd f(openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!f) return errno == ELOOP ? EINVAL : Errno();
  if (fstat(f.get(), st) != 0) return Errno();
  if (S_ISDIR(st->st_mode)) return EISDIR;
  if (!S_ISREG(st->st_mode)) return EINVAL;
  *size = static_cast<uint64_t>(st->st_size);
  *fd = std::move(f);
  return 0;
}

MappedFile::~MappedFile() {
  if (addr_ != nullptr) {
    core::UnregisterMapping(addr_);
    munmap(addr_, size_);
  }
}

int MappedFile::Map(int fd, uint64_t size) {
  if (size == 0) return 0;
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return Errno();
  (void)madvise(p, size, MADV_SEQUENTIAL);
  core::RegisterMapping(p, size);  // a merge's byte comparison does not keep it resident
  addr_ = p;
  size_ = size;
  return 0;
}

}  // namespace csvfs::fs
