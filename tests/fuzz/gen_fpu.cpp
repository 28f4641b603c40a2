// FPU and vector classes: x87 (with its stack model), transcendentals, the environment
// stores, SSE/SSE2, approximations, MMX.
#include "gen.hpp"
#include "x87_model.hpp"

namespace fuzz {

bool Gen::x87() {
    auto st = [&](uint32_t i) { return static_cast<ZydisRegister>(ZYDIS_REGISTER_ST0 + i); };
    const uint32_t k = r(16);
    switch (k) {
        case 0: {  // fld m32/m64/m80 or st(i)
            Req q(ZYDIS_MNEMONIC_FLD);
            const uint32_t f = r(4);
            if (f == 3)
                q.reg(st(r(8)));
            else
                q.mem(mem(f == 0 ? 4 : f == 1 ? 8 : 10));
            return put(q, 0, 0, true);
        }
        case 1: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_FSTP : ZYDIS_MNEMONIC_FST);
            const uint32_t f = r(4);
            if (f == 3)
                q.reg(st(1 + r(7)));
            else if (f == 2 && q.q.mnemonic == ZYDIS_MNEMONIC_FSTP)
                q.mem(mem(10));
            else
                q.mem(mem(f == 0 ? 4 : 8));
            return put(q, 0, 0, true);
        }
        case 2: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_FILD : ZYDIS_MNEMONIC_FISTP);
            q.mem(mem(rsize(1 + r(2)) == 2 ? 2 : pct(50) ? 4 : 8));
            return put(q, 0, 0, true);
        }
        case 3:
        case 4:
        case 5: {
            static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_FADD,  ZYDIS_MNEMONIC_FSUB,
                                                    ZYDIS_MNEMONIC_FMUL,  ZYDIS_MNEMONIC_FDIV,
                                                    ZYDIS_MNEMONIC_FSUBR, ZYDIS_MNEMONIC_FDIVR};
            Req q(ops[r(6)]);
            const uint32_t f = r(3);
            if (f == 0)
                q.reg(st(0)).reg(st(r(8)));
            else if (f == 1)
                q.reg(st(r(8))).reg(st(0));
            else
                q.mem(mem(pct(50) ? 4 : 8));
            return put(q, 0, 0, true);
        }
        case 6: {
            static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_FADDP, ZYDIS_MNEMONIC_FMULP,
                                                    ZYDIS_MNEMONIC_FSUBP, ZYDIS_MNEMONIC_FDIVP};
            Req q(ops[r(4)]);
            return put(q.reg(st(1 + r(7))).reg(st(0)), 0, 0, true);
        }
        case 7: {
            Req q(ZYDIS_MNEMONIC_FXCH);
            return put(q.reg(st(0)).reg(st(1 + r(7))), 0, 0, true);
        }
        case 8: {
            static const Bytes one[] = {{0xd9, 0xe0}, {0xd9, 0xe1}, {0xd9, 0xfa}, {0xd9, 0xfc},
                                        {0xd9, 0xee}, {0xd9, 0xe8}, {0xd9, 0xeb}, {0xd9, 0xea},
                                        {0xd9, 0xfd}, {0xd9, 0xf4}, {0xd9, 0xf7}, {0xd9, 0xf6}};
            emit(one[r(12)], 0, 0, true);  // fchs fabs fsqrt frndint fldz fld1 fldpi fldl2e
            return true;                   // fscale fxtract fincstp fdecstp
        }
        case 9: {  // compares define C0 C2 C3 (or EFLAGS for fcomi)
            static const Bytes cmp[] = {{0xd8, 0xd1}, {0xd8, 0xd9}, {0xdd, 0xe1}, {0xd9, 0xe4},
                                        {0xd9, 0xe5}, {0xd9, 0xf8}, {0xd9, 0xf5}};
            const uint32_t i = r(9);
            if (i < 7) {
                emit(cmp[i]);            // fcom fcomp fucom ftst fxam fprem fprem1
                fsw_undef_now_ = false;  // they define C0, C2, C3
                return true;
            }
            emit({static_cast<uint8_t>(i == 7 ? 0xdb : 0xdf), static_cast<uint8_t>(0xf0 + r(8))}, 0,
                 OSZAPC);  // fcomi / fcomip
            return true;
        }
        case 10: {
            if (!readable(CF | ZF | PF)) return false;
            emit({static_cast<uint8_t>(0xda + r(2)), static_cast<uint8_t>(0xc0 + r(32))}, 0, 0,
                 true);  // fcmovcc
            return true;
        }
        case 11: {
            if (fsw_undef_now_) return false;  // the digest masks C0/C2/C3, EAX or memory not
            if (pct(50)) {
                emit({0xdf, 0xe0});  // fnstsw %ax
                return true;
            }
            Req q(ZYDIS_MNEMONIC_FNSTSW);
            return put(q.mem(mem(2)));
        }
        case 12: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_FNSTCW : ZYDIS_MNEMONIC_FLDCW);
            return put(q.mem(mem(2)));
        }
        case 13: {  // fldcw of a chosen value: unmasked exceptions, precision, rounding
            const uint16_t cw = static_cast<uint16_t>(0x0040 | (r(4) << 10) | (r(4) << 8) |
                                                      (pct(60) ? 0x3f : r(64)));
            Req s(ZYDIS_MNEMONIC_MOV);
            ZydisEncoderOperand m = mem(2);
            m.mem.base = ZYDIS_REGISTER_EBX, m.mem.index = ZYDIS_REGISTER_NONE;
            m.mem.displacement = -0x7f0;
            seg_ = 0;
            put(s.mem(m).imm(int16_t(cw)));
            Req q(ZYDIS_MNEMONIC_FLDCW);
            return put(q.mem(m));
        }
        case 14: {
            static const Bytes misc[] = {{0xdb, 0xe2}, {0x9b}, {0xdb, 0xe3}, {0xdd, 0xc0}};
            const uint32_t i = r(4);
            emit(misc[i] == Bytes{0xdd, 0xc0} ? Bytes{0xdd, static_cast<uint8_t>(0xc0 + r(8))}
                                              : misc[i]);  // fnclex fwait fninit ffree
            if (i == 2) fsw_undef_now_ = false;            // fninit: C0-C3 clear
            return true;
        }
        default: {
            Req q(pct(50) ? ZYDIS_MNEMONIC_FIST : ZYDIS_MNEMONIC_FIADD);
            q.mem(mem(pct(50) ? 2 : 4));
            return put(q, 0, 0, true);
        }
    }
}

