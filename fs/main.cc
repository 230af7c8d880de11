// csvfs: mounts a CSV table so that unmodified programs can edit it concurrently.
#include <fuse_lowlevel.h>

#include <cstdio>

#include "fs/daemon.h"
#include "fs/exit_codes.h"
#include "fs/options.h"

int main(int argc, char** argv) {
  using csvfs::fs::ExitCode;
  csvfs::fs::ParseResult parsed = csvfs::fs::ParseOptions(argc, argv);
  const csvfs::fs::Options& o = parsed.options;
  if (o.show_help) {
    std::fputs(csvfs::fs::UsageText(argv[0]).c_str(), stdout);
    std::fputs("\nFUSE options:\n", stdout);
    std::fflush(stdout);
    fuse_lowlevel_help();
    return csvfs::fs::ToInt(ExitCode::kOk);
  }
  if (o.show_version) {
    std::printf("csvfs %s (libfuse %s)\n", CSVFS_VERSION, fuse_pkgversion());
    return csvfs::fs::ToInt(ExitCode::kOk);
  }
  if (!parsed.error.empty()) {
    std::fprintf(stderr, "csvfs: %s\n", parsed.error.c_str());
    return csvfs::fs::ToInt(parsed.exit_code);
  }
  return csvfs::fs::ToInt(csvfs::fs::RunDaemon(o));
}
