// The shadow MMU: a software TLB of host mappings that follows the guest's 32-bit paging
// (VMware's "shadow page tables", kept as mappings of the host process rather than tables).
// Filled on hidden faults from the guest's page tables (pagetable.hpp) and dropped when the
// architecture says a TLB entry goes: a paging-mode change or a CR4.PGE change (everything),
// a CR3 write (everything but global pages, with CR4.PGE), invlpg (that page, or its 4 MiB
// region). A guest PTE change therefore takes effect at the
// next invlpg or CR3 write, as on hardware; not-present entries are never mapped, so making
// one present takes effect at once.
//
// Invariants it keeps:
// - A page is mapped writable only once its D bit is set (the first write is seen and sets
//   it), and never while its frame holds translated code (the code side's question).
// - Mappings made at CPL 0 that give more than CPL 3 may have are listed ("kernel-only") and
//   taken back on the way to CPL 3 (below the user ceiling: split.hpp); every other mapping
//   stays across the switch.
// - With CR4.SMAP and EFLAGS.AC clear at CPL 0-2 no user page is mapped: the walker refuses
//   to map one then, and those mapped before (at CPL 3, with AC set, SMAP off) go when that
//   state begins (sync()).
// - A CR3 write keeps each address space's working set and maps it again on the next switch
//   back, where the tables still allow it without setting an A or D bit (a peek walk).
//
// It knows nothing of engines or of the host: mappings go through `ShadowHost` (an engine
// gives it mmap/mprotect of guest memory; the unit tests a fake), guest page tables through
// `TableMemory`, and "does this frame hold code?" through `CodeFrames`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "shadowmmu/pagetable.hpp"

namespace prevt::shadowmmu {

// The guest's paging state the shadow follows (from CR0.PG/WP, CR3, CR4.PSE/PGE, the CPL).
struct PagingState {
    bool enabled = false;
    PagingControl control;
    bool user = false;  // CPL 3
    bool ac = false;    // EFLAGS.AC at CPL 0-2: with CR4.SMAP, user pages are reachable
    // With CR4.SMAP and AC clear at CPL 0-2, no mapping of a user page may stay (SMAP's rule).
    bool user_pages_blocked() const { return enabled && !user && control.smap && !ac; }
};

// Guest-physical memory as the walker reads and writes it (A/D bits are stores).
class TableMemory {
public:
    virtual ~TableMemory() = default;
    virtual uint32_t read32(uint32_t phys) = 0;
    virtual void write32(uint32_t phys, uint32_t value) = 0;
};

// What a guest frame can be mapped as on the host.
enum class FrameKind : uint8_t {
    kRam,         // as the guest's tables allow
    kReadOnly,    // read-only whatever the tables say (ROM, unassigned all-ones): a store is
                  // the virtual CPU's to do (dropped)
    kUnmappable,  // never mapped (MMIO): every access goes through the virtual CPU
};

// The host side: mappings of guest-linear pages onto guest frames.
class ShadowHost {
public:
    virtual ~ShadowHost() = default;
    virtual FrameKind frame_kind(uint32_t frame) const = 0;
    // Paging off: guest linear == guest physical, all of guest memory mapped (RAM read/write).
    virtual void map_identity() = 0;
    virtual void map(uint32_t page, uint32_t frame, bool writable) = 0;
    virtual void unmap(uint32_t page) = 0;
    // [first, first + bytes): pages mapped or not (one host call where the host can).
    virtual void unmap_range(uint32_t first, uint64_t bytes) {
        for (uint64_t p = first; p < first + bytes; p += kPageSize) unmap(uint32_t(p));
    }
    // A page mapped by map() or map_identity(); with the identity, only RAM pages.
    virtual void protect(uint32_t page, bool writable) = 0;
    virtual void unmap_all() = 0;
    // The host's mapping budget (vm.max_map_count) is reached: the shadow drops everything.
    virtual bool over_budget() const = 0;
};

// The code side (bt's translations): a frame whose code was translated stays read-only.
class CodeFrames {
public:
    virtual ~CodeFrames() = default;
    virtual bool holds_code(uint32_t frame) const = 0;
};

class ShadowMmu {
public:
    // `top`: the highest guest-linear address the host can map, plus one (4 MiB aligned; also
    // "no user ceiling"). `code` may be null (no translations: trap).
    ShadowMmu(TableMemory& tables, ShadowHost& host, const CodeFrames* code, uint64_t top);

