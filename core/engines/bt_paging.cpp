// The bt engine with the guest's paging: it composes the shadow MMU (shadowmmu/shadow.hpp)
// with the translation cache. The shadow follows CR0/CR3/CR4 at every entry and maps pages
// on hidden faults; the cache keeps what still translates across a CR3 write and drops what
// invlpg takes; the user ceiling (shadowmmu/split.hpp) truncates user segments so the
// kernel's mappings above it stay across system calls (docs/shadow-mmu.md).
#include <algorithm>
#include <optional>
#include <variant>

#include "core/emulate/paged_memory.hpp"
#include "core/engines/bt_engine.hpp"
#include "core/engines/shadow_fault_exit.hpp"
#include "core/native/layout.hpp"
#include "shadowmmu/pagetable.hpp"

namespace prevt {

using shadowmmu::kPageSize;

std::optional<shadowmmu::Translation> BtEngine::walk_guest(const VcpuState& s, uint32_t linear,
                                                           bool write, uint32_t* error) {
    const auto r = walk_guest_tables(ram_, s, linear, write, s.cpl() == 3, false, true);
    if (const auto* f = std::get_if<shadowmmu::PageFault>(&r)) {
        if (error) *error = f->error_code;
        return std::nullopt;
    }
    return std::get<shadowmmu::Translation>(r);
}

// A host fault on a guest-linear page with paging on: a hidden fault (mapped: resume exactly
// where the fault was), a true #PF, or an access only the virtual CPU can make through the
// memory map (MMIO, a store into ROM or unassigned memory). `code_store`: see ShadowMmu::fault.
std::optional<Exit> BtEngine::page_fault(const VcpuState& s, uint32_t linear, uint32_t host_error,
                                         bool code_store) {
    const auto f = shadow_.fault(paging_state(s), linear, host_error & 2, code_store);
    if (auto x = shadow_fault_exit(f, linear)) return x;
    // The inline sysexit prepared for this entry would leave a new kernel-only page reachable.
    if (shadow_.lowest_kernel_only() < sysexit_ceiling_)
        area_.vcpu().sysexit_path = cache_.sysenter().callout_path;
    return std::nullopt;  // re-run the faulting instruction from the cache, as it was
}

// The shadow follows the guest's paging state. A new mode drops every translation first (they
// were made, and their frames protected, under the old one). A CR3 write keeps the
// translations whose code pages still map to the same frames (one peek walk per code page;
// none for a page mapped global, as a TLB keeps it, unless CR4.PGE changed), then the shadow
// maps again the pages the new CR3 had mapped last time.
// The A20 gate with paging off: while it is off, the 64 KiB above 1 MiB (all real mode reaches
// beyond 1 MiB) are read-only aliases of the first 64 KiB; stores there fault to the virtual
// CPU, whose linear memory masks bit 20 (the write observer sees them: SMC stays caught).
// The cache is flushed (a block keyed by a linear address there would read other bytes).
// Other megabytes with bit 20 set are not masked natively (docs/real-mode.md). A page there that
// a data breakpoint watches stays unmapped while the gate is off (the virtual CPU masks it).
void BtEngine::map_a20_window() {
    constexpr uint32_t kMiB = 1u << 20, kWindow = 0x10000;
    cache_.flush();
    for (uint32_t page = kMiB; page < kMiB + kWindow; page += kPageSize) {
        if (!ram_.contains(page - kMiB, kPageSize) || !ram_.contains(page, kPageSize)) continue;
        if (!a20_ && shadow_.watched(page, true))  // a data breakpoint's: every access emulated
            shadow_host_.unmap(page);
        else
            shadow_host_.map(page, a20_ ? page : page - kMiB, a20_);
    }
    a20_mapped_ = a20_;
}

void BtEngine::sync_address_space(const VcpuState& s) {
    using Change = shadowmmu::ShadowMmu::Change;
    const shadowmmu::PagingState p = paging_state(s);
    if (shadow_.mode_changes(p)) {
        cache_.flush();
        a20_mapped_ = true;  // the identity again, if paging is off
    }
    const Change change = shadow_.sync(p);
    if (!s.paging() && a20_mapped_ != a20_) map_a20_window();
    if (change != Change::kAddressSpace && change != Change::kAllMappings) return;
    const bool keep_global = change == Change::kAddressSpace;
    std::vector<bt::Block*> stale;
    for (const auto& [page, blocks] : keep_global ? cache_.local_by_linear() : cache_.by_linear()) {
        std::optional<std::optional<uint32_t>> frame;  // peeked once, if needed
        for (bt::Block* b : blocks)
            for (const bt::Block::Page& bp : b->pages) {
                if (b->away || bp.linear != page || (keep_global && bp.global)) continue;
                if (!frame) frame = shadow_.peek(p, page);
                if (*frame != bp.frame) stale.push_back(b);
            }
    }
    std::sort(stale.begin(), stale.end());
    stale.erase(std::unique(stale.begin(), stale.end()), stale.end());
    if (!stale.empty()) cache_.park(stale);
    n_.blocks_kept_across_cr3 += cache_.size();
    shadow_.prefetch(p);  // (for the current CPL: nothing to take back)
}

// The ceiling for this entry: the address space's, at CPL 3 with paging and only expand-up
// data segments loaded (an expand-down one would reach above it); none otherwise. At CPL 3
// every kernel-only mapping that user mode could reach is taken back.
void BtEngine::choose_ceiling(const VcpuState& s) {
    uint64_t ceiling = native::kMonitorBase;
    if (shadow_.enabled() && s.cpl() == 3) {
        ceiling = ceiling_for_user(s);
        if (shadow_.has_kernel_only())
            shadow_.take_back_kernel_mappings(ceiling < native::kMonitorBase ? ceiling : ~0ull);
    }
    ceiling_ = ceiling;
}

// The ceiling user mode gets with the segments of `s`: none without paging, or if one of them
// is expand-down (it would reach above).
uint64_t BtEngine::ceiling_for_user(const VcpuState& s) const {
    if (!shadow_.enabled()) return native::kMonitorBase;
    for (SegReg r : {SegReg::es, SegReg::ss, SegReg::ds, SegReg::fs, SegReg::gs})
        if (s.sreg(r).expand_down_data()) return native::kMonitorBase;
    return shadow_.user_ceiling();
}

// invlpg: the page's mapping (its 4 MiB region's, if it came from a large page) and the
// translations made through it.
void BtEngine::tlb_invalidate(uint32_t linear) {
    const auto [first, size] = shadow_.invalidate(linear);
    for (uint32_t p = first; p - first < size; p += kPageSize) cache_.drop_linear(p);
}

}  // namespace prevt
