// DR7's fields for breakpoint n (0-3), as the SDM lays them out (vol. 3, 18.2.4): the local and
// global enables (bits 2n, 2n+1), the kind R/W (bits 16+4n: 00 execute, 01 write, 10 I/O with
// CR4.DE, 11 read/write) and the length LEN (bits 18+4n: 1, 2, 8 or 4 bytes), GD (bit 13).
// The one reading of DR7 for bt's instruction breakpoints, the virtual CPU's I/O and data
// breakpoints and the engines' watched pages.
#pragma once

#include <array>
#include <cstdint>
#include <map>

namespace prevt::dr7 {

enum class Kind : uint8_t { kExecute = 0, kWrite = 1, kIo = 2, kReadWrite = 3 };

constexpr uint32_t kGeneralDetect = 1u << 13;  // GD: the next MOV DR is #DB with DR6.BD
constexpr uint32_t kDr6Bd = 1u << 13, kDr6Bs = 1u << 14, kDr6Bt = 1u << 15;
// L0-L3: cleared by a hardware task switch (the G bits stay), as QEMU and the SDM do.
constexpr uint32_t kLocalEnables = 0x55;

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
// Breakpoint n watches data: enabled, kind 01 (writes) or 11 (reads and writes).
inline bool watches_data(uint32_t dr7, unsigned n) {
    return enabled(dr7, n) && (kind(dr7, n) == Kind::kWrite || kind(dr7, n) == Kind::kReadWrite);
}
// The bytes breakpoint n watches: LEN bytes from DRn with its low bits ignored (SDM 18.2.5:
// the address is aligned to the length; QEMU TCG does not align it, guests align anyway).
inline uint32_t first_byte(uint32_t dr, uint32_t dr7, unsigned n) {
    return dr & ~(length(dr7, n) - 1);
}

// The data breakpoints a data access of `len` bytes at `linear` hits (B0-B3): an enabled one
// of kind 11, or of kind 01 for a store, whose bytes overlap the access's. (QEMU TCG, whose
// goldens the guests compare with, sets no B bit for a disabled data breakpoint: neither
// does this.) Callers test `dr7 & 0xff` first: nothing to do while none is enabled.
inline uint8_t data_hits(const std::array<uint32_t, 4>& dr, uint32_t dr7, uint32_t linear,
                         unsigned len, bool write) {
    uint8_t hits = 0;
    for (unsigned n = 0; n < 4; ++n) {
        if (!watches_data(dr7, n) || (!write && kind(dr7, n) == Kind::kWrite)) continue;
        const uint32_t first = first_byte(dr[n], dr7, n);
        // Overlap of [first, first + LEN) and [linear, linear + len), modulo 4 GiB.
        if (uint32_t(linear - first) < length(dr7, n) || uint32_t(first - linear) < len)
            hits |= uint8_t(1u << n);
    }
    return hits;
}

// The linear pages the enabled data breakpoints cover, each with whether reads count too
// (kind 11 on it): what an engine keeps native accesses from (ShadowMmu::watch).
inline std::map<uint32_t, bool> watched_pages(const std::array<uint32_t, 4>& dr, uint32_t dr7) {
    std::map<uint32_t, bool> pages;
    for (unsigned n = 0; n < 4; ++n) {
        if (!watches_data(dr7, n)) continue;
        const uint32_t first = first_byte(dr[n], dr7, n);  // (aligned: one page)
        pages[first & ~0xfffu] |= kind(dr7, n) == Kind::kReadWrite;
    }
    return pages;
}

}  // namespace prevt::dr7