bool Gen::x87_transc() {
    static const Bytes ops[] = {{0xd9, 0xfe}, {0xd9, 0xff}, {0xd9, 0xfb}, {0xd9, 0xf2},
                                {0xd9, 0xf3}, {0xd9, 0xf0}, {0xd9, 0xf1}, {0xd9, 0xf9}};
    emit(ops[r(8)], 0, 0, true);  // fsin fcos fsincos fptan fpatan f2xm1 fyl2x fyl2xp1
    return true;
}

bool Gen::x87_env() {  // FIP/FCS/FOP/FDP/FDS in memory: reported apart from the memory hash
    static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_FNSTENV, ZYDIS_MNEMONIC_FLDENV,
                                            ZYDIS_MNEMONIC_FNSAVE,  ZYDIS_MNEMONIC_FRSTOR,
                                            ZYDIS_MNEMONIC_FXSAVE,  ZYDIS_MNEMONIC_FXRSTOR};
    const uint32_t i = r(6);
    if (i == 4 && !on("fxsave")) return false;  // feature fxsave (README.md: out of CI)
    if (i % 2 == 0 && env_loaded_ && !on("env_reload")) return false;  // likewise
    const bool store = i % 2 == 0;
    if (store && env_stores_ >= 2) return false;  // two slots (FUZZ_ENV)
    Req q(ops[i]);
    ZydisEncoderOperand m = mem(i < 2 ? 28 : i < 4 ? 108 : 512, 16);
    m.mem.base = ZYDIS_REGISTER_EBX, m.mem.index = ZYDIS_REGISTER_NONE;
    const int64_t misalign = i >= 4 && pct(90) ? 0 : r(16);
    if (store)  // a slot of its own: no other operand reads or writes there
        m.mem.displacement = int64_t(FUZZ_ENV) + FUZZ_ENV_SLOT * env_stores_ - FUZZ_EBX + misalign;
    else  // a load: from random scratch data
        m.mem.displacement = (int64_t(r(0x800)) - 0x800) & ~int64_t(i >= 4 && !misalign ? 15 : 0);
    // The image's linear address must be known: through ES/FS/GS only while the sequence has
    // not reloaded them (flat ES/GS; FS's limit makes EBX-relative stores #GP, QEMU's missing
    // check puts them above the mapped 8 MiB: nothing lands in hashed memory).
    const uint32_t sreg = seg_ == ZYDIS_ATTRIB_HAS_SEGMENT_ES   ? 1
                          : seg_ == ZYDIS_ATTRIB_HAS_SEGMENT_FS ? 2
                          : seg_ == ZYDIS_ATTRIB_HAS_SEGMENT_GS ? 4
                                                                : 0;
    if (sreg & sregs_loaded_) seg_ = 0;
    const bool via_fs = seg_ == ZYDIS_ATTRIB_HAS_SEGMENT_FS;
    if (!put(q.mem(m), 0, 0, true)) return false;
    if (!store) env_loaded_ = true;
    if (store) ++env_stores_;
    if (i % 2 == 0 && !via_fs)
        env_stores.push_back({static_cast<uint32_t>(FUZZ_EBX + m.mem.displacement),
                              i == 0 ? 'e' : i == 2 ? 's' : 'x'});
    return true;
}

