#include "core/status.h"

namespace csvfs::core {

const char* CodeName(Code c) {
  switch (c) {
    case Code::kOk: return "ok";
    case Code::kInvalid: return "invalid";
    case Code::kExists: return "exists";
    case Code::kNotFound: return "not found";
    case Code::kTooBig: return "too big";
    case Code::kNoSpace: return "no space";
    case Code::kIoError: return "I/O error";
    case Code::kReadOnly: return "read-only";
    case Code::kCorruption: return "corruption";
    case Code::kBusy: return "busy";
    case Code::kNotPermitted: return "not permitted";
    case Code::kNotSupported: return "not supported";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s = CodeName(code_);
  if (!msg_.empty()) s += ": " + msg_;
  return s;
}

}  // namespace csvfs::core
