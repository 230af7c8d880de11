#include "fs/key_reservations.h"

namespace csvfs::fs {

bool KeyReservations::TryReserve(std::string_view key) {
  std::lock_guard<std::mutex> l(mu_);
  return keys_.emplace(key).second;
}

bool KeyReservations::IsReserved(std::string_view key) const {
  std::lock_guard<std::mutex> l(mu_);
  return keys_.find(key) != keys_.end();
}

void KeyReservations::Release(std::string_view key) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = keys_.find(key);
  if (it != keys_.end()) keys_.erase(it);
}

}  // namespace csvfs::fs
