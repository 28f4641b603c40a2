#include "core/engines/bt_engine.hpp"

#include <asm/ldt.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <x86intrin.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <string>

#include "core/emulate/execute.hpp"
#include "core/errors.hpp"
#include "core/native/address_space.hpp"
#include "core/native/layout.hpp"
#include "core/native/signals.hpp"
#include "shadowmmu/pagetable.hpp"

namespace prevt {

using shadowmmu::kPageSize;

namespace {

constexpr uint32_t kStack16EntryBytes = 14;  // bt::emit_stack16_entry's two instructions

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
        throw HostError(std::string("modify_ldt refused the monitor's descriptors: ") +
                        strerror(errno));
    return static_cast<uint16_t>((slot << 3) | 4 | 3);
}

// The cache's end for --tc-size (0: all the monitor area offers).
uint32_t cache_end_for(uint32_t cache_bytes) {
    if (!cache_bytes) return bt::kCacheEnd;
    if (cache_bytes < 16 * 1024 || cache_bytes > bt::kCacheEnd - bt::kCacheBase)
        throw InputError("--tc-size: between 16 KiB and " +
                         std::to_string((bt::kCacheEnd - bt::kCacheBase) >> 10) + " KiB");
    return bt::kCacheBase + cache_bytes;
}

}  // namespace

BtEngine::BtEngine(GuestMemory& ram, bt::Listing listing, uint32_t cache_bytes, bt::Listing out_asm)
    : ram_(ram),
      listing_(std::move(listing)),
      out_asm_(std::move(out_asm)),
      ldt_(native::kPageZeroOffset),
      cache_(*this, bt::kCacheBase, cache_end_for(cache_bytes),
             static_cast<uint32_t>(ram.size() / kPageSize)) {
    shadow_host_.map_identity();  // paging off (the shadow's starting mode)
    native::install_signal_handlers();
    code_selector_ = monitor_descriptor(native::kMonitorLdtFirst, 0, 0xfffff, true, true);
    data_selector_ = monitor_descriptor(native::kMonitorLdtFirst + 1, bt::kVcpuArea,
                                        bt::kVcpuAreaSize - 1, false, false);
    dirty_.fill(true);
    forget_lookups();
    ram_.set_write_observer(this);
}

BtEngine::~BtEngine() {
    ram_.set_write_observer(nullptr);
}

// The exec trace steps as the debugger does: one-instruction blocks, a dispatch exit after
// each (the debugger's own stops are merged in).
void BtEngine::set_single_step(bool on) {
    exec_step_ = on;
    set_debug_stops(debug_);
}

bool BtEngine::set_debug_stops(const DebugStops& stops) {
    DebugStops merged = stops;
    merged.step = stops.step || exec_step_;
    if (merged.breakpoints != debug_.breakpoints || merged.step != debug_.step)
        cache_.flush();  // no block may run into a new breakpoint or past a step
    debug_ = std::move(merged);
    merge_stops();
    return true;
}

