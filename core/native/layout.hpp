// The low 4 GiB of the host process, as the native engines (trap, bt) use it:
//
//   0x0000_0000 .. kGuestOffset          unmappable (mmap_min_addr) - guest linear top wraps here
//   kGuestOffset .. kMonitorBase         guest linear 0 .. kGuestLinearLimit (host = guest + offset)
//   kMonitorBase .. 4 GiB                the monitor's area (stubs, translation cache, per-vCPU data)
//   above 4 GiB                          the monitor itself: code, heap, stacks, libc
//
// Every shadow segment base is the guest base plus kGuestOffset; every shadow segment limit
// is truncated so that the segment ends below kMonitorBase (address-space compression).
#pragma once

#include <cstdint>

namespace prevt::native {

inline constexpr uint64_t kGuestOffset = 0x10000;   // >= /proc/sys/vm/mmap_min_addr
inline constexpr uint64_t kMonitorBase = 0xfe000000; // top 32 MiB of the 4 GiB
inline constexpr uint64_t kFourGiB = 1ull << 32;
inline constexpr uint32_t kGuestLinearLimit = kMonitorBase - kGuestOffset - 1;

// Host LDT: guest GDT index i -> host entry i; guest LDT index j -> host entry kGuestLdtFirst + j.
inline constexpr unsigned kHostLdtEntries = 8192;
inline constexpr unsigned kGuestLdtFirst = 4096;
inline constexpr unsigned kGuestLdtEntries = 3968;  // the last 128 entries are the monitor's
inline constexpr unsigned kMonitorLdtFirst = kGuestLdtFirst + kGuestLdtEntries;

// The host's own 64-bit selectors (Linux x86-64 ABI).
inline constexpr uint16_t kHostCs64 = 0x33;
inline constexpr uint16_t kHostCs32 = 0x23;
inline constexpr uint16_t kHostSs = 0x2b;

inline uint64_t host_address(uint32_t guest_linear) { return guest_linear + kGuestOffset; }

}  // namespace prevt::native
