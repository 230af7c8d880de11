// lookup and forget: the kernel's references on inodes.
#include <cerrno>

#include "fs/op_common.h"
#include "fs/ops.h"

namespace csvfs::fs::ops {

void Lookup(Request& r, fuse_ino_t parent, const char* name) {
  fuse_entry_param e;
  int err = LookupEntry(r.fs(), parent, name, &e);
  if (err != 0) {
    r.ReplyErr(err);
    return;
  }
  r.ReplyEntry(e);
}

void Forget(Request& r, fuse_ino_t ino, uint64_t nlookup) {
  r.fs().inodes().Forget(ino, nlookup);
  r.ReplyNone();
}

void ForgetMulti(Request& r, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) r.fs().inodes().Forget(forgets[i].ino, forgets[i].nlookup);
  r.ReplyNone();
}

}  // namespace csvfs::fs::ops
