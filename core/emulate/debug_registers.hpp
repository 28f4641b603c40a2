// DR7's fields for breakpoint n (0-3), as the SDM lays them out (vol. 3, 18.2.4): the local and
// global enables (bits 2n, 2n+1), the kind R/W (bits 16+4n: 00 execute, 01 write, 10 I/O with
// CR4.DE, 11 read/write) and the length LEN (bits 18+4n: 1, 2, 8 or 4 bytes). The one reading
// of DR7 for bt's instruction breakpoints and the virtual CPU's I/O breakpoints.
#pragma once

#include <cstdint>

namespace prevt::dr7 {

enum class Kind : uint8_t { kExecute = 0, kWrite = 1, kIo = 2, kReadWrite = 3 };

inline bool enabled(uint32_t dr7, unsigned n) {
    return (dr7 >> (2 * n)) & 3;
}
inline Kind kind(uint32_t dr7, unsigned n) {
    return static_cast<Kind>((dr7 >> (16 + 4 * n)) & 3);
}
// In bytes; LEN 10 (8 bytes) is undefined for I/O and execute: taken as 4 there by callers.
inline unsigned length(uint32_t dr7, unsigned n) {
    static constexpr unsigned kBytes[4] = {1, 2, 8, 4};
    return kBytes[(dr7 >> (18 + 4 * n)) & 3];
}

}  // namespace prevt::dr7
