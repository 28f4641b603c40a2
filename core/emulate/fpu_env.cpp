// The x87 environment stores on the virtual CPU: fnstenv, fnsave, fxsave (and the loads,
// fldenv, frstor, fxrstor, which tell it which FIP is the guest's own). Run natively they
// would store the host's view of the last x87 instruction: its address in the translation
// cache as FIP and the host's FCS/FDS. bt calls them out; here the monitor runs the same
// instruction on the guest's live x87 state (the monitor executes no x87 code, so the x87
// registers are still the guest's at a callout; XMM0-7 and MXCSR were saved in
// VcpuState::fpu), puts the guest's FIP (CpuHooks::guest_fpu_ip: the cache address mapped
// back) and selectors in the image, and stores it through the guest's segment and page
// tables. The destination is probed first: a store that faults leaves the FPU as it was (the
// native fnsave then reinitializes it, as the instruction does).
#include <cstring>

#include "core/emulate/execute.hpp"

namespace prevt {

namespace {

constexpr unsigned kFxsaveWritten = 288;  // bytes a 32-bit fxsave writes

// Probes every byte of [offset, offset + len) for a write (#GP/#SS/#PF before any change).
void probe_write(Cpu& cpu, SegReg sr, uint32_t offset, unsigned len) {
    for (unsigned at = 0; at < len; at += 4) {
        const unsigned n = len - at < 4 ? len - at : 4;
        cpu.write(sr, offset + at, n, cpu.read(sr, offset + at, n));
    }
}

void store(Cpu& cpu, SegReg sr, uint32_t offset, const uint8_t* bytes, unsigned len) {
    for (unsigned at = 0; at < len; at += 4) {
        const unsigned n = len - at < 4 ? len - at : 4;
        uint32_t v = 0;
        memcpy(&v, bytes + at, n);
        cpu.write(sr, offset + at, n, v);
    }
}

void put32(uint8_t* p, uint32_t v) {
    memcpy(p, &v, 4);
}
uint32_t get32(const uint8_t* p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

// The guest's FIP/FCS and FDS in place of the host's, at their offsets in an image. FCS is
// the guest's CS whenever there is a FIP, as on the CPUs of the guest's profile (no CPUID leaf
// 7); pointers fninit cleared stay 0. FDP, FDS and FOP are what the host recorded: a host that
// deprecates them (CPUID 7.EBX[6] and [13], the Xeons here) stores 0, where a CPU of the
// profile would store the last x87 memory operand and opcode; prevt does not track those. A
// nonzero host FDS becomes the guest's DS: a host selector never stays.
// Whether this host's fxsave gives the x87 pointers at all (the guest's state crosses the
// world switch through fxsave/fxrstor): AMD's store them only with an unmasked exception
// pending (FSW.ES) and store 0 otherwise. Probed once at start-up, before any guest runs: the
// probe's fldenv leaves its own pointers in the hardware (on such a host fxrstor does not
// load them back).
bool probe_host_stores_x87_pointers() {
    alignas(16) uint8_t saved[512];
    asm volatile("fxsave64 %0" : "=m"(saved));
    const uint32_t env[7] = {0x037f, 0, 0xffff, 0x12345678, 0x0008, 0, 0};
    alignas(16) uint8_t out[512] = {};
    asm volatile("fldenv %1\n\tfxsave %0" : "=m"(out) : "m"(env));  // (FIP at 8)
    asm volatile("fninit\n\tfxrstor64 %0" ::"m"(saved));
    return get32(out + 8) == 0x12345678;
}
const bool kHostStoresX87Pointers = probe_host_stores_x87_pointers();
bool host_stores_x87_pointers() {
    return kHostStoresX87Pointers;
}

// A FIP the guest loaded itself (fldenv, frstor, fxrstor) and no x87 instruction has replaced
// since stays as loaded, with the FCS loaded with it. On a host that stores no pointers (0,
// above) a loaded FIP stays until the guest loads another: an x87 instruction since (or
// fninit) would have replaced it on the profile's CPU, and prevt cannot see that there.
void guest_pointers(Cpu& cpu, uint8_t* fip_at, uint8_t* fcs_at, uint8_t* fds_at) {
    const uint32_t host_fip = get32(fip_at);
    uint32_t fip = host_fip;
    uint16_t fcs = fip ? cpu.s.sreg(SegReg::cs).selector : 0;
    VcpuState::LoadedFpuIp& loaded = cpu.s.fpu_loaded_ip;
    if (loaded.valid &&
        (host_fip == loaded.fip || (host_fip == 0 && !host_stores_x87_pointers()))) {
        fip = loaded.fip;
        fcs = loaded.fcs;
    } else {
        loaded.valid = false;  // an x87 instruction ran since
        if (fip) cpu.hooks.guest_fpu_ip(&fip);
    }
    put32(fip_at, fip);
    put32(fcs_at, (get32(fcs_at) & 0xffff0000u) | fcs);
    const uint16_t fds = get32(fds_at) & 0xffff ? cpu.s.sreg(SegReg::ds).selector : 0;
    put32(fds_at, (get32(fds_at) & 0xffff0000u) | fds);
}

// The 14-byte 16-bit environment from the 28-byte one (FIP, FDP low 16 bits), and back.
void to_env16(uint8_t* env, uint8_t* out) {
    for (int i = 0; i < 7; ++i) memcpy(out + 2 * i, env + 4 * i, 2);
}
void from_env16(const uint8_t* env16, uint8_t* out) {
    memset(out, 0, 28);
    for (int i = 0; i < 7; ++i) memcpy(out + 4 * i, env16 + 2 * i, 2);
}

// Runs `op` (one native x87/SSE instruction on the guest's state) with the guest's state in
// the hardware: after a callout it is there (the monitor runs no x87 code); after a signal
// exit it is only in VcpuState::fpu, loaded for the instruction and saved back after it (the
// monitor's own x87 and MXCSR state then reset, as the world switch leaves them).
template <class Op>
void with_guest_fpu(Cpu& cpu, Op op) {
    const bool live = cpu.hooks.fpu_in_hardware();
    uint8_t* area = cpu.s.fpu.data();
    if (!live) asm volatile("fxrstor64 %0" ::"m"(*reinterpret_cast<uint8_t(*)[512]>(area)));
    op();
    if (!live) {
        asm volatile("fxsave64 %0" : "=m"(*reinterpret_cast<uint8_t(*)[512]>(area)));
        const uint32_t mxcsr = 0x1f80;
        asm volatile("fninit\n\tldmxcsr %0" ::"m"(mxcsr));
    }
}

}  // namespace

Outcome execute_fpu_store(Cpu& cpu, const Decoded& d) {
    const ZydisMnemonic m = d.in.mnemonic;
    if (m != ZYDIS_MNEMONIC_FNSTENV && m != ZYDIS_MNEMONIC_FNSAVE && m != ZYDIS_MNEMONIC_FXSAVE)
        return Outcome::kNotEmulated;
    if (d.ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY) return Outcome::kNotEmulated;
    const SegReg sr = operand_segment(d, 0);
    const uint32_t offset = effective_offset(cpu, d, 0);
    const bool o16 = d.operand_size() == 2;
    alignas(16) uint8_t image[512] = {};
    unsigned len = 0;
    if (m == ZYDIS_MNEMONIC_FXSAVE) {
        len = 512;
        if (cpu.s.cr0 & cr0::PE && (offset + cpu.s.sreg(sr).base) % 16)
            throw fault_gp(0);  // a misaligned fxsave operand
        probe_write(cpu, sr, offset, len);
        // 32-bit format: FIP, FCS, FDP, FDS. Outside 64-bit mode the CPU writes bytes 0-287
        // only (288-463 reserved, 464-511 software's; checked natively on the host): the
        // rest of the monitor's image (its XMM8-15) never reaches the guest.
        with_guest_fpu(cpu, [&] {
            asm volatile("fxsave %0" : "=m"(image));
            // A host whose fxsave stores no pointers (AMD's, without an exception pending):
            // FOP, FIP, FCS, FDP and FDS from an environment store, the environment put back
            // (fnstenv masks the exceptions after storing).
            if (!host_stores_x87_pointers()) {
                uint8_t env[28];
                asm volatile("fnstenv %0\n\tfldenv %0" : "+m"(env));
                memcpy(image + 6, env + 18, 2);   // FOP (bits 16-26 of the FCS dword)
                memcpy(image + 8, env + 12, 6);   // FIP, FCS
                memcpy(image + 16, env + 20, 6);  // FDP, FDS
            }
        });
        len = kFxsaveWritten;
        guest_pointers(cpu, image + 8, image + 12, image + 20);
        memcpy(image + 24, cpu.s.fpu.data() + 24, 4);      // MXCSR: the guest's, saved at exit
        memcpy(image + 160, cpu.s.fpu.data() + 160, 128);  // XMM0-7: likewise
        if (!(cpu.s.cr4 & cr4::OSFXSR)) memset(image + 160, 0, 128), memset(image + 24, 0, 8);
    } else {
        uint8_t full[108];
        const unsigned env = o16 ? 14 : 28;
        len = m == ZYDIS_MNEMONIC_FNSAVE ? env + 80 : env;
        probe_write(cpu, sr, offset, len);
        with_guest_fpu(cpu, [&] {
            if (m == ZYDIS_MNEMONIC_FNSAVE)
                asm volatile("fnsave %0" : "=m"(full));  // and reinitializes, as asked
            else
                asm volatile("fnstenv %0" : "=m"(full));  // and masks every exception
        });
        guest_pointers(cpu, full + 12, full + 16, full + 24);
        if (o16) {
            to_env16(full, image);
            memcpy(image + 14, full + 28, len - 14);
        } else {
            memcpy(image, full, len);
        }
    }
    store(cpu, sr, offset, image, len);
    cpu.s.eip = d.next_eip();
    return Outcome::kDone;
}

// fldenv, frstor, fxrstor: the guest's image read through its segment and page tables (and
// checked: an fxrstor image's MXCSR must fit the host's MXCSR_MASK, or #GP(0), as the
// instruction itself checks), loaded by the same native instruction, and its FIP and FCS
// remembered as the guest's own (VcpuState::fpu_loaded_ip). Copied natively these would be
// harmless, but the next environment store could not tell the loaded FIP from a cache address.
Outcome execute_fpu_load(Cpu& cpu, const Decoded& d) {
    const ZydisMnemonic m = d.in.mnemonic;
    if (m != ZYDIS_MNEMONIC_FLDENV && m != ZYDIS_MNEMONIC_FRSTOR && m != ZYDIS_MNEMONIC_FXRSTOR)
        return Outcome::kNotEmulated;
    if (d.ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY) return Outcome::kNotEmulated;
    // fldenv and frstor check for a pending unmasked x87 exception first (FSW.ES): #MF at the
    // instruction, as the host raises it when they run natively; fxrstor does not check, and
    // the image replaces the pending state (cleared first, so that the monitor's own copy of
    // the instruction cannot raise it).
    uint16_t fsw = 0;
    if (cpu.hooks.fpu_in_hardware())
        asm volatile("fnstsw %0" : "=m"(fsw));
    else
        memcpy(&fsw, cpu.s.fpu.data() + 2, 2);
    if (m != ZYDIS_MNEMONIC_FXRSTOR && (fsw & 0x80)) throw GuestFault{vec::MF, false, 0, 0};
    const SegReg sr = operand_segment(d, 0);
    const uint32_t offset = effective_offset(cpu, d, 0);
    const bool o16 = d.operand_size() == 2;
    alignas(16) uint8_t image[512] = {};
    auto read = [&](uint8_t* out, unsigned len) {
        for (unsigned at = 0; at < len; at += 4) {
            const unsigned n = len - at < 4 ? len - at : 4;
            const uint32_t v = cpu.read(sr, offset + at, n);
            memcpy(out + at, &v, n);
        }
    };
    if (m == ZYDIS_MNEMONIC_FXRSTOR) {
        if (cpu.s.cr0 & cr0::PE && (offset + cpu.s.sreg(sr).base) % 16) throw fault_gp(0);
        read(image, 512);
        alignas(16) uint8_t host[512];
        asm volatile("fxsave %0" : "=m"(host));
        const uint32_t mask = get32(host + 28) ? get32(host + 28) : 0xffbf;
        if (cpu.s.cr4 & cr4::OSFXSR && (get32(image + 24) & ~mask)) throw fault_gp(0);
        uint8_t before[4 + 128];  // MXCSR, XMM0-7 as they were (CR4.OSFXSR clear: they stay)
        memcpy(before, cpu.s.fpu.data() + 24, 4);
        memcpy(before + 4, cpu.s.fpu.data() + 160, 128);
        with_guest_fpu(cpu, [&] {
            asm volatile("fnclex");
            asm volatile("fxrstor %0" ::"m"(image)
                         : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                           "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
            const uint32_t mxcsr = 0x1f80;  // the monitor's again (the guest's is below)
            asm volatile("ldmxcsr %0" ::"m"(mxcsr));
        });
        // What the next entry loads: XMM0-7 and MXCSR, the image's (or, without CR4.OSFXSR,
        // the ones from before: the instruction leaves them alone then).
        const bool sse = cpu.s.cr4 & cr4::OSFXSR;
        memcpy(cpu.s.fpu.data() + 24, sse ? image + 24 : before, 4);
        memcpy(cpu.s.fpu.data() + 160, sse ? image + 160 : before + 4, 128);
        cpu.s.fpu_loaded_ip = {get32(image + 8), static_cast<uint16_t>(get32(image + 12)), true};
    } else {
        uint8_t full[108];
        const unsigned env = o16 ? 14 : 28;
        const unsigned len = m == ZYDIS_MNEMONIC_FRSTOR ? env + 80 : env;
        uint8_t raw[108];
        read(raw, len);
        if (o16) {
            from_env16(raw, full);
            memcpy(full + 28, raw + 14, len - 14);
        } else {
            memcpy(full, raw, len);
        }
        with_guest_fpu(cpu, [&] {
            if (m == ZYDIS_MNEMONIC_FRSTOR)
                asm volatile("frstor %0" ::"m"(full));
            else
                asm volatile("fldenv %0" ::"m"(full));
        });
        cpu.s.fpu_loaded_ip = {get32(full + 12), static_cast<uint16_t>(get32(full + 16)), true};
    }
    cpu.s.eip = d.next_eip();
    return Outcome::kDone;
}

}  // namespace prevt
