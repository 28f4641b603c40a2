// The shadow MMU (shadow.hpp): hidden faults, mode and CR3 changes, invlpg, the code side's
// frames (what each privilege may keep mapped: shadow_privilege.cpp).
#include "shadowmmu/shadow.hpp"

#include <algorithm>
#include <unordered_set>
#include <variant>

#include "shadowmmu/split.hpp"

namespace prevt::shadowmmu {

namespace {
struct Directory {  // split.hpp's view of the tables (reads only)
    TableMemory& tables;
    uint32_t read32(uint32_t phys) const { return tables.read32(phys); }
};
}  // namespace

ShadowMmu::ShadowMmu(TableMemory& tables, ShadowHost& host, const CodeFrames* code, uint64_t top)
    : tables_(tables), host_(host), code_(code), top_(top), user_ceiling_(top) {}

uint64_t ShadowMmu::mode_of(const PagingState& p) {
    return p.enabled ? (uint64_t(1) << 63) | (uint64_t(p.control.wp) << 40) |
                           (uint64_t(p.control.pse) << 41)
                     : 0;
}

// The tables' answers are remembered for kCeilingMemoUses address-space switches (a kernel's
// tables are shared by every process: Linux's would be read whole at every switch).
uint64_t ShadowMmu::find_user_ceiling(const PagingState& p) {
    if (++ceiling_memo_uses_ > kCeilingMemoUses) {
        ceiling_memo_.clear();
        ceiling_memo_uses_ = 0;
    }
    const Directory dir{tables_};
    return shadowmmu::user_ceiling(dir, p.control.cr3, top_, p.control.pse, [&](uint32_t table) {
        auto [it, fresh] = ceiling_memo_.try_emplace(table, false);
        if (fresh) it->second = table_gives_user_pages(dir, table);
        return it->second;
    });
}

ShadowMmu::Change ShadowMmu::sync(const PagingState& p) {
    const Change change = sync_tables(p);
    follow_smap(p);
    return change;
}

ShadowMmu::Change ShadowMmu::sync_tables(const PagingState& p) {
    const uint64_t mode = mode_of(p);
    if (mode != mode_) {
        mode_ = mode;
        pge_ = p.control.pge;
        cr3_ = p.control.cr3;
        cr3_written_ = false;
        mapped_.clear();
        large_regions_.clear();
        local_.clear();
        rmap_.clear();
        kernel_only_.clear();
        kept_.clear();
        kept_below_ = lowest_kept_ = lowest_kernel_only_ = ~0ull;
        if (!p.enabled) {
            host_.map_identity();
            for (const auto& w : watched_) watch_identity(w.first);
            user_ceiling_ = top_;
            return Change::kMode;
        }
        clear();
        user_ceiling_ = find_user_ceiling(p);
        return Change::kMode;
    }
    const bool pge_changed = p.control.pge != pge_;
    if (!p.enabled || (!pge_changed && !cr3_written_ && p.control.cr3 == cr3_))
        return Change::kNone;
    // The old address space's working set, for the next switch back to it.
    std::vector<uint32_t>& old_set = working_sets_[cr3_];
    old_set.clear();
    for (uint32_t page : local_) {  // (a page mapped again is listed again: once here)
        if (old_set.size() == kWorkingSetPages) break;
        auto it = mapped_.find(page);
        if (it != mapped_.end() && !it->second.global &&
            std::find(old_set.begin(), old_set.end(), page) == old_set.end())
            old_set.push_back(page);
    }
    if (working_sets_.size() > kWorkingSets) working_sets_.clear();  // crude, bounded
    const bool keep_globals = !pge_changed && p.control.pge;
    pge_ = p.control.pge;
    if (keep_globals) {
        drop_non_global();
    } else {
        clear();
        ++n_.global_flushes;
    }
    cr3_written_ = false;
    cr3_ = p.control.cr3;
    user_ceiling_ = find_user_ceiling(p);
    ++n_.cr3_switches;
    return pge_changed ? Change::kAllMappings : Change::kAddressSpace;
}

void ShadowMmu::prefetch(const PagingState& p) {
    auto it = working_sets_.find(p.control.cr3);
    if (!enabled() || it == working_sets_.end()) return;
    for (uint32_t page : it->second) {
        Access a{false, p.user, true};
        a.ac = p.ac;
        const auto r = walk(tables_, p.control, page, a);
        const auto* t = std::get_if<Translation>(&r);
        if (!t) continue;
        const uint32_t frame = t->physical & ~(kPageSize - 1);
        const FrameKind kind = host_.frame_kind(frame);
        if (kind == FrameKind::kUnmappable || watched_.count(page)) continue;
        const bool writable =
            kind == FrameKind::kRam && t->writable && t->dirty && !holds_code(frame);
        const bool kernel_only = !p.user && (!t->user || (writable && !t->user_writable));
        map_page(page, *t, writable, kernel_only);
        ++n_.prefetched;
    }
}

ShadowMmu::Fault ShadowMmu::fault(const PagingState& p, uint32_t linear, bool write,
                                  bool code_store) {
    Access a{write, p.user, false};
    a.ac = p.ac;
    const auto r = walk(tables_, p.control, linear, a);
    if (const auto* f = std::get_if<PageFault>(&r)) {
        ++n_.true_faults;
        return {Fault::kGuestPageFault, f->error_code};
    }
    const Translation& t = std::get<Translation>(r);
    const uint32_t page = linear & ~(kPageSize - 1);
    const uint32_t frame = t.physical & ~(kPageSize - 1);
    const FrameKind kind = host_.frame_kind(frame);
    // A store the host cannot let through (or any access to an unmappable frame, or one a
    // data breakpoint watches): the virtual CPU does it (without this, the read-only mapping
    // would fault again forever).
    if (kind == FrameKind::kUnmappable || (kind == FrameKind::kReadOnly && write))
        return {Fault::kVirtualCpu, 0};
    if (watched(page, write)) {
        ++n_.watched_faults;
        return {Fault::kVirtualCpu, 0};
    }
    const bool writable = kind == FrameKind::kRam && t.writable && (t.dirty || write) &&
                          (code_store || !holds_code(frame)) && !watched_.count(page);
    const bool kernel_only = !p.user && (!t.user || (writable && !t.user_writable));
    map_page(page, t, writable, kernel_only);
    ++n_.hidden_faults;
    return {Fault::kMapped, 0};
}

void ShadowMmu::map_page(uint32_t page, const Translation& t, bool writable, bool kernel_only) {
    const uint32_t frame = t.physical & ~(kPageSize - 1);
    if (mapped_.count(page)) unmap_page(page);
    if (host_.over_budget()) {  // vm.max_map_count: the TLB starts again
        clear();
        ++n_.budget_flushes;
    }
    host_.map(page, frame, writable);
    mapped_[page] = Mapping{frame, writable, t.page_size == kLargePageSize, t.global, t.user};
    if (t.user && smap_listed_) {
        user_mapped_.push_back(page);
        if (user_mapped_.size() > 2 * mapped_.size() + 64) {  // mapped again and again: compact
            std::sort(user_mapped_.begin(), user_mapped_.end());
            user_mapped_.erase(std::unique(user_mapped_.begin(), user_mapped_.end()),
                               user_mapped_.end());
            std::erase_if(user_mapped_, [this](uint32_t p) { return !mapped_.count(p); });
        }
    }
    if (t.page_size == kLargePageSize) ++large_regions_[page & ~(kLargePageSize - 1)];
    if (t.global) {
        ++n_.global_mapped;
    } else {
        local_.push_back(page);
        if (local_.size() > 2 * mapped_.size() + 64) {  // remapped pages listed again: compact
            std::erase_if(local_, [this](uint32_t p) {
                auto it = mapped_.find(p);
                return it == mapped_.end() || it->second.global;
            });
            std::vector<uint32_t> seen;  // (keep the order: the working set is the first)
            std::unordered_set<uint32_t> once;
            for (uint32_t p : local_)
                if (once.insert(p).second) seen.push_back(p);
            local_ = std::move(seen);
        }
    }
    rmap_[frame].push_back(page);
    if (kernel_only) {
        kernel_only_.emplace_back(page, t.user);
        lowest_kernel_only_ = std::min<uint64_t>(lowest_kernel_only_, page);
    }
}

void ShadowMmu::unmap_page(uint32_t page) {
    auto it = mapped_.find(page);
    if (it == mapped_.end()) return;
    forget_mapping(it);
    host_.unmap(page);
}

// The bookkeeping of a mapping that goes (the host's side is the caller's).
void ShadowMmu::forget_mapping(std::unordered_map<uint32_t, Mapping>::iterator it) {
    const uint32_t page = it->first;
    auto r = rmap_.find(it->second.frame);
    if (r != rmap_.end()) {
        std::erase(r->second, page);
        if (r->second.empty()) rmap_.erase(r);
    }
    if (it->second.large) {
        auto l = large_regions_.find(page & ~(kLargePageSize - 1));
        if (l != large_regions_.end() && --l->second == 0) large_regions_.erase(l);
    }
    mapped_.erase(it);
}

// A CR3 write with CR4.PGE: every mapping but the global ones goes, in runs of pages (one
// host call each); the kernel-only list keeps the global ones, to be looked at again.
void ShadowMmu::drop_non_global() {
    std::vector<uint32_t> gone;
    for (uint32_t page : local_) {
        auto it = mapped_.find(page);
        if (it != mapped_.end() && !it->second.global) gone.push_back(page);
    }
    local_.clear();
    std::sort(gone.begin(), gone.end());  // (a page mapped again is listed again: once here)
    gone.erase(std::unique(gone.begin(), gone.end()), gone.end());
    if (gone.size() == mapped_.size()) return clear();  // nothing global: one host call
    for (size_t i = 0; i < gone.size();) {
        size_t j = i + 1;
        while (j < gone.size() && gone[j] == gone[j - 1] + kPageSize) ++j;
        host_.unmap_range(gone[i], uint64_t(j - i) * kPageSize);
        i = j;
    }
    for (uint32_t page : gone) forget_mapping(mapped_.find(page));
    kernel_only_.insert(kernel_only_.end(), kept_.begin(), kept_.end());
    std::erase_if(kernel_only_, [this](const auto& k) { return !mapped_.count(k.first); });
    kept_.clear();
    kept_below_ = lowest_kept_ = lowest_kernel_only_ = ~0ull;
    for (const auto& k : kernel_only_)
        lowest_kernel_only_ = std::min<uint64_t>(lowest_kernel_only_, k.first);
    ++n_.flushes;
}

void ShadowMmu::clear() {
    host_.unmap_all();
    mapped_.clear();
    large_regions_.clear();
    local_.clear();
    rmap_.clear();
    kernel_only_.clear();
    kept_.clear();
    kept_below_ = lowest_kept_ = lowest_kernel_only_ = ~0ull;
    ++n_.flushes;
}

std::pair<uint32_t, uint32_t> ShadowMmu::invalidate(uint32_t linear) {
    if (!enabled()) return {0, 0};
    uint32_t first = linear & ~(kPageSize - 1), size = kPageSize;
    // The page itself, and whatever a large page mapped in its 4 MiB region (named page
    // mapped or not: the TLB's entry for a large page is the whole page, SDM 4.10.4.1).
    unmap_page(first);
    const uint32_t region = linear & ~(kLargePageSize - 1);
    if (large_regions_.count(region)) {
        for (uint32_t p = region; p - region < kLargePageSize; p += kPageSize) {
            auto it = mapped_.find(p);
            if (it != mapped_.end() && it->second.large) unmap_page(p);
        }
        first = region;
        size = kLargePageSize;
    }
    ++n_.invlpg_pages;
    return {first, size};
}

void ShadowMmu::protect_frame(uint32_t frame) {
    if (!enabled()) {  // the identity: its one page (beyond RAM the host maps it read-only)
        if (host_.frame_kind(frame) == FrameKind::kRam && !watched_.count(frame))
            host_.protect(frame, false);
        return;
    }
    auto it = rmap_.find(frame);
    if (it == rmap_.end()) return;
    for (uint32_t page : it->second) {
        Mapping& m = mapped_.at(page);
        if (!m.writable) continue;
        host_.protect(page, false);
        m.writable = false;
    }
}

void ShadowMmu::release_frame(uint32_t frame) {
    if (!enabled()) {  // (a watched page stays as watch() made it)
        if (host_.frame_kind(frame) == FrameKind::kRam && !watched_.count(frame))
            host_.protect(frame, true);
        return;
    }
    auto it = rmap_.find(frame);
    if (it == rmap_.end()) return;
    const std::vector<uint32_t> pages = it->second;  // (unmap_page edits the list)
    for (uint32_t page : pages) unmap_page(page);
}

std::optional<uint32_t> ShadowMmu::frame_of(uint32_t page) const {
    if (!enabled()) return page & ~(kPageSize - 1);
    auto it = mapped_.find(page & ~(kPageSize - 1));
    if (it == mapped_.end()) return std::nullopt;
    return it->second.frame;
}

std::optional<uint32_t> ShadowMmu::peek(const PagingState& p, uint32_t linear) {
    // The code side's question: the frame its translations came from, whatever the rights
    // (the fetch that made them was checked; SMEP and SMAP do not change frames).
    PagingControl frames = p.control;
    frames.smep = frames.smap = false;
    const auto r = walk(tables_, frames, linear, Access{false, false, true});
    const auto* t = std::get_if<Translation>(&r);
    if (!t) return std::nullopt;
    return t->physical & ~(kPageSize - 1);
}

std::vector<ShadowMmu::Mapped> ShadowMmu::mappings() const {
    std::vector<Mapped> all;
    all.reserve(mapped_.size());
    for (const auto& [page, m] : mapped_) all.push_back({page, m.frame, m.writable, m.large});
    std::sort(all.begin(), all.end(),
              [](const Mapped& a, const Mapped& b) { return a.page < b.page; });
    return all;
}

std::vector<std::pair<std::string, uint64_t>> ShadowMmu::counters() const {
    return {{"shadow: hidden page faults (mapped)", n_.hidden_faults},
            {"shadow: true page faults (to the guest)", n_.true_faults},
            {"shadow: flushes (CR3, paging mode)", n_.flushes},
            {"shadow: of them of global mappings too (CR4.PGE changed)", n_.global_flushes},
            {"shadow: global mappings made (kept across CR3 writes)", n_.global_mapped},
            {"shadow: invlpg", n_.invlpg_pages},
            {"shadow: CR3 writes", n_.cr3_switches},
            {"shadow: pages prefetched on CR3 writes", n_.prefetched},
            {"shadow: kernel-only mappings taken back at CPL 3", n_.kernel_only_dropped},
            {"shadow: kernel-only mappings kept above the user ceiling", n_.kernel_only_kept},
            {"shadow: flushes at the host mapping budget (vm.max_map_count)", n_.budget_flushes},
            {"shadow: SMAP: entries into CPL 0 with user pages blocked", n_.smap_entries},
            {"shadow: SMAP: user-page mappings taken back", n_.smap_dropped},
            {"shadow: accesses to data-breakpoint pages (to the virtual CPU)", n_.watched_faults}};
}

}  // namespace prevt::shadowmmu
