// The low 4 GiB of the host process, as the native engines (trap, bt) use it:
//
//   0x0000_0000 .. offset                unmappable (mmap_min_addr) - guest linear top wraps here
//   offset .. kMonitorBase               guest linear 0 .. (host = guest + offset)
//   kMonitorBase .. 4 GiB                the monitor's area (stubs, translation cache, per-vCPU
//   data) above 4 GiB                          the monitor itself: code, heap, stacks, libc
//
// Every shadow segment base is the guest base plus the engine's guest offset; every shadow
// segment limit is truncated so that the segment ends below kMonitorBase (address-space
// compression). The offset is 0 for the trap engine: on AMD Zen hosts a code segment with a
// non-zero base costs ~15 cycles per taken branch (measured, docs/substrate.md), and native
// guest code must run at native speed; guest linear page 0 is then unmappable
// (vm.mmap_min_addr). kPageZeroOffset moves page 0 out of the hole for engines whose
// hardware CS never holds a guest base (bt: translated code runs in the monitor's segment).
#pragma once

#include <cstdint>

namespace prevt::native {

inline constexpr uint64_t kPageZeroOffset = 0x10000;  // >= /proc/sys/vm/mmap_min_addr
inline constexpr uint64_t kMonitorBase = 0xfe000000;  // top 32 MiB of the 4 GiB
inline constexpr uint64_t kFourGiB = 1ull << 32;

// Host LDT: entries 1 .. kMonitorLdtFirst - 1 are shadow descriptors, allocated by content
// (shadow_ldt.hpp); the last 128 entries are the monitor's.
inline constexpr unsigned kHostLdtEntries = 8192;
inline constexpr unsigned kMonitorLdtFirst = kHostLdtEntries - 128;

// The host's own 64-bit selectors (Linux x86-64 ABI).
inline constexpr uint16_t kHostCs64 = 0x33;
inline constexpr uint16_t kHostCs32 = 0x23;
inline constexpr uint16_t kHostSs = 0x2b;

}  // namespace prevt::native
