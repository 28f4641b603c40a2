// The translator's control transfers: direct branches retargeted into the cache (exit stubs,
// chaining), indirect ones through the lookup routine, and 16-bit code encoded again for the
// monitor's 32-bit code segment with Zydis.
#include <cstring>

#include "bt/builder.hpp"
#include "bt/vcpu_area.hpp"

namespace prevt::bt {

// ret / jmp *r/m / call *r/m: the target guest EIP goes to %gs:kOffIblTarget, then the
// lookup routine finds its block. ret pops it there. jmp/call load it through EAX, parked in
// the per-vCPU area: `mov r/m,%eax` (8b /0) with the guest's own ModRM, SIB, displacement and
// segment prefix computes the operand `jmp r/m` (FF /4) does, with the guest's EAX and ESP
// still in place: no stack access (a jmp never touches the stack) and no flag changed. A
// fault on the load is exact at the instruction; EAX is recovered from save_eax anywhere in
// [load, restored) (Block::parked).
bool Builder::indirect(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
                       const uint8_t* bytes, uint32_t next) {
    if (!context_.code32) return indirect_reencoded(in, ops, next);
    ++block_.rewritten;
    block_.map.emplace_back(out_.here(), eip_);
    const uint8_t pop_target[] = {0x65, 0x8f, 0x05};  // popl %gs:kOffIblTarget
    if (in.mnemonic == ZYDIS_MNEMONIC_RET) {
        out_.raw(pop_target, sizeof pop_target);
        out_.u32(kOffIblTarget);
        block_.map.emplace_back(out_.here(), kInexact);
        if (in.operand_count_visible > 0) {  // ret $n: lea n(%esp),%esp keeps the flags
            const uint8_t lea[] = {0x8d, 0xa4, 0x24};
            out_.raw(lea, sizeof lea);
            out_.u32(static_cast<uint32_t>(in.raw.imm[0].value.u));
        }
    } else {
        const uint8_t store_eax[] = {0x65, 0xa3}, load_eax[] = {0x65, 0xa1};  // %gs:moffs32
        out_.raw(store_eax, sizeof store_eax);
        out_.u32(kOffSaveEax);
        const uint32_t load = out_.here();
        // (32-bit operand and address sizes only: translate() calls the others out.)
        for (unsigned i = 0; i < in.raw.prefix_count; ++i)  // a segment override; not f2/f3
            if (bytes[i] != 0xf2 && bytes[i] != 0xf3) out_.byte(bytes[i]);
        out_.byte(0x8b);  // mov r/m32,%eax
        const unsigned modrm = in.raw.modrm.offset;
        out_.byte(static_cast<uint8_t>(bytes[modrm] & 0xc7));  // reg field 0: %eax
        out_.raw(bytes + modrm + 1, in.length - modrm - 1);    // SIB, displacement
        out_.raw(store_eax, sizeof store_eax);
        out_.u32(kOffIblTarget);
        out_.raw(load_eax, sizeof load_eax);
        out_.u32(kOffSaveEax);
        block_.parked.push_back({load, out_.here(), false});
        // call: the return address, still exact (a #PF on the stack leaves no change).
        if (in.mnemonic == ZYDIS_MNEMONIC_CALL) out_.push_imm(next);
        block_.map.emplace_back(out_.here(), kInexact);
    }
    out_.jmp(lookup_);
    eip_ = next;
    return false;
}

// 16-bit code runs in the monitor's 32-bit code segment: Zydis encodes the decoded
// instruction again for 32-bit mode, which toggles the operand- and address-size prefixes
// (`mov (%bx,%si),%ax` 8b 00 becomes 66 67 8b 00). A `cs:` prefix reaching it belongs to an
// instruction without a memory access (classify() calls out cs: accesses): dropped.
bool Builder::encode32(ZydisEncoderRequest& req) {
    req.prefixes &= ~ZYDIS_ATTRIB_HAS_SEGMENT_CS;
    req.machine_mode = ZYDIS_MACHINE_MODE_LEGACY_32;
    uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
    ZyanUSize len = sizeof buf;
    if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&req, buf, &len))) return false;
    out_.raw(buf, len);
    return true;
}

bool Builder::tpr_store(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops) {
    if (in.mnemonic != ZYDIS_MNEMONIC_MOV || in.operand_width != 32 ||
        ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY || ops[0].mem.base != ZYDIS_REGISTER_NONE ||
        ops[0].mem.index != ZYDIS_REGISTER_NONE)
        return false;
    ZydisEncoderRequest req;
    if (!ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(
            &in, ops, in.operand_count_visible, &req)))
        return false;
    req.operands[0].mem.displacement = kOffTpr;
    req.prefixes = (req.prefixes & ~ZYDIS_ATTRIB_HAS_SEGMENT) | ZYDIS_ATTRIB_HAS_SEGMENT_GS;
    const uint32_t here = out_.here();
    if (!encode32(req)) return false;
    block_.map.emplace_back(here, eip_);
    ++block_.rewritten;
    return true;
}

bool Builder::copy16(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops) {
    ZydisEncoderRequest req;
    if (!ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(
            &in, ops, in.operand_count_visible, &req)))
        return false;
    const uint32_t here = out_.here();
    if (!encode32(req)) return false;
    block_.map.emplace_back(here, eip_);
    return true;
}

