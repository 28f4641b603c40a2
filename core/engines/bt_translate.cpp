// The bt engine's translation cache: blocks by guest address and by cache address, the pages
// they came from (write-protected: self-modifying code), chaining and its undoing, flushing.
#include <sys/mman.h>
#include <x86intrin.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "core/emulate/code_bytes.hpp"
#include "core/emulate/cpu_profile.hpp"
#include "core/emulate/execute.hpp"
#include "core/engines/bt_engine.hpp"
#include "core/errors.hpp"
#include "core/native/address_space.hpp"
#include "core/native/layout.hpp"
#include "shadowmmu/pagetable.hpp"

namespace prevt {

using shadowmmu::kPageSize;

bt::Block* BtEngine::block_at_cache(uint32_t cache) const {
    auto it = by_cache_.upper_bound(cache);
    if (it == by_cache_.begin()) return nullptr;
    bt::Block* b = std::prev(it)->second;
    return cache < b->cache_end ? b : nullptr;
}

void BtEngine::flush() {
    recent_.fill({});
    blocks_.clear();
    by_cache_.clear();
    graveyard_.clear();
    for (const auto& [frame, list] : by_frame_) shadow_.release_frame(frame);
    by_frame_.clear();
    std::fill(code_frames_.begin(), code_frames_.end(), 0);
    by_linear_.clear();
    // The instruction being emulated may be one of the sites (a CR3 write flushes): they
    // live until the next entry.
    retired_sites_ = std::move(sites_);
    sites_.clear();
    reset_cache();
    ++n_.flushes;
}

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
    context.lookup_routine = lookup_routine_;
    context.lookup_flags_saved = lookup_flags_saved_;
    context.callouts = &callout_eips_;
    context.fpu = FpuControl::of(s);  // (in the key: a CR0/CR4 write selects other blocks)
    context.native_tsc = native_tsc(s);
    // The inline iret keeps the cached CS: only while the guest's descriptor for it still
    // holds what CS was loaded from (checked again by the translation, at each iret).
    uint32_t at;
    Descriptor d;
    if (s.cpl() == 0 && descriptor_linear(s, cs.selector, &at) &&
        at + 8ull <= native::kMonitorBase - native::kPageZeroOffset &&
        read_code(s, at, reinterpret_cast<uint8_t*>(&d), 8) == 8 && reloads_as(cs, d))
        context.iret_check = {cs.selector, uint32_t(at + native::kPageZeroOffset), d.lo, d.hi};
    // Blocks start 32-byte aligned: on this AMD host a hot loop's speed changes by a third
    // with its alignment (measured: code shifted by 19 bytes made the CPU workload 1.3x
    // slower), so a translation must not depend on how much code came before it.
    const uint32_t aligned = (cursor_ + kBlockAlign - 1) & ~(kBlockAlign - 1);
    if (aligned <= cache_end_) {
        memset(area_.writable(cursor_), 0xcc, aligned - cursor_);  // int3: never reached
        cursor_ = aligned;
    }
    // Invalidated blocks wait in the graveyard for a flush (their code may still be running
    // when they die); a guest that keeps patching its code must not grow it without bound.
    if (graveyard_.size() >= kGraveyardLimit) {
        flush();
        context.lookup_routine = lookup_routine_;
        context.lookup_flags_saved = lookup_flags_saved_;
    }
    bt::CodeBuffer buf(cursor_);
    bt::Block block = bt::translate_block(read, context, buf, listing_);
    if (buf.here() > cache_end_) {  // full: start over, then translate into the empty cache
        flush();
        buf = bt::CodeBuffer(cursor_);
        context.lookup_routine = lookup_routine_;
        context.lookup_flags_saved = lookup_flags_saved_;
        block = bt::translate_block(read, context, buf, listing_);
    }
    for (const bt::CalloutSite& site : block.callouts) {  // decoded once, here
        Decoded& d = sites_.emplace_back();
        if (!decode_bytes(site.bytes, site.length, context.code32, context.stack32, site.eip, &d)) {
            sites_.pop_back();
            continue;
        }
        buf.patch_u32(site.link_field, static_cast<uint32_t>(sites_.size()));
    }
    memcpy(area_.writable(cursor_), buf.bytes().data(), buf.bytes().size());
    if (out_asm_) list_translation(buf);
    n_.host_instructions += count_instructions(buf.bytes());
    cursor_ = buf.here();
    auto owned = std::make_unique<bt::Block>(std::move(block));
    bt::Block& b = *owned;
    b.key = key_of(s);
    blocks_[b.key] = std::move(owned);
    by_cache_[b.cache_start] = &b;
    // Self-modifying code: the guest frames holding translated code become read-only.
    // (64-bit: a block that ends beyond 0xffffffff continues at linear 0, it does not loop.)
    for (uint64_t p64 = b.guest_linear & ~(kPageSize - 1); p64 < b.guest_end; p64 += kPageSize) {
        const uint32_t p = static_cast<uint32_t>(p64);
        uint32_t frame = p;
        if (s.paging()) {
            const auto t = walk_guest(s, p, false);
            if (!t) continue;  // (the translator read no byte there)
            frame = t->physical & ~(kPageSize - 1);
            by_linear_[p].push_back(&b);
        }
        b.pages.push_back({p, frame});
        auto& list = by_frame_[frame];
        if (frame / kPageSize < code_frames_.size()) code_frames_[frame / kPageSize] = 1;
        if (list.empty()) shadow_.protect_frame(frame);  // every alias
        list.push_back(&b);
    }
    ++n_.translated;
    n_.guest_instructions += b.instructions;
    n_.rewritten += b.rewritten;
    n_.cache_bytes += b.cache_end - b.cache_start;
    return b;
}

