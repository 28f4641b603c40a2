// The translator: one guest basic block at a time, each instruction treated as the
// classification table says (bt/classify.cpp). Branches and 16-bit re-encoding: transfers.cpp.
#include "bt/translator.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "bt/builder.hpp"
#include "bt/classify.hpp"
#include "bt/vcpu_area.hpp"
#include "core/emulate/decoded.hpp"
#include "core/emulate/memory_operands.hpp"
#include "core/errors.hpp"

namespace prevt::bt {

Block Builder::build(const CodeReader& read) {
    bool open = true;
    const unsigned limit = context_.single ? 1 : kMaxInstructions;
    while (open && block_.instructions < limit) {
        if (block_.instructions && context_.stops && context_.stops->count(cs_base_ + eip_))
            break;  // a debugger's breakpoint: the block ends before it
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
    // The limit or a stop: continue in a new block. The jump is an exact point of its own, at
    // the next instruction: a signal there comes after the last instruction ran, and without
    // this entry it would map to that instruction, which the guest would then run twice (an
    // `add` cut off by the limit, twice: the Linux guest's wrong md5 sums).
    if (open) {
        block_.map.emplace_back(out_.here(), eip_);
        exit_to(eip_, out_.jmp(0));
    }
    // A callout's instruction counts as the block's: its bytes were decoded once (the
    // callout site), so a store into them must invalidate the block.
    // (Offsets from the block's start, modulo 4 GiB: EIP may wrap past 0xffffffff.)
    const uint32_t span = std::max<uint32_t>(eip_ - context_.eip, callout_span_);
    block_.guest_end = uint64_t(block_.guest_linear) + span;
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

void Builder::list(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
                   const char* category, const char* treatment) {
    if (!listing_) return;
    char text[96] = "(?)";
    ZydisFormatterFormatInstruction(&formatter_, &in, ops, in.operand_count_visible, text,
                                    sizeof text, cs_base_ + eip_, nullptr);
    char line[192];
    snprintf(line, sizeof line, "  %08x  %-36s %-16s %s", eip_, text, category, treatment);
    listing_(line);
}

// The instruction at eip_ runs on the virtual CPU: ends the block.
void Builder::callout() {
    block_.map.emplace_back(out_.here(), eip_);
    out_.store_gs(kOffExitKind, kExitEmulate);
    out_.store_gs(kOffExitEip, eip_);
    out_.store_gs(kOffExitLink, 0);  // the site number, patched in by the engine
    callout_span_ = eip_ + current_length_ - context_.eip;
    if (site_length_) {
        CalloutSite site{out_.here() - 4, eip_, {}, site_length_};
        memcpy(site.bytes, site_bytes_, sizeof site.bytes);
        block_.callouts.push_back(site);
    }
    out_.callout();
    ++block_.rewritten;
}

// Innocuous 32-bit code, copied (see builder.hpp).
bool Builder::copy32(const ZydisDecodedInstruction& in, const uint8_t* bytes) {
    uint8_t copy[ZYDIS_MAX_INSTRUCTION_LENGTH];
    unsigned n = 0;
    for (unsigned i = 0; i < in.length; ++i) {
        const bool ignored_rep = i < in.raw.prefix_count &&
                                 in.raw.prefixes[i].type == ZYDIS_PREFIX_TYPE_IGNORED &&
                                 (bytes[i] == 0xf2 || bytes[i] == 0xf3);
        if (!ignored_rep) copy[n++] = bytes[i];
    }
    ZydisDecodedInstruction host;
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&host_decoder_, nullptr, copy, n, &host)) ||
        host.mnemonic != in.mnemonic || host.length != n)
        return false;
    block_.map.emplace_back(out_.here(), eip_);
    out_.raw(copy, n);
    return true;
}

