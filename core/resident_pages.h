// ResidentPages: keeps the daemon's resident file-backed memory bounded. Table bytes are
// served from read-only file mappings (BACKING, a scratch file being merged); every page a
// read, a merge or a checkpoint touches stays mapped into the daemon and counts in its RSS
// (VmHWM, RssFile) although the kernel's page cache holds it anyway. So the mappings are
// registered here, bytes read from them are counted, and each time the count passes the
// budget the registered mappings are told MADV_DONTNEED: their pages leave the daemon's RSS
// (not the page cache); the next access faults them back in from the cache.
//
// Only registered ranges are ever advised, so no other memory can be discarded. The mappings
// must be read-only (PROT_READ) file mappings: dropping their pages loses nothing.
//
// Thread-safety: every function may be called from any thread. Cost: NoteMappedRead is one
// atomic add; once per budget of bytes it advises every mapping (one madvise each).
#pragma once

#include <cstddef>
#include <cstdint>

namespace csvfs::core {

// Bytes read from registered mappings between two drops (default 32 MiB); 0: never drop.
// Restarts the count.
void SetResidentBudget(uint64_t bytes);
// A read-only file mapping [addr, addr+len) that may be dropped from RSS at any time.
void RegisterMapping(const void* addr, size_t len);
// Before munmap of a registered mapping.
void UnregisterMapping(const void* addr);
// `bytes` of registered mappings were read.
void NoteMappedRead(uint64_t bytes);
// Drops the resident pages of every registered mapping now.
void DropMappedPages();

}  // namespace csvfs::core
