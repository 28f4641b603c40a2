// The named CPU profiles (QEMU's `-cpu NAME`, `-cpu help`): real parts, each answering CPUID
// as the part does less the features prevt does not virtualize (cpu_profile.hpp's invariant,
// checked below), and `max`, everything prevt virtualizes. docs/cpu-profiles.md says why each
// value is what it is. Header-only: bt/ keys its allowlist by these and does not link core/.
#pragma once

#include <string_view>

#include "core/emulate/cpu_profile.hpp"

namespace prevt {

namespace profile_detail {
// The features both Intel parts below have and prevt virtualizes.
inline constexpr uint32_t kP6Edx = cpuid_bit::FPU | cpuid_bit::PSE | cpuid_bit::TSC |
                                   cpuid_bit::MSR | cpuid_bit::CX8 | cpuid_bit::APIC |
                                   cpuid_bit::SEP | cpuid_bit::PGE | cpuid_bit::CMOV |
                                   cpuid_bit::MMX | cpuid_bit::FXSR | cpuid_bit::SSE;
// CPUID.4 EAX for one cache: type (1 data, 2 instruction, 3 unified), level, self-initializing;
// bits 25:14 and 31:26 (threads sharing it, cores in the package, less one) are 0: one CPU.
constexpr uint32_t cache_eax(uint32_t type, uint32_t level) {
    return type | level << 5 | 1u << 8;
}
// CPUID.4 EBX and ECX for a cache of `ways` ways and `kib` KiB in 64-byte lines.
constexpr CpuidRegs cache(uint32_t type, uint32_t level, uint32_t ways, uint32_t kib) {
    return {cache_eax(type, level), (ways - 1) << 22 | 63, kib * 1024 / (ways * 64) - 1, 0};
}
}  // namespace profile_detail

// Intel Atom N270 (Diamondville, the Bonnell core: family 6 model 0x1C stepping 2), the
// netbook part 32-bit Linux ran on. Its own CPUID.1 adds VME DE PAE MCE MTRR MCA PAT
// CLFSH DS ACPI SS HTT TM PBE / DTES64 MONITOR DS-CPL EST TM2 xTPR PDCM MOVBE, and XD and
// LAHF64 in 80000001: prevt offers none of those. Linux lists 6/0x1C as NO_SPECULATION
// (arch/x86/kernel/cpu/common.c, cpu_vuln_whitelist): no Spectre/Meltdown/MDS mitigations.
inline constexpr CpuProfile kN270{
    .name = "n270",
    .summary =
        "Intel Atom N270 (Bonnell, family 6 model 28 stepping 2): SSE2, SSE3, SSSE3 "
        "(the default)",
    .vendor = "GenuineIntel",
    .max_leaf = 0xa,
    .signature = 0x106c2,
    .edx = profile_detail::kP6Edx | cpuid_bit::SSE2,
    .ecx = cpuid_bit::SSE3 | cpuid_bit::SSSE3 | cpuid_bit::HYPERVISOR,
    // DTLB0 4K/16, DTLB 4K/64 4-way, ITLB 4K/32; DTLB 4K+4M 8-entry, L2 512K 8-way, L1I 32K
    // 8-way, L1D 24K 6-way (descriptors 59 ba 4f; c0 80 30 0e).
    .leaf2 = {0x4fba5901, 0x0e3080c0, 0, 0},
    .leaf4 = {profile_detail::cache(1, 1, 6, 24),
              profile_detail::cache(2, 1, 8, 32),
              profile_detail::cache(3, 2, 8, 512),
              {}},
    .ext_max = 0x80000008,
    .ext_edx = 0,
    .ext_ecx = 0,
    .brand = "Intel(R) Atom(TM) CPU N270   @ 1.60GHz",
    .l2_80000006 = 512u << 16 | 6u << 12 | 64,  // 512 KiB, 8-way (encoding 6), 64-byte lines
    .address_bits = 32u << 8 | 32,
    .platform_id = 2ull << 50,  // platform 2 (Linux's pf=0x4)
    .microcode = 0x20e,         // the first revision with erratum AAE44 fixed (Linux checks it)
    .misc_enable = true,
};

// Intel Pentium III (Katmai, family 6 model 7 stepping 3): SSE without SSE2, max leaf 2 (the
// processor serial number off), no extended leaves, no IA32_MISC_ENABLE (a P6). QEMU's
// `-cpu pentium3` has the same signature.
inline constexpr CpuProfile kPentium3{
    .name = "pentium3",
    .summary = "Intel Pentium III (Katmai, family 6 model 7 stepping 3): SSE, no SSE2",
    .vendor = "GenuineIntel",
    .max_leaf = 2,
    .signature = 0x673,
    .edx = profile_detail::kP6Edx,
    .ecx = cpuid_bit::HYPERVISOR,
    // ITLB 4K/32, ITLB 4M/2, DTLB 4K/64; L2 512K 4-way, L1I 16K, DTLB 4M/8, L1D 16K.
    .leaf2 = {0x03020101, 0, 0, 0x0c040843},
    .leaf4 = {},
    .ext_max = 0,
    .ext_edx = 0,
    .ext_ecx = 0,
    .brand = "",
    .l2_80000006 = 0,
    .address_bits = 0,
    .platform_id = 0,
    .microcode = 0x2,
    .misc_enable = false,
};

// Everything prevt virtualizes, on the N270's identity (so that guests key their quirks and
// their vulnerability lists on a real part): the N270's offer, RDTSCP (80000001 EDX), RDPID
// (7.0 ECX) with IA32_TSC_AUX, SMEP and SMAP (7.0 EBX) and IA32_EFER (reading 0). x2APIC and TSC-deadline
// join here as they are offered.
inline constexpr CpuProfile kMax = [] {
    CpuProfile p = kN270;
    p.name = "max";
    p.summary =
        "everything prevt virtualizes (the N270's features, RDTSCP, RDPID, SMEP, SMAP, EFER; grows "
        "with prevt)";
    p.edx = kVirtualizedEdx;
    p.ecx = kVirtualizedEcx;
    p.ext_edx = kVirtualizedExtEdx;
    p.leaf7_ecx = kVirtualizedLeaf7Ecx;
    p.leaf7_ebx = kVirtualizedLeaf7Ebx;
    p.efer = true;
    return p;
}();

inline constexpr const CpuProfile* kCpuProfiles[] = {&kN270, &kPentium3, &kMax};

constexpr bool all_within_virtualized() {
    for (const CpuProfile* p : kCpuProfiles)
        if (!p->within_virtualized()) return false;
    return true;
}
static_assert(all_within_virtualized(), "a profile offers only what prevt virtualizes");
static_assert(kMax.edx == kVirtualizedEdx && kMax.ecx == kVirtualizedEcx &&
                  kMax.ext_edx == kVirtualizedExtEdx && kMax.leaf7_ecx == kVirtualizedLeaf7Ecx &&
                  kMax.leaf7_ebx == kVirtualizedLeaf7Ebx,
              "max offers everything prevt virtualizes");

// The profile named `name` (-cpu NAME), or nullptr.
inline const CpuProfile* find_cpu_profile(std::string_view name) {
    for (const CpuProfile* p : kCpuProfiles)
        if (name == p->name) return p;
    return nullptr;
}

inline const CpuProfile& default_profile() {
    return kN270;
}

}  // namespace prevt
