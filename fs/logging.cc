#include "fs/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include <filesystem>
#include <memory>

namespace csvfs::fs {

std::string SetupLogging(bool foreground, bool debug, const std::string& log_file) {
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (!log_file.empty()) {
      // Absolute: the daemon changes directory to / when it goes to the background.
      std::string path = std::filesystem::absolute(log_file).string();
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
