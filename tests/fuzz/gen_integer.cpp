// Integer instruction classes: two- and one-operand ALU, shifts, bit tests, multiply and
// divide, moves and extensions, lea.
#include "gen.hpp"

namespace fuzz {

bool Gen::alu2() {
    static constexpr ZydisMnemonic ops[] = {
        ZYDIS_MNEMONIC_ADD,  ZYDIS_MNEMONIC_OR,  ZYDIS_MNEMONIC_ADC, ZYDIS_MNEMONIC_SBB,
        ZYDIS_MNEMONIC_AND,  ZYDIS_MNEMONIC_SUB, ZYDIS_MNEMONIC_XOR, ZYDIS_MNEMONIC_CMP,
        ZYDIS_MNEMONIC_TEST, ZYDIS_MNEMONIC_MOV};
    const ZydisMnemonic m = ops[r(10)];
    if ((m == ZYDIS_MNEMONIC_ADC || m == ZYDIS_MNEMONIC_SBB) && !readable(CF)) return false;
    const int size = rsize(r(3));
    Req q(m);
    bool dmem;
    q.mem(rm_or_reg(size, true, dmem));
    const uint32_t f = r(3);
    if (f == 0)
        q.imm(size == 1 ? int8_t(r(256)) : size == 2 ? int16_t(r(65536)) : int32_t(rng_()));
    else if (f == 1 || dmem)
        q.reg(rreg(size));
    else
        q.mem(mem(size));
    const bool logic = m == ZYDIS_MNEMONIC_AND || m == ZYDIS_MNEMONIC_OR ||
                       m == ZYDIS_MNEMONIC_XOR || m == ZYDIS_MNEMONIC_TEST;
    if (m == ZYDIS_MNEMONIC_MOV) return put(q);
    return logic ? put(q, AF, OSZAPC & ~AF) : put(q, 0, OSZAPC);
}

bool Gen::alu1() {
    static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_INC, ZYDIS_MNEMONIC_DEC,
                                            ZYDIS_MNEMONIC_NEG, ZYDIS_MNEMONIC_NOT};
    const ZydisMnemonic m = ops[r(4)];
    bool dmem;
    Req q(m);
    q.mem(rm_or_reg(rsize(r(3)), true, dmem));
    if (m == ZYDIS_MNEMONIC_NOT) return put(q);
    return put(q, 0, m == ZYDIS_MNEMONIC_NEG ? OSZAPC : OSZAPC & ~CF);
}

bool Gen::shift() {
    static constexpr ZydisMnemonic ops[] = {
        ZYDIS_MNEMONIC_ROL, ZYDIS_MNEMONIC_ROR,  ZYDIS_MNEMONIC_RCL,
        ZYDIS_MNEMONIC_RCR, ZYDIS_MNEMONIC_SHL,  ZYDIS_MNEMONIC_SHR,
        ZYDIS_MNEMONIC_SAR, ZYDIS_MNEMONIC_SHLD, ZYDIS_MNEMONIC_SHRD};
    const ZydisMnemonic m = ops[r(9)];
    const bool rot = m == ZYDIS_MNEMONIC_ROL || m == ZYDIS_MNEMONIC_ROR ||
                     m == ZYDIS_MNEMONIC_RCL || m == ZYDIS_MNEMONIC_RCR;
    const bool dbl = m == ZYDIS_MNEMONIC_SHLD || m == ZYDIS_MNEMONIC_SHRD;
    if ((m == ZYDIS_MNEMONIC_RCL || m == ZYDIS_MNEMONIC_RCR) && !readable(CF)) return false;
    const int size = dbl ? rsize(1 + r(2)) : rsize(r(3));
    Req q(m);
    bool dmem;
    q.mem(rm_or_reg(size, true, dmem));
    if (dbl) q.reg(rreg(size));
    const bool by_cl = !(dbl && size == 2) && pct(30);
    uint32_t count = 0;
    if (by_cl) {
        q.reg(ZYDIS_REGISTER_CL);
    } else {
        count = pct(25) ? 1 : dbl && size == 2 ? r(17) : pct(90) ? r(32) : r(256);
        q.imm(count);
    }
    const uint32_t c = count & 31;
    if (by_cl) return put(q, rot ? OF : OF | AF | CF, 0);
    if (c == 0) return put(q);
    const uint32_t of = c == 1 ? 0 : OF;
    if (rot) return put(q, of, (CF | OF) & ~of);
    const uint32_t cf = !dbl && c >= uint32_t(size * 8) ? CF : 0;
    return put(q, of | AF | cf, OSZAPC & ~(of | AF | cf));
}

