#include "core/engines/bt_engine.hpp"

#include <asm/ldt.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <x86intrin.h>

#include <csignal>
#include <cstring>
#include <string>

#include "core/errors.hpp"
#include "core/native/address_space.hpp"
#include "core/native/layout.hpp"
#include "core/native/signals.hpp"

namespace prevt {

namespace {

constexpr uint32_t kPage = 4096;

// The monitor's two LDT descriptors: translated code (flat 32-bit code) and %gs.
uint16_t monitor_descriptor(unsigned slot, uint32_t base, uint32_t limit, bool code, bool pages) {
    user_desc d{};
    d.entry_number = slot;
    d.base_addr = base;
    d.limit = limit;
    d.seg_32bit = 1;
    d.contents = code ? MODIFY_LDT_CONTENTS_CODE : MODIFY_LDT_CONTENTS_DATA;
    d.limit_in_pages = pages;
    if (syscall(SYS_modify_ldt, 0x11, &d, sizeof d) != 0)
        throw GuestError("modify_ldt refused the monitor's descriptors");
    return static_cast<uint16_t>((slot << 3) | 4 | 3);
}

void protect(uint32_t linear_page, int prot) {
    const uint64_t host = linear_page + native::kPageZeroOffset;
    mprotect(reinterpret_cast<void*>(host), kPage, prot);
}

}  // namespace

BtEngine::BtEngine(GuestMemory& ram, bt::Listing listing, uint32_t cache_bytes,
                   bt::Listing out_asm)
    : ram_(ram), listing_(std::move(listing)), out_asm_(std::move(out_asm)),
      ldt_(native::kPageZeroOffset) {
    if (cache_bytes) {
        if (cache_bytes < 16 * 1024 || cache_bytes > bt::kCacheEnd - bt::kCacheBase)
            throw InputError("--tc-size: between 16 KiB and " +
                             std::to_string((bt::kCacheEnd - bt::kCacheBase) >> 10) + " KiB");
        cache_end_ = bt::kCacheBase + cache_bytes;
    }
    native::AddressSpace::instance().map_flat(ram_, native::kPageZeroOffset);
    native::install_signal_handlers();
    code_selector_ = monitor_descriptor(native::kMonitorLdtFirst, 0, 0xfffff, true, true);
    data_selector_ = monitor_descriptor(native::kMonitorLdtFirst + 1, bt::kVcpuArea,
                                        bt::kVcpuAreaSize - 1, false, false);
    dirty_.fill(true);
    reset_cache();
}

// An empty cache holds only the indirect-branch lookup routine.
void BtEngine::reset_cache() {
    bt::CodeBuffer buf(bt::kCacheBase);
    bt::emit_lookup_routine(buf);
    memcpy(area_.writable(bt::kCacheBase), buf.bytes().data(), buf.bytes().size());
    lookup_routine_ = bt::kCacheBase;
    lookup_end_ = cursor_ = buf.here();
    area_.clear_ibl();
}

void BtEngine::set_single_step(bool on) {
    if (on) throw InputError("--trace exec: the bt engine does not single-step; use --trace in_asm");
}

bt::Block* BtEngine::block_at_cache(uint32_t cache) const {
    auto it = by_cache_.upper_bound(cache);
    if (it == by_cache_.begin()) return nullptr;
    bt::Block* b = std::prev(it)->second;
    return cache < b->cache_end ? b : nullptr;
}

void BtEngine::flush() {
    blocks_.clear();
    by_cache_.clear();
    graveyard_.clear();
    for (const auto& [page, list] : by_page_) protect(page, PROT_READ | PROT_WRITE);
    by_page_.clear();
    reset_cache();
    ++n_.flushes;
}

namespace {
// How many instructions the translator emitted (lengths only: no operand decoding).
uint64_t count_instructions(const std::vector<uint8_t>& bytes) {
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
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

bt::Block& BtEngine::translate(const VcpuState& s) {
    const uint64_t t0 = __rdtsc();
    struct Timer {  // the translation time, whatever path leaves
        uint64_t t0;
        uint64_t& total;
        ~Timer() { total += __rdtsc() - t0; }
    } timer{t0, n_.translate_ticks};
    const Segment& cs = s.sreg(SegReg::cs);
    const bt::CodeReader read = [this](uint32_t linear, uint8_t* out, unsigned max) {
        unsigned n = 0;
        while (n < max && ram_.read_bytes(linear + n, out + n, 1)) ++n;
        return n;
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
    context.lookup_routine = lookup_routine_;
    bt::CodeBuffer buf(cursor_);
    bt::Block block = bt::translate_block(read, context, buf, listing_);
    if (buf.here() > cache_end_) {  // full: start over, then translate into the empty cache
        flush();
        buf = bt::CodeBuffer(cursor_);
        context.lookup_routine = lookup_routine_;
        block = bt::translate_block(read, context, buf, listing_);
    }
    memcpy(area_.writable(cursor_), buf.bytes().data(), buf.bytes().size());
    if (out_asm_) list_translation(buf);
    n_.host_instructions += count_instructions(buf.bytes());
    cursor_ = buf.here();
    auto owned = std::make_unique<bt::Block>(std::move(block));
    bt::Block& b = *owned;
    blocks_[key_of(s)] = std::move(owned);
    by_cache_[b.cache_start] = &b;
    // Self-modifying code: the guest pages holding translated code become read-only.
    for (uint32_t p = b.guest_linear & ~(kPage - 1); p < b.guest_end; p += kPage) {
        auto& list = by_page_[p];
        if (list.empty()) protect(p, PROT_READ);
        list.push_back(&b);
    }
    ++n_.translated;
    n_.guest_instructions += b.instructions;
    n_.rewritten += b.rewritten;
    n_.cache_bytes += b.cache_end - b.cache_start;
    return b;
}

uint64_t BtEngine::key_of(const VcpuState& s) {
    return uint64_t(s.sreg(SegReg::cs).base + s.eip) | (uint64_t(s.cpl()) << 32) |
           (uint64_t(s.sreg(SegReg::ss).db) << 34);
}

// --trace out_asm: the translation as the CPU will see it, decoded again with Zydis.
void BtEngine::list_translation(const bt::CodeBuffer& buf) const {
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    ZydisFormatter formatter;
    ZydisFormatterInit(&formatter, ZYDIS_FORMATTER_STYLE_ATT);
    const std::vector<uint8_t>& bytes = buf.bytes();
    const uint32_t base = buf.here() - static_cast<uint32_t>(bytes.size());
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    for (size_t at = 0; at < bytes.size(); at += in.length) {
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, &bytes[at], bytes.size() - at, &in, ops)))
            break;
        char text[96], line[128];
        ZydisFormatterFormatInstruction(&formatter, &in, ops, in.operand_count_visible, text,
                                        sizeof text, base + at, nullptr);
        snprintf(line, sizeof line, "  out_asm: %08zx  %s", base + at, text);
        out_asm_(line);
    }
}

bt::Block& BtEngine::block_for(const VcpuState& s) {
    auto it = blocks_.find(key_of(s));
    if (it != blocks_.end()) return *it->second;
    return translate(s);
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

// A guest write hit a page holding translated code: drop its blocks, undo every chain into
// them (each chained jump goes back to its exit stub), and let the write happen.
void BtEngine::invalidate_page(uint32_t page) {
    auto it = by_page_.find(page);
    if (it == by_page_.end()) return;
    const std::vector<bt::Block*> victims = it->second;
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
        for (uint32_t p = b->guest_linear & ~(kPage - 1); p < b->guest_end; p += kPage)
            if (p != page) std::erase(by_page_[p], b);
        // The block's code stays in the cache (and in by_cache_) until a flush: the store
        // that invalidated it is still to run from there.
        for (auto it = blocks_.begin(); it != blocks_.end(); ++it)
            if (it->second.get() == b) {
                graveyard_.push_back(std::move(it->second));
                blocks_.erase(it);
                break;
            }
    }
    by_page_.erase(page);
    protect(page, PROT_READ | PROT_WRITE);
    area_.clear_ibl();
    ++n_.smc_invalidations;
}

void BtEngine::load_context(VcpuState& s, uint32_t cache_eip) {
    uint16_t* sel[kSegRegCount] = {&ctx_.es, &ctx_.cs, &ctx_.ss, &ctx_.ds, &ctx_.fs, &ctx_.gs};
    for (SegReg r : {SegReg::es, SegReg::ss, SegReg::ds, SegReg::fs}) {
        const int i = static_cast<int>(r);
        if (dirty_[i]) host_sel_[i] = ldt_.shadow(s.seg[i]);
        dirty_[i] = false;
        *sel[i] = host_sel_[i];
    }
    ctx_.cs = code_selector_;
    ctx_.gs = data_selector_;
    for (int i = 0; i < 8; ++i) ctx_.gpr[i] = s.gpr[i];
    ctx_.eip = cache_eip;
    ctx_.eflags = (s.eflags & eflags::kLiveInHardware) | eflags::IF | eflags::kFixed1;
    ctx_.guest_fpu = s.fpu.data();
    bt::VcpuArea& v = area_.vcpu();  // the virtual state the inline rewrites use
    v.vif = s.eflags & eflags::IF;
    v.viopl = s.eflags & eflags::IOPL;
    for (int i = 0; i < kSegRegCount; ++i) v.vsel[i] = s.seg[i].selector;
}

void BtEngine::save_context(VcpuState& s) {
    for (int i = 0; i < 8; ++i) s.gpr[i] = ctx_.gpr[i];
    s.eflags = (s.eflags & ~eflags::kLiveInHardware) | (ctx_.eflags & eflags::kLiveInHardware);
    const bt::VcpuArea& v = area_.vcpu();
    s.eflags = (s.eflags & ~(eflags::IF | eflags::IOPL)) | (v.vif & eflags::IF) |
               (v.viopl & eflags::IOPL);
    // Translated code loads no segment register: every segment load is a callout.
    if (stepping_ || smc_stepping_) s.eflags &= ~eflags::TF;  // ours, not the guest's
}

Exit BtEngine::run(VcpuState& s) {
    bool resume_stepping = false;
    for (;;) {
        if (!resume_stepping) {
            if (!s.protected_mode() || !s.sreg(SegReg::cs).db)
                throw GuestError("the bt engine translates 32-bit protected-mode code only (for now)");
            // The lookup table's EIPs belong to one CS base and CPL.
            const uint64_t context = (key_of(s) & ~0xffffffffull) | s.sreg(SegReg::cs).base;
            if (context != ibl_context_) {
                area_.clear_ibl();
                ibl_context_ = context;
            }
            bt::Block& b = block_for(s);
            load_context(s, b.cache_start);
        }
        resume_stepping = false;
        ++n_.entries;
        prevt_enter_guest(&ctx_);
        save_context(s);
        if (ctx_.event.signal != 0) {
            Exit x = signal_exit(s, &resume_stepping);
            if (resume_stepping) continue;
            if (x.reason != ExitReason::kCount) return x;
            continue;
        }
        stepping_ = smc_stepping_ = false;  // a callout ends any stepping (the stub cleared TF)
        const bt::VcpuArea& v = area_.vcpu();
        s.eip = v.exit_eip;
        if (v.exit_kind == bt::kExitDispatch) {  // a branch to a block not chained or looked up
            ++n_.dispatches;
            bt::Block& target = block_for(s);
            if (v.exit_link) {
                chain(v.exit_link, target);
            } else {  // a lookup miss (same context: no callout since the last entry)
                uint32_t* slot = area_.ibl_table() + 2 * (s.eip & (bt::kIblEntries - 1));
                slot[0] = s.eip;
                slot[1] = target.cache_start;
                ++n_.lookup_fills;
            }
            if (native::g_timer_pending.load(std::memory_order_relaxed)) {
                Exit x;
                x.reason = ExitReason::kTimer;
                return x;
            }
            continue;
        }
        ++n_.callouts;
        Exit x;
        x.reason = ExitReason::kEmulate;
        x.vector = vec::UD;  // what the guest gets if the virtual CPU does not know it either
        return x;
    }
}

// A signal while translated code ran: back to the exact guest EIP, then the exit.
Exit BtEngine::signal_exit(VcpuState& s, bool* resume_stepping) {
    const native::HostEvent& ev = ctx_.event;
    Exit x;
    x.host_signal = ev.signal;
    bt::Block* b = block_at_cache(ctx_.eip);
    uint32_t eip = bt::kInexact;
    if (b) b->guest_eip_at(ctx_.eip, &eip);
    const bool in_lookup = ctx_.eip >= lookup_routine_ && ctx_.eip < lookup_end_;
    if (ev.escaped || ev.lost_in_host_syscall || (!b && !in_lookup))
        throw GuestError("signal " + std::to_string(ev.signal) + " at cache address " +
                         std::to_string(ctx_.eip) + " outside any translated block (a bt bug)");
    if (eip == bt::kInexact) {
        // An indirect branch is under way: the guest state has no EIP yet. A timer signal
        // waits: step with TF to the next exact point (the lookup hit, or its callout).
        if (ev.signal != SIGALRM && !(ev.signal == SIGTRAP && (stepping_ || smc_stepping_)))
            throw GuestError("signal " + std::to_string(ev.signal) + " (trap " +
                             std::to_string(ev.trapno) + ", address " +
                             std::to_string(ev.fault_address) + ") at cache address " +
                             std::to_string(ctx_.eip) + " inside an indirect-branch lookup");
        ctx_.eflags |= eflags::TF;
        if (!smc_stepping_) stepping_ = true;
        ++n_.stepped;
        *resume_stepping = true;
        return x;
    }
    s.eip = eip;
    if (smc_stepping_ && ev.signal == SIGTRAP) {  // the store ran: continue from a new block
        smc_stepping_ = false;
        s.eflags &= ~eflags::TF;
        x.reason = ExitReason::kCount;
        return x;
    }
    if (stepping_) {  // reached an exact point: deliver the timer exit now
        stepping_ = false;
        s.eflags &= ~eflags::TF;
        x.reason = ExitReason::kTimer;
        return x;
    }
    auto exception = [&](uint8_t v, uint32_t error) {
        x.reason = ExitReason::kException;
        x.vector = v;
        x.has_error = vec::has_error_code(v);
        x.error_code = error;
        return x;
    };
    switch (ev.signal) {
        case SIGSEGV:
            if (ev.trapno == 14) {
                uint32_t linear = 0;
                if (!native::AddressSpace::instance().guest_linear(ev.fault_address, &linear))
                    throw GuestError("the guest touched the monitor's reserved area");
                const uint32_t page = linear & ~(kPage - 1);
                if ((ev.error_code & 2) && by_page_.count(page)) {
                    // Drop the page's translations, then let the store run: one step with
                    // TF from where it faulted (its block lives on until the next flush).
                    invalidate_page(page);
                    ctx_.eflags |= eflags::TF;
                    smc_stepping_ = true;
                    *resume_stepping = true;
                    return x;
                }
                if (ev.error_code & 1) {
                    x.reason = ExitReason::kUnassignedWrite;
                    return x;
                }
                native::AddressSpace::instance().map_unassigned(linear);
                x.reason = ExitReason::kCount;
                return x;
            }
            return exception(static_cast<uint8_t>(ev.trapno), ev.error_code);
        case SIGBUS:
        case SIGFPE:
        case SIGILL:
            return exception(static_cast<uint8_t>(ev.trapno < 0 ? vec::UD : ev.trapno),
                             ev.error_code);
        case SIGTRAP: return exception(vec::DB, 0);
        case SIGALRM: x.reason = ExitReason::kTimer; return x;
        default:
            throw GuestError("unexpected host signal " + std::to_string(ev.signal) +
                             " in translated code");
    }
}

std::vector<std::pair<std::string, uint64_t>> BtEngine::counters() const {
    return {{"blocks translated", n_.translated},
            {"guest instructions translated", n_.guest_instructions},
            {"host instructions emitted (incl. exit stubs)", n_.host_instructions},
            {"translation time (TSC ticks)", n_.translate_ticks},
            {"instructions rewritten", n_.rewritten},
            {"translation cache bytes", n_.cache_bytes},
            {"entries into the cache", n_.entries},
            {"callouts to the virtual CPU", n_.callouts},
            {"dispatches (unchained exits)", n_.dispatches},
            {"exits chained", n_.chained},
            {"self-modifying-code invalidations", n_.smc_invalidations},
            {"cache flushes", n_.flushes},
            {"lookup table fills (misses)", n_.lookup_fills},
            {"timer signals stepped to an exact point", n_.stepped},
            {"shadow descriptor writes (modify_ldt)", ldt_.ldt_writes()}};
}

}  // namespace prevt
