// The bt engine's shadow MMU, with the guest's paging on: a software TLB of host mappings
// (one mmap of the guest-RAM memfd per 4 KiB guest-linear page), filled on hidden faults from
// the guest's page tables (shadowmmu/pagetable.hpp) and dropped when the architecture says a
// TLB is: CR3 writes, invlpg, paging-mode changes; and on returns to CPL 3, because mappings
// made for the kernel may allow what user mode may not. A guest PTE change therefore takes
// effect at the next invlpg or CR3 write, as on hardware (not-present entries are never
// mapped, so making one present takes effect at once).
#include <x86intrin.h>

#include "core/emulate/paged_memory.hpp"
#include "core/engines/bt_engine.hpp"
#include "core/native/address_space.hpp"
#include "core/native/layout.hpp"

namespace prevt {

namespace {
constexpr uint32_t kPage = 4096;
}  // namespace

std::optional<shadowmmu::Translation> BtEngine::walk_guest(const VcpuState& s, uint32_t linear,
                                                           bool write, uint32_t* error) {
    const auto r = walk_guest_tables(ram_, s, linear, write, s.cpl() == 3);
    if (const auto* f = std::get_if<shadowmmu::PageFault>(&r)) {
        if (error) *error = f->error_code;
        return std::nullopt;
    }
    return std::get<shadowmmu::Translation>(r);
}

// A host fault on a guest-linear page with paging on: a hidden fault when the guest's tables
// allow the access (map the page, resume exactly where the fault was), a true #PF otherwise.
// A page is mapped writable only once its D bit is set, so the first write is seen.
Exit BtEngine::page_fault(const VcpuState& s, uint32_t linear, uint32_t host_error, bool* resume) {
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
    const uint32_t page = linear & ~(kPage - 1);
    const bool writable = t->writable && (t->dirty || write) && !by_page_.count(page);
    native::AddressSpace::instance().map_page(page, t->physical, writable, ram_);
    mapped_[page] = writable;
    ++n_.hidden_faults;
    *resume = true;  // re-run the faulting instruction from the cache, as it was
    return x;
}

// The shadow follows the guest's paging state: a new CR3, WP or PSE, paging turned on or
// off, or a return to CPL 3 (mappings made for the kernel may allow more) drops it.
void BtEngine::sync_address_space(const VcpuState& s) {
    const uint64_t key = s.paging() ? (uint64_t(1) << 63) | s.cr3 |
                                          (uint64_t(bool(s.cr0 & cr0::WP)) << 40) |
                                          (uint64_t(bool(s.cr4 & cr4::PSE)) << 41)
                                    : 0;
    const bool to_user = s.paging() && s.cpl() == 3 && shadow_cpl_ != 3;
    shadow_cpl_ = s.cpl();
    if (key == paging_key_ && !to_user) return;
    auto& space = native::AddressSpace::instance();
    if (key != paging_key_) {
        flush();  // translations are per address space (blocks are keyed by linear address)
        paging_ = s.paging();
        paging_key_ = key;
        if (!paging_) {
            space.map_flat(ram_, native::kPageZeroOffset);
            mapped_.clear();
            return;
        }
    }
    space.clear_guest();
    mapped_.clear();
    ++n_.shadow_flushes;
}

void BtEngine::tlb_invalidate(uint32_t linear) {
    if (!paging_) return;
    // A 4 MiB page may be behind it: drop the whole 4 MiB region, and every translation.
    const uint32_t region = linear & ~0x3fffffu;
    flush();
    native::AddressSpace::instance().unmap(region, 0x400000);
    for (uint32_t p = region; p - region < 0x400000; p += kPage) mapped_.erase(p);
    ++n_.shadow_flushes;
}

}  // namespace prevt
