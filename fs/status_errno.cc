#include "fs/status_errno.h"

#include <cerrno>

namespace csvfs::fs {

int StatusToErrno(const core::Status& status) {
  using core::Code;
  switch (status.code()) {
    case Code::kOk:
      return 0;
    case Code::kInvalid:
      return EINVAL;
    case Code::kExists:
      return EEXIST;
    case Code::kNotFound:
      return ENOENT;
    case Code::kTooBig:
      return EFBIG;
    case Code::kNoSpace:
      return ENOSPC;
    case Code::kIoError:
      return status.os_error() != 0 ? status.os_error() : EIO;
    case Code::kReadOnly:
      return EROFS;
    case Code::kCorruption:
      return EIO;
    case Code::kBusy:
      return EBUSY;
    case Code::kNotPermitted:
      return EPERM;
    case Code::kNotSupported:
      return EOPNOTSUPP;
  }
  return EIO;
}

}  // namespace csvfs::fs
