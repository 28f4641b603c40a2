#include "bt/translator.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "bt/classify.hpp"
#include "bt/monitor_area.hpp"
#include "core/errors.hpp"

namespace prevt::bt {

namespace {

struct PendingExit {
    uint32_t jump_field;
    uint32_t target_eip;
};

class Builder {
public:
    Builder(CodeBuffer& out, const TranslationContext& c, const Listing& listing)
        : out_(out),
          context_(c),
          cs_base_(c.cs_base),
          eip_(c.eip),
          lookup_(c.lookup_routine),
          listing_(listing) {
        ZydisDecoderInit(&decoder_,
                         c.code32 ? ZYDIS_MACHINE_MODE_LEGACY_32 : ZYDIS_MACHINE_MODE_LEGACY_16,
                         c.stack32 ? ZYDIS_STACK_WIDTH_32 : ZYDIS_STACK_WIDTH_16);
        ZydisFormatterInit(&formatter_, ZYDIS_FORMATTER_STYLE_ATT);
        block_.guest_linear = c.cs_base + c.eip;
        block_.guest_eip = c.eip;
        block_.cache_start = out.here();
    }

    Block build(const CodeReader& read) {
        bool open = true;
        while (open && block_.instructions < kMaxInstructions) {
            uint8_t bytes[16] = {};
            const unsigned n = read(cs_base_ + eip_, bytes, 15);
            memcpy(site_bytes_, bytes, sizeof site_bytes_);
            site_length_ = static_cast<uint8_t>(n);
            ZydisDecodedInstruction in;
            ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
            ++block_.instructions;
            if (n == 0 || !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder_, bytes, n, &in, ops))) {
                site_length_ = 0;  // the virtual CPU fetches and faults itself
                current_length_ = 0;
                if (listing_) listing_("  (undecodable: the emulator raises the fault)");
                callout();
                open = false;
                break;
            }
            open = emit(in, ops, bytes);
        }
        if (open) exit_to(eip_, out_.jmp(0));  // the instruction limit: continue in a new block
        // A callout's instruction counts as the block's: its bytes were decoded once (the
        // callout site), so a store into them must invalidate the block.
        block_.guest_end = cs_base_ + std::max(eip_, callout_end_);
        for (const PendingExit& p : pending_) {  // exit stubs after the body
            const uint32_t stub = out_.here();
            block_.map.emplace_back(stub, p.target_eip);
            out_.store_gs(kOffExitKind, kExitDispatch);
            out_.store_gs(kOffExitEip, p.target_eip);
            out_.store_gs(kOffExitLink, p.jump_field);
            out_.callout();
            out_.patch_u32(p.jump_field, rel32(p.jump_field, stub));
            block_.exits.push_back({p.jump_field, stub, p.target_eip});
        }
        block_.cache_end = out_.here();
        return block_;
    }

private:
    void list(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
              const char* category, const char* treatment) {
        if (!listing_) return;
        char text[96] = "(?)";
        ZydisFormatterFormatInstruction(&formatter_, &in, ops, in.operand_count_visible, text,
                                        sizeof text, cs_base_ + eip_, nullptr);
        char line[192];
        snprintf(line, sizeof line, "  %08x  %-36s %-16s %s", eip_, text, category, treatment);
        listing_(line);
    }

    void exit_to(uint32_t target, uint32_t jump_field) { pending_.push_back({jump_field, target}); }

    // The instruction at eip_ runs on the virtual CPU: ends the block.
    void callout() {
        block_.map.emplace_back(out_.here(), eip_);
        out_.store_gs(kOffExitKind, kExitEmulate);
        out_.store_gs(kOffExitEip, eip_);
        out_.store_gs(kOffExitLink, 0);  // the site number, patched in by the engine
        callout_end_ = eip_ + current_length_;
        if (site_length_) {
            CalloutSite site{out_.here() - 4, eip_, {}, site_length_};
            memcpy(site.bytes, site_bytes_, sizeof site.bytes);
            block_.callouts.push_back(site);
        }
        out_.callout();
        ++block_.rewritten;
    }

