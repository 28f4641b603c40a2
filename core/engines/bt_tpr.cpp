// The TPR fast path under bt: a guest store to the local APIC's task-priority register costs a
// store, not a callout (what VMware patched into guests and VT-x's TPR shadow and AMD's CR8
// made cheap). The APIC's TPR lives in a slot on a page of the per-vCPU area of its own
// (LocalApic::bind_tpr_slot, bt::kTprPage). A store the virtual CPU ran into the TPR - an
// absolute `mov` at CPL 0, seen once as a compressed or memory-map access - is learned, and
// its block translated again with that store aimed at %gs:kOffTpr.
//
// Invariants:
// - While an interrupt is pending in the APIC's IRR (TprSlot::pending_class), the page is
//   read-only in the guest's view, so a TPR store exits at the instruction and the virtual CPU
//   runs it through the APIC, which may then deliver: a lowered TPR never leaves an unmasked
//   interrupt waiting. Otherwise no TPR value can unmask anything and the store just lands.
// - A learned store stays valid while its segment keeps the base and limit it had (the linear
//   address, and the limit check the virtual CPU made), IA32_APIC_BASE is what it was (enabled,
//   xAPIC mode), and with paging while the TPR's page maps the APIC's frame: that page is one
//   of the block's pages, so a CR3 write or invlpg re-checks or drops it like a code page.
//   Anything else forgets every learned store (the cache is flushed; they are learned again).
// - Only stores: the slot holds the value as written (the APIC masks bits 31:8 when it reads
//   it), so loads of the TPR stay with the virtual CPU.
#include <variant>

#include "core/emulate/decoded.hpp"
#include "core/emulate/paged_memory.hpp"
#include "core/engines/bt_engine.hpp"
#include "devices/lapic_registers.hpp"

namespace prevt {

void BtEngine::attach_local_apic(devices::LocalApic& apic) {
    apic_ = &apic;
    tpr_slot_ = static_cast<devices::TprSlot*>(area_.tpr_page());
    apic.bind_tpr_slot(tpr_slot_);
    tpr_base_msr_ = apic.base_msr();
}

// At `s` the virtual CPU is about to run an instruction whose access is not mapped natively.
// True if it is a TPR store, now learned.
bool BtEngine::learn_tpr_store(const VcpuState& s) {
    constexpr uint64_t kUsable = devices::LocalApic::kMsrEnable | devices::LocalApic::kMsrX2apic;
    if (!apic_ || !s.protected_mode() || s.cpl() != 0 || (s.eflags & eflags::VM) ||
        !s.sreg(SegReg::cs).db || (apic_->base_msr() & kUsable) != devices::LocalApic::kMsrEnable)
        return false;
    const uint32_t eip_linear = s.sreg(SegReg::cs).base + s.eip;
    if (tpr_store_sites_.count(eip_linear)) return false;
    uint8_t bytes[15];
    const unsigned n = read_code(s, eip_linear, bytes, sizeof bytes);
    Decoded d;
    if (!decode_bytes(bytes, n, true, s.sreg(SegReg::ss).db, s.eip, &d)) return false;
    const ZydisDecodedOperand& dst = d.ops[0];
    if (d.in.mnemonic != ZYDIS_MNEMONIC_MOV || d.in.operand_width != 32 ||
        dst.type != ZYDIS_OPERAND_TYPE_MEMORY || dst.mem.base != ZYDIS_REGISTER_NONE ||
        dst.mem.index != ZYDIS_REGISTER_NONE)
        return false;
    const SegReg seg = operand_segment(d, 0);
    const Segment& sr = s.sreg(seg);
    const uint32_t offset = static_cast<uint32_t>(dst.mem.disp.value);
    const uint32_t linear = sr.base + offset;
    uint32_t physical = linear;
    if (s.paging()) {
        const auto t = walk_guest_tables(ram_, s, linear, true, false, true);
        const auto* tr = std::get_if<shadowmmu::Translation>(&t);
        if (!tr) return false;
        physical = tr->physical;
    }
    constexpr uint32_t kTprAddress = devices::LocalApic::kDefaultBase + devices::lapic::kTpr * 16;
    // (A writable expand-up data segment that holds the dword: the checks the store skips.)
    const bool writable_data = (sr.type & 0xa) == 0x2 && !(sr.type & 0x4) && sr.s;
    if (physical != kTprAddress || !writable_data || uint64_t(offset) + 3 > sr.limit) return false;
    tpr_store_sites_[eip_linear] = {seg, sr.base, sr.limit, linear & ~(shadowmmu::kPageSize - 1)};
    tpr_store_eips_.insert(eip_linear);
    ++n_.tpr_stores;
    // Its block is translated again, with the store.
    uint32_t code = eip_linear;
    if (s.paging()) code = walk_guest(s, eip_linear, false)->physical;  // (read above)
    cache_.invalidate(code, 1);
    return true;
}

// At each entry: forget the learned stores that may no longer hold, and keep the TPR page
// read-only exactly while an interrupt is pending.
void BtEngine::follow_tpr(const VcpuState& s) {
    if (!tpr_slot_) return;
    // (No learned store, no store to trap: no mprotect either.)
    const bool trap = !tpr_store_sites_.empty() && tpr_slot_->pending_class != 0;
    if (trap != tpr_trapped_) {
        area_.trap_tpr_stores(trap);
        tpr_trapped_ = trap;
    }
    if (tpr_store_sites_.empty()) return;
    if (apic_->base_msr() != tpr_base_msr_) return forget_tpr_stores();
    if (segment_loads_ == tpr_checked_loads_) return;
    tpr_checked_loads_ = segment_loads_;
    for (const auto& [eip, site] : tpr_store_sites_) {
        const Segment& sr = s.sreg(site.segment);
        if (sr.base != site.base || sr.limit != site.limit) return forget_tpr_stores();
    }
}

void BtEngine::forget_tpr_stores() {
    tpr_store_sites_.clear();
    tpr_store_eips_.clear();
    tpr_base_msr_ = apic_->base_msr();
    cache_.flush();
}

}  // namespace prevt
