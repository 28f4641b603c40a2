// lar, lsl, verr, verw: questions about a selector answered from the guest's descriptor
// tables at the virtual CPL (SDM vol. 2). ZF reports whether the selector passed the checks.
#include "core/emulate/execute.hpp"

namespace prevt {

namespace {

// The descriptor if the selector is visible at this CPL and RPL (the common checks).
bool visible(Cpu& cpu, uint16_t sel, Descriptor* d) {
    if ((sel & ~3u) == 0) return false;
    try {
        *d = cpu.descriptor(sel);
    } catch (const GuestFault&) {
        return false;  // beyond the table limit: ZF = 0, no fault
    }
    const unsigned cpl = cpu.s.cpl(), rpl = sel & 3;
    if (!d->conforming() && (d->dpl() < cpl || d->dpl() < rpl)) return false;
    return true;
}

// System descriptor types lar accepts (TSS, LDT, gates) and lsl accepts (TSS, LDT).
bool lar_type_ok(const Descriptor& d) {
    if (d.s()) return true;
    switch (d.type()) {
        case 1:
        case 2:
        case 3:
        case 4:
        case 5:
        case 9:
        case 0xb:
        case 0xc: return true;
        default: return false;
    }
}
bool lsl_type_ok(const Descriptor& d) {
    if (d.s()) return true;
    switch (d.type()) {
        case 1:
        case 2:
        case 3:
        case 9:
        case 0xb: return true;
        default: return false;
    }
}

void set_zf(VcpuState& s, bool on) {
    if (on)
        s.eflags |= eflags::ZF;
    else
        s.eflags &= ~eflags::ZF;
}

}  // namespace

Outcome execute_descriptor_query(Cpu& cpu, const Decoded& d) {
    VcpuState& s = cpu.s;
    if (!s.protected_mode()) throw fault_ud();
    const unsigned src =
        d.in.mnemonic == ZYDIS_MNEMONIC_VERR || d.in.mnemonic == ZYDIS_MNEMONIC_VERW ? 0 : 1;
    const auto sel = static_cast<uint16_t>(read_operand(cpu, d, src));
    Descriptor desc;
    bool ok = visible(cpu, sel, &desc);
    switch (d.in.mnemonic) {
        case ZYDIS_MNEMONIC_LAR:
            ok = ok && lar_type_ok(desc);
            // Bits 23:8 of the descriptor's high word; bits 19:16 (the limit's) are left as
            // the descriptor has them (QEMU clears them; the SDM leaves them undefined).
            if (ok)
                write_operand(cpu, d, 0, desc.hi & (d.operand_size() == 2 ? 0xff00 : 0x00f0ff00));
            break;
        case ZYDIS_MNEMONIC_LSL:
            ok = ok && lsl_type_ok(desc);
            if (ok) write_operand(cpu, d, 0, desc.limit());
            break;
        case ZYDIS_MNEMONIC_VERR:
            ok = ok && desc.s() && desc.readable() && (desc.is_data() || desc.type() & 2);
            break;
        case ZYDIS_MNEMONIC_VERW: ok = ok && desc.writable(); break;
        default: return Outcome::kNotEmulated;
    }
    set_zf(s, ok);
    s.eip = d.next_eip();
    return Outcome::kDone;
}

}  // namespace prevt
