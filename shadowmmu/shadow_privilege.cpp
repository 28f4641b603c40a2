// The shadow MMU (shadow.hpp): what each privilege may keep mapped. On the way to CPL 3 the
// kernel-only mappings go (below the user ceiling: split.hpp); with CR4.SMAP and EFLAGS.AC
// clear at CPL 0-2 the user pages go (SMAP's rule, followed at each sync()).
#include <algorithm>

#include "shadowmmu/shadow.hpp"

namespace prevt::shadowmmu {

// SMAP (SDM 4.6.1): at CPL 0-2 with CR4.SMAP and AC clear a data access to a user page
// faults, so none may stay mapped; the walker (Access::ac) then maps none. Entering that state
// takes back those mapped since the last time (while SMAP is on, the list; else all of them).
// A kernel with SMAP enters it at every system call and after every clac.
void ShadowMmu::follow_smap(const PagingState& p) {
    const bool blocked = p.user_pages_blocked();
    if (blocked && !user_pages_blocked_) {
        std::vector<uint32_t> user_pages;
        if (smap_listed_) {
            user_pages = std::move(user_mapped_);
        } else {
            for (const auto& [page, m] : mapped_)
                if (m.user) user_pages.push_back(page);
        }
        for (uint32_t page : user_pages) {
            auto it = mapped_.find(page);
            if (it == mapped_.end() || !it->second.user) continue;  // (stale, or listed twice)
            unmap_page(page);
            ++n_.smap_dropped;
        }
        ++n_.smap_entries;
    }
    const bool listed = p.enabled && p.control.smap;
    if (!listed || blocked) {
        user_mapped_.clear();
    } else if (!smap_listed_) {  // SMAP just turned on (with AC set): list what is mapped now
        user_mapped_.clear();
        for (const auto& [page, m] : mapped_)
            if (m.user) user_mapped_.push_back(page);
    }
    user_pages_blocked_ = blocked;
    smap_listed_ = listed;
}

void ShadowMmu::take_back_kernel_mappings(uint64_t below) {
    if (below != kept_below_) {  // another ceiling: everything kept is looked at again
        kernel_only_.insert(kernel_only_.end(), kept_.begin(), kept_.end());
        kept_.clear();
        kept_below_ = below;
        lowest_kept_ = ~0ull;
    }
    for (const auto& [page, user_may_read] : kernel_only_) {
        auto it = mapped_.find(page);
        if (it == mapped_.end()) continue;
        if (page >= below) {
            kept_.emplace_back(page, user_may_read);
            lowest_kept_ = std::min<uint64_t>(lowest_kept_, page);
            ++n_.kernel_only_kept;
            continue;
        }
        if (!user_may_read) {
            unmap_page(page);
        } else if (it->second.writable) {
            host_.protect(page, false);
            it->second.writable = false;
        }
        ++n_.kernel_only_dropped;
    }
    kernel_only_.clear();
    // A page mapped again and again (invlpg, re-fault) is listed again each time: keep the
    // kept list no longer than what is mapped.
    if (kept_.size() > 2 * mapped_.size() + 64) {
        std::sort(kept_.begin(), kept_.end());
        kept_.erase(std::unique(kept_.begin(), kept_.end()), kept_.end());
        std::erase_if(kept_, [this](const auto& k) { return !mapped_.count(k.first); });
    }
    lowest_kernel_only_ = lowest_kept_;
}

}  // namespace prevt::shadowmmu
