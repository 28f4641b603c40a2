// The low 4 GiB of the process (see layout.hpp). One process-wide reservation, made before
// anything else can be allocated there; guest mappings replace parts of it with MAP_FIXED.
#pragma once

#include <cstdint>

#include "core/memory_map.hpp"
#include "core/native/layout.hpp"

namespace prevt {
class GuestMemory;
}

namespace prevt::native {

class AddressSpace {
public:
    // Reserves [vm.mmap_min_addr, 4 GiB) once per process. Throws GuestError when impossible
    // (something already mapped there).
    static AddressSpace& instance();

    // Paging off: guest linear == guest physical. Maps guest RAM at host `offset` + physical,
    // read/write, and ROM read-only (from the ROM's memfd: a guest store faults and runs on
    // the virtual CPU, which drops it), and drops every other guest mapping; MMIO and
    // unassigned pages stay unmapped (map_flat_fault). Guest pages that would land below
    // vm.mmap_min_addr stay unmapped. `executable`: guest code runs from these pages natively
    // (trap); under bt only the translation cache is executable, so a guest that redirects a
    // jump into its own RAM gets a fault, not host code execution.
    void map_flat(const GuestMemory& mem, uint64_t offset, bool executable);
    // Paging off: a host page fault at guest-linear (= physical) `linear`, outside what
    // map_flat mapped. A read of unassigned memory maps the all-ones page there (first
    // dropping the unassigned pages mapped so far if over budget) and returns true: the
    // access runs again natively. False: the virtual CPU must run the instruction, its
    // accesses routed by the memory map (MMIO; a store into ROM or unassigned memory; a page
    // that should have been mapped). Invariant: never maps anything writable, nor MMIO.
    bool map_flat_fault(uint32_t linear, bool write, const GuestMemory& mem);
    // Maps the page holding guest-linear `linear` to a read-only page of all-ones (an
    // unassigned physical page). False if `linear` is not a guest-linear address.
    bool map_unassigned(uint32_t linear);
    // Drops every guest mapping (back to the PROT_NONE reservation).
    void clear_guest();
    // Paging on (the shadow, one 4 KiB page at a time): guest-linear page `linear` becomes
    // guest-physical page `phys` by its kind in the memory map: RAM read-only or read/write
    // (`writable`), ROM and unassigned memory (the all-ones page) read-only whatever
    // `writable` says, MMIO not at all (the page is left unmapped). False if nothing was
    // mapped. A caller about to map a page for an access checks serves() first.
    bool map_page(uint32_t linear, uint32_t phys, bool writable, const GuestMemory& mem);
    // Whether a host mapping of physical page `phys` (as map_page makes it) can serve the
    // access: RAM, or a read of ROM or unassigned memory. Otherwise the virtual CPU runs it.
    static bool serves(const GuestMemory& mem, uint32_t phys, bool write);
    // Drops the mappings of [linear, linear + len) (page aligned).
    void unmap(uint32_t linear, uint32_t len);
    // A mapped guest page becomes read-only or read/write (executable as map_flat said).
    // Throws HostError if mprotect fails: a code page left writable would hide
    // self-modifying code.
    void protect(uint32_t linear, bool writable);

    // Paging off: drops the pages of unassigned memory mapped so far (RAM and ROM stay).
    void clear_unassigned(const GuestMemory& mem);

    // Guest mappings made (an upper bound on the host mappings they cost), and how many the
    // host's vm.max_map_count leaves for them: an engine that reaches the budget drops guest
    // mappings (the shadow is a TLB: it refills) instead of failing in mmap.
    uint64_t mappings() const { return mappings_; }
    bool over_budget() const { return mappings_ >= budget_; }
    uint64_t budget() const { return budget_; }
    uint64_t offset() const { return offset_; }
    uint64_t lowest_mappable() const { return low_; }
    // The highest guest-linear address below the monitor's area.
    uint32_t linear_limit() const { return static_cast<uint32_t>(kMonitorBase - offset_ - 1); }
    // Guest linear address of a host address below 4 GiB, false if it is not one.
    bool guest_linear(uint64_t host, uint32_t* linear) const;

private:
    AddressSpace();
    uint64_t offset_ = 0, low_ = 0;
    int exec_ = 0;  // PROT_EXEC or 0, for every guest mapping (map_flat's `executable`)
    // Maps RAM or ROM region `r` flat (linear == physical), clipped to what the guest reaches.
    void map_region(const GuestMemory& mem, const MemoryMap::Region& r);
    int ones_fd_ = -1;
    uint64_t mappings_ = 0;
    uint64_t budget_ = 0;
};

}  // namespace prevt::native
