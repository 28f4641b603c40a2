// Guest linear memory with the guest's paging on, for the virtual CPU's emulation code: every
// access is translated by the shadow MMU's walker (shadowmmu/pagetable.hpp) page by page,
// setting accessed/dirty bits in the guest's tables as the CPU does, and raising #PF with the
// SDM's error code and CR2 when the guest's tables say so. The engines' own host mappings
// (the shadow proper) come with the paging issue; this is what callouts and interrupt
// delivery will use then.
#pragma once

#include "core/emulate/linear_memory.hpp"
#include "core/vcpu_state.hpp"
#include "shadowmmu/pagetable.hpp"
#include "shadowmmu/shadow.hpp"

namespace prevt {

// Guest page tables in guest memory, for the walker and the shadow MMU. A/D-bit stores go
// through GuestMemory::write, so the write observer (bt's self-modifying-code check) hears
// of them as of any other store.
class GuestTables final : public shadowmmu::TableMemory {
public:
    explicit GuestTables(GuestMemory& ram) : ram_(ram) {}
    uint32_t read32(uint32_t phys) override { return ram_.read(phys, 4); }
    void write32(uint32_t phys, uint32_t value) override { ram_.write(phys, 4, value); }

private:
    GuestMemory& ram_;
};

// The virtual CPU's paging state as the walker and the shadow MMU see it (CR0.PG/WP, CR3,
// CR4.PSE/PGE/SMAP, CPL 3, EFLAGS.AC).
inline shadowmmu::PagingState paging_state(const VcpuState& s) {
    shadowmmu::PagingState p;
    p.enabled = s.paging();
    p.control.cr3 = s.cr3;
    p.control.wp = s.cr0 & cr0::WP;
    p.control.pse = s.cr4 & cr4::PSE;
    p.control.pge = s.cr4 & cr4::PGE;
    p.control.smep = s.cr4 & cr4::SMEP;
    p.control.smap = s.cr4 & cr4::SMAP;
    p.user = s.cpl() == 3;
    p.ac = !p.user && (s.eflags & eflags::AC);
    return p;
}

// The guest's page tables walked as the virtual CPU in state `s` would (CR3, CR0.WP,
// CR4.PSE/PGE/SMAP), setting A/D bits in guest RAM (unless `peek`: see shadowmmu::Access).
// The one walk the emulator and the engines' shadow share. A supervisor access (`user`
// false) at CPL 0-2 counts as explicit for SMAP (EFLAGS.AC applies); from CPL 3 it is
// implicit (descriptor tables, the TSS). An implicit access at CPL 0 (an interrupt's frame
// pushed, the IDT read) is taken as explicit too: kernels keep those in supervisor pages.
std::variant<shadowmmu::Translation, shadowmmu::PageFault> walk_guest_tables(
    GuestMemory& ram, const VcpuState& s, uint32_t linear, bool write, bool user, bool peek = false,
    bool fetch = false);

class PagedMemory final : public LinearMemory {
public:
    // Reads CR3, CR0.WP, CR4.PSE/PGE from `state` at each access (they may change).
    PagedMemory(GuestMemory& ram, const VcpuState& state) : ram_(ram), s_(state) {}
    void read(uint32_t linear, void* out, unsigned len, bool user) override;
    void write(uint32_t linear, const void* in, unsigned len, bool user) override;
    void fetch(uint32_t linear, void* out, unsigned len, bool user) override;

    // The guest-physical address of `linear`, or throws GuestFault(#PF).
    uint32_t translate(uint32_t linear, bool write, bool user, bool fetch = false);

private:
    GuestMemory& ram_;
    const VcpuState& s_;
};

}  // namespace prevt
