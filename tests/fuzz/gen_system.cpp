// System classes: cpuid, rdtsc, sensitive and privileged instructions, segment loads, FPU
// control through lmsw, port I/O, int n, invalid, not-offered and overlong encodings, branches.
#include "gen.hpp"

namespace fuzz {

bool Gen::cpuid() {  // the outputs are not compared (QEMU's CPU is not prevt's profile)
    static constexpr uint32_t leaves[] = {0, 1, 2, 3, 4, 0x80000000, 0x80000001, 0x40000000};
    mov_imm(ZYDIS_REGISTER_EAX, leaves[r(8)]);
    emit({0x0f, 0xa2});
    mov_imm(ZYDIS_REGISTER_EAX, 0);
    mov_imm(ZYDIS_REGISTER_EBX, FUZZ_EBX);
    mov_imm(ZYDIS_REGISTER_ECX, 0);
    mov_imm(ZYDIS_REGISTER_EDX, 0);
    return true;
}

bool Gen::rdtsc() {  // the value is not compared (time): the instruction must not fault
    emit({0x0f, 0x31});
    mov_imm(ZYDIS_REGISTER_EAX, 0);
    mov_imm(ZYDIS_REGISTER_EDX, 0);
    return true;
}

constexpr uint16_t kSelectors[] = {0x00, 0x08,   0x10, 0x18, 0x20, 0x38, 0x40, 0x48,
                                   0x50, 0x4b,   0x53, 0x80, 0x88, 0x90, 0x98, 0x9b,
                                   0xc0, 0xfff8, 0x04, 0x0c, 0x03, 0x0b, 0x13};

bool Gen::sensitive() {
    bool dmem;
    switch (r(8)) {
        case 0: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_SGDT : ZYDIS_MNEMONIC_SIDT);
            return put(q.mem(mem(6)));
        }
        case 1: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_SLDT : ZYDIS_MNEMONIC_STR);
            if (pct(50)) return put(q.mem(mem(2)));
            return put(q.reg(wreg(rsize(1 + r(2)))));
        }
        case 2: {
            Req q(ZYDIS_MNEMONIC_SMSW);
            if (pct(40)) return put(q.mem(mem(2)));
            const int size = on("smsw32") ? rsize(1 + r(2)) : 2;
            const ZydisRegister reg = wreg(size);
            if (!put(q.reg(reg))) return false;
            // SDM: with a 32-bit register "the upper 16 bits of the register are undefined"
            // (QEMU stores CR0's, prevt zero): movzwl keeps the defined low half only.
            if (size == 4) {
                const auto n = static_cast<uint8_t>(reg - ZYDIS_REGISTER_EAX);
                emit({0x0f, 0xb7, static_cast<uint8_t>(0xc0 | n << 3 | n)});
            }
            return true;
        }
        case 3:
        case 4: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_LAR : ZYDIS_MNEMONIC_LSL);
            const int s = rsize(1 + r(2));
            mov_imm(ZYDIS_REGISTER_ECX, kSelectors[r(sizeof kSelectors / 2)]);
            return put(q.reg(s == 2 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_EAX)
                           .reg(s == 2 ? ZYDIS_REGISTER_CX : ZYDIS_REGISTER_ECX),
                       0, ZF);
        }
        case 5: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_VERR : ZYDIS_MNEMONIC_VERW);
            mov_imm(ZYDIS_REGISTER_ECX, kSelectors[r(sizeof kSelectors / 2)]);
            return put(q.reg(ZYDIS_REGISTER_CX), 0, ZF);
        }
        case 6: {  // mov from a segment register
            static constexpr ZydisRegister s[] = {ZYDIS_REGISTER_ES, ZYDIS_REGISTER_CS,
                                                  ZYDIS_REGISTER_SS, ZYDIS_REGISTER_DS,
                                                  ZYDIS_REGISTER_FS, ZYDIS_REGISTER_GS};
            Req q(ZYDIS_MNEMONIC_MOV);
            const ZydisRegister sr = s[r(6)];
            if (sr == ZYDIS_REGISTER_GS && !on("seg_gs")) return false;
            return put(q.mem(rm_or_reg(pct(50) ? 4 : 2, true, dmem)).reg(sr));
        }
        default: {  // push a segment register over a zeroed slot (a 32-bit push may store 16)
            static constexpr uint8_t push[] = {0x06, 0x0e, 0x16, 0x1e};
            const uint32_t i = r(6);
            Req z(ZYDIS_MNEMONIC_MOV);
            ZydisEncoderOperand m = mem(4);
            m.mem.base = ZYDIS_REGISTER_ESP, m.mem.index = ZYDIS_REGISTER_NONE;
            m.mem.displacement = -4;
            seg_ = 0;
            put(z.mem(m).imm(0));
            if (i < 4)
                emit({push[i]});
            else if (i == 4)
                emit({0x0f, 0xa0});
            else if (on("seg_gs"))
                emit({0x0f, 0xa8});
            return true;
        }
    }
}

