// Guest linear memory as the virtual CPU's emulation code sees it. With paging off, linear is
// physical; the shadow MMU provides the paged implementation. Physical accesses go through the
// memory map (GuestMemory::load/store): RAM, ROM (stores dropped), MMIO (the bus), unassigned
// memory (reads all-ones, writes dropped).
#pragma once

#include <cstdint>

#include "core/guest_memory.hpp"

namespace prevt {

class LinearMemory {
public:
    virtual ~LinearMemory() = default;
    // `user`: the access is made at CPL 3 (for U/S checks). Throws GuestFault (#PF).
    virtual void read(uint32_t linear, void* out, unsigned len, bool user) = 0;
    virtual void write(uint32_t linear, const void* in, unsigned len, bool user) = 0;
    // An instruction fetch: as a read, but outside SMAP's rule (PagedMemory).
    virtual void fetch(uint32_t linear, void* out, unsigned len, bool user) {
        read(linear, out, len, user);
    }
};

class FlatPhysicalMemory final : public LinearMemory {
public:
    explicit FlatPhysicalMemory(GuestMemory& ram) : ram_(ram) {}
    void read(uint32_t linear, void* out, unsigned len, bool user) override;
    void write(uint32_t linear, const void* in, unsigned len, bool user) override;
    // The A20 gate: while it is off, bit 20 of each access's first address is cleared (an
    // access that crosses a megabyte boundary is not split there).
    void set_a20(bool enabled) { mask_ = enabled ? ~0u : ~(1u << 20); }

private:
    GuestMemory& ram_;
    uint32_t mask_ = ~0u;
};

}  // namespace prevt
