// The one wiring table: FUSE low-level operations -> handlers (fs/ops.h), each run under
// Guard() so it is answered exactly once and no exception reaches libfuse.
#include <cerrno>

#include "fs/ops.h"

namespace csvfs::fs::ops {
namespace {

// __PRETTY_FUNCTION__ names the handler (e.g. "... Handler = csvfs::fs::ops::Lookup ...")
// in the log line of an escaped exception.
template <auto Handler, typename... Args>
void Run(fuse_req_t req, Args... args) {
  Guard(req, __PRETTY_FUNCTION__, /*no_reply=*/false, [&](Request& r) { Handler(r, args...); });
}

template <auto Handler, typename... Args>
void RunNoReply(fuse_req_t req, Args... args) {
  Guard(req, __PRETTY_FUNCTION__, /*no_reply=*/true, [&](Request& r) { Handler(r, args...); });
}

fuse_lowlevel_ops MakeOps() {
  fuse_lowlevel_ops o{};
  o.init = Init;
  o.lookup = Run<Lookup>;
  o.forget = RunNoReply<Forget>;
  o.forget_multi = RunNoReply<ForgetMulti>;
  o.getattr = Run<Getattr>;
  o.setattr = Run<Setattr>;
  o.mknod = Run<Mknod>;
  o.mkdir = Run<Mkdir>;
  o.unlink = Run<Unlink>;
  o.rmdir = Run<Rmdir>;
  o.symlink = Run<Symlink>;
  o.rename = Run<Rename>;
  o.link = Run<Link>;
  o.readlink = Run<Readlink>;
  o.open = Run<Open>;
  o.read = Run<Read>;
  o.write = Run<Write>;
  o.flush = Run<Flush>;
  o.release = Run<Release>;
  o.fsync = Run<Fsync>;
  o.opendir = Run<Opendir>;
  o.readdir = Run<Readdir>;
  o.releasedir = Run<Releasedir>;
  o.fsyncdir = Run<Fsyncdir>;
  o.statfs = Run<Statfs>;
  o.access = Run<Access>;
  o.create = Run<Create>;
  o.getlk = Run<Getlk>;
  o.setlk = Run<Setlk>;
  o.flock = Run<Flock>;
  return o;
}

}  // namespace

const fuse_lowlevel_ops& LowLevelOps() {
  static const fuse_lowlevel_ops ops = MakeOps();
  return ops;
}

}  // namespace csvfs::fs::ops
