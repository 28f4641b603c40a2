// The kernel/user split of a 32-bit address space, as a shadow MMU that truncates user
// segments needs it (VMware's technique; docs/shadow-mmu.md): the user ceiling is the start
// of the run of page-directory entries just below `top` that are all supervisor or not
// present, with at least one present - the kernel's region of a split like Linux's 3G/1G
// (0xC0000000). `top` itself means "no ceiling": a user page right below `top`, or no
// supervisor entry up there at all.
#pragma once

#include <cstdint>

namespace prevt::shadowmmu {

// Memory is any type with uint32_t read32(uint32_t phys) const. `top` is 4 MiB aligned.
template <class Memory>
uint64_t user_ceiling(const Memory& mem, uint32_t cr3, uint64_t top) {
    const uint32_t dir = cr3 & 0xfffff000u;
    unsigned i = static_cast<unsigned>(top >> 22);
    bool supervisor = false;
    while (i > 0) {
        const uint32_t pde = mem.read32(dir + 4 * (i - 1));
        if ((pde & 1) && (pde & 4)) break;  // present and user: the kernel's region ends
        supervisor |= pde & 1;
        --i;
    }
    return supervisor ? uint64_t(i) << 22 : top;
}

}  // namespace prevt::shadowmmu