struct SseOp {
    ZydisMnemonic m;
    uint8_t kind;  // 0 xmm,xmm/m  1 xmm,xmm/m,imm8  2 xmm,imm8  3 xmm,r/m32  4 r32,xmm
    uint8_t msize;
};

bool Gen::sse() {
    static constexpr SseOp ops[] = {
        {ZYDIS_MNEMONIC_ADDPS, 0, 16},     {ZYDIS_MNEMONIC_SUBPS, 0, 16},
        {ZYDIS_MNEMONIC_MULPS, 0, 16},     {ZYDIS_MNEMONIC_DIVPS, 0, 16},
        {ZYDIS_MNEMONIC_MINPS, 0, 16},     {ZYDIS_MNEMONIC_MAXPS, 0, 16},
        {ZYDIS_MNEMONIC_SQRTPS, 0, 16},    {ZYDIS_MNEMONIC_ANDPS, 0, 16},
        {ZYDIS_MNEMONIC_XORPS, 0, 16},     {ZYDIS_MNEMONIC_UNPCKLPS, 0, 16},
        {ZYDIS_MNEMONIC_ADDSS, 0, 4},      {ZYDIS_MNEMONIC_MULSS, 0, 4},
        {ZYDIS_MNEMONIC_DIVSD, 0, 8},      {ZYDIS_MNEMONIC_ADDPD, 0, 16},
        {ZYDIS_MNEMONIC_SQRTSD, 0, 8},     {ZYDIS_MNEMONIC_CVTPS2PD, 0, 8},
        {ZYDIS_MNEMONIC_CVTSD2SS, 0, 8},   {ZYDIS_MNEMONIC_CVTDQ2PS, 0, 16},
        {ZYDIS_MNEMONIC_CVTTPS2DQ, 0, 16}, {ZYDIS_MNEMONIC_PADDB, 0, 16},
        {ZYDIS_MNEMONIC_PADDW, 0, 16},     {ZYDIS_MNEMONIC_PADDQ, 0, 16},
        {ZYDIS_MNEMONIC_PSUBD, 0, 16},     {ZYDIS_MNEMONIC_PMULLW, 0, 16},
        {ZYDIS_MNEMONIC_PMULUDQ, 0, 16},   {ZYDIS_MNEMONIC_PXOR, 0, 16},
        {ZYDIS_MNEMONIC_PAND, 0, 16},      {ZYDIS_MNEMONIC_PCMPEQB, 0, 16},
        {ZYDIS_MNEMONIC_PCMPGTD, 0, 16},   {ZYDIS_MNEMONIC_PUNPCKLBW, 0, 16},
        {ZYDIS_MNEMONIC_PMADDWD, 0, 16},   {ZYDIS_MNEMONIC_PSADBW, 0, 16},
        {ZYDIS_MNEMONIC_PAVGB, 0, 16},     {ZYDIS_MNEMONIC_PMAXSW, 0, 16},
        {ZYDIS_MNEMONIC_MOVAPS, 0, 16},    {ZYDIS_MNEMONIC_MOVUPS, 0, 16},
        {ZYDIS_MNEMONIC_MOVDQA, 0, 16},    {ZYDIS_MNEMONIC_MOVDQU, 0, 16},
        {ZYDIS_MNEMONIC_MOVSS, 0, 4},      {ZYDIS_MNEMONIC_MOVSD, 0, 8},
        {ZYDIS_MNEMONIC_CMPPS, 1, 16},     {ZYDIS_MNEMONIC_SHUFPS, 1, 16},
        {ZYDIS_MNEMONIC_PSHUFD, 1, 16},    {ZYDIS_MNEMONIC_PSHUFLW, 1, 16},
        {ZYDIS_MNEMONIC_CMPSD, 1, 8},      {ZYDIS_MNEMONIC_PSLLW, 2, 0},
        {ZYDIS_MNEMONIC_PSRLD, 2, 0},      {ZYDIS_MNEMONIC_PSRAW, 2, 0},
        {ZYDIS_MNEMONIC_PSLLQ, 2, 0},      {ZYDIS_MNEMONIC_PSRLDQ, 2, 0},
        {ZYDIS_MNEMONIC_CVTSI2SD, 3, 4},   {ZYDIS_MNEMONIC_CVTSI2SS, 3, 4},
        {ZYDIS_MNEMONIC_MOVD, 3, 4},       {ZYDIS_MNEMONIC_CVTTSD2SI, 4, 8},
        {ZYDIS_MNEMONIC_CVTSS2SI, 4, 4},   {ZYDIS_MNEMONIC_PMOVMSKB, 4, 0},
        {ZYDIS_MNEMONIC_MOVMSKPS, 4, 0},   {ZYDIS_MNEMONIC_COMISS, 5, 4},
        {ZYDIS_MNEMONIC_UCOMISD, 5, 8},    {ZYDIS_MNEMONIC_LDMXCSR, 6, 4},
        {ZYDIS_MNEMONIC_STMXCSR, 6, 4},
    };
    const SseOp& o = ops[r(sizeof ops / sizeof ops[0])];
    auto x = [&]() { return static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + r(8)); };
    Req q(o.m);
    const bool m = o.msize && pct(40);
    switch (o.kind) {
        case 0:
        case 1:
        case 5:
            if (m &&
                (o.m == ZYDIS_MNEMONIC_MOVAPS || o.m == ZYDIS_MNEMONIC_MOVUPS ||
                 o.m == ZYDIS_MNEMONIC_MOVDQA || o.m == ZYDIS_MNEMONIC_MOVDQU ||
                 o.m == ZYDIS_MNEMONIC_MOVSS || o.m == ZYDIS_MNEMONIC_MOVSD) &&
                pct(50))
                q.mem(mem(o.msize, o.msize)).reg(x());  // a store
            else if (m)
                q.reg(x()).mem(mem(o.msize, o.msize));
            else
                q.reg(x()).reg(x());
            if (o.kind == 1)
                q.imm(r(o.m == ZYDIS_MNEMONIC_CMPPS || o.m == ZYDIS_MNEMONIC_CMPSD ? 8 : 256));
            return o.kind == 5 ? put(q, 0, OSZAPC) : put(q);
        case 2: return put(q.reg(x()).imm(r(pct(80) ? 16 : 256)));
        case 3: {
            if (m) return put(q.reg(x()).mem(mem(4)));
            return put(q.reg(x()).reg(rreg(4)));
        }
        case 4: {
            if (o.msize && m) return put(q.reg(wreg(4)).mem(mem(o.msize)));
            return put(q.reg(wreg(4)).reg(x()));
        }
        default: {  // ldmxcsr / stmxcsr; ldmxcsr of a chosen value most of the time
            ZydisEncoderOperand mm = mem(4);
            if (o.m == ZYDIS_MNEMONIC_LDMXCSR && pct(70)) {
                mm.mem.base = ZYDIS_REGISTER_EBX, mm.mem.index = ZYDIS_REGISTER_NONE;
                mm.mem.displacement = -0x7e0;
                const ZyanU64 seg = seg_;
                seg_ = 0;
                uint32_t v = static_cast<uint32_t>(r(0x10000));
                if (pct(85)) v &= on("mxcsr_daz") ? 0xffff : 0xffbf;
                if (pct(60)) v |= 0x1f80;
                Req s(ZYDIS_MNEMONIC_MOV);
                put(s.mem(mm).imm(int32_t(v)));
                seg_ = seg;
            }
            return put(q.mem(mm));
        }
    }
}

