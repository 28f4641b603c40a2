// The x87 register stack as the generator's sequences use it (x87_model.hpp): tags per
// physical register and TOP, instruction by instruction from Zydis's decoding (the register
// operands and whether each is read or written), plus the pushes and pops each mnemonic does.
#include "x87_model.hpp"

#include <Zydis/Zydis.h>

namespace fuzz {

namespace {

unsigned pushes(ZydisMnemonic m) {
    switch (m) {
        case ZYDIS_MNEMONIC_FLD:
        case ZYDIS_MNEMONIC_FILD:
        case ZYDIS_MNEMONIC_FBLD:
        case ZYDIS_MNEMONIC_FLD1:
        case ZYDIS_MNEMONIC_FLDZ:
        case ZYDIS_MNEMONIC_FLDPI:
        case ZYDIS_MNEMONIC_FLDL2E:
        case ZYDIS_MNEMONIC_FLDL2T:
        case ZYDIS_MNEMONIC_FLDLG2:
        case ZYDIS_MNEMONIC_FLDLN2:
        case ZYDIS_MNEMONIC_FXTRACT:  // st0 replaced, then a push
        case ZYDIS_MNEMONIC_FPTAN:
        case ZYDIS_MNEMONIC_FSINCOS: return 1;
        default: return 0;
    }
}

unsigned pops(ZydisMnemonic m) {
    switch (m) {
        case ZYDIS_MNEMONIC_FSTP:
        case ZYDIS_MNEMONIC_FISTP:
        case ZYDIS_MNEMONIC_FISTTP:
        case ZYDIS_MNEMONIC_FBSTP:
        case ZYDIS_MNEMONIC_FADDP:
        case ZYDIS_MNEMONIC_FSUBP:
        case ZYDIS_MNEMONIC_FSUBRP:
        case ZYDIS_MNEMONIC_FMULP:
        case ZYDIS_MNEMONIC_FDIVP:
        case ZYDIS_MNEMONIC_FDIVRP:
        case ZYDIS_MNEMONIC_FCOMP:
        case ZYDIS_MNEMONIC_FUCOMP:
        case ZYDIS_MNEMONIC_FICOMP:
        case ZYDIS_MNEMONIC_FCOMIP:
        case ZYDIS_MNEMONIC_FUCOMIP:
        case ZYDIS_MNEMONIC_FPATAN:
        case ZYDIS_MNEMONIC_FYL2X:
        case ZYDIS_MNEMONIC_FYL2XP1: return 1;
        case ZYDIS_MNEMONIC_FCOMPP:
        case ZYDIS_MNEMONIC_FUCOMPP: return 2;
        default: return 0;
    }
}

bool is_st(ZydisRegister r) {
    return ZydisRegisterGetClass(r) == ZYDIS_REGCLASS_X87;
}

}  // namespace

bool x87_stack_fault(const std::vector<uint8_t>& code) {
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    unsigned top = kX87InitialTop;
    uint8_t valid = kX87InitialValid;
    auto phys = [&](ZydisRegister r) { return (top + (r - ZYDIS_REGISTER_ST0)) & 7; };
    for (size_t off = 0; off < code.size();) {
        ZydisDecodedInstruction in;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        if (!ZYAN_SUCCESS(
                ZydisDecoderDecodeFull(&decoder, code.data() + off, code.size() - off, &in, ops))) {
            ++off;  // an invalid encoding (#UD): no x87 effect
            continue;
        }
        off += in.length;
        const ZydisMnemonic m = in.mnemonic;
        if (m == ZYDIS_MNEMONIC_FRSTOR || m == ZYDIS_MNEMONIC_FLDENV || m == ZYDIS_MNEMONIC_FXRSTOR)
            return true;  // the image decides: unknown
        if (m == ZYDIS_MNEMONIC_FNINIT || m == ZYDIS_MNEMONIC_FNSAVE || m == ZYDIS_MNEMONIC_EMMS) {
            top = 0, valid = 0;  // (EMMS sets TOP to 0 too: SDM vol. 3A 12.2)
            continue;
        }
        bool mmx = false;
        for (unsigned i = 0; i < in.operand_count; ++i)
            if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                ZydisRegisterGetClass(ops[i].reg.value) == ZYDIS_REGCLASS_MMX)
                mmx = true;
        if (mmx) {  // any MMX instruction: TOP 0, every tag valid
            top = 0, valid = 0xff;
            continue;
        }
        if (in.meta.isa_ext != ZYDIS_ISA_EXT_X87) continue;
        if (m == ZYDIS_MNEMONIC_FFREE) {
            valid &= static_cast<uint8_t>(~(1u << phys(ops[0].reg.value)));
            continue;
        }
        if (m == ZYDIS_MNEMONIC_FINCSTP || m == ZYDIS_MNEMONIC_FDECSTP) {
            top = (top + (m == ZYDIS_MNEMONIC_FINCSTP ? 1 : 7)) & 7;
            continue;
        }
        if (m == ZYDIS_MNEMONIC_FXAM) continue;  // classifies st0, empty or not; writes nothing
        // fcmovcc checks st0 as well as its source whatever the condition (the host shows SF
        // for `fdecstp; fcmove %st3,%st0`); Zydis marks st0 written on condition only.
        if (in.meta.category == ZYDIS_CATEGORY_FCMOV && !(valid & (1u << top))) return true;
        for (unsigned i = 0; i < in.operand_count; ++i)
            if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER && is_st(ops[i].reg.value) &&
                (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_READ) &&
                !(valid & (1u << phys(ops[i].reg.value))))
                return true;  // underflow: an empty register read
        for (unsigned n = pushes(m); n; --n) {
            top = (top + 7) & 7;
            if (valid & (1u << top)) return true;  // overflow: the new top is in use
            valid |= static_cast<uint8_t>(1u << top);
        }
        for (unsigned i = 0; i < in.operand_count; ++i)
            if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER && is_st(ops[i].reg.value) &&
                (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
                valid |= static_cast<uint8_t>(1u << phys(ops[i].reg.value));
        for (unsigned n = pops(m); n; --n) {
            valid &= static_cast<uint8_t>(~(1u << top));
            top = (top + 1) & 7;
        }
    }
    return false;
}

}  // namespace fuzz
