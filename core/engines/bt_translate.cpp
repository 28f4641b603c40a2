// The bt engine's side of translation: guest code bytes read through the guest's segments and
// page tables, the translation context and key taken from the virtual CPU's state, blocks
// found in or added to the cache (bt/code_cache.hpp), and the --trace out_asm listing.
#include <x86intrin.h>

#include <algorithm>
#include <cstdio>

#include "core/emulate/code_bytes.hpp"
#include "core/emulate/cpu_profiles.hpp"
#include "core/emulate/execute.hpp"
#include "core/engines/bt_engine.hpp"
#include "core/native/layout.hpp"
#include "shadowmmu/pagetable.hpp"

namespace prevt {

using shadowmmu::kPageSize;

namespace {
// How many instructions the translator emitted (lengths only: no operand decoding).
uint64_t count_instructions(const std::vector<uint8_t>& bytes) {
    ZydisDecoder decoder;
    init_cache_decoder(&decoder);
    ZydisDecoderContext context;
    ZydisDecodedInstruction in;
    uint64_t n = 0;
    for (size_t at = 0; at < bytes.size(); at += in.length, ++n)
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, &context, &bytes[at],
                                                        bytes.size() - at, &in)))
            break;
    return n;
}
}  // namespace

// Guest code bytes, through the guest's page tables when paging is on, one walk per page. A
// page that does not translate ends the bytes: the translator then calls out, and the virtual
// CPU raises the #PF for the instruction fetch.
unsigned BtEngine::read_code(const VcpuState& s, uint32_t linear, uint8_t* out, unsigned max) {
    // Not beyond CS's limit: an instruction that crosses it is left to the virtual CPU (#GP).
    const Segment& cs = s.sreg(SegReg::cs);
    if (s.protected_mode()) {
        const uint32_t offset = linear - cs.base;
        if (offset > cs.limit) return 0;
        max = static_cast<unsigned>(std::min<uint64_t>(max, uint64_t(cs.limit) - offset + 1));
    }
    return read_code_bytes(linear, out, max, [&](uint32_t at, uint8_t* o, unsigned len) {
        uint32_t phys = at;
        if (s.paging()) {
            const auto t = walk_guest(s, at, false);
            if (!t) return 0u;
            phys = t->physical;
        }
        if (ram_.read_bytes(phys, o, len)) return len;
        unsigned n = 0;  // RAM ends inside: up to its end
        while (n < len && ram_.read_bytes(phys + n, o + n, 1)) ++n;
        return n;
    });
}