// The guest's GS and its CS as data are not in hardware (GS is the monitor's, CS the cache's):
// their shadows wait in the per-vCPU area for the fs-swap sequences, a kernel and a user
// variant of each (bt/vcpu_area.hpp), made again when the segment or the user ceiling changed.
void BtEngine::prepare_fs_swap(const VcpuState& s) {
    const Segment& gs = s.sreg(SegReg::gs);
    const Segment& cs = s.sreg(SegReg::cs);
    const uint64_t key[] = {gs.selector,
                            gs.base,
                            gs.limit,
                            uint64_t(gs.type) << 8 | gs.db,
                            cs.selector,
                            cs.base,
                            cs.limit,
                            uint64_t(cs.type) << 8 | cs.db,
                            shadow_.user_ceiling(),
                            ldt_.generation(),
                            s.protected_mode()};
    if (std::equal(std::begin(key), std::end(key), std::begin(fs_swap_key_))) return;
    std::copy(std::begin(key), std::end(key), std::begin(fs_swap_key_));
    // CS as data: readable code reads as read-only data; execute-only code as an empty segment
    // (expand-down, limit at the top: every access faults, #GP(0), as reading it does);
    // real-mode CS is writable data.
    Segment data = cs;
    if (!s.protected_mode())
        data.type = 0x3;
    else if (data.type & 2)
        data.type = 0x1;
    else
        data.type = 0x5, data.limit = 0xffffffff, data.db = true;
    data.s = true;
    bt::VcpuArea& v = area_.vcpu();
    const uint64_t ceilings[2] = {native::kMonitorBase, shadow_.user_ceiling()};
    // GS for offsets that wrap around 4 GiB (a flat expand-up GS at base B, where they are
    // valid: glibc's TLS at negative offsets): expand-down at the same base with limit
    // 4 GiB - 1 - B, whose valid offsets are exactly those that wrap, reaching [0, B). (With
    // the truncated user variant they fault, each a host signal.) make_host_descriptor keeps
    // it inside the window like any other; another GS: its plain shadow.
    Segment wrap = gs;
    const bool flat_gs = gs.present && gs.s && !(gs.type & 8) && !(gs.type & 4) &&
                         gs.limit == 0xffffffff && gs.base != 0;
    if (flat_gs) wrap.type = gs.type | 4, wrap.limit = 0xffffffff - gs.base, wrap.db = true;
    for (int user = 0; user < 2; ++user) {
        v.guest_gs[user] = shadow_register(s, gs, ceilings[user]);
        v.guest_cs_data[user] = shadow_register(s, data, ceilings[user]);
        v.guest_gs_wrap[user] =
            flat_gs ? shadow_register(s, wrap, ceilings[user]) : v.guest_gs[user];
    }
}

// A segment register's host selector: in real mode its real-mode view (any selector, 0
// included, with the hidden limit it keeps: unreal mode), else the guest's descriptor. A
// register loaded in real mode keeps its cache after CR0.PE is set, until it is loaded again:
// a null selector with a present cache is such a one (a null load in protected mode leaves
// the cache unusable), still the real-mode view.
uint16_t BtEngine::shadow_register(const VcpuState& s, const Segment& seg, uint64_t ceiling) {
    const bool loaded_in_real_mode = (seg.selector & ~3u) == 0 && seg.present;
    return s.protected_mode() && !loaded_in_real_mode ? ldt_.shadow(seg, ceiling)
                                                      : ldt_.shadow_real_mode(seg, ceiling);
}

void BtEngine::load_context(VcpuState& s, uint32_t cache_eip) {
    if (ceiling_ != loaded_ceiling_) {  // kernel variants <-> user variants
        dirty_.fill(true);
        loaded_ceiling_ = ceiling_;
    }
    // Every shadow slot dropped meanwhile (shadow_ldt.hpp): the registers and the prepared
    // sysenter/sysexit selectors again (the second pass finds room for them all).
    if (ldt_.generation() != ldt_generation_) dirty_.fill(true);
    constexpr SegReg kShadowed[] = {SegReg::es, SegReg::ss, SegReg::ds, SegReg::fs};
    for (int pass = 0; pass < 2; ++pass) {
        ldt_generation_ = ldt_.generation();
        for (SegReg r : kShadowed) {
            const int i = static_cast<int>(r);
            if (!dirty_[i]) continue;
            host_sel_[i] = shadow_register(s, s.seg[i], ceiling_);
            dirty_[i] = false;
        }
        prepare_fs_swap(s);
        prepare_fast_transfers(s);
        if (ldt_.generation() == ldt_generation_) break;
        dirty_.fill(true);
    }
    ctx_.es = host_sel_[static_cast<int>(SegReg::es)];
    ctx_.ss = host_sel_[static_cast<int>(SegReg::ss)];
    ctx_.ds = host_sel_[static_cast<int>(SegReg::ds)];
    ctx_.fs = host_sel_[static_cast<int>(SegReg::fs)];
    ctx_.cs = code_selector_;
    ctx_.gs = data_selector_;
    // A descriptor rewritten behind a loaded selector needs the selector loaded again.
    if (ldt_.ldt_writes() != ldt_writes_at_exit_) ctx_.callout_exit &= ~2u;
    for (int i = 0; i < 8; ++i) ctx_.gpr[i] = s.gpr[i];
    ctx_.eip = cache_eip;
    ctx_.eflags = (s.eflags & kLive) | eflags::IF | eflags::kFixed1;
    guest_tf_ = s.eflags & eflags::TF;
    ctx_.stub_tf = 0;
    ctx_.guest_fpu = s.fpu.data();
    bt::VcpuArea& v = area_.vcpu();  // the virtual state the inline rewrites use
    area_.vif() = s.eflags & eflags::IF;
    v.viopl = s.eflags & eflags::IOPL;
    v.vnt = s.eflags & eflags::NT;  // (NT is in hardware too: both follow popf)
    v.iret_exits = s.nmi_blocked;   // the NMI handler's iret ends the blocking: a callout
    for (int i = 0; i < kSegRegCount; ++i) v.vsel[i] = s.seg[i].selector;
}

