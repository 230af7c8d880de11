#include "fs/daemon.h"

#include <fuse_lowlevel.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/engine.h"
#include "fs/checkpoint_signal.h"
#include "fs/device_io.h"
#include "fs/filesystem.h"
#include "fs/logging.h"
#include "fs/notifier.h"
#include "fs/options.h"
#include "fs/ops.h"

namespace csvfs::fs {
namespace {

void PrintError(const std::string& line) { std::fprintf(stderr, "csvfs: %s\n", line.c_str()); }

ExitCode OpenFailure(const std::string& backing, const core::Status& s) {
  // The engine's messages usually name the file already.
  PrintError(s.message().find(backing) != std::string::npos ? s.message()
                                                            : backing + ": " + s.message());
  switch (s.code()) {
    case core::Code::kBusy:
      return ExitCode::kAlreadyMounted;
    case core::Code::kNotFound:
    case core::Code::kInvalid:
    case core::Code::kCorruption:
    case core::Code::kIoError:
    case core::Code::kNotPermitted:
    case core::Code::kReadOnly:
      return ExitCode::kBacking;
    default:
      return ExitCode::kRuntime;
  }
}

bool CheckMountpoint(const std::string& m) {
  if (m.rfind("/dev/fd/", 0) == 0) return true;  // mount.fuse3 passes an open fuse fd
  struct stat st;
  if (stat(m.c_str(), &st) != 0) {
    PrintError(MountpointError(m, errno));
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    PrintError("mountpoint " + m + ": Not a directory");
    return false;
  }
  // A dead FUSE mount can still answer stat from the kernel's attribute cache; statfs always
  // asks the (dead) daemon, so it tells.
  struct statfs sfs;
  if (statfs(m.c_str(), &sfs) != 0 && errno == ENOTCONN) {
    PrintError(MountpointError(m, errno));
    return false;
  }
  return true;
}

// Owns the session: unmounts and destroys it on every path out.
struct Session {
  fuse_session* se = nullptr;
  bool mounted = false;
  bool signals = false;
  ~Session() {
    if (se == nullptr) return;
    if (mounted) fuse_session_unmount(se);
    if (signals) fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
  }
};

int RunLoop(fuse_session* se, const Options& o) {
  if (o.single_thread) return fuse_session_loop(se);
  struct fuse_loop_config* cfg = fuse_loop_cfg_create();
  fuse_loop_cfg_set_clone_fd(cfg, 0);
  if (o.max_threads != 0) fuse_loop_cfg_set_max_threads(cfg, o.max_threads);
  int rc = fuse_session_loop_mt(se, cfg);
  fuse_loop_cfg_destroy(cfg);
  return rc;
}

}  // namespace

ExitCode RunDaemon(const Options& o) {
  // Before any thread exists: SIGUSR1 (checkpoint request) must never kill the daemon.
  (void)CheckpointSignal::Block();
  if (!CheckMountpoint(o.mountpoint)) return ExitCode::kMount;
  std::string log_err = SetupLogging(o.foreground, o.debug, o.log_file);
  if (!log_err.empty()) {
    PrintError(log_err);
    return ExitCode::kUsage;
  }
  Filesystem fs(o);

  // Options are checked (by libfuse) before the store is touched.
  std::vector<char*> argv;
  for (const std::string& a : o.fuse_args) argv.push_back(const_cast<char*>(a.c_str()));
  struct fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  Session session;
  const fuse_lowlevel_ops& ops = ops::LowLevelOps();
  session.se = fuse_session_new(&args, &ops, sizeof ops, &fs);
  fuse_opt_free_args(&args);  // fuse_opt_parse replaced them with an allocated copy
  if (session.se == nullptr) {  // libfuse printed the offending option
    return ExitCode::kUsage;
  }

  // Memory comes back (SPEC 5): allocations of 1 MiB or more (a rewrite's records, a
  // checkpoint's layout, big records) are mappings of their own, returned when freed. glibc's
  // default threshold grows to 32 MiB after the first such free, after which they come from
  // the heap and stay in it.
  (void)mallopt(M_MMAP_THRESHOLD, 1 << 20);
  core::EngineOptions eo = ToEngineOptions(o);
  auto opened = core::Engine::Open(eo);
  if (!opened.ok()) return OpenFailure(eo.backing_path, opened.status());
  fs.AttachEngine(std::move(opened.value()));
  // The kernel applies each caller's umask to the modes of files made in the mount; the
  // daemon's own must not narrow them again (its own files get explicit modes).
  umask(0);
  {
    std::unique_ptr<Sidecar> sidecar;
    std::string why;
    if (Sidecar::Open(eo.backing_path, &sidecar, &why) != 0) {
      PrintError(why);
      (void)fs.engine().Close();
      return ExitCode::kBacking;
    }
    fs.AttachSidecar(std::move(sidecar));
  }

  if (fuse_set_signal_handlers(session.se) != 0) {
    PrintError("cannot install signal handlers");
    (void)fs.engine().Close();
    return ExitCode::kRuntime;
  }
  session.signals = true;
  if (fuse_session_mount(session.se, o.mountpoint.c_str()) != 0) {
    PrintError("cannot mount " + eo.backing_path + " on " + o.mountpoint +
               " (if a csvfs died there: fusermount3 -u " + o.mountpoint +
               ", or -uz with files open; see RECOVERY in csvfs(1))");
    Sidecar::RemoveIfEmpty(eo.backing_path);  // a failed start leaves no trace
    (void)fs.engine().Close();
    return ExitCode::kMount;
  }
  session.mounted = true;
  // Reads and writes of the device go through fs/device_io.h (it asks the kernel to allow
  // MAP_SHARED mmap of direct_io files).
  if (int err = InstallDeviceIo(session.se, fuse_session_fd(session.se)); err != 0) {
    PrintError(std::string("cannot set up the fuse device: ") + std::strerror(-err));
    (void)fs.engine().Close();
    return ExitCode::kRuntime;
  }
  if (fuse_daemonize(o.foreground ? 1 : 0) != 0) {
    PrintError("cannot go to the background");
    (void)fs.engine().Close();
    return ExitCode::kRuntime;
  }

  // Threads only now: fork keeps only the calling thread. SIGUSR1 first, so that every
  // thread started after it has the signal blocked.
  CheckpointSignal usr1(&fs.engine());
  if (!usr1.Start()) spdlog::warn("cannot block SIGUSR1: kill -USR1 will not checkpoint");
  fs.engine().StartThreads();
  Notifier notifier(session.se);
  notifier.Start();
  fs.set_invalidator(&notifier);
  spdlog::info("mounted {} on {} ({} rows)", eo.backing_path, o.mountpoint,
               fs.engine().Current()->row_count());

  int rc = RunLoop(session.se, o);
  fs.locks().Shutdown(EIO);  // lock waiters still blocked: the mount is gone

  fs.set_invalidator(nullptr);
  notifier.Stop();
  usr1.Stop();
  core::Status closed = fs.engine().Close();  // finishes commits, checkpoints
  if (!closed.ok()) spdlog::error("closing {}: {}", eo.backing_path, closed.ToString());
  Sidecar::RemoveIfEmpty(eo.backing_path);  // kept only while it holds files
  spdlog::info("unmounted {}", o.mountpoint);
  spdlog::default_logger()->flush();
  if (!closed.ok() || rc < 0) return ExitCode::kRuntime;
  return ExitCode::kOk;
}

}  // namespace csvfs::fs
