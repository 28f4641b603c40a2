// What `cpuid` answers: the guest's CPU profile (cpu_profiles.hpp), leaf by leaf, as the
// profiled part answers less what prevt does not virtualize. docs/cpu-profiles.md lists the
// leaves and what guests read in them.
#include <algorithm>
#include <cstring>

#include "core/emulate/execute.hpp"

namespace prevt {

namespace {

uint32_t word(const char* text, unsigned i) {
    uint32_t w;
    memcpy(&w, text + 4 * i, 4);  // little-endian: the first character in the low byte
    return w;
}

CpuidRegs basic_leaf(uint32_t leaf, uint32_t subleaf, const CpuProfile& p, uint32_t max) {
    switch (leaf) {
        case 0: return {max, word(p.vendor, 0), word(p.vendor, 2), word(p.vendor, 1)};
        // EBX: brand index 0, no CLFLUSH line size (no CLFSH), one logical CPU (no HTT), APIC
        // ID 0: the fields whose feature is not offered read 0.
        case 1: return {p.signature, 0, p.ecx, p.edx};
        case 2: return p.leaf2;
        case 4: return subleaf < std::size(p.leaf4) ? p.leaf4[subleaf] : CpuidRegs{};
        // Structured extended features: subleaf 0 only (EAX 0: no others), EBX's SMAP, ECX's
        // RDPID.
        case 7: return subleaf == 0 ? CpuidRegs{0, p.leaf7_ebx, p.leaf7_ecx, 0} : CpuidRegs{};
        // 3 (serial number: off), 5 (MONITOR: not offered), 6 (thermal and power: none), 8-9,
        // and 0xA: the
        // architectural PMU's version 0, i.e. no PMU, so no guest touches its MSRs.
        default: return {};
    }
}

CpuidRegs extended_leaf(uint32_t leaf, const CpuProfile& p) {
    switch (leaf) {
        case 0x80000000: return {p.ext_max, 0, 0, 0};
        case 0x80000001: return {0, 0, p.ext_ecx, p.ext_edx};
        case 0x80000002:
        case 0x80000003:
        case 0x80000004: {
            const unsigned at = (leaf - 0x80000002) * 4;
            return {word(p.brand, at), word(p.brand, at + 1), word(p.brand, at + 2),
                    word(p.brand, at + 3)};
        }
        case 0x80000006: return {0, 0, p.l2_80000006, 0};
        case 0x80000008: return {p.address_bits, 0, 0, 0};
        default: return {};  // 0x80000005 and 0x80000007: reserved (zeros) on Intel parts
    }
}

}  // namespace

void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4], const CpuProfile& p, bool limited) {
    // IA32_MISC_ENABLE's "limit CPUID maxval" (bit 22): the basic leaves end at 2.
    const uint32_t max = limited ? std::min<uint32_t>(p.max_leaf, 2) : p.max_leaf;
    // Above the maximum basic or extended leaf an Intel CPU answers with the highest basic
    // leaf (SDM vol. 2A, CPUID: "data for the highest basic information leaf is returned").
    // Hypervisor leaves (0x40000000...) are such leaves: prevt announces no interface there.
    const bool extended = leaf >= 0x80000000 && p.ext_max != 0 && leaf <= p.ext_max;
    const CpuidRegs r =
        extended ? extended_leaf(leaf, p) : basic_leaf(leaf <= max ? leaf : max, subleaf, p, max);
    out[0] = r.eax, out[1] = r.ebx, out[2] = r.ecx, out[3] = r.edx;
}

}  // namespace prevt
