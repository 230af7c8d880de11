// trivial_fuse: the floor any FUSE design pays, for csvfs's benchmarks (tests/bench/run_bench.py).
//
//   trivial_fuse MOUNTPOINT [--load FILE]
//
// Runs in the foreground (libfuse 3 low-level API, multi-threaded loop like csvfs) until
// unmounted or signalled. The mount holds one file, table.csv, kept in a std::string under a
// mutex (initially FILE's content with --load). Writable opens get direct_io, as csvfs's do;
// O_APPEND writes append, other writes write at their offset. Read-only opens go through the
// page cache without keep_cache, so every open reads through FUSE (the "cold" path). No
// durability, no parsing, no transactions: nothing but the request round trips.
#include <fuse_lowlevel.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr fuse_ino_t kFileIno = 2;
constexpr const char* kFileName = "table.csv";

struct TrivialFs {
  std::mutex mu;
  std::string data;
  timespec mtime{};
};

TrivialFs* Fs(fuse_req_t req) { return static_cast<TrivialFs*>(fuse_req_userdata(req)); }

void FillAttr(TrivialFs* fs, fuse_ino_t ino, struct stat* st) {
  std::memset(st, 0, sizeof *st);
  st->st_ino = ino;
  st->st_uid = getuid();
  st->st_gid = getgid();
  if (ino == FUSE_ROOT_ID) {
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    return;
  }
  std::lock_guard<std::mutex> lock(fs->mu);
  st->st_mode = S_IFREG | 0644;
  st->st_nlink = 1;
  st->st_size = off_t(fs->data.size());
  st->st_blocks = (st->st_size + 511) / 512;
  st->st_mtim = st->st_ctim = st->st_atim = fs->mtime;
}

void Touch(TrivialFs* fs) { clock_gettime(CLOCK_REALTIME, &fs->mtime); }

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (parent != FUSE_ROOT_ID || std::strcmp(name, kFileName) != 0) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  fuse_entry_param e{};
  e.ino = kFileIno;
  e.attr_timeout = 1.0;
  e.entry_timeout = 1.0;
  FillAttr(Fs(req), kFileIno, &e.attr);
  fuse_reply_entry(req, &e);
}

void OpGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  struct stat st;
  FillAttr(Fs(req), ino, &st);
  fuse_reply_attr(req, &st, 0.0);
}

void OpSetattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info*) {
  TrivialFs* fs = Fs(req);
  if (ino == kFileIno && (to_set & FUSE_SET_ATTR_SIZE)) {
    std::lock_guard<std::mutex> lock(fs->mu);
    fs->data.resize(size_t(attr->st_size));
    Touch(fs);
  }
  struct stat st;
  FillAttr(fs, ino, &st);
  fuse_reply_attr(req, &st, 0.0);
}

void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (ino != kFileIno) {
    fuse_reply_err(req, EISDIR);
    return;
  }
  if ((fi->flags & O_ACCMODE) != O_RDONLY) fi->direct_io = 1;
  if (fi->flags & O_TRUNC) {
    TrivialFs* fs = Fs(req);
    std::lock_guard<std::mutex> lock(fs->mu);
    fs->data.clear();
    Touch(fs);
  }
  fuse_reply_open(req, fi);
}

void OpRead(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info*) {
  TrivialFs* fs = Fs(req);
  std::vector<char> buf;
  {
    std::lock_guard<std::mutex> lock(fs->mu);
    if (size_t(off) < fs->data.size()) {
      size_t n = std::min(size, fs->data.size() - size_t(off));
      buf.assign(fs->data.data() + off, fs->data.data() + off + n);
    }
  }
  fuse_reply_buf(req, buf.data(), buf.size());
}

void OpWrite(fuse_req_t req, fuse_ino_t, const char* buf, size_t size, off_t off,
             fuse_file_info* fi) {
  TrivialFs* fs = Fs(req);
  {
    std::lock_guard<std::mutex> lock(fs->mu);
    if (fi->flags & O_APPEND) {
      fs->data.append(buf, size);
    } else {
      if (fs->data.size() < size_t(off) + size) fs->data.resize(size_t(off) + size);
      std::memcpy(fs->data.data() + off, buf, size);
    }
    Touch(fs);
  }
  fuse_reply_write(req, size);
}

void OpOk(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }
void OpFsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) { fuse_reply_err(req, 0); }

void OpReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  if (ino != FUSE_ROOT_ID) {
    fuse_reply_err(req, ENOTDIR);
    return;
  }
  std::vector<char> buf(size);
  size_t used = 0;
  const char* names[] = {".", "..", kFileName};
  const fuse_ino_t inos[] = {FUSE_ROOT_ID, FUSE_ROOT_ID, kFileIno};
  for (off_t i = off; i < 3; ++i) {
    struct stat st {};
    st.st_ino = inos[i];
    st.st_mode = i < 2 ? S_IFDIR : S_IFREG;
    size_t n = fuse_add_direntry(req, buf.data() + used, size - used, names[i], &st, i + 1);
    if (n > size - used) break;
    used += n;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void OpInit(void*, fuse_conn_info* conn) {
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && !(argc == 4 && std::strcmp(argv[2], "--load") == 0)) {
    std::fprintf(stderr, "usage: trivial_fuse MOUNTPOINT [--load FILE]\n");
    return 2;
  }
  TrivialFs fs;
  Touch(&fs);
  if (argc == 4) {
    std::ifstream in(argv[3], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "trivial_fuse: cannot read %s\n", argv[3]);
      return 1;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    fs.data = std::move(ss).str();
  }

  fuse_lowlevel_ops ops{};
  ops.init = OpInit;
  ops.lookup = OpLookup;
  ops.getattr = OpGetattr;
  ops.setattr = OpSetattr;
  ops.open = OpOpen;
  ops.read = OpRead;
  ops.write = OpWrite;
  ops.flush = OpOk;
  ops.release = OpOk;
  ops.fsync = OpFsync;
  ops.readdir = OpReaddir;

  const char* fargv[] = {argv[0], "-o", "fsname=trivial_fuse,subtype=trivial"};
  fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(fargv));
  fuse_session* se = fuse_session_new(&args, &ops, sizeof ops, &fs);
  if (se == nullptr) return 1;
  int rc = 1;
  if (fuse_set_signal_handlers(se) == 0) {
    if (fuse_session_mount(se, argv[1]) == 0) {
      fuse_loop_config* cfg = fuse_loop_cfg_create();
      fuse_loop_cfg_set_clone_fd(cfg, 0);
      rc = fuse_session_loop_mt(se, cfg) == 0 ? 0 : 1;
      fuse_loop_cfg_destroy(cfg);
      fuse_session_unmount(se);
    }
    fuse_remove_signal_handlers(se);
  }
  fuse_session_destroy(se);
  return rc;
}