bt::Block& BtEngine::translate(const VcpuState& s) {
    const uint64_t t0 = __rdtsc();
    struct Timer {  // the translation time, whatever path leaves
        uint64_t t0;
        uint64_t& total;
        ~Timer() { total += __rdtsc() - t0; }
    } timer{t0, n_.translate_ticks};
    const Segment& cs = s.sreg(SegReg::cs);
    const bt::CodeReader read = [this, &s](uint32_t linear, uint8_t* out, unsigned max) {
        return read_code(s, linear, out, max);
    };
    if (listing_) {
        char head[64];
        snprintf(head, sizeof head, "in_asm: block at %04x:%08x (CPL %u)", cs.selector, s.eip,
                 s.cpl());
        listing_(head);
    }
    bt::TranslationContext context;
    context.cs_base = cs.base;
    context.eip = s.eip;
    context.cpl0 = s.cpl() == 0;
    context.stack32 = s.sreg(SegReg::ss).db;
    context.code32 = cs.db;
    context.cs_limit = cs.limit;
    context.callouts = &callout_eips_;
    context.gs_wraps = &gs_wrap_eips_;
    context.tpr_stores = tpr_store_eips_.empty() ? nullptr : &tpr_store_eips_;  // (per instruction)
    context.stops = stops_.empty() ? nullptr : &stops_;
    context.single = debug_.step;
    context.fpu = FpuControl::of(s);  // (in the key: a CR0/CR4 write selects other blocks)
    context.native_tsc = native_tsc(s);
    context.pause_exits = pause_exits_;
    context.profile = profile_;
    context.smap = s.cr4 & cr4::SMAP;  // (in the key)
    // The inline iret keeps the cached CS: only while the guest's descriptor for it still
    // holds what CS was loaded from (checked again by the translation, at each iret).
    uint32_t at;
    Descriptor d;
    if (s.protected_mode() && s.cpl() == 0 && descriptor_linear(s, cs.selector, &at) &&
        at + 8ull <= native::kMonitorBase - native::kPageZeroOffset &&
        read_code(s, at, reinterpret_cast<uint8_t*>(&d), 8) == 8 && reloads_as(cs, d))
        context.iret_check = {cs.selector, uint32_t(at + native::kPageZeroOffset), d.lo, d.hi};
    // The cache may flush to make room: the shared routines' addresses are taken after that.
    auto translate_at_start = [&](bt::CodeBuffer* buf) {
        *buf = bt::CodeBuffer(cache_.start());
        context.lookup_routine = cache_.lookup_routine();
        context.lookup_flags_saved = cache_.lookup_flags_saved();
        return bt::translate_block(read, context, *buf, listing_);
    };
    bt::CodeBuffer buf(0);
    bt::Block block = translate_at_start(&buf);
    if (buf.here() > cache_.end()) {  // full: start over, then translate into the empty cache
        cache_.flush();
        block = translate_at_start(&buf);
    }
    for (const bt::CalloutSite& site : block.callouts) {  // decoded once, here
        Decoded& d = sites_.emplace_back();
        if (!decode_bytes(site.bytes, site.length, context.code32, context.stack32, site.eip, &d)) {
            sites_.pop_back();
            continue;
        }
        buf.patch_u32(site.link_field, static_cast<uint32_t>(sites_.size()));
    }
    if (out_asm_) list_translation(buf);
    n_.host_instructions += count_instructions(buf.bytes());
    // Self-modifying code: the guest frames holding translated code become read-only.
    // (64-bit: a block that ends beyond 0xffffffff continues at linear 0, it does not loop.)
    for (uint64_t p64 = block.guest_linear & ~(kPageSize - 1); p64 < block.guest_end;
         p64 += kPageSize) {
        const uint32_t p = static_cast<uint32_t>(p64);
        uint32_t frame = p;
        bool global = false;
        if (s.paging()) {
            const auto t = walk_guest(s, p, false);
            if (!t) continue;  // (the translator read no byte there)
            frame = t->physical & ~(kPageSize - 1);
            global = t->global;
        }
        block.pages.push_back({p, frame, global});
    }
    const bool unread = s.paging() && block.pages.empty();
    // A TPR store's page is one of the block's (bt_tpr.cpp): re-checked like its code's.
    if (s.paging())
        for (const auto& [eip, site] : tpr_store_sites_)
            if (eip >= block.guest_linear && eip < block.guest_end)
                block.pages.push_back(
                    {site.page, uint32_t(devices::LocalApic::kDefaultBase), false});
    bt::Block& b = cache_.add(std::move(block), buf, key_of(s), s.paging());
    if (perf_map_)  // (after a flush the addresses come again: docs/qemu-options.md)
        fprintf(perf_map_, "%x %x guest %04x:%08x\n", b.cache_start, b.cache_end - b.cache_start,
                cs.selector, s.eip);
    // Its first instruction could not be fetched (a page not present yet: a new process's
    // code, mapped as it faults in): the block is one callout, for the virtual CPU to raise
    // the fault. It runs this once and is not kept: no page of it would ever tell that it
    // went stale, and every later run of that code would be a callout (busybox's PIC thunk,
    // called by every function: 120 million callouts in the Linux workload).
    if (unread) cache_.drop({&b});
    return b;
}

namespace {
// The descriptor tables in use, folded to 19 bits: the inline iret's check reads the CS
// descriptor where the GDT/LDT were at translation (a reload of GDTR or LDTR selects other
// blocks; a collision keeps the check on the old table, 2^-19 per switch).
uint32_t descriptor_tables_hash(const VcpuState& s) {
    uint64_t h = (uint64_t(s.gdtr.base) << 16 | s.gdtr.limit) * 0x9e3779b97f4a7c15ull;
    h ^= uint64_t(s.sreg(SegReg::cs).limit) * 0xff51afd7ed558ccdull;  // (a translation's reach)
    h ^= (uint64_t(s.ldtr.base) << 20 ^ s.ldtr.limit ^ s.ldtr.selector) * 0xc2b2ae3d27d4eb4full;
    return static_cast<uint32_t>(h >> 45);
}
}  // namespace

