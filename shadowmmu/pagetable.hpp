// 32-bit (non-PAE) x86 paging as the guest defines it: typed page-directory and page-table
// entries, and one walker that translates a guest-linear address the way the CPU does
// (Intel SDM vol. 3, 4.3 and 4.6): U/S and R/W checked at both levels, CR0.WP for
// supervisor writes, CR4.PSE for 4 MiB pages, CR4.PGE for global pages, accessed and dirty
// bits set in the guest's tables, #PF error codes. It knows nothing of engines or of the
// host: the shadow (issue 4) builds host mappings from what it returns.
#pragma once

#include <cstdint>
#include <variant>

namespace prevt::shadowmmu {

// The page sizes of 32-bit paging: the one definition every layer uses.
inline constexpr uint32_t kPageSize = 4096;
inline constexpr uint32_t kLargePageSize = 4u << 20;  // a PSE page

// One 32-bit paging-structure entry (a PDE or a PTE).
struct Entry {
    uint32_t raw = 0;
    static constexpr uint32_t kPresent = 1u << 0, kWritable = 1u << 1, kUser = 1u << 2,
                              kWriteThrough = 1u << 3, kCacheDisable = 1u << 4, kAccessed = 1u << 5,
                              kDirty = 1u << 6, kLarge = 1u << 7, kGlobal = 1u << 8;
    bool present() const { return raw & kPresent; }
    bool writable() const { return raw & kWritable; }
    bool user() const { return raw & kUser; }
    bool accessed() const { return raw & kAccessed; }
    bool dirty() const { return raw & kDirty; }
    bool large() const { return raw & kLarge; }  // PDE only, with CR4.PSE
    bool global() const { return raw & kGlobal; }
    uint32_t frame() const { return raw & 0xfffff000u; }        // 4 KiB page or page table
    uint32_t large_frame() const { return raw & 0xffc00000u; }  // 4 MiB page
    // Without PSE-36 (prevt does not advertise it) bits 21:13 of a 4 MiB PDE are reserved.
    bool large_reserved_bits() const { return raw & 0x003fe000u; }
};

struct Access {
    bool write = false;
    bool user = false;  // CPL 3 (or an implicit supervisor access: false)
    // A look that writes nothing: an entry whose A bit (or, for a write, D bit) the access
    // would have to set counts as a fault (a monitor's prefetch must not set them).
    bool peek = false;
    // A debugger's look (core/debug/debugger.cpp): A and D bits neither required nor set.
    bool debug = false;
    // An instruction fetch: SMEP's business, not SMAP's (prevt offers no NX).
    bool fetch = false;
    // An explicit supervisor access with EFLAGS.AC set (CPL 0-2): SMAP lets it reach user
    // pages. Implicit supervisor accesses (descriptor tables, the TSS, from any CPL) pass false.
    bool ac = false;
};

struct PagingControl {
    uint32_t cr3 = 0;
    bool wp = false;    // CR0.WP
    bool pse = false;   // CR4.PSE
    bool pge = false;   // CR4.PGE
    bool smep = false;  // CR4.SMEP
    bool smap = false;  // CR4.SMAP
};

// #PF error code bits (SDM 4.7).
namespace pf {
inline constexpr uint32_t P = 1u << 0, W = 1u << 1, U = 1u << 2, RSVD = 1u << 3, ID = 1u << 4;
}

struct Translation {
    uint32_t physical;
    uint32_t page_size;  // 4096 or 4 MiB
    bool writable;       // as this access's privilege may write (WP and U/S applied)
    bool user;           // both levels allow user access
    bool user_writable;  // ... and user writes (R/W set at both levels)
    bool global;
    bool dirty;  // the leaf's D bit after this access
};

struct PageFault {
    uint32_t linear;
    uint32_t error_code;
};

// Memory is any type with uint32_t read32(uint32_t phys) and void write32(uint32_t, uint32_t).
template <class Memory>
std::variant<Translation, PageFault> walk(Memory& mem, const PagingControl& c, uint32_t linear,
                                          Access a) {
    // I/D: a fetch, reported as such while CR4.SMEP is set (without PAE's NX: SDM 4.7).
    const uint32_t fault_bits =
        (a.write ? pf::W : 0) | (a.user ? pf::U : 0) | (a.fetch && c.smep ? pf::ID : 0);
    const uint32_t pde_at = (c.cr3 & 0xfffff000u) + ((linear >> 22) << 2);
    Entry pde{mem.read32(pde_at)};
    if (!pde.present()) return PageFault{linear, fault_bits};
    const bool large = c.pse && pde.large();
    if (large && pde.large_reserved_bits()) return PageFault{linear, fault_bits | pf::P | pf::RSVD};
    uint32_t pte_at = 0;
    Entry leaf = pde;
    if (!large) {
        pte_at = pde.frame() + (((linear >> 12) & 0x3ff) << 2);
        leaf = Entry{mem.read32(pte_at)};
        if (!leaf.present()) return PageFault{linear, fault_bits};
    }
    const bool user_ok = pde.user() && leaf.user();
    const bool rw_ok = pde.writable() && leaf.writable();
    if (a.user && !user_ok) return PageFault{linear, fault_bits | pf::P};
    if (a.write && !rw_ok && (a.user || c.wp)) return PageFault{linear, fault_bits | pf::P};
    // SMEP (SDM 4.6.1): a supervisor fetch from a user page faults.
    if (c.smep && !a.user && user_ok && a.fetch && !a.debug)
        return PageFault{linear, fault_bits | pf::P};
    // SMAP (SDM 4.6.1): a supervisor data access to a user page faults unless AC allows it.
    if (c.smap && !a.user && user_ok && !a.fetch && !a.ac && !a.debug)
        return PageFault{linear, fault_bits | pf::P};
    if (a.peek && (!pde.accessed() || !leaf.accessed() || (a.write && !leaf.dirty())))
        return PageFault{linear, fault_bits | pf::P};
    // The CPU sets A in every entry it used, and D in the leaf on a write.
    if (!a.debug) {
        if (!pde.accessed()) mem.write32(pde_at, pde.raw |= Entry::kAccessed);
        if (!large) {
            uint32_t want = leaf.raw | Entry::kAccessed | (a.write ? Entry::kDirty : 0);
            if (want != leaf.raw) mem.write32(pte_at, leaf.raw = want);
        } else if (a.write && !pde.dirty()) {
            mem.write32(pde_at, pde.raw |= Entry::kDirty);
            leaf = pde;
        }
    }
    Translation t;
    t.page_size = large ? kLargePageSize : kPageSize;
    t.physical =
        large ? leaf.large_frame() | (linear & 0x3fffffu) : leaf.frame() | (linear & 0xfffu);
    t.user = user_ok;
    t.user_writable = user_ok && rw_ok;
    t.writable = a.user ? rw_ok : (rw_ok || !c.wp);
    t.global = c.pge && leaf.global();
    t.dirty = large ? pde.dirty() : leaf.dirty();
    return t;
}

}  // namespace prevt::shadowmmu