    // ---- Following the guest's paging state, at every entry into guest code.
    // Paging turned on or off, or WP/PSE changed: everything the code side derived under the
    // old mode must go first (then sync()).
    bool mode_changes(const PagingState& p) const { return mode_of(p) != mode_; }
    enum class Change { kNone, kMode, kAddressSpace, kAllMappings };
    // kMode: the identity (paging off) or an empty shadow. kAddressSpace (a CR3 write, even of
    // the same value): a shadow for the new CR3 that keeps only global mappings (CR4.PGE);
    // kAllMappings (CR4.PGE changed: how a kernel flushes its global TLB entries) keeps none.
    // The caller drops what no longer translates (peek(): global pages need none after a
    // kAddressSpace, as a TLB keeps them), then calls prefetch(). SMAP's rule is followed
    // here too: entering a state where user pages are blocked takes their mappings back.
    Change sync(const PagingState& p);
    void note_cr3_write() { cr3_written_ = true; }
    // Maps the pages this CR3 had mapped when the guest last switched away from it.
    void prefetch(const PagingState& p);

    // ---- A host fault on guest-linear `linear` with paging on.
    struct Fault {
        enum Kind { kMapped, kGuestPageFault, kVirtualCpu } kind;
        uint32_t error_code = 0;  // kGuestPageFault: the #PF error code (CR2 = linear)
    };
    // kMapped: a hidden fault, the access can run again. kVirtualCpu: the tables allow it
    // but the host cannot (a store to a read-only frame, an unmappable frame).
    // `code_store`: a store into a frame with code, about to run once (mapped writable).
    Fault fault(const PagingState& p, uint32_t linear, bool write, bool code_store = false);

    // ---- TLB maintenance and the code side's frames.
    // invlpg: the range dropped, [first, first + size) (a 4 MiB page's whole region).
    std::pair<uint32_t, uint32_t> invalidate(uint32_t linear);
    void protect_frame(uint32_t frame);  // every alias read-only
    void release_frame(uint32_t frame);  // every alias dropped (identity: writable again)
    // On the way to CPL 3: kernel-only mappings below `below` go (or become read-only where
    // user mode may read); those above stay, listed apart, and are not looked at again
    // while `below` stays the same (each CPL 3 entry costs the mappings made since the last).
    void take_back_kernel_mappings(uint64_t below);

    // ---- Questions.
    bool enabled() const { return mode_ != 0; }
    uint64_t user_ceiling() const { return user_ceiling_; }  // top(): none
    uint64_t top() const { return top_; }
    uint64_t lowest_kernel_only() const { return lowest_kernel_only_; }
    bool has_kernel_only() const { return !kernel_only_.empty() || !kept_.empty(); }
    // The frame the host maps at `page` (identity: the page itself), if any.
    std::optional<uint32_t> frame_of(uint32_t page) const;
    // The frame `linear`'s page translates to now, without setting A/D bits (nullopt: it
    // would fault or set one).
    std::optional<uint32_t> peek(const PagingState& p, uint32_t linear);

    // The guest's data breakpoints (DR0-DR3 of kind 01 or 11): linear pages where no native
    // access (`pages[page]` true: kind 11) or no native store (false: kind 01, the page read-only)
    // may go through. Such an access is the virtual CPU's (Fault::kVirtualCpu), which checks
    // the breakpoints (core/emulate/cpu.cpp); every other page runs natively as before. An
    // empty set costs nothing. With paging off the identity's RAM pages are unmapped or
    // protected in place (a ROM or unassigned page is not: its reads stay native).
    void watch(const std::map<uint32_t, bool>& pages);
    // Whether a native access (a store if `write`) at `page` is the virtual CPU's to make.
    bool watched(uint32_t page, bool write) const {
        const auto it = watched_.find(page);
        return it != watched_.end() && (it->second || write);
    }
    bool watching() const { return !watched_.empty(); }

