// The bt engine's shadow MMU, with the guest's paging on: a software TLB of host mappings
// (one mmap of the guest-RAM memfd per 4 KiB guest-linear page), filled on hidden faults from
// the guest's page tables (shadowmmu/pagetable.hpp) and dropped when the architecture says a
// TLB entry goes: a CR3 write or a paging-mode change (everything), invlpg (that page, or its
// 4 MiB region). A guest PTE change therefore takes effect at the next invlpg or CR3 write,
// as on hardware; not-present entries are never mapped, so making one present takes effect
// at once. Mappings made at CPL 0 that give more than CPL 3 may have are listed and taken
// back on the way to CPL 3; every other mapping stays across the switch.
#include <sys/mman.h>
#include <x86intrin.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <variant>

#include "core/emulate/paged_memory.hpp"
#include "core/engines/bt_engine.hpp"
#include "core/errors.hpp"
#include "core/native/address_space.hpp"
#include "core/native/layout.hpp"
#include "shadowmmu/pagetable.hpp"
#include "shadowmmu/split.hpp"

namespace prevt {

using shadowmmu::kLargePageSize;
using shadowmmu::kPageSize;

namespace {}  // namespace

std::optional<shadowmmu::Translation> BtEngine::walk_guest(const VcpuState& s, uint32_t linear,
                                                           bool write, uint32_t* error) {
    const auto r = walk_guest_tables(ram_, s, linear, write, s.cpl() == 3);
    if (const auto* f = std::get_if<shadowmmu::PageFault>(&r)) {
        if (error) *error = f->error_code;
        return std::nullopt;
    }
    return std::get<shadowmmu::Translation>(r);
}

void BtEngine::map_guest_page(uint32_t page, const shadowmmu::Translation& t, bool writable,
                              bool kernel_only) {
    const uint32_t frame = t.physical & ~(kPageSize - 1);
    if (mapped_.count(page)) unmap_guest_page(page);
    if (native::AddressSpace::instance().over_budget()) {  // vm.max_map_count: flush the TLB
        clear_shadow();
        ++n_.budget_flushes;
    }
    native::AddressSpace::instance().map_page(page, frame, writable, ram_);
    mapped_[page] = Mapping{frame, writable, t.page_size == kLargePageSize};
    rmap_[frame].push_back(page);
    if (kernel_only) {
        kernel_only_.emplace_back(page, t.user);
        lowest_kernel_only_ = std::min<uint64_t>(lowest_kernel_only_, page);
        // The inline sysexit prepared for this entry would leave it reachable: call out.
        if (page < sysexit_ceiling_) area_.vcpu().sysexit_path = sysenter_.callout_path;
    }
}

void BtEngine::unmap_guest_page(uint32_t page) {
    auto it = mapped_.find(page);
    if (it == mapped_.end()) return;
    auto r = rmap_.find(it->second.frame);
    if (r != rmap_.end()) {
        std::erase(r->second, page);
        if (r->second.empty()) rmap_.erase(r);
    }
    mapped_.erase(it);
    native::AddressSpace::instance().unmap(page, kPageSize);
}

void BtEngine::clear_shadow() {
    native::AddressSpace::instance().clear_guest();
    mapped_.clear();
    rmap_.clear();
    kernel_only_.clear();
    lowest_kernel_only_ = ~0ull;
    ++n_.shadow_flushes;
}

// A host fault on a guest-linear page with paging on: a hidden fault when the guest's tables
// allow the access (map the page, resume exactly where the fault was), a true #PF otherwise.
// A page is mapped writable only once its D bit is set, so the first write is seen, and
// never while its frame holds translated code.
// `code_store`: the store into a frame with code that is about to be single-stepped (mapped
// writable for that step; the frame is protected again after it).
Exit BtEngine::page_fault(const VcpuState& s, uint32_t linear, uint32_t host_error, bool* resume,
                          bool code_store) {
    Exit x;
    const bool write = host_error & 2;
    uint32_t error = 0;
    const auto t = walk_guest(s, linear, write, &error);
    if (!t) {
        ++n_.true_faults;
        x.reason = ExitReason::kException;
        x.vector = vec::PF;
        x.has_error = true;
        x.error_code = error;
        x.address = linear;
        return x;
    }
    const uint32_t page = linear & ~(kPageSize - 1);
    const uint32_t frame = t->physical & ~(kPageSize - 1);
    if (!native::AddressSpace::serves(ram_, frame, write)) {
        // MMIO, or a store into ROM or unassigned memory: no mapping serves it (mapping the
        // page again would fault again, forever); the virtual CPU runs the instruction.
        x.reason = ExitReason::kMemoryMap;
        x.address = linear;
        return x;
    }
    const bool writable =
        t->writable && (t->dirty || write) && (code_store || !by_frame_.count(frame));
    const bool kernel_only = s.cpl() != 3 && (!t->user || (writable && !t->user_writable));
    map_guest_page(page, *t, writable, kernel_only);
    ++n_.hidden_faults;
    *resume = true;  // re-run the faulting instruction from the cache, as it was
    return x;
}

// The shadow follows the guest's paging state. Paging turned on or off, or a new WP or PSE,
// drops everything. A CR3 write (a new address space, or the same one: a TLB flush) drops
// every mapping but keeps the translations whose code pages still map to the same frames
// (one walk per code page), and maps again the pages the new CR3 had mapped last time, where
// its tables still allow it without setting an A or D bit. A switch to CPL 3 takes back only
// what the kernel's mappings give beyond user rights.
void BtEngine::sync_address_space(const VcpuState& s) {
    const uint64_t mode = s.paging()
                              ? (uint64_t(1) << 63) | (uint64_t(bool(s.cr0 & cr0::WP)) << 40) |
                                    (uint64_t(bool(s.cr4 & cr4::PSE)) << 41)
                              : 0;
    if (mode != paging_mode_) {
        flush();
        auto& space = native::AddressSpace::instance();
        paging_ = s.paging();
        paging_mode_ = mode;
        shadow_cr3_ = s.cr3;
        cr3_written_ = false;
        if (!paging_) {
            space.map_flat(ram_, native::kPageZeroOffset, false);
            mapped_.clear();
            rmap_.clear();
            kernel_only_.clear();
            lowest_kernel_only_ = ~0ull;
            user_ceiling_ = native::kMonitorBase;
            return;
        }
        clear_shadow();
        user_ceiling_ = find_user_ceiling(s);
        return;
    }
    if (paging_ && (cr3_written_ || s.cr3 != shadow_cr3_)) {
        switch_address_space(s);
        return;  // (the prefetch mapped for the current CPL: nothing to take back)
    }
    // (choose_ceiling() takes back what user mode must not reach, on every entry at CPL 3)
}

// The user ceiling of the current address space (shadowmmu/split.hpp), from a peek at the
// guest's page directory. Later changes to it are safe: a kernel-only mapping below the
// ceiling is taken back on the way to CPL 3 like any other, a user page above it is reached
// through the virtual CPU.
uint64_t BtEngine::find_user_ceiling(const VcpuState& s) const {
    struct Directory {
        const GuestMemory& ram;
        uint32_t read32(uint32_t phys) const { return ram.read(phys, 4); }
    };
    return shadowmmu::user_ceiling(Directory{ram_}, s.cr3, native::kMonitorBase);
}

// The ceiling for this entry: the address space's, at CPL 3 with paging and only expand-up
// data segments loaded (an expand-down one would reach above it); none otherwise. At CPL 3
// every kernel-only mapping that user mode could reach is taken back.
void BtEngine::choose_ceiling(const VcpuState& s) {
    uint64_t ceiling = native::kMonitorBase;
    if (paging_ && s.cpl() == 3) {
        ceiling = ceiling_for_user(s);
        if (!kernel_only_.empty())
            take_back_kernel_mappings(ceiling < native::kMonitorBase ? ceiling : ~0ull);
    }
    ceiling_ = ceiling;
}

// The ceiling user mode gets with the segments of `s`: none without paging, or if one of them
// is expand-down (it would reach above).
uint64_t BtEngine::ceiling_for_user(const VcpuState& s) const {
    if (!paging_) return native::kMonitorBase;
    for (SegReg r : {SegReg::es, SegReg::ss, SegReg::ds, SegReg::fs, SegReg::gs})
        if (s.sreg(r).expand_down_data()) return native::kMonitorBase;
    return user_ceiling_;
}

// Kernel-only mappings below `below` go (unmapped, or read-only if user mode may read);
// those above stay, listed, for as long as user segments end below them.
void BtEngine::take_back_kernel_mappings(uint64_t below) {
    std::vector<std::pair<uint32_t, bool>> kept;
    for (const auto& [page, user_may_read] : kernel_only_) {
        auto it = mapped_.find(page);
        if (it == mapped_.end()) continue;
        if (page >= below) {
            kept.emplace_back(page, user_may_read);
            ++n_.kernel_only_kept;
            continue;
        }
        if (!user_may_read) {
            unmap_guest_page(page);
        } else if (it->second.writable) {
            if (mprotect(reinterpret_cast<void*>(page + native::kPageZeroOffset), kPageSize,
                         PROT_READ) != 0)
                throw HostError(std::string("mprotect of a kernel-only page failed: ") +
                                strerror(errno));
            it->second.writable = false;
        }
        ++n_.kernel_only_dropped;
    }
    kernel_only_ = std::move(kept);
    lowest_kernel_only_ = ~0ull;
    for (const auto& k : kernel_only_)
        lowest_kernel_only_ = std::min<uint64_t>(lowest_kernel_only_, k.first);
}

void BtEngine::switch_address_space(const VcpuState& s) {
    // The old address space's working set, for the next switch back to it.
    std::vector<uint32_t>& old_set = working_sets_[shadow_cr3_];
    old_set.clear();
    for (const auto& [page, m] : mapped_) {
        if (old_set.size() == kWorkingSetPages) break;
        old_set.push_back(page);
    }
    if (working_sets_.size() > kWorkingSets) working_sets_.clear();  // crude, bounded
    clear_shadow();
    cr3_written_ = false;
    shadow_cr3_ = s.cr3;
    user_ceiling_ = find_user_ceiling(s);
    ++n_.cr3_switches;
    // Translations stay where their code pages still map to the frames they were read from.
    std::vector<bt::Block*> stale;
    for (const auto& [page, blocks] : by_linear_) {
        const auto r = walk_guest_tables(ram_, s, page, false, false, true);
        const auto* t = std::get_if<shadowmmu::Translation>(&r);
        for (bt::Block* b : blocks)
            for (const bt::Block::Page& p : b->pages)
                if (p.linear == page && (!t || (t->physical & ~(kPageSize - 1)) != p.frame))
                    stale.push_back(b);
    }
    std::sort(stale.begin(), stale.end());
    stale.erase(std::unique(stale.begin(), stale.end()), stale.end());
    if (!stale.empty()) drop_blocks(stale);
    n_.blocks_kept_across_cr3 += blocks_.size();
    // Prefetch: the pages this CR3 had mapped, as its tables allow them now.
    auto it = working_sets_.find(s.cr3);
    if (it == working_sets_.end()) return;
    for (uint32_t page : it->second) {
        const auto r = walk_guest_tables(ram_, s, page, false, s.cpl() == 3, true);
        const auto* t = std::get_if<shadowmmu::Translation>(&r);
        if (!t) continue;
        const uint32_t frame = t->physical & ~(kPageSize - 1);
        const bool writable = t->writable && t->dirty && !by_frame_.count(frame);
        const bool kernel_only = s.cpl() != 3 && (!t->user || (writable && !t->user_writable));
        map_guest_page(page, *t, writable, kernel_only);
        ++n_.prefetched;
    }
}

// invlpg: that page's mapping (its 4 MiB region's, if it came from a large page) and the
// translations made through it.
void BtEngine::tlb_invalidate(uint32_t linear) {
    if (!paging_) return;
    uint32_t first = linear & ~(kPageSize - 1), size = kPageSize;
    auto it = mapped_.find(first);
    if (it != mapped_.end() && it->second.large) {
        first = linear & ~(kLargePageSize - 1);
        size = kLargePageSize;
    }
    for (uint32_t p = first; p - first < size; p += kPageSize) {
        unmap_guest_page(p);
        auto b = by_linear_.find(p);
        if (b != by_linear_.end()) drop_blocks(std::vector<bt::Block*>(b->second));
    }
    ++n_.invlpg_pages;
}

}  // namespace prevt
