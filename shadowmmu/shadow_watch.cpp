// The shadow MMU's part in the guest's data breakpoints (ShadowMmu::watch): the pages they
// cover are kept from native accesses, so that the translated or native code pays nothing for
// them elsewhere and every access there faults to the virtual CPU, which checks DR0-DR3.
#include <utility>
#include <vector>

#include "shadowmmu/shadow.hpp"

namespace prevt::shadowmmu {

void ShadowMmu::watch(const std::map<uint32_t, bool>& pages) {
    if (pages == watched_) return;
    std::vector<uint32_t> touched;  // watched before or now: mapped again as they must be
    for (const auto& w : watched_) touched.push_back(w.first);
    for (const auto& w : pages) touched.push_back(w.first);
    watched_ = pages;
    for (uint32_t page : touched) {
        if (enabled())
            unmap_page(page);  // the next access faults: fault() decides (mapped, or not)
        else
            watch_identity(page);
    }
}

// Paging off: a RAM page of the identity as the watch wants it now: unmapped (reads too),
// read-only (stores), or back to the identity's own (writable unless it holds code).
void ShadowMmu::watch_identity(uint32_t page) {
    if (host_.frame_kind(page) != FrameKind::kRam) return;
    const auto it = watched_.find(page);
    if (it == watched_.end())
        host_.map(page, page, !holds_code(page));
    else if (it->second)
        host_.unmap(page);
    else
        host_.map(page, page, false);
}

}  // namespace prevt::shadowmmu
