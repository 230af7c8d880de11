#include "fs/names.h"

#include <cerrno>

namespace csvfs::fs {

int CheckName(std::string_view name) {
  if (name.size() > kMaxNameBytes) return ENAMETOOLONG;
  if (name.empty() || name == "." || name == "..") return EINVAL;
  if (name.find('/') != std::string_view::npos) return EINVAL;
  if (name.find('\0') != std::string_view::npos) return EINVAL;
  return 0;
}

}  // namespace csvfs::fs