// Returns false when the instruction ends the block.
bool Builder::emit(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
                   const uint8_t* bytes) {
    current_length_ = in.length;
    const Rule& rule = classify(in, ops, *context_.profile);
    if (context_.callouts && context_.callouts->count(cs_base_ + eip_)) {
        list(in, ops, category_name(rule.category), "callout (adaptive: kept faulting)");
        callout();
        return false;
    }
    if (context_.tpr_stores && context_.cpl0 && context_.code32 &&
        context_.tpr_stores->count(cs_base_ + eip_) && tpr_store(in, ops)) {
        list(in, ops, category_name(rule.category), "TPR store: to the slot at %gs:kOffTpr");
        eip_ += in.length;
        return true;
    }
    // FPU control: under these CR0/CR4 bits the instruction faults before it executes.
    if ((rule.treatment == Treatment::kCopy || rule.treatment == Treatment::kSwapFs) &&
        fpu_fault(fpu_class(in, ops), context_.fpu) != kNoFpuFault) {
        list(in, ops, category_name(rule.category), "callout (CR0/CR4: the FPU faults)");
        callout();
        return false;
    }
    list(in, ops, category_name(rule.category), treatment_name(rule.treatment));
    const uint32_t next = eip_ + in.length;
    switch (rule.treatment) {
        case Treatment::kCopy:
            if (in.mnemonic == ZYDIS_MNEMONIC_NOP) {         // hint nops too: the host may know
                block_.map.emplace_back(out_.here(), eip_);  // them as cldemote, endbr32...
                out_.byte(0x90);
                eip_ = next;
                return true;
            }
            if (!(context_.code32 ? copy32(in, bytes) : copy16(in, ops)))
                break;  // the host would run another instruction, or Zydis cannot re-encode
            eip_ = next;
            return true;
        case Treatment::kSwapFs: {
            // A copy but for %gs (the monitor's): the same bytes with fs: for gs:, FS holding
            // the guest's GS shadow for the one instruction. A fault or a signal anywhere in it
            // is exact (at the instruction, or after it at the restore); the next entry loads
            // FS again anyway. Only what would be a copy, in 32-bit code: else a callout.
            // The same for cs: with CS as data (read-only; empty for execute-only code) in FS.
            const bool gs = rule.category == Category::kMonitorSegment;
            if (!context_.code32 || classify_table(in, ops).treatment != Treatment::kCopy ||
                (gs && accesses_through(in, ops, ZYDIS_REGISTER_CS)))
                break;
            block_.map.emplace_back(out_.here(), eip_);
            const bool wraps = gs && context_.gs_wraps && context_.gs_wraps->count(cs_base_ + eip_);
            emit_fs_swap_begin(out_, (wraps ? kOffGuestGsWrap
                                      : gs  ? kOffGuestGs
                                            : kOffGuestCsData) +
                                         (context_.cpl0 ? 0 : kFsSwapUserVariant));
            const size_t start = out_.bytes().size();
            out_.raw(bytes, in.length);
            const uint8_t prefix = gs ? 0x65 : 0x2e;
            for (unsigned i = 0; i < in.raw.prefix_count; ++i)
                if (bytes[i] == prefix) out_.at(start + i) = 0x64;
            block_.map.emplace_back(out_.here(), next);
            emit_fs_swap_end(out_);
            ++block_.rewritten;
            eip_ = next;
            return true;
        }
        case Treatment::kRetarget: {
            uint32_t target = static_cast<uint32_t>(next + ops[0].imm.value.s);
            if (in.operand_width == 16) target &= 0xffff;
            if (target > context_.cs_limit) break;  // #GP(0) if taken: the virtual CPU
            return retarget(in, ops, bytes, next);
        }
        case Treatment::kInline:
            // rdtsc: the host's TSC is the guest's; pause: no other vCPU waits for this one.
            if (in.mnemonic == ZYDIS_MNEMONIC_RDTSC || in.mnemonic == ZYDIS_MNEMONIC_PAUSE) {
                if (in.mnemonic == ZYDIS_MNEMONIC_RDTSC ? !context_.native_tsc
                                                        : context_.pause_exits)
                    break;
                if (!(context_.code32 ? copy32(in, bytes) : copy16(in, ops))) break;
                eip_ = next;
                return true;
            }
            if (!inline_rewrite(in, ops)) break;
            if (in.mnemonic == ZYDIS_MNEMONIC_IRETD || in.mnemonic == ZYDIS_MNEMONIC_SYSENTER ||
                in.mnemonic == ZYDIS_MNEMONIC_SYSEXIT)
                return false;  // ends the block
            eip_ = next;
            return true;
        case Treatment::kLookup:
            if (context_.code32 && (in.operand_width != 32 || in.address_width != 32))
                break;  // 16-bit operands in 32-bit code: a callout
            if ((in.operand_width == 16 ? 0xffffu : 0xffffffffu) > context_.cs_limit)
                break;  // a target could lie beyond CS's limit: the virtual CPU checks
            return indirect(in, ops, bytes, next);
        default: break;
    }
    callout();
    return false;
}

