// Reading an instruction's bytes before decoding it: up to 15 bytes, page by page, stopping
// at the first page that cannot be read (not present, not mapped, beyond RAM). An instruction
// that ends before that page must not fault for it; one that needs its bytes faults when the
// decoder says so (the #PF for the first byte that could not be read). One helper for the
// virtual CPU's decode_at (decoded.cpp) and bt's translator reader (bt_translate.cpp read_code).
#pragma once

#include <algorithm>
#include <cstdint>

#include "shadowmmu/pagetable.hpp"

namespace prevt {

inline constexpr unsigned kCodePage = shadowmmu::kPageSize;

// `chunk(linear, out, len)` copies `len` bytes lying within one page and returns how many it
// could (fewer ends the reading). Returns how many bytes were read.
template <class Chunk>
unsigned read_code_bytes(uint32_t linear, uint8_t* out, unsigned max, Chunk&& chunk) {
    unsigned n = 0;
    while (n < max) {
        const uint32_t at = linear + n;  // (wraps at 4 GiB, as linear addresses do)
        const unsigned len = std::min(max - n, kCodePage - (at & (kCodePage - 1)));
        const unsigned got = chunk(at, out + n, len);
        n += got;
        if (got < len) break;
    }
    return n;
}

}  // namespace prevt
