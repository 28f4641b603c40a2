// FPU control: the faults CR0.TS/EM/MP and CR4.OSFXSR make an x87, MMX, SSE or fxsave/fxrstor
// instruction raise before it executes (SDM vol. 3A, table 2-2 and 13.1; vol. 2, each
// instruction's "Protected Mode Exceptions"). One rule for the translator, which turns such an
// instruction into a callout when its context says it faults (bt/translator.cpp), and for the
// virtual CPU, which raises the fault (execute.cpp). Header-only: bt/ uses it too.
#pragma once

#include <Zydis/Zydis.h>

#include <cstdint>

#include "core/vcpu_state.hpp"

namespace prevt {

enum class FpuClass : uint8_t {
    kNone,  // no FPU state (and movnti, the fences, prefetches, clflush, pause)
    kX87,   // escape opcodes d8-df: #NM on EM or TS
    kWait,  // fwait: #NM on MP and TS
    kMmx,   // MMX registers only: #UD on EM, then #NM on TS
    kSse,   // XMM registers or MXCSR: #UD on EM or !OSFXSR, then #NM on TS
    kFxsr,  // fxsave/fxrstor: #NM on EM or TS (OSFXSR only decides whether XMM is saved)
};

// The CR0/CR4 bits a translation depends on, packed (TranslationContext, the block key).
struct FpuControl {
    bool ts = false, em = false, mp = false, osfxsr = false;
    static FpuControl of(const VcpuState& s) {
        return {(s.cr0 & cr0::TS) != 0, (s.cr0 & cr0::EM) != 0, (s.cr0 & cr0::MP) != 0,
                (s.cr4 & cr4::OSFXSR) != 0};
    }
    uint8_t bits() const { return uint8_t(ts | em << 1 | mp << 2 | osfxsr << 3); }
};

inline FpuClass fpu_class(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops) {
    if (in.mnemonic == ZYDIS_MNEMONIC_FWAIT) return FpuClass::kWait;
    if (in.mnemonic == ZYDIS_MNEMONIC_FXSAVE || in.mnemonic == ZYDIS_MNEMONIC_FXRSTOR)
        return FpuClass::kFxsr;
    // fisttp (SSE3's x87 store) is an x87 instruction whose extension Zydis calls SSE3.
    if (in.meta.isa_ext == ZYDIS_ISA_EXT_X87 || in.mnemonic == ZYDIS_MNEMONIC_FISTTP)
        return FpuClass::kX87;
    bool mmx = false;
    for (unsigned i = 0; i < in.operand_count; ++i) {  // hidden operands too (MXCSR)
        if (ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER) continue;
        const ZydisRegister r = ops[i].reg.value;
        if (ZydisRegisterGetClass(r) == ZYDIS_REGCLASS_XMM || r == ZYDIS_REGISTER_MXCSR)
            return FpuClass::kSse;
        if (ZydisRegisterGetClass(r) == ZYDIS_REGCLASS_MMX) mmx = true;
    }
    if (mmx || in.mnemonic == ZYDIS_MNEMONIC_EMMS) return FpuClass::kMmx;
    // SSE conversions to a general register with a memory source have no XMM operand at all
    // (`cvttsd2si (%ebx),%edx`), but they are SSE instructions: TS, EM and OSFXSR apply.
    switch (in.mnemonic) {
        case ZYDIS_MNEMONIC_CVTSS2SI:
        case ZYDIS_MNEMONIC_CVTTSS2SI:
        case ZYDIS_MNEMONIC_CVTSD2SI:
        case ZYDIS_MNEMONIC_CVTTSD2SI: return FpuClass::kSse;
        default: return FpuClass::kNone;
    }
}

inline constexpr uint8_t kNoFpuFault = 0xff;

// The vector the instruction raises before executing, or kNoFpuFault.
inline uint8_t fpu_fault(FpuClass c, FpuControl f) {
    constexpr uint8_t kUd = 6, kNm = 7;
    switch (c) {
        case FpuClass::kNone: return kNoFpuFault;
        case FpuClass::kX87:
        case FpuClass::kFxsr: return f.em || f.ts ? kNm : kNoFpuFault;
        case FpuClass::kWait: return f.mp && f.ts ? kNm : kNoFpuFault;
        case FpuClass::kMmx: return f.em ? kUd : f.ts ? kNm : kNoFpuFault;
        case FpuClass::kSse: return f.em || !f.osfxsr ? kUd : f.ts ? kNm : kNoFpuFault;
    }
    return kNoFpuFault;
}

}  // namespace prevt
