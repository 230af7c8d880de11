#include "fs/options.h"

#include <fuse_lowlevel.h>
#include <fuse_opt.h>
#include <limits.h>
#include <stdlib.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>

#include "fs/exit_codes.h"

namespace csvfs::fs {
namespace {

// Plain struct filled by fuse_opt_parse (templates address it with offsetof).
struct RawOptions {
  char* key = nullptr;
  int noheader = 0;
  char* sync = nullptr;
  int ragged = 0;
  int create = 0;
  char* log = nullptr;
  char* max_record = nullptr;
  char* max_image = nullptr;
  char* checkpoint_bytes = nullptr;
  char* checkpoint_interval = nullptr;
};

enum OptKey { kKeyHelp = 100, kKeyVersion, kKeyRo, kKeyRw };

#define CSVFS_OPT(t, field, v) \
  { t, offsetof(RawOptions, field), v }
const struct fuse_opt kOptSpec[] = {
    CSVFS_OPT("key=%s", key, 0),
    CSVFS_OPT("noheader", noheader, 1),
    CSVFS_OPT("sync=%s", sync, 0),
    CSVFS_OPT("ragged", ragged, 1),
    CSVFS_OPT("create", create, 1),
    CSVFS_OPT("log=%s", log, 0),
    CSVFS_OPT("max_record=%s", max_record, 0),
    CSVFS_OPT("max_image=%s", max_image, 0),
    CSVFS_OPT("checkpoint_bytes=%s", checkpoint_bytes, 0),
    CSVFS_OPT("checkpoint_interval=%s", checkpoint_interval, 0),
    FUSE_OPT_KEY("-h", kKeyHelp),
    FUSE_OPT_KEY("--help", kKeyHelp),
    FUSE_OPT_KEY("-V", kKeyVersion),
    FUSE_OPT_KEY("--version", kKeyVersion),
    FUSE_OPT_KEY("ro", kKeyRo),
    FUSE_OPT_KEY("rw", kKeyRw),
    FUSE_OPT_END,
};
#undef CSVFS_OPT

struct ParseState {
  RawOptions raw;
  ParseResult* result;
  int positional = 0;
  bool has_fsname = false;
  bool has_subtype = false;
};

bool IsFdMountpoint(const std::string& m) { return m.rfind("/dev/fd/", 0) == 0; }

int OptProc(void* data, const char* arg, int key, struct fuse_args* /*outargs*/) {
  auto* st = static_cast<ParseState*>(data);
  Options& o = st->result->options;
  switch (key) {
    case kKeyHelp:
      o.show_help = true;
      return 0;
    case kKeyVersion:
      o.show_version = true;
      return 0;
    case kKeyRo:
      o.read_only = true;
      return 1;  // the kernel mount is read-only too
    case kKeyRw:
      o.read_only = false;
      return 1;
    case FUSE_OPT_KEY_NONOPT:
      ++st->positional;
      if (st->positional == 1) {
        o.backing = arg;
        return 0;
      }
      if (st->positional == 2) {
        o.mountpoint = arg;
        return 1;  // fuse_parse_cmdline takes it
      }
      if (st->result->error.empty()) {
        st->result->error = std::string("unexpected argument '") + arg + "'";
      }
      return 0;
    case FUSE_OPT_KEY_OPT:
      // fstab/systemd-only options that mount(8) may hand down: not for the kernel.
      if (std::strncmp(arg, "x-", 2) == 0 || std::strcmp(arg, "nofail") == 0 ||
          std::strcmp(arg, "_netdev") == 0 || std::strcmp(arg, "defaults") == 0) {
        return 0;
      }
      if (std::strncmp(arg, "fsname=", 7) == 0) st->has_fsname = true;
      if (std::strncmp(arg, "subtype=", 8) == 0) st->has_subtype = true;
      return 1;  // everything else goes to libfuse
    default:
      return 1;
  }
}

void FreeRaw(RawOptions* raw) {
  for (char* p :
       {raw->key, raw->sync, raw->log, raw->max_record, raw->max_image, raw->checkpoint_bytes,
        raw->checkpoint_interval}) {
    free(p);
  }
}

// Applies the raw csvfs options; returns an error message or "".
std::string ApplyRaw(const RawOptions& raw, Options* o) {
  if (raw.key != nullptr) {
    o->key = raw.key;
    if (o->key.empty()) return "key= needs a column name";
  }
  o->header = raw.noheader == 0;
  o->ragged = raw.ragged != 0;
  o->create = raw.create != 0;
  if (raw.sync != nullptr) {
    std::string s = raw.sync;
    if (s == "close") {
      o->sync = core::SyncMode::kClose;
    } else if (s == "always") {
      o->sync = core::SyncMode::kAlways;
    } else if (s == "off") {
      o->sync = core::SyncMode::kOff;
    } else {
      return "sync= must be close, always or off (got '" + s + "')";
    }
  }
  if (raw.log != nullptr) {
    o->log_file = raw.log;
    if (o->log_file.empty()) return "log= needs a file name";
  }
  if (raw.max_record != nullptr && !ParseByteSize(raw.max_record, &o->max_record_bytes)) {
    return std::string("max_record= needs a byte size (got '") + raw.max_record + "')";
  }
  if (raw.max_image != nullptr &&
      (!ParseByteSize(raw.max_image, &o->max_image_bytes) || o->max_image_bytes == 0)) {
    return std::string("max_image= needs a byte size above 0 (got '") + raw.max_image + "')";
  }
  if (raw.checkpoint_bytes != nullptr &&
      !ParseByteSize(raw.checkpoint_bytes, &o->checkpoint_bytes)) {
    return std::string("checkpoint_bytes= needs a byte size (got '") + raw.checkpoint_bytes + "')";
  }
  if (raw.checkpoint_interval != nullptr) {
    const std::string text = raw.checkpoint_interval;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = strtoull(text.c_str(), &end, 10);
    if (text.empty() || text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 ||
        v > 365ull * 24 * 3600) {
      return "checkpoint_interval= needs a number of seconds, at most a year (got '" + text + "')";
    }
    o->checkpoint_interval_s = v;
  }
  return "";
}

}  // namespace

std::string MountpointError(const std::string& mountpoint, int err) {
  std::string msg = "mountpoint " + mountpoint + ": " + std::strerror(err);
  if (err == ENOTCONN) {
    msg += " (a csvfs that died left its mount behind: run fusermount3 -u " + mountpoint +
           ", or fusermount3 -uz while files are still open, then mount again; see RECOVERY "
           "in csvfs(1))";
  }
  return msg;
}

std::string ResolveBacking(const std::string& backing) {
  // Symlinks resolved first: the lock and the journal live beside the real file, so a second
  // daemon reaching it by another path finds the same lock.
  char resolved[PATH_MAX];
  if (realpath(backing.c_str(), resolved) != nullptr) return resolved;
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(backing, ec);
  if (ec) return backing;
  p = p.lexically_normal();
  // Missing (create): the directory resolved, the name kept.
  if (p.has_parent_path() && realpath(p.parent_path().c_str(), resolved) != nullptr) {
    return (std::filesystem::path(resolved) / p.filename()).string();
  }
  return p.string();
}

bool ParseByteSize(const std::string& text, uint64_t* out) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = strtoull(text.c_str(), &end, 10);
  if (errno != 0) return false;
  std::string suffix(end);
  uint64_t mult = 1;
  if (suffix.empty()) {
    mult = 1;
  } else if (suffix == "k" || suffix == "K") {
    mult = 1ull << 10;
  } else if (suffix == "m" || suffix == "M") {
    mult = 1ull << 20;
  } else if (suffix == "g" || suffix == "G") {
    mult = 1ull << 30;
  } else {
    return false;
  }
  if (v > UINT64_MAX / mult) return false;
  *out = v * mult;
  return true;
}