namespace {
// The descriptor tables in use, folded to 21 bits: the inline iret's check reads the CS
// descriptor where the GDT/LDT were at translation (a reload of GDTR or LDTR selects other
// blocks; a collision keeps the check on the old table, 2^-21 per switch).
uint32_t descriptor_tables_hash(const VcpuState& s) {
    uint64_t h = (uint64_t(s.gdtr.base) << 16 | s.gdtr.limit) * 0x9e3779b97f4a7c15ull;
    h ^= uint64_t(s.sreg(SegReg::cs).limit) * 0xff51afd7ed558ccdull;  // (a translation's reach)
    h ^= (uint64_t(s.ldtr.base) << 20 ^ s.ldtr.limit ^ s.ldtr.selector) * 0xc2b2ae3d27d4eb4full;
    return static_cast<uint32_t>(h >> 43);
}
}  // namespace

// Everything TranslationContext takes from the state, so that blocks (and the lookup tables,
// cleared when these bits change) of another context never match. The layout, low to high:
// linear EIP (32), CPL (2), SS.B, CS.D (protected 16/32), the x87 controls (4), native rdtsc,
// the CPU mode (2: protected, real, virtual-8086), the descriptor tables' hash (21).
uint64_t BtEngine::key_of(const VcpuState& s) {
    const uint64_t mode = !s.protected_mode() ? 1 : (s.eflags & eflags::VM) ? 2 : 0;
    return uint64_t(s.sreg(SegReg::cs).base + s.eip) | (uint64_t(s.cpl()) << 32) |
           (uint64_t(s.sreg(SegReg::ss).db) << 34) | (uint64_t(s.sreg(SegReg::cs).db) << 35) |
           (uint64_t(FpuControl::of(s).bits()) << 36) | (uint64_t(native_tsc(s)) << 40) |
           (mode << 41) | (uint64_t(descriptor_tables_hash(s)) << 43);
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

bt::Block& BtEngine::block_for(const VcpuState& s, uint64_t key) {
    RecentBlock& recent = recent_[(key ^ (key >> 9)) % recent_.size()];
    if (recent.key == key) return *recent.block;
    auto it = blocks_.find(key);
    bt::Block& b = it != blocks_.end() ? *it->second : translate(s);
    recent = {key, &b};
    return b;
}

void BtEngine::chain(uint32_t jump_field, bt::Block& target) {
    bt::Block* from = block_at_cache(jump_field);
    if (!from) return;
    for (bt::BlockExit& e : from->exits) {
        if (e.jump_field != jump_field || e.target_eip != target.guest_eip) continue;
        const uint32_t rel = bt::rel32(jump_field, target.cache_start);
        memcpy(area_.writable(jump_field), &rel, 4);
        e.chained_to = target.cache_start;
        target.incoming.push_back(jump_field);
        ++n_.chained;
    }
}

// Drops blocks: every chain into them is undone (each chained jump goes back to its exit
// stub), they leave every index but by_cache_, and the lookup table forgets them.
void BtEngine::drop_blocks(const std::vector<bt::Block*>& victims) {
    for (bt::Block* b : victims) {
        for (uint32_t field : b->incoming) {
            bt::Block* from = block_at_cache(field);
            if (!from) continue;
            for (bt::BlockExit& e : from->exits)
                if (e.jump_field == field && e.chained_to == b->cache_start) {
                    const uint32_t rel = bt::rel32(field, e.stub);
                    memcpy(area_.writable(field), &rel, 4);
                    e.chained_to = 0;
                }
        }
        for (const bt::Block::Page& page : b->pages) {
            const uint32_t f = page.frame;
            auto it = by_frame_.find(f);
            if (it == by_frame_.end()) continue;
            std::erase(it->second, b);
            if (it->second.empty()) {
                by_frame_.erase(it);
                if (f / kPageSize < code_frames_.size()) code_frames_[f / kPageSize] = 0;
                shadow_.release_frame(f);
            }
        }
        for (uint64_t p = b->guest_linear & ~(kPageSize - 1); p < b->guest_end; p += kPageSize) {
            auto it = by_linear_.find(static_cast<uint32_t>(p));
            if (it == by_linear_.end()) continue;
            std::erase(it->second, b);
            if (it->second.empty()) by_linear_.erase(it);
        }
        // The block's code stays in the cache (and in by_cache_) until a flush: the store
        // that invalidated it may still be about to run from there.
        auto it = blocks_.find(b->key);
        if (it != blocks_.end() && it->second.get() == b) {
            graveyard_.push_back(std::move(it->second));
            blocks_.erase(it);
        }
    }
    area_.clear_ibl();
    recent_.fill({});
}

// A guest write hit a frame holding translated code: drop the blocks whose code bytes overlap
// [phys, phys + len) (code and data may share a page: the others stay). True if the frame
// holds no translation any more.
bool BtEngine::invalidate_code(uint32_t phys, uint32_t len) {
    const uint32_t frame = phys & ~(kPageSize - 1);
    auto it = by_frame_.find(frame);
    if (it == by_frame_.end()) return true;
    std::vector<bt::Block*> victims;
    for (bt::Block* b : it->second)
        for (const bt::Block::Page& p : b->pages) {
            if (p.frame != frame) continue;
            // The block's bytes on this page, as offsets into the frame.
            // (A page past 4 GiB: its linear address as the block sees it, before the wrap.)
            const uint64_t page = p.linear < (b->guest_linear & ~(kPageSize - 1))
                                      ? uint64_t(p.linear) + (1ull << 32)
                                      : p.linear;
            const uint32_t lo =
                static_cast<uint32_t>(std::max<uint64_t>(b->guest_linear, page) - page);
            const uint32_t hi =
                static_cast<uint32_t>(std::min<uint64_t>(b->guest_end, page + kPageSize) - page);
            const uint32_t w_lo = phys - frame, w_hi = w_lo + len;
            if (lo < w_hi && w_lo < hi) victims.push_back(b);
        }
    if (!victims.empty()) {
        drop_blocks(victims);
        ++n_.smc_invalidations;
    }
    return !by_frame_.count(frame);
}

}  // namespace prevt