// Everything TranslationContext takes from the state, so that blocks (and the lookup tables,
// cleared when these bits change) of another context never match. The layout, low to high:
// linear EIP (32), CPL (2), SS.B, CS.D (protected 16/32), the x87 controls (4), native rdtsc,
// the CPU mode (2: protected, real, virtual-8086), CR4.SMAP and CR4.SMEP (a fetch from a user
// page at CPL 0 was allowed or not), the descriptor tables' hash (19).
uint64_t BtEngine::key_of(const VcpuState& s) {
    const uint64_t mode = !s.protected_mode() ? 1 : (s.eflags & eflags::VM) ? 2 : 0;
    return uint64_t(s.sreg(SegReg::cs).base + s.eip) | (uint64_t(s.cpl()) << 32) |
           (uint64_t(s.sreg(SegReg::ss).db) << 34) | (uint64_t(s.sreg(SegReg::cs).db) << 35) |
           (uint64_t(FpuControl::of(s).bits()) << 36) | (uint64_t(native_tsc(s)) << 40) |
           (mode << 41) | (uint64_t(bool(s.cr4 & cr4::SMAP)) << 43) |
           (uint64_t(bool(s.cr4 & cr4::SMEP)) << 44) | (uint64_t(descriptor_tables_hash(s)) << 45);
}

// --trace out_asm: the translation as the CPU will see it, decoded again with Zydis.
void BtEngine::list_translation(const bt::CodeBuffer& buf) const {
    ZydisDecoder decoder;
    init_cache_decoder(&decoder);
    ZydisFormatter formatter;
    ZydisFormatterInit(&formatter, ZYDIS_FORMATTER_STYLE_ATT);
    const std::vector<uint8_t>& bytes = buf.bytes();
    const uint32_t base = buf.here() - static_cast<uint32_t>(bytes.size());
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    for (size_t at = 0; at < bytes.size(); at += in.length) {
        if (!ZYAN_SUCCESS(
                ZydisDecoderDecodeFull(&decoder, &bytes[at], bytes.size() - at, &in, ops)))
            break;
        char text[96], line[128];
        ZydisFormatterFormatInstruction(&formatter, &in, ops, in.operand_count_visible, text,
                                        sizeof text, base + at, nullptr);
        snprintf(line, sizeof line, "  out_asm: %08zx  %s", base + at, text);
        out_asm_(line);
    }
}

bt::Block& BtEngine::block_for(const VcpuState& s) {
    return block_for(s, key_of(s));
}

// A block parked at a CR3 write comes back if its pages map to the frames it was made from
// (walked as the fetch would: A bits set, the CPL's rights checked).
bt::Block& BtEngine::block_for(const VcpuState& s, uint64_t key) {
    bt::Block* b = cache_.find(key);
    if (b) return *b;
    b = cache_.unpark(key, [&](const bt::Block& parked) {
        for (const bt::Block::Page& bp : parked.pages) {
            const auto t = walk_guest(s, bp.linear, false);  // (its fetch: A bits set)
            if (!t || (t->physical & ~(kPageSize - 1)) != bp.frame || t->global != bp.global)
                return false;
        }
        return true;
    });
    if (!b) return translate(s);
    // Its neighbours are not being fetched: a peek, which sets no A bit (and refuses a page
    // whose A bit is clear, as a fetch would have to set it).
    cache_.unpark_neighbours(*b, [&](const bt::Block& parked) {
        for (const bt::Block::Page& bp : parked.pages) {
            const auto r = walk_guest_tables(ram_, s, bp.linear, false, s.cpl() == 3, true, true);
            const auto* t = std::get_if<shadowmmu::Translation>(&r);
            if (!t || (t->physical & ~(kPageSize - 1)) != bp.frame || t->global != bp.global)
                return false;
        }
        return true;
    });
    return *b;
}

// A parked block back: its lookup slots again where the table still holds its context.
void BtEngine::restore_lookup(const bt::Block& b, unsigned tables) {
    const uint64_t context = lookup_context(b.key, b.guest_linear - b.guest_eip);
    for (int user = 0; user < 2; ++user) {
        if (!(tables & (1u << user)) || ibl_context_[user] != context) continue;
        uint32_t* slot = area_.ibl_table(user) + 2 * bt::ibl_index(b.guest_eip);
        slot[0] = b.guest_eip;
        slot[1] = b.cache_start;
    }
}

}  // namespace prevt
