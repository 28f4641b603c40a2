// The kernel/user split of a 32-bit address space, as a shadow MMU that truncates user
// segments needs it (VMware's technique; docs/shadow-mmu.md): the user ceiling is the start
// of the run of page-directory entries just below `top` that give user mode nothing - not
// present, supervisor, or a page table without a present user page - with at least one
// present: the kernel's region of a split like Linux's 3G/1G (0xC0000000). `top` itself means
// "no ceiling": a user page right below `top`, or no kernel region up there at all.
//
// The rights a directory entry gives are the AND of its bits and the table entry's, so a
// directory entry's U bit alone says little: 32-bit Linux installs its kernel page tables
// (fixmap, kmap, vmalloc) with U set in the directory entry and clear in every table entry.
//
// The ceiling is only ever a speed choice, never a safety one: kernel-only mappings below it
// are taken back on the way to CPL 3, and a user access above it faults (#GP) and runs on the
// virtual CPU with user privilege. So a ceiling made stale by later table writes is slow at
// worst (a user page that appears above it is reached through the virtual CPU).
#pragma once

#include <cstdint>

namespace prevt::shadowmmu {

// Whether a page table holds a present user page. At most 1024 reads.
template <class Memory>
bool table_gives_user_pages(const Memory& mem, uint32_t table) {
    for (uint32_t i = 0; i < 1024; ++i)
        if ((mem.read32(table + 4 * i) & 5) == 5) return true;  // present and user
    return false;
}

// Memory is any type with uint32_t read32(uint32_t phys) const. `top` is 4 MiB aligned; `pse`
// is CR4.PSE (without it a directory entry's PS bit is ignored: it points at a table).
// `gives_user(table)` answers table_gives_user_pages (a caller may remember the answers: a
// stale one costs speed only, see above).
template <class Memory, class TableQuestion>
uint64_t user_ceiling(const Memory& mem, uint32_t cr3, uint64_t top, bool pse,
                      TableQuestion&& gives_user) {
    const uint32_t dir = cr3 & 0xfffff000u;
    unsigned i = static_cast<unsigned>(top >> 22);
    bool kernel = false;
    while (i > 0) {
        const uint32_t pde = mem.read32(dir + 4 * (i - 1));
        if (pde & 1) {
            const bool large = pse && (pde & 0x80);
            const bool user = (pde & 4) && (large || gives_user(pde & 0xfffff000u));
            if (user) break;  // the kernel's region ends
            kernel = true;
        }
        --i;
    }
    return kernel ? uint64_t(i) << 22 : top;
}

template <class Memory>
uint64_t user_ceiling(const Memory& mem, uint32_t cr3, uint64_t top, bool pse) {
    return user_ceiling(mem, cr3, top, pse,
                        [&](uint32_t table) { return table_gives_user_pages(mem, table); });
}

}  // namespace prevt::shadowmmu
