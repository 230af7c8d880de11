#include "fs/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace csvfs::fs {

std::string SetupLogging(bool foreground, bool debug, const std::string& log_file) {
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (!log_file.empty()) {
      // Absolute: the daemon changes directory to / when it goes to the background.
      std::string path = std::filesystem::absolute(log_file).string();
      // Opened here first: spdlog would create missing directories, so that a mistyped
      // path would log somewhere nobody looks instead of failing the start.
      const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
      if (fd < 0) return "cannot open log=" + log_file + ": " + std::strerror(errno);
      ::close(fd);
      logger = spdlog::basic_logger_mt("csvfs", path);
    } else if (foreground) {
      logger = spdlog::stderr_logger_mt("csvfs");
    } else {
      logger = spdlog::syslog_logger_mt("csvfs", "csvfs", LOG_PID, LOG_DAEMON, true);
    }
  } catch (const std::exception& e) {
    return std::string("cannot open log: ") + e.what();
  }
  logger->set_level(debug ? spdlog::level::debug : spdlog::level::info);
  logger->flush_on(spdlog::level::info);
  if (!log_file.empty() || foreground) logger->set_pattern("%Y-%m-%d %H:%M:%S.%e csvfs[%P] %l: %v");
  spdlog::set_default_logger(logger);
  return "";
}

}  // namespace csvfs::fs