bool Gen::bitop() {
    static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_BT,  ZYDIS_MNEMONIC_BTS,
                                            ZYDIS_MNEMONIC_BTR, ZYDIS_MNEMONIC_BTC,
                                            ZYDIS_MNEMONIC_BSF, ZYDIS_MNEMONIC_BSR};
    const ZydisMnemonic m = ops[r(6)];
    const int size = rsize(1 + r(2));
    Req q(m);
    if (m == ZYDIS_MNEMONIC_BSF || m == ZYDIS_MNEMONIC_BSR) {
        bool dmem;
        q.reg(wreg(size)).mem(rm_or_reg(size, false, dmem));
        return put(q, OSZAPC & ~ZF, ZF);
    }
    bool dmem;
    q.mem(rm_or_reg(size, true, dmem));
    if (pct(50)) {
        q.imm(r(pct(80) ? size * 8 : 256));
    } else {
        // A register bit offset reaches up to 2^31/8 bytes from a memory operand: bound it.
        if (dmem)
            mov_imm(size == 2 ? ZYDIS_REGISTER_CX : ZYDIS_REGISTER_ECX, int64_t(r(4096)) - 1024);
        q.reg(dmem ? (size == 2 ? ZYDIS_REGISTER_CX : ZYDIS_REGISTER_ECX) : rreg(size));
    }
    return put(q, OF | SF | AF | PF, CF);
}

bool Gen::muldiv() {
    const uint32_t k = r(7);
    const int size = rsize(r(3));
    bool dmem;
    if (k >= 4) {  // imul r, r/m [, imm]
        const int s = rsize(1 + r(2));
        Req q(ZYDIS_MNEMONIC_IMUL);
        q.reg(wreg(s)).mem(rm_or_reg(s, false, dmem));
        if (k == 6) q.imm(s == 2 ? int16_t(r(65536)) : int32_t(rng_()));
        return put(q, SF | ZF | AF | PF, CF | OF);
    }
    static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_MUL, ZYDIS_MNEMONIC_IMUL,
                                            ZYDIS_MNEMONIC_DIV, ZYDIS_MNEMONIC_IDIV};
    const ZydisMnemonic m = ops[k];
    if (k >= 2 && pct(50)) {  // a divide that often does not overflow
        if (pct(50))
            mov_imm(ZYDIS_REGISTER_EDX, r(4));
        else
            emit({0x99});  // cdq
    }
    Req q(m);
    q.mem(rm_or_reg(size, false, dmem));
    if (k >= 2) return put(q, OSZAPC, 0);
    return put(q, SF | ZF | AF | PF, CF | OF);
}