// The values the inline sysenter routine loads; the callout path when the guest's
// SYSENTER_CS would fault, or while an interrupt window makes stores to the virtual IF exit.
// Both directions are prepared at every entry whatever the CPL (a round trip of inline
// sysenter and sysexit has no exit in between), and only when something they depend on
// changed: the MSRs, a segment load, the user ceiling, the kernel-only mappings, the window,
// CR4.SMAP.
void BtEngine::prepare_fast_transfers(const VcpuState& s) {
    const uint64_t key[] = {s.msr.sysenter_cs,
                            s.msr.sysenter_esp,
                            s.msr.sysenter_eip,
                            segment_loads_,
                            shadow_.user_ceiling(),
                            shadow_.lowest_kernel_only(),
                            uint64_t(window_) | uint64_t(shadow_.enabled()) << 1 |
                                uint64_t(s.protected_mode()) << 2 |
                                uint64_t(bool(s.cr4 & cr4::SMAP)) << 3,
                            ldt_.generation()};
    if (std::equal(std::begin(key), std::end(key), std::begin(prepared_key_))) return;
    std::copy(std::begin(key), std::end(key), std::begin(prepared_key_));
    bt::VcpuArea& v = area_.vcpu();
    v.sysenter_path = v.sysexit_path = cache_.sysenter().callout_path;
    if (!(s.msr.sysenter_cs & 0xfffc) || !s.protected_mode()) return;
    prepare_sysenter(s);
    prepare_sysexit(s);
}

void BtEngine::prepare_sysenter(const VcpuState& s) {
    bt::VcpuArea& v = area_.vcpu();
    const uint32_t cs = s.msr.sysenter_cs & 0xfffc;
    // With CR4.SMAP the kernel's entry may block user pages (AC clear): the shadow MMU must
    // see it (sync at the entry), so sysenter is a callout.
    if (window_ || (s.cr4 & cr4::SMAP)) return;
    VcpuState entered = s;  // (only when the key changed: prepare_fast_transfers)
    sysenter_segments(entered);
    v.sysenter_ss = ldt_.shadow(entered.sreg(SegReg::ss));  // the flat ring-0 SS
    v.sysenter_ds = ldt_.shadow(s.sreg(SegReg::ds));        // the kernel variants of the user's
    v.sysenter_es = ldt_.shadow(s.sreg(SegReg::es));        // data segments (the kernel keeps them)
    v.sysenter_fs = ldt_.shadow(s.sreg(SegReg::fs));
    v.sysenter_esp = s.msr.sysenter_esp;
    v.sysenter_eip = s.msr.sysenter_eip;
    v.sysenter_vcs = cs;
    v.sysenter_vss = cs + 8;
    v.sysenter_path = shadow_.enabled() && shadow_.user_ceiling() < native::kMonitorBase
                          ? cache_.sysenter().inline_path
                          : cache_.sysenter().inline_light_path;
}

