// Conditional near branches on the virtual CPU: jcc, loop/loope/loopne, jcxz/jecxz. bt calls
// them out when their target lies beyond CS's limit (a non-flat code segment, as a guest
// kernel's W^X makes them): taken, such a branch raises #GP(0) at itself and changes nothing,
// ECX included (SDM vol. 2, Jcc and LOOP: the limit check comes before the transfer).
#include "core/emulate/execute.hpp"

namespace prevt {

namespace {

bool condition(ZydisMnemonic m, uint32_t f) {
    const bool cf = f & eflags::CF, zf = f & eflags::ZF, sf = f & eflags::SF, of = f & eflags::OF,
               pf = f & eflags::PF;
    switch (m) {
        case ZYDIS_MNEMONIC_JO: return of;
        case ZYDIS_MNEMONIC_JNO: return !of;
        case ZYDIS_MNEMONIC_JB: return cf;
        case ZYDIS_MNEMONIC_JNB: return !cf;
        case ZYDIS_MNEMONIC_JZ: return zf;
        case ZYDIS_MNEMONIC_JNZ: return !zf;
        case ZYDIS_MNEMONIC_JBE: return cf || zf;
        case ZYDIS_MNEMONIC_JNBE: return !cf && !zf;
        case ZYDIS_MNEMONIC_JS: return sf;
        case ZYDIS_MNEMONIC_JNS: return !sf;
        case ZYDIS_MNEMONIC_JP: return pf;
        case ZYDIS_MNEMONIC_JNP: return !pf;
        case ZYDIS_MNEMONIC_JL: return sf != of;
        case ZYDIS_MNEMONIC_JNL: return sf == of;
        case ZYDIS_MNEMONIC_JLE: return zf || sf != of;
        default: return !zf && sf == of;  // JNLE
    }
}

}  // namespace

Outcome execute_branch(Cpu& cpu, const Decoded& d) {
    VcpuState& s = cpu.s;
    if (d.in.meta.category != ZYDIS_CATEGORY_COND_BR ||
        d.ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
        return Outcome::kNotEmulated;
    const ZydisMnemonic m = d.in.mnemonic;
    const uint32_t cmask = d.address_size() == 2 ? 0xffff : 0xffffffff;  // the counter: (e)cx
    const uint32_t count = s.gpr[ecx] & cmask;
    bool taken;
    uint32_t new_count = count;
    switch (m) {
        case ZYDIS_MNEMONIC_JCXZ:
        case ZYDIS_MNEMONIC_JECXZ: taken = count == 0; break;
        case ZYDIS_MNEMONIC_LOOP:
        case ZYDIS_MNEMONIC_LOOPE:
        case ZYDIS_MNEMONIC_LOOPNE:
            new_count = (count - 1) & cmask;
            taken = new_count != 0 && (m == ZYDIS_MNEMONIC_LOOP ||
                                       (m == ZYDIS_MNEMONIC_LOOPE) == bool(s.eflags & eflags::ZF));
            break;
        default: taken = condition(m, s.eflags); break;
    }
    uint32_t target = d.next_eip();
    if (taken) {
        target = d.next_eip() + static_cast<uint32_t>(d.ops[0].imm.value.s);
        if (d.operand_size() == 2) target &= 0xffff;  // IP wraps
        if (s.protected_mode() && target > s.sreg(SegReg::cs).limit) throw fault_gp(0);
    }
    s.gpr[ecx] = (s.gpr[ecx] & ~cmask) | new_count;
    s.eip = target;
    return Outcome::kDone;
}

}  // namespace prevt