bool Gen::movx() {
    const uint32_t k = r(14);
    bool dmem;
    switch (k) {
        case 0:
        case 1: {
            Req q(k ? ZYDIS_MNEMONIC_MOVSX : ZYDIS_MNEMONIC_MOVZX);
            const int ss = pct(50) ? 1 : 2;
            return put(q.reg(wreg(ss == 2 ? 4 : rsize(1 + r(2)))).mem(rm_or_reg(ss, false, dmem)));
        }
        case 2: {
            const int s = rsize(r(3));
            Req q(ZYDIS_MNEMONIC_XCHG);
            return put(q.mem(rm_or_reg(s, true, dmem)).reg(wreg(s)));
        }
        case 3:
        case 4: {
            const int s = rsize(r(3));
            Req q(k == 3 ? ZYDIS_MNEMONIC_CMPXCHG : ZYDIS_MNEMONIC_XADD);
            return put(q.mem(rm_or_reg(s, true, dmem)).reg(k == 3 ? rreg(s) : wreg(s)), 0, OSZAPC);
        }
        case 5: {
            Req q(ZYDIS_MNEMONIC_BSWAP);
            return put(q.reg(wreg(4)));
        }
        case 6: {
            if (!readable(OSZAPC)) return false;
            Req q(static_cast<ZydisMnemonic>(ZYDIS_MNEMONIC_CMOVB + r(16)));
            const int s = rsize(1 + r(2));
            return put(q.reg(wreg(s)).mem(rm_or_reg(s, false, dmem)));
        }
        case 7: {
            if (!readable(OSZAPC)) return false;
            static constexpr ZydisMnemonic cc[] = {
                ZYDIS_MNEMONIC_SETB,  ZYDIS_MNEMONIC_SETBE,  ZYDIS_MNEMONIC_SETL,
                ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNB,  ZYDIS_MNEMONIC_SETNBE,
                ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETNLE, ZYDIS_MNEMONIC_SETNO,
                ZYDIS_MNEMONIC_SETNP, ZYDIS_MNEMONIC_SETNS,  ZYDIS_MNEMONIC_SETNZ,
                ZYDIS_MNEMONIC_SETO,  ZYDIS_MNEMONIC_SETP,   ZYDIS_MNEMONIC_SETS,
                ZYDIS_MNEMONIC_SETZ};
            Req q(cc[r(16)]);
            return put(q.mem(rm_or_reg(1, true, dmem)));
        }
        case 8: {
            static const Bytes conv[] = {{0x98}, {0x66, 0x98}, {0x99}, {0x66, 0x99}};
            emit(conv[r(4)]);
            return true;
        }
        case 9:
            if (!readable(SF | ZF | AF | PF | CF)) return false;
            emit({0x9f});  // lahf
            return true;
        case 10: emit({0x9e}, 0, SF | ZF | AF | PF | CF); return true;  // sahf
        case 11: {
            const uint32_t w = r(3);
            if (w == 2 && !readable(CF)) return false;
            emit({static_cast<uint8_t>(w == 0 ? 0xf8 : w == 1 ? 0xf9 : 0xf5)}, 0, CF);
            return true;
        }
        case 12: {
            Req q(ZYDIS_MNEMONIC_CMPXCHG8B);
            return put(q.mem(mem(8)), 0, ZF);
        }
        default: {  // nop forms
            static const Bytes nops[] = {
                {0x90}, {0x0f, 0x1f, 0x00}, {0x66, 0x90}, {0x0f, 0x1f, 0x44, 0x00, 0x00}};
            emit(nops[r(4)]);
            return true;
        }
    }
}

bool Gen::lea() {
    static constexpr ZydisRegister any[] = {
        ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EDX, ZYDIS_REGISTER_EBX,
        ZYDIS_REGISTER_ESP, ZYDIS_REGISTER_EBP, ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EDI};
    ZydisEncoderOperand m;
    memset(&m, 0, sizeof m);
    m.type = ZYDIS_OPERAND_TYPE_MEMORY;
    if (on("addr16") && pct(20)) {  // 16-bit addressing through 0x67
        static constexpr ZydisRegister b16[] = {ZYDIS_REGISTER_BX, ZYDIS_REGISTER_BP};
        static constexpr ZydisRegister i16[] = {ZYDIS_REGISTER_SI, ZYDIS_REGISTER_DI};
        m.mem.base = b16[r(2)];
        if (pct(70)) m.mem.index = i16[r(2)], m.mem.scale = 1;
        m.mem.displacement = int16_t(r(65536));
        addr16_ = true;
    } else {
        m.mem.base = pct(85) ? any[r(8)] : ZYDIS_REGISTER_NONE;
        if (pct(50)) {
            m.mem.index = any[r(8)];
            if (m.mem.index == ZYDIS_REGISTER_ESP) m.mem.index = ZYDIS_REGISTER_EAX;
            m.mem.scale = static_cast<ZyanU8>(1u << r(4));
        }
        m.mem.displacement = pct(50) ? int64_t(r(256)) - 128 : int32_t(rng_());
    }
    const int size = rsize(1 + r(2));
    m.mem.size = static_cast<ZyanU16>(size);  // Zydis wants the destination's size
    Req q(ZYDIS_MNEMONIC_LEA);
    return put(q.reg(wreg(size)).mem(m));
}

}  // namespace fuzz
