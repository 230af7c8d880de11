#include "core/large_alloc.h"

#include <sys/mman.h>

#include <cstdint>
#include <new>

namespace csvfs::core {

void* AllocateLarge(size_t bytes) {
  const size_t size = LargeSize(bytes == 0 ? 1 : bytes);
  // Over-map by one huge page and cut the ends so that the extent is 2 MiB-aligned: a huge
  // page can only back an aligned 2 MiB range.
  void* raw = ::mmap(nullptr, size + kLargePage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kLargePage - 1) & ~uintptr_t{kLargePage - 1};
  if (aligned > start) ::munmap(raw, aligned - start);
  const uintptr_t end = start + size + kLargePage;
  if (end > aligned + size) ::munmap(reinterpret_cast<void*>(aligned + size), end - aligned - size);
  void* p = reinterpret_cast<void*>(aligned);
#ifdef MADV_HUGEPAGE
  (void)::madvise(p, size, MADV_HUGEPAGE);  // a hint; without THP the pages are 4 KiB
#endif
  return p;
}

void FreeLarge(void* p, size_t bytes) {
  if (p != nullptr) ::munmap(p, LargeSize(bytes == 0 ? 1 : bytes));
}

}  // namespace csvfs::core
