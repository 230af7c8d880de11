// Command line of the daemon: `csvfs BACKING.csv MOUNTPOINT [-f] [-d] [-o OPT[,OPT...]]`.
// csvfs's own -o options are consumed here; every other option is left in fuse_args for
// libfuse (allow_other, default_permissions, ro, fsname=, ...). FUSE-free header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/engine.h"
#include "fs/exit_codes.h"

namespace csvfs::fs {

struct Options {
  std::string backing;     // BACKING.csv as given
  std::string mountpoint;  // as given (may be /dev/fd/N: handed to libfuse unmodified)
  bool foreground = false;
  bool debug = false;
  bool single_thread = false;
  bool show_help = false;
  bool show_version = false;
  unsigned max_threads = 0;  // 0: libfuse default

  std::string key;  // key=COLUMN
  bool header = true;
  core::SyncMode sync = core::SyncMode::kClose;
  bool ragged = false;
  bool create = false;
  bool read_only = false;  // `ro` (also passed on to libfuse)
  std::string log_file;
  uint64_t max_record_bytes = 0;  // 0: engine default
  uint64_t max_image_bytes = 0;   // 0: engine default
  uint64_t checkpoint_bytes = 0;  // 0: engine default
  uint64_t checkpoint_interval_s = 300;  // checkpoint_interval=SECONDS (0: only by size)

  // Arguments for fuse_session_new (argv[0] first); csvfs options and the positional
  // arguments removed.
  std::vector<std::string> fuse_args;
};

struct ParseResult {
  Options options;
  std::string error;  // non-empty: startup error, exit with `exit_code`
  ExitCode exit_code = ExitCode::kUsage;
};

// Parses argv. --help / --version set show_help / show_version and skip the checks of
// positional arguments.
ParseResult ParseOptions(int argc, const char* const* argv);

// Parses a size such as "65536", "64k", "16M", "1G". False if malformed.
bool ParseByteSize(const std::string& text, uint64_t* out);

// The one-line startup error for an unusable mountpoint (errno `err`); for a dead mount
// (ENOTCONN) it says how to recover.
std::string MountpointError(const std::string& mountpoint, int err);

// BACKING as an absolute path with symlinks resolved (of a missing file: its directory's).
std::string ResolveBacking(const std::string& backing);

// The engine options these daemon options ask for (backing_path resolved).
core::EngineOptions ToEngineOptions(const Options& options);

// The --help text.
std::string UsageText(const char* program);

}  // namespace csvfs::fs