ParseResult ParseOptions(int argc, const char* const* argv) {
  ParseResult result;
  ParseState st;
  st.result = &result;
  Options& o = result.options;

  struct fuse_args args = FUSE_ARGS_INIT(0, nullptr);
  for (int i = 0; i < argc; ++i) fuse_opt_add_arg(&args, argv[i]);
  std::unique_ptr<fuse_args, void (*)(fuse_args*)> args_guard(&args, fuse_opt_free_args);

  if (fuse_opt_parse(&args, &st.raw, kOptSpec, OptProc) != 0) {
    FreeRaw(&st.raw);
    result.error = "bad option (see --help)";
    return result;
  }
  std::string err = ApplyRaw(st.raw, &o);
  FreeRaw(&st.raw);
  if (o.show_help || o.show_version) return result;
  if (!err.empty()) {
    result.error = err;
    return result;
  }
  if (!result.error.empty()) return result;
  if (o.backing.empty() || o.mountpoint.empty()) {
    result.error = "need BACKING.csv and MOUNTPOINT (see --help)";
    return result;
  }

  if (!IsFdMountpoint(o.mountpoint)) {
    char resolved[PATH_MAX];
    if (realpath(o.mountpoint.c_str(), resolved) == nullptr) {
      result.error = MountpointError(o.mountpoint, errno);
      result.exit_code = ExitCode::kMount;
      return result;
    }
  }

  // `mount` then shows "BACKING on MOUNTPOINT type fuse.csvfs".
  if (!st.has_subtype) fuse_opt_add_arg(&args, "-osubtype=csvfs");
  if (!st.has_fsname) {
    std::string fsname = "-ofsname=";
    for (char c : o.backing) {  // ',' and '\\' are separators/escapes in -o lists
      if (c == ',' || c == '\\') fsname += '\\';
      fsname += c;
    }
    fuse_opt_add_arg(&args, fsname.c_str());
  }

  struct fuse_cmdline_opts cmd;
  std::memset(&cmd, 0, sizeof cmd);
  if (fuse_parse_cmdline(&args, &cmd) != 0) {
    result.error = "bad command line (see --help)";
    return result;
  }
  o.foreground = cmd.foreground != 0;
  o.debug = cmd.debug != 0;
  o.single_thread = cmd.singlethread != 0;
  o.max_threads = cmd.max_threads;
  if (cmd.mountpoint != nullptr) {
    // Keep what the user gave (libfuse made it absolute); /dev/fd/N is kept verbatim.
    o.mountpoint = cmd.mountpoint;
    free(cmd.mountpoint);
  }
  for (int i = 0; i < args.argc; ++i) o.fuse_args.emplace_back(args.argv[i]);
  return result;
}