bool Gen::sse_approx() {
    static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_RCPPS, ZYDIS_MNEMONIC_RSQRTPS,
                                            ZYDIS_MNEMONIC_RCPSS, ZYDIS_MNEMONIC_RSQRTSS};
    Req q(ops[r(4)]);
    return put(q.reg(static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + r(8)))
                   .reg(static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + r(8))));
}

bool Gen::mmx() {
    auto mm = [&]() { return static_cast<ZydisRegister>(ZYDIS_REGISTER_MM0 + r(8)); };
    switch (r(5)) {
        case 0: {
            Req q(ZYDIS_MNEMONIC_MOVQ);
            if (pct(50)) return put(q.reg(mm()).mem(mem(8)), 0, 0, true);
            return put(q.reg(mm()).reg(mm()), 0, 0, true);
        }
        case 1: {
            Req q(ZYDIS_MNEMONIC_MOVD);
            return put(q.reg(mm()).reg(rreg(4)), 0, 0, true);
        }
        case 2: {
            static constexpr ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_PADDB, ZYDIS_MNEMONIC_PMULLW,
                                                    ZYDIS_MNEMONIC_PXOR, ZYDIS_MNEMONIC_PSUBSW};
            Req q(ops[r(4)]);
            return put(q.reg(mm()).reg(mm()), 0, 0, true);
        }
        case 3: {
            Req q(ZYDIS_MNEMONIC_MOVD);
            return put(q.reg(wreg(4)).reg(mm()), 0, 0, true);
        }
        default: emit({0x0f, 0x77}, 0, 0, true); return true;  // emms
    }
}

}  // namespace fuzz
