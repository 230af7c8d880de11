// KeyReservations: row keys being created through open handles (key mode). With O_EXCL,
// of several racing creators exactly one reserves the key; the others get EEXIST at open.
// FUSE-free; thread-safe.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace csvfs::fs {

class KeyReservations {
 public:
  // True if `key` was free and is now reserved by the caller.
  bool TryReserve(std::string_view key);
  bool IsReserved(std::string_view key) const;
  void Release(std::string_view key);

 private:
  mutable std::mutex mu_;
  std::set<std::string, std::less<>> keys_;
};

}  // namespace csvfs::fs
