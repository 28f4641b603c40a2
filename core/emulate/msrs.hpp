// The MSRs of the virtual CPU (rdmsr/wrmsr at CPL 0): the ones the guest's CPU profile
// implies (SDM vol. 4, the part's table), nothing else: any other index is #GP(0), as on the
// part. docs/cpu-profiles.md lists them.
#pragma once

#include <cstdint>

#include "core/emulate/cpu.hpp"

namespace prevt {

namespace msr {
inline constexpr uint32_t kTsc = 0x10, kPlatformId = 0x17, kBiosSignId = 0x8b, kSysenterCs = 0x174,
                          kSysenterEsp = 0x175, kSysenterEip = 0x176, kMiscEnable = 0x1a0,
                          kApicBase = 0x1b,  // devices::LocalApic::kBaseMsr
    kEfer = 0xc0000080, kTscAux = 0xc0000103;
// IA32_MISC_ENABLE: the bits a guest may set (fast strings, automatic thermal control, EIST,
// MONITOR FSM, limit CPUID maxval, xTPR disable, XD disable) and the read-only ones (7: no
// performance monitoring; 11, 12: BTS and PEBS unavailable, both read 1). The writable bits
// are recorded and read back; only "limit CPUID maxval" changes what the CPU does.
inline constexpr uint64_t kMiscEnableWritable =
    1ull << 0 | 1ull << 3 | 1ull << 16 | 1ull << 18 | 1ull << 22 | 1ull << 23 | 1ull << 34;
inline constexpr uint64_t kMiscEnableFixed = 1ull << 11 | 1ull << 12;  // read-only, as read
inline constexpr uint64_t kMiscEnableReadOnly = 1ull << 7 | kMiscEnableFixed;
inline constexpr uint64_t kMiscEnableLimitCpuid = 1ull << 22;
}  // namespace msr

// Throws GuestFault (#GP(0)) for an MSR the profile does not have, or a reserved bit written.
uint64_t read_msr(const Cpu& cpu, uint32_t index);
void write_msr(Cpu& cpu, uint32_t index, uint64_t value);

// cpuid's side effect on the MSRs: leaf 1 loads the microcode revision into
// IA32_BIOS_SIGN_ID (Linux writes 0, runs cpuid, reads the revision).
void cpuid_executed(Cpu& cpu, uint32_t leaf);
// Whether IA32_MISC_ENABLE limits the basic CPUID leaves to 2.
bool cpuid_limited(const Cpu& cpu);

}  // namespace prevt
