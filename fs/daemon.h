// Daemon: the mount's lifecycle: recover, mount, daemonize, start the threads, serve, stop
// (man page: EXIT STATUS, FSTAB AND SYSTEMD; doc/internals.md).
#pragma once

#include "fs/exit_codes.h"
#include "fs/options.h"

namespace csvfs::fs {

// Parses nothing: runs a mount described by `options` until it is unmounted or signalled.
// Startup failures print one line naming the file to stderr.
ExitCode RunDaemon(const Options& options);

}  // namespace csvfs::fs
