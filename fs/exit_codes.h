// Named exit codes of the csvfs daemon (documented in --help and the man page).
#pragma once

namespace csvfs::fs {

enum class ExitCode : int {
  kOk = 0,              // clean unmount
  kUsage = 1,           // bad command line or mount option
  kBacking = 2,         // BACKING missing, unreadable, malformed, or its journal is corrupt
  kAlreadyMounted = 3,  // another csvfs holds BACKING
  kMount = 4,           // bad mountpoint or the mount itself failed
  kRuntime = 5,         // failure while running (or while shutting down)
};

inline int ToInt(ExitCode c) { return static_cast<int>(c); }

}  // namespace csvfs::fs
