#include "core/resident_pages.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>

namespace csvfs::core {
namespace {

struct Registry {
  std::mutex mu;
  std::map<uintptr_t, size_t> mappings;  // start -> length
};

Registry& TheRegistry() {
  static Registry* r = new Registry();  // never destroyed: mappings may outlive statics
  return *r;
}

std::atomic<uint64_t> budget{uint64_t{32} << 20};
std::atomic<uint64_t> since_drop{0};

}  // namespace

void SetResidentBudget(uint64_t bytes) {
  budget.store(bytes);
  since_drop.store(0);
}

void RegisterMapping(const void* addr, size_t len) {
  if (addr == nullptr || len == 0) return;
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> l(r.mu);
  r.mappings[reinterpret_cast<uintptr_t>(addr)] = len;
}

void UnregisterMapping(const void* addr) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> l(r.mu);
  r.mappings.erase(reinterpret_cast<uintptr_t>(addr));
}

void DropMappedPages() {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> l(r.mu);  // no munmap can run meanwhile
  for (const auto& [start, len] : r.mappings) {
    (void)::madvise(reinterpret_cast<void*>(start), len, MADV_DONTNEED);
  }
}

void NoteMappedRead(uint64_t bytes) {
  const uint64_t b = budget.load(std::memory_order_relaxed);
  if (b == 0) return;
  if (since_drop.fetch_add(bytes, std::memory_order_relaxed) + bytes < b) return;
  since_drop.store(0, std::memory_order_relaxed);
  DropMappedPages();
}

}  // namespace csvfs::core
