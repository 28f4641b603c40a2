// The guest's own instruction breakpoints under bt: DR0-DR3 with their DR7 enables (L0-L3,
// G0-G3) and kind 00 (execute). A block ends before every such address, as before a
// debugger's breakpoint (bt/translator.cpp: TranslationContext::stops), and is never chained
// or looked up into it, so each entry at one comes to run(), which checks it first: #DB, a
// fault before the instruction, with DR6's B0-B3 saying which (the rest of DR6 kept, as QEMU
// does). EFLAGS.RF, which the guest's handler sets in the frame its iret loads, lets the
// instruction run once; it is cleared at the entry (after one instruction on a CPU: here
// before the block, whose first instruction it concerns).
// Data breakpoints (kinds 01, 11) are the shadow's watched pages (data_watch.hpp) and the
// virtual CPU's checks; I/O breakpoints (kind 10) the virtual CPU's (io.cpp); DR7.GD its
// MOV DR (system.cpp); DR6.BT its task switch (task_switch.cpp).
#include <utility>

#include "core/emulate/debug_registers.hpp"
#include "core/engines/bt_engine.hpp"

namespace prevt {

namespace {
bool execute_breakpoint(uint32_t dr7, unsigned i) {
    return dr7::enabled(dr7, i) && dr7::kind(dr7, i) == dr7::Kind::kExecute;
}
}  // namespace

// The stops blocks end before: the debugger's breakpoints and the guest's.
void BtEngine::merge_stops() {
    stops_ = debug_.breakpoints;
    stops_.insert(guest_breakpoints_.begin(), guest_breakpoints_.end());
}

// DR0-DR3 and DR7 changed since the blocks were made: they end at other addresses now.
void BtEngine::follow_guest_breakpoints(const VcpuState& s) {
    const uint32_t key[5] = {s.dr7 & 0xffff00ff, s.dr[0], s.dr[1], s.dr[2], s.dr[3]};
    if (std::equal(std::begin(key), std::end(key), std::begin(breakpoints_key_))) return;
    std::copy(std::begin(key), std::end(key), std::begin(breakpoints_key_));
    std::unordered_set<uint32_t> now;
    for (unsigned i = 0; i < 4; ++i)
        if (execute_breakpoint(s.dr7, i)) now.insert(s.dr[i]);
    if (now == guest_breakpoints_) return;
    guest_breakpoints_ = std::move(now);
    merge_stops();
    cache_.flush();  // (no block may run into a new breakpoint)
}

// At an entry: the B0-B3 bits of the breakpoints at CS:EIP (0: none, or RF passes them).
uint32_t BtEngine::guest_breakpoint_hit(VcpuState& s) {
    follow_guest_breakpoints(s);
    const bool resume = s.eflags & eflags::RF;
    s.eflags &= ~eflags::RF;
    if (guest_breakpoints_.empty() || resume) return 0;
    const uint32_t linear = s.sreg(SegReg::cs).base + s.eip;
    uint32_t hit = 0;
    for (unsigned i = 0; i < 4; ++i)
        if (execute_breakpoint(s.dr7, i) && s.dr[i] == linear) hit |= 1u << i;
    return hit;
}

// After the run loop served a kMemoryMap exit: an access to a data breakpoint's page
// (bt_signals.cpp), whose instruction becomes a callout once it keeps coming back, as stores
// into code do (a callout runs the virtual CPU, which checks DR0-DR3, without the host fault);
// or an MMIO access, which may be a TPR store to learn (bt_tpr.cpp).
void BtEngine::note_memory_map_access(const VcpuState& s) {
    if (!std::exchange(watched_exit_, false)) {
        learn_tpr_store(s);
        return;
    }
    const uint64_t before = n_.adaptive_watched;
    adapt_to_callout(s, watched_faults_, n_.adaptive_watched, true);
    if (n_.adaptive_watched != before) watched_callouts_.push_back(s.sreg(SegReg::cs).base + s.eip);
}

// The watched pages changed: the callouts made for the old ones go (the code near a
// breakpoint the guest removed runs natively again), with one flush of the cache.
void BtEngine::forget_watched_callouts() {
    watched_faults_.clear();
    if (watched_callouts_.empty()) return;
    for (uint32_t linear : watched_callouts_) callout_eips_.erase(linear);
    watched_callouts_.clear();
    cache_.flush();
}

}  // namespace prevt
