// Decoding of open(2) flags. FUSE-free.
#pragma once

#include <fcntl.h>

namespace csvfs::fs {

inline bool OpensForWrite(int flags) {
  return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0;
}
inline bool OpensForRead(int flags) { return (flags & O_ACCMODE) != O_WRONLY; }
inline bool Appends(int flags) { return (flags & O_APPEND) != 0; }
inline bool Truncates(int flags) { return (flags & O_TRUNC) != 0; }

}  // namespace csvfs::fs
