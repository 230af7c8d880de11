// Large, long-lived arrays (a table's row index, the key index) backed by transparent huge
// pages where the kernel offers them.
//
// Fresh anonymous memory costs one page fault per 4 KiB page on first touch; on a virtual
// machine that is several microseconds, so the ~200 MB row index of a 25M-row table cost more
// at mount than scanning the table. AllocateLarge maps whole 2 MiB-aligned extents marked
// MADV_HUGEPAGE (with THP in "madvise" or "always" mode they fault in 2 MiB at a time; else
// they behave as ordinary pages).
//
// Thread-safety: both functions may be called from any thread.
#pragma once

#include <cstddef>

namespace csvfs::core {

// Size of one huge page, and the granularity of AllocateLarge.
inline constexpr size_t kLargePage = size_t{2} << 20;

// `bytes` rounded up to a multiple of kLargePage, zero-filled, 2 MiB-aligned. Throws
// std::bad_alloc when the memory cannot be mapped.
void* AllocateLarge(size_t bytes);
// Frees what AllocateLarge(bytes) returned (same `bytes`). Null is ignored.
void FreeLarge(void* p, size_t bytes);
// `bytes` rounded up as AllocateLarge rounds it: the memory it really takes.
inline size_t LargeSize(size_t bytes) { return (bytes + kLargePage - 1) / kLargePage * kLargePage; }

}  // namespace csvfs::core