// cli, sti, pushf, popf, push %sreg, mov %sreg,%reg on the virtual state in the
// per-vCPU area. False when the context does not allow it (then: a callout).
bool Builder::inline_rewrite(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops) {
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
            if (!stack_ok || context_.smap) return false;
            emit_popf(out_);
            block_.parked.push_back({start + 6, out_.here() - 1, false});  // till popf
            break;
        case ZYDIS_MNEMONIC_SYSENTER:  // from CPL 3: a direct transfer (see emit.hpp)
            if (context_.cpl0) return false;
            fast_transfer(kOffSysenterPath);
            break;
        case ZYDIS_MNEMONIC_SYSEXIT:  // to CPL 3: a direct transfer when the engine allows
            if (!context_.cpl0 || in.operand_width != 32) return false;
            fast_transfer(kOffSysexitPath);
            break;
        case ZYDIS_MNEMONIC_IRETD: {
            if (!stack_ok || context_.smap || !context_.lookup_flags_saved ||
                !context_.iret_check.descriptor_host)
                return false;
            const IretSequence seq =
                emit_iret(out_, context_.lookup_flags_saved, context_.iret_check);
            block_.map.emplace_back(start, eip_);
            block_.map.emplace_back(seq.inexact, kInexact);
            block_.parked.push_back({seq.eax_parked, seq.ebx_parked, false});
            block_.parked.push_back({seq.ebx_parked, seq.inexact, true});
            const uint32_t slow = out_.here();  // the other cases: the virtual CPU
            for (uint32_t field : seq.slow_jumps) out_.patch_u32(field, rel32(field, slow));
            block_.map.emplace_back(slow, eip_);
            block_.parked.push_back({slow, slow + 6, false});
            emit_unpark_eax(out_);
            block_.step_diversions.push_back({seq.eax_parked, seq.ebx_parked, slow});
            block_.restarts.push_back(slow);  // (a step reaches both from the checks)
            block_.restarts.push_back(out_.here());
            callout();
            return true;  // (callout() counted it as rewritten)
        }
        case ZYDIS_MNEMONIC_PUSH:
            if (!stack_ok) return false;
            emit_push_selector(out_, static_cast<unsigned>(to_segreg(ops[0].reg.value)));
            break;
        case ZYDIS_MNEMONIC_MOV: {
            const ZydisRegister dst = ops[0].reg.value;
            const auto cls = ZydisRegisterGetClass(dst);
            if (ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
                (cls != ZYDIS_REGCLASS_GPR32 && cls != ZYDIS_REGCLASS_GPR16))
                return false;  // a memory destination: callout
            emit_read_selector(out_, static_cast<unsigned>(to_segreg(ops[1].reg.value)),
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

// sysenter/sysexit: the instruction's EIP for the callout path, then a jump through the
// pointer the engine keeps at %gs:`path` (the shared routine, or the callout).
void Builder::fast_transfer(uint32_t path) {
    out_.store_gs(kOffExitEip, eip_);
    out_.byte(0x65), out_.byte(0xff), out_.byte(0x25);  // jmp *%gs:path
    out_.u32(path);
}

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
    if (std::find(restarts.begin(), restarts.end(), cache) != restarts.end()) return false;
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