// The inline sysexit, when nothing must happen on the way to CPL 3: the user segments all
// expand-up (so the user ceiling applies) and no kernel-only mapping below it
// (page_fault() switches to the callout if one appears while the kernel runs).
void BtEngine::prepare_sysexit(const VcpuState& s) {
    bt::VcpuArea& v = area_.vcpu();
    VcpuState user = s;
    sysexit_segments(user);
    const uint64_t ceiling = ceiling_for_user(user);
    if (shadow_.enabled() && shadow_.lowest_kernel_only() < ceiling) return;
    v.sysexit_ss = ldt_.shadow(user.sreg(SegReg::ss), ceiling);
    v.sysexit_ds = ldt_.shadow(user.sreg(SegReg::ds), ceiling);
    v.sysexit_es = ldt_.shadow(user.sreg(SegReg::es), ceiling);
    v.sysexit_fs = ldt_.shadow(user.sreg(SegReg::fs), ceiling);
    v.sysexit_vcs = user.sreg(SegReg::cs).selector;
    v.sysexit_vss = user.sreg(SegReg::ss).selector;
    sysexit_ceiling_ = ceiling;
    v.sysexit_path = ceiling < native::kMonitorBase ? cache_.sysenter().sysexit_inline_path
                                                    : cache_.sysenter().sysexit_light_path;
}

// After an inline transfer: the host selectors now in SS, DS, ES, FS and the ceiling they
// were made for.
void BtEngine::adopt_host_selectors(const std::array<uint32_t, 4>& ss_ds_es_fs, uint64_t ceiling) {
    const SegReg regs[] = {SegReg::ss, SegReg::ds, SegReg::es, SegReg::fs};
    for (int i = 0; i < 4; ++i) {
        host_sel_[static_cast<int>(regs[i])] = static_cast<uint16_t>(ss_ds_es_fs[i]);
        dirty_[static_cast<int>(regs[i])] = false;
    }
    loaded_ceiling_ = ceiling_ = ceiling;
}

void BtEngine::save_context(VcpuState& s) {
    for (int i = 0; i < 8; ++i) s.gpr[i] = ctx_.gpr[i];
    const bt::VcpuArea& va = area_.vcpu();
    const uint32_t vcs = va.vsel[static_cast<int>(SegReg::cs)];
    // CS changes without a callout only through the inline sysenter or sysexit; each loaded
    // SS, DS, ES and FS as prepared (their kernel or user variants).
    if (vcs != s.sreg(SegReg::cs).selector && s.cpl() == 0 && vcs == va.sysexit_vcs) {
        sysexit_segments(s);
        adopt_host_selectors({va.sysexit_ss, va.sysexit_ds, va.sysexit_es, va.sysexit_fs},
                             sysexit_ceiling_);
        ++n_.inline_sysexits;
    } else if (vcs != s.sreg(SegReg::cs).selector) {
        sysenter_segments(s);
        adopt_host_selectors({va.sysenter_ss, va.sysenter_ds, va.sysenter_es, va.sysenter_fs},
                             native::kMonitorBase);
        ++n_.inline_sysenters;
    }
    s.eflags = (s.eflags & ~kLive) | (ctx_.eflags & kLive);
    const bt::VcpuArea& v = area_.vcpu();
    s.eflags = (s.eflags & ~(eflags::IF | eflags::IOPL)) | (area_.vif() & eflags::IF) |
               (v.viopl & eflags::IOPL);
    if (host_step_ != HostStep::kNone) s.eflags &= ~eflags::TF;      // ours, not the guest's
    if (host_step_ == HostStep::kAlignment) s.eflags |= eflags::AC;  // cleared for one step
    // A callout's stub ran with TF cleared (signals.cpp); the guest's instruction has not.
    // (TF as it was when the callout left translated code: an inline iret may have cleared it.)
    if (ctx_.event.signal == 0 && ctx_.stub_tf && host_step_ == HostStep::kNone)
        s.eflags |= eflags::TF;
}

// An entry with a 16-bit SS: the iretq loads only SP (ESP's upper half is the host kernel's,
// Linux's espfix64), so the entry goes through the stack-16 routine, which loads ESP whole.
// A stepped entry (TF) cannot: the routine's first instruction would trap again at every
// resume. It enters directly, and true is returned: ESP's upper half must be taken from
// before the entry, unless the stepped instruction writes ESP whole itself.
bool BtEngine::enter_stack16() {
    const uint32_t routine = cache_.stack16_entry();
    const bool in_routine = ctx_.eip - routine < kStack16EntryBytes;
    if (ctx_.eflags & eflags::TF)  // (at the routine, its mov loads ESP; so does `mov ...,%esp`)
        return ctx_.eip != routine && !writes_esp32_at(ctx_.eip);
    if (in_routine) {  // stopped inside it: its mov again (entry_esp is still the guest's)
        ctx_.eip = routine;
        return false;
    }
    bt::VcpuArea& v = area_.vcpu();
    v.entry_esp = ctx_.gpr[esp];
    v.entry_eip = ctx_.eip;
    ctx_.eip = routine;
    return false;
}

