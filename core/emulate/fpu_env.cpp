// The x87 environment stores on the virtual CPU: fnstenv, fnsave, fxsave. Run natively they
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
void guest_pointers(Cpu& cpu, uint8_t* fip_at, uint8_t* fcs_at, uint8_t* fds_at) {
    uint32_t fip = get32(fip_at);
    const uint16_t fcs = fip ? cpu.s.sreg(SegReg::cs).selector : 0;
    if (fip) cpu.hooks.guest_fpu_ip(&fip);
    put32(fip_at, fip);
    put32(fcs_at, (get32(fcs_at) & 0xffff0000u) | fcs);
    const uint16_t fds = get32(fds_at) & 0xffff ? cpu.s.sreg(SegReg::ds).selector : 0;
    put32(fds_at, (get32(fds_at) & 0xffff0000u) | fds);
}

// The 14-byte 16-bit environment from the 28-byte one (FIP, FDP low 16 bits).
void to_env16(uint8_t* env, uint8_t* out) {
    for (int i = 0; i < 7; ++i) memcpy(out + 2 * i, env + 4 * i, 2);
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
        asm volatile("fxsave %0" : "=m"(image));  // 32-bit format: FIP, FCS, FDP, FDS
        guest_pointers(cpu, image + 8, image + 12, image + 20);
        memcpy(image + 24, cpu.s.fpu.data() + 24, 4);      // MXCSR: the guest's, saved at exit
        memcpy(image + 160, cpu.s.fpu.data() + 160, 128);  // XMM0-7: likewise
        if (!(cpu.s.cr4 & cr4::OSFXSR)) memset(image + 160, 0, 128), memset(image + 24, 0, 8);
    } else {
        uint8_t full[108];
        const unsigned env = o16 ? 14 : 28;
        len = m == ZYDIS_MNEMONIC_FNSAVE ? env + 80 : env;
        probe_write(cpu, sr, offset, len);
        if (m == ZYDIS_MNEMONIC_FNSAVE)
            asm volatile("fnsave %0" : "=m"(full));  // and reinitializes, as the guest asked
        else
            asm volatile("fnstenv %0" : "=m"(full));  // and masks every exception
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

}  // namespace prevt