core::EngineOptions ToEngineOptions(const Options& o) {
  core::EngineOptions e;
  e.backing_path = ResolveBacking(o.backing);
  e.key_column = o.key;
  e.header = o.header;
  e.sync = o.sync;
  e.ragged = o.ragged;
  e.create = o.create;
  e.read_only = o.read_only;
  if (o.max_record_bytes != 0) e.max_record_bytes = o.max_record_bytes;
  if (o.max_image_bytes != 0) e.max_image_bytes = o.max_image_bytes;
  if (o.checkpoint_bytes != 0) e.checkpoint_bytes = o.checkpoint_bytes;
  e.checkpoint_interval_ms = o.checkpoint_interval_s * 1000;
  e.start_threads = false;
  return e;
}

std::string UsageText(const char* program) {
  std::string p = program != nullptr ? program : "csvfs";
  return "usage: " + p + " BACKING.csv MOUNTPOINT [-f] [-d] [-o OPT[,OPT...]]\n" + "       " + p +
         " --help | --version\n"
         "\n"
         "Mounts a CSV table so that unmodified programs can read and edit it concurrently.\n"
         "\n"
         "csvfs options (each also valid as -o NAME[=VALUE], e.g. in /etc/fstab):\n"
         "  -o key=COLUMN          that column's value is the row id (values must be unique)\n"
         "  -o noheader            the first line is data; columns are named 1..N\n"
         "  -o sync=close|always|off\n"
         "                         when changes become durable (default: close)\n"
         "  -o ragged              accept rows whose field count differs from the header\n"
         "  -o create              create BACKING.csv if it is missing (empty table)\n"
         "  -o log=FILE            log to FILE (default: stderr with -f, syslog otherwise)\n"
         "  -o max_record=BYTES    largest record accepted (EFBIG beyond; default 16M)\n"
         "  -o max_image=BYTES     largest table a rewrite may stage in memory (EFBIG beyond;\n"
         "                         default 4G)\n"
         "  -o checkpoint_bytes=BYTES\n"
         "                         fold the journal into BACKING past this size (default 64M)\n"
         "  -o checkpoint_interval=SECONDS\n"
         "                         fold the journal into BACKING once its oldest change is\n"
         "                         this old (default 300; 0: only by size); kill -USR1 PID\n"
         "                         folds it at once\n"
         "  -f                     stay in the foreground\n"
         "  -d                     debug logging (implies -f)\n"
         "  -s                     single-threaded request loop\n"
         "  standard FUSE options pass through: allow_other, default_permissions, ro,\n"
         "  fsname=NAME, max_threads=N, ...\n"
         "\n"
         "Exit status:\n"
         "  0  clean unmount\n"
         "  1  usage error or bad option\n"
         "  2  BACKING missing, unreadable or malformed, or its journal is corrupt\n"
         "  3  BACKING is already mounted by another csvfs\n"
         "  4  bad mountpoint, or the mount failed\n"
         "  5  failure while running\n";
}

}  // namespace csvfs::fs
