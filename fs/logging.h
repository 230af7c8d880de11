// Logging setup: spdlog to stderr in the foreground, to syslog in the background, or to
// FILE with log=FILE. -d selects debug level. FUSE-free.
#pragma once

#include <string>

namespace csvfs::fs {

// Installs the default logger. Returns an error message (empty on success).
std::string SetupLogging(bool foreground, bool debug, const std::string& log_file);

}  // namespace csvfs::fs
