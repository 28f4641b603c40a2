// The bt engine's exits by host signal: faults and traps in translated code mapped back to
// the exact guest EIP (hidden and true page faults, stores into code, the interrupt window,
// single-stepping), and the stores the virtual CPU makes into code (the write observer).
#include <algorithm>
#include <csignal>
#include <string>

#include "core/emulate/cpu_profiles.hpp"
#include "core/emulate/execute.hpp"
#include "core/engines/bt_engine.hpp"
#include "core/errors.hpp"
#include "core/native/address_space.hpp"
#include "core/native/layout.hpp"
#include "shadowmmu/pagetable.hpp"

namespace prevt {

using shadowmmu::kPageSize;

namespace {}  // namespace

// The virtual CPU (or the walker) wrote guest RAM: translations from those frames are stale.
void BtEngine::guest_ram_written(uint64_t phys, uint64_t len) {
    for (uint64_t f = phys & ~uint64_t(kPageSize - 1); f < phys + len; f += kPageSize) {
        if (!cache_.ram_frame_holds_code(f / kPageSize)) continue;
        const uint64_t lo = std::max<uint64_t>(phys, f),
                       hi = std::min<uint64_t>(phys + len, f + kPageSize);
        const auto before = cache_.counts().smc_invalidations;
        cache_.invalidate(static_cast<uint32_t>(lo), static_cast<uint32_t>(hi - lo));
        if (cache_.counts().smc_invalidations != before) ++n_.emulated_code_writes;
    }
}

// An instruction that keeps faulting natively - a store into a frame with translations, an
// access the host's shorter segments refuse - is translated as a callout after a few times
// (the virtual CPU runs it without a host fault: a store invalidates what it must), if the
// virtual CPU can run it.
void BtEngine::adapt_to_callout(const VcpuState& s, std::unordered_map<uint32_t, unsigned>& seen,
                                uint64_t& counter, bool stack_ops_too) {
    const uint32_t linear = s.sreg(SegReg::cs).base + s.eip;
    if (callout_eips_.count(linear) || ++seen[linear] < kAdaptiveThreshold) return;
    uint8_t bytes[15];
    const unsigned n = read_code(s, linear, bytes, sizeof bytes);
    Decoded d;
    if (!decode_bytes(bytes, n, s.sreg(SegReg::cs).db, s.sreg(SegReg::ss).db, s.eip, &d)) return;
    const bool stack_op =
        d.in.mnemonic == ZYDIS_MNEMONIC_PUSH || d.in.mnemonic == ZYDIS_MNEMONIC_POP;
    if (!is_ordinary(d) && !(stack_ops_too && stack_op)) return;
    callout_eips_.insert(linear);
    ++counter;
    // The block holding it is translated again, with the callout.
    uint32_t phys = linear;
    if (s.paging()) phys = walk_guest(s, linear, false)->physical;  // (read above)
    cache_.invalidate(phys, 1);
}

// With a 16-bit SS pushes and pops count too: DOS keeps stacks in pages that hold code (the
// FreeDOS kernel's: a million host faults to its prompt), and each such store is a fault and
// an emulation (enter_stack16) where a callout costs a tenth.
void BtEngine::note_smc_store(const VcpuState& s) {
    adapt_to_callout(s, smc_stores_, n_.adaptive, !s.sreg(SegReg::ss).db);
}

// glibc's TLS at negative offsets from %gs (`mov %gs:-0x4c, ...`, Variant II) wraps around
// 4 GiB: with the user ceiling, the host's segment ends below and each such access faults
// (VMware's "nosegneg" problem). After a few faults, a %gs access is translated through GS's
// wrap variant (prepare_fs_swap: native again); one that still faults then, and any other,
// becomes a callout: 0.25 us instead of a #GP and a host signal, ~3 us.
void BtEngine::note_compressed_access(const VcpuState& s) {
    if (learn_tpr_store(s)) return;  // (bt_tpr.cpp)
    const uint32_t linear = s.sreg(SegReg::cs).base + s.eip;
    if (!gs_wrap_eips_.count(linear) && !callout_eips_.count(linear) &&
        compressed_faults_[linear] + 1 >= kAdaptiveThreshold && uses_gs_at(s, linear)) {
        gs_wrap_eips_.insert(linear);
        compressed_faults_.erase(linear);
        ++n_.gs_wraps;
        uint32_t phys = linear;
        if (s.paging()) phys = walk_guest(s, linear, false)->physical;
        cache_.invalidate(phys, 1);  // translated again, through the wrap variant
        return;
    }
    adapt_to_callout(s, compressed_faults_, n_.adaptive_compressed, true);  // (push %gs:-4)
}

// Whether the instruction at `linear` accesses memory through %gs.
bool BtEngine::uses_gs_at(const VcpuState& s, uint32_t linear) {
    uint8_t bytes[15];
    const unsigned n = read_code(s, linear, bytes, sizeof bytes);
    Decoded d;
    if (!decode_bytes(bytes, n, s.sreg(SegReg::cs).db, s.sreg(SegReg::ss).db, s.eip, &d))
        return false;
    for (unsigned i = 0; i < d.in.operand_count; ++i)
        if (d.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && d.ops[i].mem.segment == ZYDIS_REGISTER_GS)
            return true;
    return false;
}

// What the host instruction at cache address `cache` does with EFLAGS in memory: 1 loads
// them (popf, iret), 2 stores them (pushf), 0 neither.
int BtEngine::flags_memory_at(uint32_t cache) const {
    ZydisDecoder decoder;
    init_cache_decoder(&decoder);
    ZydisDecodedInstruction in;
    ZydisDecoderContext context;
    if (cache < bt::kCacheBase || cache + 15 > bt::kCacheEnd ||
        !ZYAN_SUCCESS(
            ZydisDecoderDecodeInstruction(&decoder, &context, area_.writable(cache), 15, &in)))
        return 0;
    switch (in.mnemonic) {
        case ZYDIS_MNEMONIC_POPF:
        case ZYDIS_MNEMONIC_POPFD:
        case ZYDIS_MNEMONIC_IRET:
        case ZYDIS_MNEMONIC_IRETD: return 1;
        case ZYDIS_MNEMONIC_PUSHF:
        case ZYDIS_MNEMONIC_PUSHFD: return 2;
        default: return 0;
    }
}

// Whether the host instruction at cache address `cache` writes ESP whole (a 32-bit ESP
// destination: mov, movzx, lea, pop, xchg, arithmetic), as a stepped entry with a 16-bit SS
// must know (enter_stack16).
bool BtEngine::writes_esp32_at(uint32_t cache) const {
    ZydisDecoder decoder;
    init_cache_decoder(&decoder);
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (cache < bt::kCacheBase || cache + 15 > bt::kCacheEnd ||
        !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, area_.writable(cache), 15, &in, ops)))
        return false;
    for (unsigned i = 0; i < in.operand_count_visible; ++i)
        if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER && ops[i].reg.value == ZYDIS_REGISTER_ESP &&
            (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
            return true;
    return false;
}

