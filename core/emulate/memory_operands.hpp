// Which segment registers an instruction accesses memory through. Header-only: the translator
// (bt/classify.cpp: the %gs and cs: rules) and the virtual CPU (execute.cpp) share it.
#pragma once

#include <Zydis/Zydis.h>

namespace prevt {

// Whether the instruction reads or writes memory through `seg`: any operand, hidden ones
// included (string instructions, xlat, fxsave, maskmovq, clzero, monitor...), with its
// effective segment (the override prefix, else the default). lea and hint nops compute an
// address without accessing it: they do not count.
inline bool accesses_through(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
                             ZydisRegister seg) {
    if (in.meta.category == ZYDIS_CATEGORY_NOP) return false;
    for (unsigned i = 0; i < in.operand_count; ++i)  // operand_count: hidden operands too
        if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && ops[i].mem.type != ZYDIS_MEMOP_TYPE_AGEN &&
            ops[i].mem.segment == seg)
            return true;
    return false;
}

}  // namespace prevt
