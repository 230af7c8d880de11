// Daemon: the mount's lifecycle (SPEC sections 1 and 6, ARCHITECTURE "Daemon lifecycle").
#pragma once

#include "fs/exit_codes.h"
#include "fs/options.h"

namespace csvfs::fs {

// Parses nothing: runs a mount described by `options` until it is unmounted or signalled.
// Startup failures print one line naming the file to stderr.
ExitCode RunDaemon(const Options& options);

}  // namespace csvfs::fs
