// Name checks for entries of the mount. FUSE-free.
#pragma once

#include <string_view>

namespace csvfs::fs {

inline constexpr size_t kMaxNameBytes = 255;

// 0 if `name` may name an entry; ENAMETOOLONG over 255 bytes; EINVAL for "", ".", "..",
// or names holding '/' or NUL.
int CheckName(std::string_view name);

}  // namespace csvfs::fs
