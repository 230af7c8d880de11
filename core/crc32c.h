// Internals of Crc32c (declared in core/journal.h), exposed so tests can check that the
// hardware and software implementations agree. Engine code calls Crc32c() instead.
#pragma once

#include <cstddef>
#include <cstdint>

namespace csvfs::core::internal {

// Table-driven, portable. Same contract as Crc32c(): extends `crc` by `n` bytes.
uint32_t Crc32cSoftware(uint32_t crc, const void* data, size_t n);

// True if this build and this CPU compute crc32c with the crc32 instruction (x86_64 with
// SSE4.2, checked at run time).
bool Crc32cHasHardware();

// The crc32 instruction on three interleaved streams; falls back to Crc32cSoftware when the
// build or the CPU has none.
uint32_t Crc32cHardware(uint32_t crc, const void* data, size_t n);

}  // namespace csvfs::core::internal