// ret / jmp *r/m / call *r/m in 16-bit code: the target (popped, or pushed from the r/m
// operand re-encoded as a push, then popped) to the lookup routine, zero-extended when
// 16 bits wide; a 16-bit call pushes a 16-bit return address.
bool Builder::indirect_reencoded(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
                                 uint32_t next) {
    const bool wide = in.operand_width == 32;
    const uint32_t start = out_.here();
    if (in.mnemonic != ZYDIS_MNEMONIC_RET) {
        ZydisEncoderRequest req;
        if (!ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(
                &in, ops, in.operand_count_visible, &req)))
            return callout(), false;
        req.mnemonic = ZYDIS_MNEMONIC_PUSH;  // the same operand, pushed
        req.branch_type = ZYDIS_BRANCH_TYPE_NONE;
        req.branch_width = ZYDIS_BRANCH_WIDTH_NONE;
        req.operand_size_hint = wide ? ZYDIS_OPERAND_SIZE_HINT_32 : ZYDIS_OPERAND_SIZE_HINT_16;
        if (!encode32(req)) return callout(), false;
    }
    ++block_.rewritten;
    block_.map.emplace_back(start, eip_);
    if (!wide) out_.byte(0x66);
    const uint8_t pop_target[] = {0x65, 0x8f, 0x05};  // pop{w,l} %gs:kOffIblTarget
    out_.raw(pop_target, sizeof pop_target);
    out_.u32(kOffIblTarget);
    block_.map.emplace_back(out_.here(), kInexact);
    if (!wide) {
        const uint8_t clear_high[] = {0x66, 0x65, 0xc7, 0x05};  // movw $0,%gs:target+2
        out_.raw(clear_high, sizeof clear_high);
        out_.u32(kOffIblTarget + 2);
        out_.byte(0), out_.byte(0);
    }
    if (in.mnemonic == ZYDIS_MNEMONIC_RET && in.operand_count_visible > 0) {
        const uint8_t lea[] = {0x8d, 0xa4, 0x24};  // lea n(%esp),%esp
        out_.raw(lea, sizeof lea);
        out_.u32(static_cast<uint32_t>(in.raw.imm[0].value.u));
    }
    if (in.mnemonic == ZYDIS_MNEMONIC_CALL) {
        if (wide)
            out_.push_imm(next);
        else
            out_.push_imm16(static_cast<uint16_t>(next));
    }
    out_.jmp(lookup_);
    eip_ = next;
    return false;
}

bool Builder::retarget(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
                       const uint8_t* bytes, uint32_t next) {
    uint32_t target = static_cast<uint32_t>(next + ops[0].imm.value.s);
    if (in.operand_width == 16) target &= 0xffff;  // IP wraps
    ++block_.rewritten;
    block_.map.emplace_back(out_.here(), eip_);
    switch (in.mnemonic) {
        case ZYDIS_MNEMONIC_JMP: exit_to(target, out_.jmp(0)); break;
        case ZYDIS_MNEMONIC_CALL:
            if (in.operand_width == 16)
                out_.push_imm16(static_cast<uint16_t>(next));
            else
                out_.push_imm(next);  // the guest's return address, on the guest's stack
            block_.map.emplace_back(out_.here(), target);
            exit_to(target, out_.jmp(0));
            break;
        case ZYDIS_MNEMONIC_JCXZ:
        case ZYDIS_MNEMONIC_JECXZ:
        case ZYDIS_MNEMONIC_LOOP:
        case ZYDIS_MNEMONIC_LOOPE:
        case ZYDIS_MNEMONIC_LOOPNE: {
            // Short-only: keep the prefixes and opcode, branch over a near jump.
            //   loop +2 ; jmp +5 ; jmp taken ; jmp fallthrough
            // (16-bit code: CX or ECX as the address size says, with 0x67 toggled.)
            if (!context_.code32) {
                bool had67 = false;
                for (unsigned i = 0; i < in.raw.prefix_count; ++i) {
                    if (bytes[i] == 0x67)
                        had67 = true;
                    else
                        out_.byte(bytes[i]);
                }
                if (!had67) out_.byte(0x67);
                out_.byte(bytes[in.raw.prefix_count]);
            } else {
                out_.raw(bytes, in.length - 1);
            }
            out_.byte(0x02);
            block_.map.emplace_back(out_.here(), next);  // ECX already updated
            out_.byte(0xeb);
            out_.byte(0x05);
            block_.map.emplace_back(out_.here(), target);
            exit_to(target, out_.jmp(0));
            block_.map.emplace_back(out_.here(), next);
            exit_to(next, out_.jmp(0));
            break;
        }
        default: {  // jcc: the rel32 form 0f 8x, then the fall-through
            const uint8_t cc = in.opcode & 0x0f;
            out_.byte(0x0f);
            out_.byte(static_cast<uint8_t>(0x80 | cc));
            const uint32_t field = out_.here();
            out_.u32(0);
            exit_to(target, field);
            block_.map.emplace_back(out_.here(), next);
            exit_to(next, out_.jmp(0));
            break;
        }
    }
    eip_ = next;
    return false;
}

}  // namespace prevt::bt
