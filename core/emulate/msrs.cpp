// The virtual CPU's MSRs by profile: the TSC, the SYSENTER triple, IA32_PLATFORM_ID,
// IA32_BIOS_SIGN_ID (the microcode revision), and IA32_MISC_ENABLE where the part has one.
// IA32_APIC_BASE where the machine has a local APIC (Cpu::apic; devices/local_apic.hpp), and
// its x2APIC registers (0x800-0x8ff) in x2APIC mode.
// IA32_EFER where the profile has it (max: reads 0, only 0 written; no bit is implemented),
// IA32_TSC_AUX with RDTSCP/RDPID (its low 32 bits; the high ones reserved).
// Missing (and #GP, as on a part without them): MTRRs, PAT, the machine-check banks, the
// performance counters.
#include "core/emulate/msrs.hpp"

#include <x86intrin.h>

#include "core/emulate/fault.hpp"

namespace prevt {

uint64_t read_msr(const Cpu& cpu, uint32_t index) {
    const VcpuState& s = cpu.s;
    const CpuProfile& p = *cpu.profile;
    switch (index) {
        case msr::kTsc: return __rdtsc() + s.msr.tsc_offset;
        case msr::kPlatformId: return p.platform_id;
        // What the guest wrote, until cpuid leaf 1 loads the revision (which is also what
        // the BIOS left there).
        case msr::kBiosSignId:
            return s.msr.bios_sign_id_written ? s.msr.bios_sign_id : uint64_t(p.microcode) << 32;
        case msr::kSysenterCs: return s.msr.sysenter_cs;
        case msr::kSysenterEsp: return s.msr.sysenter_esp;
        case msr::kSysenterEip: return s.msr.sysenter_eip;
        case msr::kMiscEnable:
            if (!p.misc_enable) break;
            return (s.msr.misc_enable & msr::kMiscEnableWritable) | msr::kMiscEnableFixed;
        case msr::kApicBase:
            if (!cpu.apic) break;
            return cpu.apic->base_msr();
        case msr::kEfer:
            if (!p.efer) break;
            return 0;
        case msr::kTscAux:
            if (!p.has_tsc_aux()) break;
            return s.msr.tsc_aux;
        default: {
            uint64_t v = 0;  // the x2APIC's registers (in x2APIC mode only)
            if (cpu.apic && cpu.apic->read_x2apic_msr(index, &v)) return v;
            break;
        }
    }
    throw fault_gp(0);
}

void write_msr(Cpu& cpu, uint32_t index, uint64_t v) {
    VcpuState& s = cpu.s;
    switch (index) {
        case msr::kTsc: s.msr.tsc_offset = v - __rdtsc(); return;
        case msr::kBiosSignId:
            s.msr.bios_sign_id = v;
            s.msr.bios_sign_id_written = true;
            return;
        case msr::kSysenterCs: s.msr.sysenter_cs = static_cast<uint32_t>(v); return;
        case msr::kSysenterEsp: s.msr.sysenter_esp = static_cast<uint32_t>(v); return;
        case msr::kSysenterEip: s.msr.sysenter_eip = static_cast<uint32_t>(v); return;
        case msr::kMiscEnable:
            if (!cpu.profile->misc_enable) break;
            // Reserved bits: #GP. Read-only bits: as they are, whatever was written.
            if (v & ~(msr::kMiscEnableWritable | msr::kMiscEnableReadOnly)) break;
            s.msr.misc_enable = v & msr::kMiscEnableWritable;
            return;
        case msr::kApicBase:
            if (!cpu.apic || !cpu.apic->write_base_msr(v)) break;
            return;
        case msr::kEfer:  // SCE, LME, NXE, ...: none implemented, so each is reserved (#GP)
            if (!cpu.profile->efer || v != 0) break;
            return;
        case msr::kTscAux:
            if (!cpu.profile->has_tsc_aux() || (v >> 32) != 0) break;
            s.msr.tsc_aux = static_cast<uint32_t>(v);
            return;
        default:  // (IA32_PLATFORM_ID is read-only)
            if (cpu.apic && cpu.apic->write_x2apic_msr(index, v)) return;  // x2APIC mode only
            break;
    }
    throw fault_gp(0);
}

void cpuid_executed(Cpu& cpu, uint32_t leaf) {
    if (leaf == 1) cpu.s.msr.bios_sign_id_written = false;
}

bool cpuid_limited(const Cpu& cpu) {
    return cpu.profile->misc_enable && (cpu.s.msr.misc_enable & msr::kMiscEnableLimitCpuid);
}

}  // namespace prevt