    struct Counts {
        uint64_t hidden_faults = 0, true_faults = 0, flushes = 0, invlpg_pages = 0,
                 cr3_switches = 0, prefetched = 0, kernel_only_dropped = 0, kernel_only_kept = 0,
                 budget_flushes = 0, global_flushes = 0, global_mapped = 0, smap_entries = 0,
                 smap_dropped = 0, watched_faults = 0;
    };
    const Counts& counts() const { return n_; }
    // The host mappings now (paging on), by guest-linear page, ascending.
    struct Mapped {
        uint32_t page, frame;
        bool writable, large;
    };
    std::vector<Mapped> mappings() const;
    // The counts with their names, for --stats (the one list every engine prints).
    std::vector<std::pair<std::string, uint64_t>> counters() const;

private:
    static uint64_t mode_of(const PagingState& p);
    Change sync_tables(const PagingState& p);
    void follow_smap(const PagingState& p);
    void map_page(uint32_t page, const Translation& t, bool writable, bool kernel_only);
    void unmap_page(uint32_t page);
    void clear();
    bool holds_code(uint32_t frame) const { return code_ && code_->holds_code(frame); }
    uint64_t find_user_ceiling(const PagingState& p);

    TableMemory& tables_;
    ShadowHost& host_;
    const CodeFrames* code_;
    const uint64_t top_;
    uint64_t mode_ = 0;  // paging on, WP, PSE of the current shadow (0: paging off)
    uint32_t cr3_ = 0;   // the CR3 the mappings were made for
    bool cr3_written_ = false;
    uint64_t user_ceiling_;
    struct Mapping {
        uint32_t frame;
        bool writable;
        bool large;   // from a 4 MiB page: invlpg drops the whole region
        bool global;  // survives a CR3 write (G bit with CR4.PGE)
        bool user;    // a user page (U at both levels): SMAP may take it back
    };
    bool pge_ = false;  // CR4.PGE of the current shadow
    // The pages mapped not global since the last CR3 write, in mapping order (a CR3 write
    // drops them and keeps the first as the working set; an entry may be stale: a page
    // unmapped since, or mapped again, is checked against mapped_).
    std::vector<uint32_t> local_;
    // find_user_ceiling's answers by page-table frame (does it give user pages?).
    static constexpr unsigned kCeilingMemoUses = 64;
    std::unordered_map<uint32_t, bool> ceiling_memo_;
    unsigned ceiling_memo_uses_ = 0;
    void drop_non_global();
    std::unordered_map<uint32_t, Mapping> mapped_;  // by guest-linear page
    // How many pages each 4 MiB region has mapped from a large page: an invlpg anywhere in
    // such a region drops them all (the TLB's entry is the whole large page), even when the
    // page it names is not mapped itself.
    std::unordered_map<uint32_t, uint32_t> large_regions_;
    void forget_mapping(std::unordered_map<uint32_t, Mapping>::iterator it);
    std::unordered_map<uint32_t, std::vector<uint32_t>> rmap_;  // frame -> linear pages
    // Kernel-only mappings, (page, user may read): made since the last take-back, and kept
    // by it (at or above kept_below_). Stale entries (a page unmapped since) are skipped.
    std::vector<std::pair<uint32_t, bool>> kernel_only_, kept_;
    // SMAP: whether user pages are blocked now (PagingState::user_pages_blocked), and while
    // CR4.SMAP is on (smap_listed_), the user pages mapped since they last were.
    bool user_pages_blocked_ = false, smap_listed_ = false;
    std::vector<uint32_t> user_mapped_;
    uint64_t kept_below_ = ~0ull, lowest_kept_ = ~0ull;
    uint64_t lowest_kernel_only_ = ~0ull;  // of both lists
    // Per CR3 (a few): the linear pages mapped when the guest last switched away from it.
    // 32 pages: each is an mmap at every switch back. A kernel with page-table isolation (Linux
    // on a CPU it thinks has Meltdown) switches CR3 twice per system call: 256 pages made
    // its test boot take 21 s, 32 pages 15 s, 0 pages the same 15 s; a 32-page address
    // space (the cr3_switch nanobenchmark) still comes back whole.
    static constexpr size_t kWorkingSetPages = 32, kWorkingSets = 16;
    std::unordered_map<uint32_t, std::vector<uint32_t>> working_sets_;
    std::map<uint32_t, bool> watched_;  // watch(): page -> reads too
    void watch_identity(uint32_t page);
    Counts n_;
};

}  // namespace prevt::shadowmmu