    // Returns false when the instruction ends the block.
    bool emit(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
              const uint8_t* bytes) {
        current_length_ = in.length;
        const Rule& rule = classify(in, ops);
        if (context_.callouts && context_.callouts->count(cs_base_ + eip_)) {
            list(in, ops, category_name(rule.category), "callout (adaptive: kept faulting)");
            callout();
            return false;
        }
        list(in, ops, category_name(rule.category), treatment_name(rule.treatment));
        const uint32_t next = eip_ + in.length;
        const uint32_t here = out_.here();
        switch (rule.treatment) {
            case Treatment::kCopy: {
                if (!context_.code32) {  // 16-bit code: the same instruction, encoded for 32
                    if (!copy16(in, ops)) break;  // Zydis cannot: the virtual CPU runs it
                    eip_ = next;
                    return true;
                }
                block_.map.emplace_back(here, eip_);
                const size_t start = out_.bytes().size();
                out_.raw(bytes, in.length);
                if (in.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_CS)  // guest CS is not in hardware
                    for (unsigned i = 0; i < in.raw.prefix_count; ++i)
                        if (bytes[i] == 0x2e) out_.at(start + i) = 0x3e;
                eip_ = next;
                return true;
            }
            case Treatment::kRetarget: return retarget(in, ops, bytes, next);
            case Treatment::kInline:
                if (!inline_rewrite(in, ops)) break;
                if (in.mnemonic == ZYDIS_MNEMONIC_IRETD || in.mnemonic == ZYDIS_MNEMONIC_SYSENTER)
                    return false;  // ends the block
                eip_ = next;
                return true;
            case Treatment::kLookup:
                if (context_.code32 && (in.operand_width != 32 || in.address_width != 32))
                    break;  // 16-bit operands in 32-bit code: a callout
                return indirect(in, ops, bytes, next);
            default: break;
        }
        callout();
        return false;
    }

    // cli, sti, pushf, popf, push %sreg, mov %sreg,%reg on the virtual state in the
    // per-vCPU area. False when the context does not allow it (then: a callout).
    bool inline_rewrite(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops) {
        const bool stack_ok = context_.cpl0 && context_.stack32 && in.operand_width == 32;
        const uint32_t start = out_.here();
        switch (in.mnemonic) {
            case ZYDIS_MNEMONIC_CLI:
                if (!context_.cpl0) return false;
                emit_cli(out_);
                break;
            case ZYDIS_MNEMONIC_STI:  // no interrupt source is modelled yet: nothing pending
                if (!context_.cpl0) return false;
                emit_sti(out_);
                break;
            case ZYDIS_MNEMONIC_PUSHFD:
                if (!stack_ok) return false;
                emit_pushf(out_);
                // After its first instruction (the push) the sequence is under way: inexact.
                block_.map.emplace_back(start, eip_);
                block_.map.emplace_back(start + 1, kInexact);
                ++block_.rewritten;
                return true;
            case ZYDIS_MNEMONIC_POPFD:
                if (!stack_ok) return false;
                emit_popf(out_);
                block_.parked.push_back({start + 6, out_.here() - 1, false});  // till popf
                break;
            case ZYDIS_MNEMONIC_SYSENTER: {  // from CPL 3: a direct transfer (see emit.hpp)
                if (context_.cpl0) return false;
                out_.store_gs(kOffExitEip, eip_);
                out_.byte(0x65), out_.byte(0xff), out_.byte(0x25);  // jmp *%gs:sysenter_path
                out_.u32(kOffSysenterPath);
                block_.map.emplace_back(start, eip_);
                ++block_.rewritten;
                return true;
            }
            case ZYDIS_MNEMONIC_IRETD: {
                if (!stack_ok || !context_.lookup_flags_saved) return false;
                const IretSequence seq = emit_iret(out_, context_.lookup_flags_saved);
                block_.map.emplace_back(start, eip_);
                block_.map.emplace_back(seq.inexact, kInexact);
                block_.parked.push_back({seq.eax_parked, seq.ebx_parked, false});
                block_.parked.push_back({seq.ebx_parked, seq.inexact, true});
                const uint32_t slow = out_.here();  // the other cases: the virtual CPU
                for (uint32_t field : seq.slow_jumps) out_.patch_u32(field, rel32(field, slow));
                block_.map.emplace_back(slow, eip_);
                block_.parked.push_back({slow, slow + 6, false});
                emit_unpark_eax(out_);
                callout();
                return true;  // (callout() counted it as rewritten)
            }
            case ZYDIS_MNEMONIC_PUSH:
                if (!stack_ok) return false;
                emit_push_selector(out_, segreg_index(ops[0].reg.value));
                break;
            case ZYDIS_MNEMONIC_MOV: {
                const ZydisRegister dst = ops[0].reg.value;
                const auto cls = ZydisRegisterGetClass(dst);
                if (ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
                    (cls != ZYDIS_REGCLASS_GPR32 && cls != ZYDIS_REGCLASS_GPR16))
                    return false;  // a memory destination: callout
                emit_read_selector(out_, segreg_index(ops[1].reg.value),
                                   static_cast<unsigned>(ZydisRegisterGetId(dst)),
                                   cls == ZYDIS_REGCLASS_GPR16);
                break;
            }
            default: return false;
        }
        block_.map.emplace_back(start, eip_);
        ++block_.rewritten;
        return true;
    }