Exit BtEngine::run(VcpuState& s) {
    retired_sites_.clear();
    bool resume_stepping = false;
    for (;;) {
        if (!resume_stepping) {
            if (s.protected_mode() && (s.eflags & eflags::VM))
                throw GuestError(
                    "the bt engine translates real-mode and protected-mode code only "
                    "(virtual-8086 mode is not built yet)");
            // A lookup table's EIPs belong to one CS base and CPL: one table for CPL 3, one
            // for the rest.
            const uint64_t key = key_of(s);
            const uint64_t context = lookup_context(key, s.sreg(SegReg::cs).base);
            const int user = s.cpl() == 3;
            if (context != ibl_context_[user]) {
                area_.clear_ibl(user);
                ibl_context_[user] = context;
                ++n_.lookup_clears;
            }
            area_.vcpu().ibl_bias = user * bt::kIblEntries;
            if (const uint32_t hit = guest_breakpoint_hit(s)) {  // DR0-DR3: a fault, before it
                s.dr6 = (s.dr6 & ~0xfu) | hit;
                ++n_.guest_breakpoints;
                Exit x;
                x.reason = ExitReason::kException;
                x.vector = vec::DB;
                return x;
            }
            if (debug_.active() && stops_before(debug_, s.sreg(SegReg::cs).base + s.eip)) {
                Exit x;
                x.reason = ExitReason::kDebugStop;  // a breakpoint: nothing of it ran
                return x;
            }
            sync_address_space(s);
            if (data_watch_.follow(s, shadow_)) {
                forget_watched_callouts();
                if (!shadow_.enabled() && !a20_) map_a20_window();  // (its aliases, watched)
            }
            choose_ceiling(s);
            follow_tpr(s);
            bt::Block& b = block_for(s, key);
            load_context(s, b.cache_start);
        }
        resume_stepping = false;
        if (step_one_) {  // TF: the first exact point reached is reported as a timer exit
            step_one_ = false;
            ctx_.eflags |= eflags::TF;
            host_step_ = HostStep::kToExactPoint;
            step_from_eip_ = s.eip;
            steps_in_place_ = 0;
        }
        ++n_.entries;
        if (switched_at_) n_.switch_ticks += __rdtsc() - std::exchange(switched_at_, 0);
        const uint32_t esp_before = ctx_.gpr[esp];
        const bool stack16 = !s.sreg(SegReg::ss).db;
        const bool mend_esp = stack16 && enter_stack16();
        prevt_enter_guest(&ctx_);
        if (mend_esp) ctx_.gpr[esp] = (esp_before & 0xffff0000) | (ctx_.gpr[esp] & 0xffff);
        ldt_writes_at_exit_ = ldt_.ldt_writes();
        save_context(s);
        if (ctx_.event.signal != 0) {
            std::optional<Exit> exit = signal_exit(s);
            if (!exit) {  // on from where it stopped
                resume_stepping = true;
                continue;
            }
            Exit x = *exit;
            if (x.reason != ExitReason::kHandled) return x;
            if (native::g_timer_pending.load(std::memory_order_relaxed)) {  // --timeout
                x.reason = ExitReason::kTimer;  // s.eip is exact after a handled exit
                return x;
            }
            continue;
        }
        // A callout ends any stepping (the stub cleared TF).
        host_step_ = HostStep::kNone;
        const bt::VcpuArea& v = area_.vcpu();
        s.eip = v.exit_eip;
        if (v.exit_kind == bt::kExitDispatch) {  // a branch to a block not chained or looked up
            ++n_.dispatches;
            // The debugger's: a step done, or a breakpoint reached (never chained into).
            if (debug_.active() &&
                (debug_.step || debug_.breakpoints.count(s.sreg(SegReg::cs).base + s.eip))) {
                Exit x;
                x.reason = ExitReason::kDebugStop;
                return x;
            }
            // A guest instruction breakpoint there: never chained into (the entry checks it).
            if (guest_breakpoints_.count(s.sreg(SegReg::cs).base + s.eip)) continue;
            bt::Block& target = block_for(s);
            if (v.exit_link) {
                cache_.chain(v.exit_link, target);
            } else if (!target.gone) {  // a lookup miss (same context: no callout since)
                uint32_t* slot = area_.ibl_table(s.cpl() == 3) + 2 * bt::ibl_index(s.eip);
                slot[0] = s.eip;
                slot[1] = target.cache_start;
                ++n_.lookup_fills;
            }
            if (guest_tf_) {      // the branch completed: the guest's single-step trap
                s.dr6 |= 0x4000;  // BS
                Exit x;
                x.reason = ExitReason::kException;
                x.vector = vec::DB;
                return x;
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
        if (v.exit_link && v.exit_link <= sites_.size()) x.decoded = &sites_[v.exit_link - 1];
        return x;
    }
}

std::vector<std::pair<std::string, uint64_t>> BtEngine::counters() const {
    const bt::CodeCache::Counts& k = cache_.counts();
    std::vector<std::pair<std::string, uint64_t>> c = {
        {"blocks translated", k.translated},
        {"blocks parked at CR3 writes (their pages unmapped there)", k.parked},
        {"  of them back in use (the same frames mapped again)", k.unparked},
        {"guest instructions translated", k.guest_instructions},
        {"host instructions emitted (incl. exit stubs)", n_.host_instructions},
        {"translation time (TSC ticks)", n_.translate_ticks},
        {"instructions rewritten", k.rewritten},
        {"translation cache bytes", k.cache_bytes},
        {"entries into the cache", n_.entries},
        {"callouts to the virtual CPU", n_.callouts},
        {"dispatches (unchained exits)", n_.dispatches},
        {"exits chained", k.chained},
        {"self-modifying-code invalidations", k.smc_invalidations},
        {"  of them by the virtual CPU's stores", n_.emulated_code_writes},
        {"stores retranslated as callouts (adaptive)", n_.adaptive},
        {"code frames dropped whole by a store", n_.frames_dropped_on_store},
        {"%gs accesses that wrap around 4 GiB, retranslated through GS's wrap variant",
         n_.gs_wraps},
        {"accesses the host's shorter segments refuse, retranslated as callouts",
         n_.adaptive_compressed},
        {"cache flushes", k.flushes},
        {"translations kept across CR3 writes (sum)", n_.blocks_kept_across_cr3},
        {"lookup hits (indirect branches found inline)", area_.vcpu().lookup_hits},
        {"lookup table fills (misses)", n_.lookup_fills},
        {"lookup tables emptied (another CS base or translation context)", n_.lookup_clears},
        {"timer signals stepped to an exact point", n_.stepped},
        {"alignment checks stepped over (#AC at CPL 0-2 or CR0.AM clear)", n_.ac_stepped},
        {"TPR stores learned (translated as one store to the slot)", n_.tpr_stores},
        {"TPR stores that exited (an interrupt pending)", n_.tpr_exits},
        {"guest instruction breakpoints taken (DR0-DR3)", n_.guest_breakpoints},
        {"accesses to data-breakpoint pages run by the virtual CPU", n_.watched_accesses},
        {"  of them retranslated as callouts (adaptive)", n_.adaptive_watched},
        {"vCPU switches (-smp)", n_.vcpu_switches},
        {"  TSC ticks from a switch to the next entry (sum)", n_.switch_ticks},
        {"host mappings (guest pages; budget " +
             std::to_string(native::AddressSpace::instance().budget()) + ")",
         native::AddressSpace::instance().mappings()},
        {"interrupt-window exits (IF stores while an interrupt waits)", n_.window_exits},
        {"sysenters run inline (direct transfers)", n_.inline_sysenters},
        {"sysexits run inline", n_.inline_sysexits},
        {"shadow descriptor writes (modify_ldt)", ldt_.ldt_writes()}};
    for (auto& entry : shadow_.counters()) c.push_back(std::move(entry));
    return c;
}

}  // namespace prevt