bool Gen::segload() {  // ES, FS, GS only: the capture code relies on DS and SS
    static constexpr struct {
        ZydisRegister reg;
        const char* name;
    } s[] = {{ZYDIS_REGISTER_ES, "seg_es"},
             {ZYDIS_REGISTER_FS, "seg_fs"},
             {ZYDIS_REGISTER_GS, "seg_gs"}};
    const auto& d = s[r(3)];
    if (!on(d.name)) return false;
    sregs_loaded_ |= 1u << (&d - s);  // x87_env: an image through it has an unknown address
    const uint16_t sel = kSelectors[r(sizeof kSelectors / 2)];
    if (pct(70)) {
        mov_imm(ZYDIS_REGISTER_EAX, sel);
        Req q(ZYDIS_MNEMONIC_MOV);
        return put(q.reg(d.reg).reg(ZYDIS_REGISTER_AX));
    }
    Req p(ZYDIS_MNEMONIC_PUSH);
    p.imm(sel);
    p.q.operand_size_hint = ZYDIS_OPERAND_SIZE_HINT_32;
    put(p);
    emit(d.reg == ZYDIS_REGISTER_ES   ? Bytes{0x07}
         : d.reg == ZYDIS_REGISTER_FS ? Bytes{0x0f, 0xa1}
                                      : Bytes{0x0f, 0xa9});
    return true;
}

bool Gen::priv() {
    switch (r(6)) {
        case 0: emit({static_cast<uint8_t>(pct(50) ? 0xfa : 0xfb)}); return true;  // cli sti
        case 1: {
            static constexpr uint8_t crs[] = {0, 2, 3, 4};
            emit({0x0f, 0x20, static_cast<uint8_t>(0xc0 | (crs[r(4)] << 3) | r(3))});
            return true;
        }
        case 2: {
            Req q(ZYDIS_MNEMONIC_INVLPG);
            return put(q.mem(mem(1)));
        }
        case 3: emit({0x0f, 0x09}); return true;  // wbinvd
        case 4: emit({0x0f, 0x21, static_cast<uint8_t>(0xc0 | (7 << 3) | r(3))}); return true;
        default: emit({0x0f, 0x06}); return true;  // clts (TS is clear: no effect)
    }
}

bool Gen::fpuctl() {  // lmsw sets MP/EM/TS: the next x87/SSE instruction must #NM or #UD
    static constexpr uint16_t v[] = {0x1, 0x3, 0x5, 0x9, 0xb, 0xf, 0x7, 0xd};
    mov_imm(ZYDIS_REGISTER_EAX, v[r(8)] | (r(2) ? 0x10 : 0));
    emit({0x0f, 0x01, 0xf0});  // lmsw %ax
    return true;
}

bool Gen::io() {
    const bool scratch = pct(40);  // COM1's scratch register: byte accesses only (QEMU)
    const uint32_t size = scratch ? 0 : r(3);
    const uint8_t w = size == 0 ? 0 : 1;
    Bytes pre = size == 1 ? Bytes{0x66} : Bytes{};
    auto with = [&](Bytes b) {
        b.insert(b.begin(), pre.begin(), pre.end());
        return b;
    };
    switch (r(3)) {
        case 0:
            if (scratch) {
                mov_imm(ZYDIS_REGISTER_EDX, FUZZ_IO_PORT2);
                emit(with({static_cast<uint8_t>((pct(50) ? 0xec : 0xee) | w)}));
            } else {
                emit(with({static_cast<uint8_t>((pct(50) ? 0xe4 : 0xe6) | w), FUZZ_IO_PORT}));
            }
            return true;
        case 1:
            mov_imm(ZYDIS_REGISTER_EDX, scratch ? FUZZ_IO_PORT2 : FUZZ_IO_PORT);
            emit(with({static_cast<uint8_t>((pct(50) ? 0xec : 0xee) | w)}));
            return true;
        default: {  // rep ins / outs
            mov_imm(ZYDIS_REGISTER_EDX, scratch ? FUZZ_IO_PORT2 : FUZZ_IO_PORT);
            mov_imm(ZYDIS_REGISTER_ECX, r(6));
            Bytes b = with({0xf3, static_cast<uint8_t>((pct(50) ? 0x6c : 0x6e) | w)});
            emit(b);
            return true;
        }
    }
}