    // prevt's SegReg order: es cs ss ds fs gs.
    static unsigned segreg_index(ZydisRegister r) {
        switch (r) {
            case ZYDIS_REGISTER_ES: return 0;
            case ZYDIS_REGISTER_CS: return 1;
            case ZYDIS_REGISTER_SS: return 2;
            case ZYDIS_REGISTER_FS: return 4;
            case ZYDIS_REGISTER_GS: return 5;
            default: return 3;
        }
    }

    // ret / jmp *r/m / call *r/m: the target guest EIP goes to %gs:kOffIblTarget, then the
    // lookup routine finds its block. `push r/m` (FF /6) computes the same operand as
    // `jmp r/m` (FF /4) and `call r/m` (FF /2): the ModRM reg field is all that changes.
    bool indirect(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
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
            const size_t start = out_.bytes().size();
            out_.raw(bytes, in.length);
            out_.at(start + in.raw.modrm.offset) =
                static_cast<uint8_t>((bytes[in.raw.modrm.offset] & 0xc7) | (6 << 3));
            for (unsigned i = 0; i < in.raw.prefix_count; ++i)
                if (bytes[i] == 0x2e) out_.at(start + i) = 0x3e;
            out_.raw(pop_target, sizeof pop_target);
            out_.u32(kOffIblTarget);
            if (in.mnemonic == ZYDIS_MNEMONIC_CALL) out_.push_imm(next);
            block_.map.emplace_back(out_.here(), kInexact);
        }
        out_.jmp(lookup_);
        eip_ = next;
        return false;
    }

    // 16-bit code runs in the monitor's 32-bit code segment: Zydis encodes the decoded
    // instruction again for 32-bit mode, which toggles the operand- and address-size prefixes
    // (`mov (%bx,%si),%ax` 8b 00 becomes 66 67 8b 00). A `cs:` override becomes `ds:`, as
    // for copied 32-bit code.
    bool encode32(ZydisEncoderRequest& req) {
        if (req.prefixes & ZYDIS_ATTRIB_HAS_SEGMENT_CS)
            req.prefixes =
                (req.prefixes & ~ZYDIS_ATTRIB_HAS_SEGMENT_CS) | ZYDIS_ATTRIB_HAS_SEGMENT_DS;
        req.machine_mode = ZYDIS_MACHINE_MODE_LEGACY_32;
        uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
        ZyanUSize len = sizeof buf;
        if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&req, buf, &len))) return false;
        out_.raw(buf, len);
        return true;
    }

    bool copy16(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops) {
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
    bool indirect_reencoded(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
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

    bool retarget(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
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

    CodeBuffer& out_;
    TranslationContext context_;
    uint32_t cs_base_, eip_, lookup_;
    const Listing& listing_;
    ZydisDecoder decoder_;
    ZydisFormatter formatter_;
    Block block_;
    std::vector<PendingExit> pending_;
    uint8_t site_bytes_[15] = {};  // the instruction being translated, for a callout site
    uint8_t site_length_ = 0;
    uint32_t current_length_ = 0;  // of the instruction being translated (0: undecodable)
    uint32_t callout_end_ = 0;     // just past the instruction of the block's final callout
};

}  // namespace

// Signals arrive at instruction boundaries; a fault inside a copied instruction arrives at its
// start. Between two map points the guest state is that of the earlier one: rewritten
// sequences have no guest-visible effect before their last instruction.
bool Block::guest_eip_at(uint32_t cache, uint32_t* eip) const {
    const std::pair<uint32_t, uint32_t>* best = nullptr;
    for (const auto& m : map)
        if (m.first <= cache && (!best || m.first > best->first)) best = &m;
    if (!best) return false;
    *eip = best->second;
    return true;
}

bool Block::boundary_at(uint32_t cache, uint32_t* eip) const {
    for (const auto& m : map)
        if (m.first == cache && m.second != kInexact) {
            *eip = m.second;
            return true;
        }
    return false;
}

Block translate_block(const CodeReader& read, const TranslationContext& context, CodeBuffer& out,
                      const Listing& listing) {
    return Builder(out, context, listing).build(read);
}

}  // namespace prevt::bt
