// The block builder behind translate_block(): one guest basic block decoded with Zydis,
// each instruction treated as the classification table says. Internal to bt/: translator.cpp
// (the block, the dispatch, callouts, inline rewrites) and transfers.cpp (branches, the
// indirect-branch sequences, 16-bit code re-encoded) define its methods.
#pragma once

#include <Zydis/Zydis.h>

#include <cstdint>
#include <vector>

#include "bt/block.hpp"
#include "bt/emit.hpp"
#include "bt/translator.hpp"

namespace prevt::bt {

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
        init_guest_decoder(&decoder_, c.code32, c.stack32, *c.profile);
        init_cache_decoder(&host_decoder_);
        ZydisFormatterInit(&formatter_, ZYDIS_FORMATTER_STYLE_ATT);
        block_.guest_linear = c.cs_base + c.eip;
        block_.guest_eip = c.eip;
        block_.cache_start = out.here();
    }

    Block build(const CodeReader& read);

private:
    void list(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
              const char* category, const char* treatment);

    void exit_to(uint32_t target, uint32_t jump_field) { pending_.push_back({jump_field, target}); }

    // The instruction at eip_ runs on the virtual CPU: ends the block.
    void callout();

    // Innocuous 32-bit code, copied. What the host runs must be what the profiled CPU runs:
    // prefixes the profile ignores but the host may give a meaning (`rep bsr` is lzcnt) are
    // dropped; bytes the host still decodes as another instruction (a hint nop the host knows
    // as an MPX instruction) are not copied (false: a callout).
    bool copy32(const ZydisDecodedInstruction& in, const uint8_t* bytes);

    // Returns false when the instruction ends the block.
    bool emit(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
              const uint8_t* bytes);

    // cli, sti, pushf, popf, push %sreg, mov %sreg,%reg on the virtual state in the
    // per-vCPU area. False when the context does not allow it (then: a callout).
    bool inline_rewrite(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops);

    void fast_transfer(uint32_t path);

    // ret / jmp *r/m / call *r/m: the target guest EIP goes to %gs:kOffIblTarget, then the
    // lookup routine finds its block. `push r/m` (FF /6) computes the same operand as
    // `jmp r/m` (FF /4) and `call r/m` (FF /2): the ModRM reg field is all that changes.
    bool indirect(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
                  const uint8_t* bytes, uint32_t next);

    // 16-bit code runs in the monitor's 32-bit code segment: Zydis encodes the decoded
    // instruction again for 32-bit mode, which toggles the operand- and address-size prefixes
    // (`mov (%bx,%si),%ax` 8b 00 becomes 66 67 8b 00). A `cs:` prefix reaching it belongs
    // to an instruction without a memory access (classify() calls out cs: accesses): dropped.
    bool encode32(ZydisEncoderRequest& req);

    bool copy16(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops);
    // A learned store to the local APIC's TPR (TranslationContext::tpr_stores): the same mov
    // with %gs:kOffTpr as its destination. False if it is no such store.
    bool tpr_store(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops);

    // ret / jmp *r/m / call *r/m in 16-bit code: the target (popped, or pushed from the r/m
    // operand re-encoded as a push, then popped) to the lookup routine, zero-extended when
    // 16 bits wide; a 16-bit call pushes a 16-bit return address.
    bool indirect_reencoded(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
                            uint32_t next);

    bool retarget(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
                  const uint8_t* bytes, uint32_t next);

    CodeBuffer& out_;
    TranslationContext context_;
    uint32_t cs_base_, eip_, lookup_;
    const Listing& listing_;
    ZydisDecoder decoder_;
    ZydisDecoder host_decoder_;  // the host's view of copied bytes (every Zydis mode on)
    ZydisFormatter formatter_;
    Block block_;
    std::vector<PendingExit> pending_;
    uint8_t site_bytes_[15] = {};  // the instruction being translated, for a callout site
    uint8_t site_length_ = 0;
    uint32_t current_length_ = 0;  // of the instruction being translated (0: undecodable)
    uint32_t callout_span_ = 0;    // from the block's start to just past its final callout
};

}  // namespace prevt::bt
