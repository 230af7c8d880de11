// Small helpers shared by the Env implementations (PosixEnv, MemEnv, tests' FaultEnv).
#pragma once

#include <string>

#include "core/status.h"

namespace csvfs::core {

// Directory methods take plain names: non-empty, not "." or "..", no '/' and no NUL.
inline Status CheckPlainName(const std::string& name) {
  if (name.empty() || name == "." || name == ".." ||
      name.find_first_of(std::string("/\0", 2)) != std::string::npos) {
    return Status::Invalid("not a plain file name: '" + name + "'");
  }
  return Status::Ok();
}

// "dir/name", for messages.
inline std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

}  // namespace csvfs::core