bool Gen::intr() {
    switch (r(6)) {
        case 0: emit({0xcc}); return true;
        case 1:
            if (!readable(OF)) return false;
            emit({0xce});
            return true;
        case 2: emit({0x0f, 0x0b}); return true;
        case 3: emit({0xf1}); return true;  // icebp: #DB
        case 4: {  // int n: no vector the CPU gives an error code, and not 0xff (the digest's
                   // "no exception": the frame's undefined flags would stay unmasked)
            static constexpr uint8_t v[] = {0, 1, 3, 4, 5, 6, 7, 9, 16, 18, 19, 0x20, 0x80, 0xfe};
            emit({0xcd, v[r(sizeof v)]});
            return true;
        }
        default: {
            Req q(ZYDIS_MNEMONIC_BOUND);
            return put(q.reg(wreg(4)).mem(mem(8)));
        }
    }
}

// Encodings every CPU rejects with #UD (or that a 32-bit P6 rejects).
bool Gen::invalid() {
    static const Bytes ops[] = {
        {0x0f, 0xb9, 0xc0},
        {0x0f, 0xff, 0xc0},
        {0x8e, 0xc8},
        {0xc6, 0xc8, 0x00},
        {0xfe, 0xd0},
        {0xff, 0xf8},
        {0xff, 0xd8},
        {0xff, 0xe8},
        {0x8d, 0xc0},
        {0x62, 0xc0},
        {0x0f, 0x0f, 0xc0, 0x9e},
        {0x0f, 0x05},
        {0x0f, 0x07},
        {0x0f, 0x37},
        {0x0f, 0xa6, 0xc0},
        {0x0f, 0xa7, 0xc0},
        {0x0f, 0x04},
        {0x0f, 0x0a},
        {0x0f, 0x24, 0xc0},
        {0x0f, 0x26, 0xc0},
        {0x0f, 0xc7, 0xc8},
        {0x0f, 0x01, 0xf8},
        {0x0f, 0x00, 0xf0},
        {0xf0, 0x90},
        {0xf0, 0x8d, 0x03},
        {0x0f, 0x0e},
        {0xd6},
        {0x8c, 0xf8},
        {0x0f, 0x01, 0xc1},
        {0x0f, 0x01, 0xd9},
        {0x0f, 0x78, 0xc0},
        {0x0f, 0x01, 0xca},
    };
    const Bytes& b = ops[r(sizeof ops / sizeof ops[0])];
    if (b == Bytes{0xd6} && !readable(CF)) return false;  // salc reads CF
    emit(b, OSZAPC, 0);
    pad = true;
    return true;
}

// Valid on later CPUs, not in prevt's default profile (the N270) nor QEMU's qemu32,+ssse3:
// #UD expected. (SSE3 and SSSE3, which both offer, are not here.)
bool Gen::notoffered() {
    static const Bytes ops[] = {
        {0xf3, 0x0f, 0xb8, 0xc3},
        {0xf3, 0x0f, 0xbd, 0xc3},
        {0xf3, 0x0f, 0xbc, 0xc3},
        {0x0f, 0x38, 0xf0, 0x03},
        {0xf2, 0x0f, 0x38, 0xf1, 0xc3},
        {0x0f, 0xc7, 0xf0},
        {0x0f, 0xc7, 0xf8},
        {0x0f, 0x01, 0xf9},
        {0x0f, 0x01, 0xd0},
        {0x0f, 0xae, 0x3b},
        {0xc5, 0xf8, 0x77},
        {0x66, 0x0f, 0x38, 0x17, 0xc1},
        {0x0f, 0x01, 0xfc},
        {0x0f, 0x01, 0xc8},
        {0xf3, 0x0f, 0xc7, 0xf8},
        {0x0f, 0x01, 0xee},
        {0xc4, 0xe2, 0x79, 0x18, 0x03},
        {0x62, 0xf1, 0x7c, 0x48, 0x58, 0xc1},
    };
    emit(ops[r(sizeof ops / sizeof ops[0])], OSZAPC, 0, true);
    pad = true;
    return true;
}

// Control transfers inside the sequence: a forward jcc, and jmp/call through a register
// aimed at the next instruction (call +0; pop %eax finds the address).
bool Gen::branch() {
    if (pct(40)) {
        if (!readable(OSZAPC)) return false;
        emit({static_cast<uint8_t>(0x70 + r(16)), 0x02, 0x90, 0x90});
        return true;
    }
    const bool call = pct(30);
    // call .+5; pop %eax; add $6, %eax; jmp/call *%eax -> lands right after the jmp/call
    emit({0xe8, 0, 0, 0, 0, 0x58, 0x83, 0xc0, 0x06, 0xff, static_cast<uint8_t>(call ? 0xd0 : 0xe0)},
         0, OSZAPC);
    if (call) emit({0x58});  // pop the return address again
    return true;
}

bool Gen::overlong() {  // 14 or 15 prefixes before add %eax,(%ebx): 16 bytes is #GP(0)
    Bytes b(14 + r(2), 0x3e);
    b.push_back(0x01);
    b.push_back(0x03);
    emit(b, 0, OSZAPC);
    return true;
}

}  // namespace fuzz