// A signal while translated code ran: back to the exact guest EIP, then the exit; or nullopt:
// the guest resumes where it stopped, with ctx_ as it is now (a hidden fault mapped, a step
// of the engine's own under way).
std::optional<Exit> BtEngine::signal_exit(VcpuState& s) {
    const native::HostEvent& ev = ctx_.event;
    Exit x;
    x.host_signal = ev.signal;
    bt::Block* b = cache_.block_at(ctx_.eip);
    uint32_t eip = bt::kInexact;
    if (b) b->guest_eip_at(ctx_.eip, &eip);
    const bool in_lookup = cache_.in_shared_routines(ctx_.eip);
    if (ev.escaped || ev.lost_in_host_syscall || (!b && !in_lookup))
        throw HostError("internal error: signal " + std::to_string(ev.signal) +
                        " at cache address " + std::to_string(ctx_.eip) +
                        " outside any translated block (a bt bug)");
    // #AC only at CPL 3 with CR0.AM (SDM 6.15), but the host checks alignment at ring 3 with
    // AC set, whatever the guest's CPL: such an access runs once with AC clear (any point of
    // a translation, the lookup's inexact part included), then AC is back.
    if (ev.signal == SIGBUS && ev.trapno == vec::AC && !(s.cpl() == 3 && (s.cr0 & cr0::AM))) {
        ++n_.ac_stepped;
        // An instruction that loads EFLAGS (popf, iret in the cache) sets AC itself: it runs
        // with AC clear and no step (a step's end would put back an AC it has just changed).
        const int flags = flags_memory_at(ctx_.eip);
        if (flags == 1) {
            ctx_.eflags &= ~eflags::AC;
            return std::nullopt;
        }
        // A pushf stepped this way pushes the step's TF and no AC: its image is mended after.
        ac_step_pushed_ = flags == 2;
        ac_step_tf_ = ctx_.eflags & eflags::TF;
        ctx_.eflags = (ctx_.eflags & ~eflags::AC) | eflags::TF;
        host_step_ = HostStep::kAlignment;
        return std::nullopt;
    }
    if (host_step_ == HostStep::kAlignment && ev.signal == SIGTRAP) {
        host_step_ = HostStep::kNone;
        ctx_.eflags = (ctx_.eflags & ~eflags::TF) | ac_step_tf_ | eflags::AC;
        if (ac_step_pushed_) {  // the image just pushed: the host's mapping of SS:ESP
            const uint64_t host =
                native::kPageZeroOffset + ((s.sreg(SegReg::ss).base + ctx_.gpr[esp]) & 0xffffffffu);
            auto* image = reinterpret_cast<volatile uint32_t*>(host);
            *image = (*image & ~eflags::TF) | ac_step_tf_ | eflags::AC;
        }
        return std::nullopt;
    }
    if (ev.signal == SIGTRAP && guest_tf_ && host_step_ == HostStep::kNone) {
        // The guest single-steps: a trap after every host instruction; its #DB only where a
        // guest instruction's translation begins (whole guest instructions done). An inline
        // sequence that would keep TF wrong goes to its callout instead.
        if (b)
            for (const bt::Block::Diversion& dv : b->step_diversions)
                if (ctx_.eip >= dv.from && ctx_.eip < dv.to) {
                    ctx_.eip = dv.to_slow;
                    ctx_.eflags |= eflags::TF;
                    return std::nullopt;
                }
        uint32_t boundary = 0;
        if (b && b->boundary_at(ctx_.eip, &boundary)) {
            s.eip = boundary;
            s.dr6 |= 0x4000;  // BS
            x.reason = ExitReason::kException;
            x.vector = vec::DB;
            return x;
        }
        ++n_.stepped;
        return std::nullopt;  // inside a rewritten sequence or the lookup routine
    }
    if (eip == bt::kInexact) {
        // An indirect branch is under way: the guest state has no EIP yet. A timer signal
        // waits: step with TF to the next exact point (the lookup hit, or its callout).
        if (ev.signal != SIGALRM && !(ev.signal == SIGTRAP && host_step_ != HostStep::kNone))
            throw HostError("internal error: signal " + std::to_string(ev.signal) + " (trap " +
                            std::to_string(ev.trapno) + ", address " +
                            std::to_string(ev.fault_address) + ") at cache address " +
                            std::to_string(ctx_.eip) + " inside an indirect-branch lookup");
        ctx_.eflags |= eflags::TF;
        if (host_step_ == HostStep::kNone) {
            host_step_ = HostStep::kToExactPoint;
            step_from_eip_ = ~0u;  // (a timer's step: any exact point will do)
        }
        ++n_.stepped;
        return std::nullopt;
    }
    s.eip = eip;
    for (const bt::ParkedRange& p : b->parked)  // inside a rewrite: the registers it parked
        if (ctx_.eip >= p.from && ctx_.eip < p.to) {
            s.gpr[eax] = area_.vcpu().save_eax;
            if (p.ebx) s.gpr[ebx] = area_.vcpu().save_ebx;
        }
    // The store ran. Inside a rewritten sequence (16-bit code's indirect call pushes its
    // operand first, then the return address): on to its end, an exact point, with the frame
    // still writable (going on from the sequence's start would run its stores twice).
    uint32_t exact = 0;
    if (host_step_ == HostStep::kSmcStore && ev.signal == SIGTRAP &&
        !b->boundary_at(ctx_.eip, &exact)) {
        ctx_.eflags |= eflags::TF;
        ++n_.stepped;
        return std::nullopt;
    }
    if (host_step_ == HostStep::kSmcStore && ev.signal == SIGTRAP) {  // the store ran
        host_step_ = HostStep::kNone;                                 // continue from a new block
        if (cache_.holds_code(smc_frame_)) shadow_.protect_frame(smc_frame_);  // code stays on it
        s.eflags &= ~eflags::TF;
        x.reason = ExitReason::kHandled;
        return x;
    }
    // step_one(): still at the instruction the step began with, its callout sequence under
    // way (nothing of the guest's ran yet): on until the callout, which ends the step, or
    // another exact point. (Bounded: `jmp .` comes back to the same EIP having run.)
    if (host_step_ == HostStep::kToExactPoint && ev.signal == SIGTRAP && s.eip == step_from_eip_ &&
        ++steps_in_place_ < kStepsInPlaceLimit) {
        ctx_.eflags |= eflags::TF;
        ++n_.stepped;
        return std::nullopt;
    }
    if (host_step_ == HostStep::kToExactPoint) {  // reached: deliver the timer exit now
        host_step_ = HostStep::kNone;
        step_from_eip_ = ~0u;
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
                if (ev.fault_address - (uint64_t(bt::kVcpuArea) + bt::kTprPage) < kPageSize) {
                    // A TPR store while an interrupt is pending: the virtual CPU runs it
                    // through the APIC, then the run loop looks (bt_tpr.cpp).
                    ++n_.tpr_exits;
                    x.reason = ExitReason::kEmulate;
                    x.vector = vec::GP;
                    return x;
                }
                if (ev.fault_address - (uint64_t(bt::kVcpuArea) + bt::kVifPage) < kPageSize) {
                    // A store to the virtual IF while an interrupt waits: the virtual CPU
                    // runs the instruction (cli, sti, popf or iret), then the run loop looks.
                    ++n_.window_exits;
                    x.reason = ExitReason::kEmulate;
                    x.vector = vec::GP;
                    return x;
                }
                uint32_t linear = 0;
                if (!native::AddressSpace::instance().guest_linear(ev.fault_address, &linear))
                    throw GuestError("the guest touched the monitor's reserved area");
                const uint32_t page = linear & ~(kPageSize - 1);
                // A page a data breakpoint watches (data_watch.hpp): the virtual CPU runs the
                // instruction and checks DR0-DR3 (its own walk raises a true #PF).
                if (shadow_.watched(page, ev.error_code & 2)) {
                    ++n_.watched_accesses;
                    watched_exit_ = true;  // (note_memory_map_access: adaptive callouts)
                    x.reason = ExitReason::kMemoryMap;
                    x.address = linear;
                    return x;
                }
                // A store into a frame holding translations (through any alias): drop its
                // blocks, then let the store run: one step with TF from where it faulted
                // (its block lives on until the next flush).
                const uint32_t frame = shadow_.frame_of(page).value_or(~0u);
                if ((ev.error_code & 2) && cache_.holds_code(frame) &&
                    ram_.contains(frame, kPageSize)) {
                    // From a block made elsewhere: the frame's translations all go, the page
                    // is writable again until code is next translated from it, and the store
                    // runs again natively - no step. (A page that held a process's code and
                    // is reused as data, cleared by a `rep stos` that the step below would
                    // take one iteration at a time: 88,000 steps in the Linux guest's boot.)
                    // The store's own block holds code from the frame: the store may change
                    // what follows it, so it is stepped and the guest goes on from a new block.
                    if (frame_drops_.size() < ram_.size() / kPageSize)
                        frame_drops_.resize(ram_.size() / kPageSize);
                    uint8_t& drops = frame_drops_[frame / kPageSize];
                    if (!b->holds_frame(frame) && drops < kFrameDropLimit) {
                        ++drops;
                        ++n_.frames_dropped_on_store;
                        cache_.invalidate(frame, kPageSize);
                        if (shadow_.enabled()) return page_fault(s, linear, ev.error_code, true);
                        return std::nullopt;  // the identity mapping is writable again
                    }
                    note_smc_store(s);
                    // With a 16-bit SS a stepped entry would run the store with ESP's upper
                    // half the host's (enter_stack16): the virtual CPU makes the store, and
                    // the write observer drops the translations it changes.
                    if (!s.sreg(SegReg::ss).db) {
                        x.reason = ExitReason::kEmulate;
                        x.vector = vec::UD;
                        return x;
                    }
                    // The store's length is not known here: 16 bytes covers all but string
                    // instructions, whose next faults come back here.
                    const uint32_t phys = frame | (linear & (kPageSize - 1));
                    cache_.invalidate(phys,
                                      std::min<uint32_t>(16, kPageSize - (phys & (kPageSize - 1))));
                    shadow_.release_frame(frame);  // writable for the one step, protected after it
                    smc_frame_ = frame;
                    // The page is unmapped now: map it as the guest allows (or its true #PF).
                    if (shadow_.enabled())
                        if (auto f = page_fault(s, linear, ev.error_code, true)) return f;
                    ctx_.eflags |= eflags::TF;
                    host_step_ = HostStep::kSmcStore;
                    return std::nullopt;
                }
                if (shadow_.enabled()) return page_fault(s, linear, ev.error_code);
                // Beyond the flat RAM and ROM: a read of unassigned memory maps the all-ones
                // page; MMIO and stores into ROM or unassigned memory run on the virtual CPU
                // (the memory map routes them). P = 1 is a store into a read-only page.
                if ((ev.error_code & 1) || !native::AddressSpace::instance().map_flat_fault(
                                               linear, ev.error_code & 2, ram_)) {
                    x.reason = ExitReason::kMemoryMap;
                    x.address = linear;
                    return x;
                }
                x.reason = ExitReason::kHandled;
                return x;
            }
            return exception(static_cast<uint8_t>(ev.trapno), ev.error_code);
        case SIGBUS:
        case SIGFPE:
        case SIGILL:
            return exception(static_cast<uint8_t>(ev.trapno < 0 ? vec::UD : ev.trapno),
                             ev.error_code);
        case SIGTRAP:
            // A TF the guest's own code set in this block (popf): its single-step trap, BS.
            if (ctx_.eflags & eflags::TF) s.dr6 |= 0x4000;
            return exception(vec::DB, 0);
        case SIGALRM: x.reason = ExitReason::kTimer; return x;
        default:
            throw HostError("internal error: unexpected host signal " + std::to_string(ev.signal) +
                            " in translated code");
    }
}

void BtEngine::set_interrupt_window(bool on) {
    if (on == window_) return;
    area_.trap_vif_stores(on);
    window_ = on;
}

}  // namespace prevt
