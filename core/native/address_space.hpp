// The low 4 GiB of the process (see layout.hpp). One process-wide reservation, made before
// anything else can be allocated there; guest mappings replace parts of it with MAP_FIXED.
#pragma once

#include <cstdint>

namespace prevt {
class GuestMemory;
}

namespace prevt::native {

class AddressSpace {
public:
    // Reserves [kGuestOffset, 4 GiB) once per process. Throws GuestError when impossible
    // (mmap_min_addr above kGuestOffset, or something already mapped there).
    static AddressSpace& instance();

    // Paging off: guest linear == guest physical. Maps all of guest RAM at host
    // kGuestOffset, read/write/execute, and drops every other guest mapping.
    void map_flat(const GuestMemory& ram);
    // Maps the page holding guest-linear `linear` to a read-only page of all-ones (an
    // unassigned physical page). False if `linear` is not a guest-linear address.
    bool map_unassigned(uint32_t linear);
    // Drops every guest mapping (back to the PROT_NONE reservation).
    void clear_guest();

    uint64_t mappings() const { return mappings_; }

private:
    AddressSpace();
    int ones_fd_ = -1;
    uint64_t mappings_ = 0;
};

}  // namespace prevt::native
