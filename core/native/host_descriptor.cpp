#include "core/native/host_descriptor.hpp"

#include <algorithm>

#include "core/native/layout.hpp"

namespace prevt::native {

namespace {

constexpr uint64_t kMod = 1ull << 32;

// The largest page-granular (or byte-granular) limit not above `limit` (expand-up: shrinks).
void encode_limit_down(user_desc& d, uint64_t limit) {
    if (limit <= 0xfffff) {
        d.limit = static_cast<unsigned>(limit);
        d.limit_in_pages = 0;
        return;
    }
    d.limit_in_pages = 1;
    d.limit = static_cast<unsigned>(((limit + 1) >> 12) - 1);  // (raw << 12 | 0xfff) <= limit
}

// The smallest encodable limit not below `limit` (expand-down: a larger limit is a smaller
// segment).
void encode_limit_up(user_desc& d, uint64_t limit) {
    if (limit <= 0xfffff) {
        d.limit = static_cast<unsigned>(limit);
        d.limit_in_pages = 0;
        return;
    }
    d.limit_in_pages = 1;
    d.limit = static_cast<unsigned>(limit >> 12);  // (raw << 12 | 0xfff) >= limit
}

// The empty form serves code segments too: a data register may hold readable code, and an
// empty code segment is never loaded into CS (ShadowLdt::reachable: the engines do not enter).
void make_empty(HostDescriptor& h) {
    user_desc& d = h.desc;
    h.empty = true;
    d.base_addr = 0;
    d.contents = MODIFY_LDT_CONTENTS_STACK;  // expand-down, writable (SS may hold it)
    d.read_exec_only = 0;
    d.seg_32bit = 1;
    d.limit_in_pages = 1;
    d.limit = 0xfffff;  // valid offsets (0xffffffff, 0xffffffff]: none
}

}  // namespace

HostDescriptor make_host_descriptor(unsigned slot, const Segment& s, uint64_t offset,
                                    uint64_t ceiling) {
    HostDescriptor h;
    user_desc& d = h.desc;
    d.entry_number = slot;
    const bool code = s.type & 8;
    const bool expand_down = !code && (s.type & 4);
    d.seg_32bit = s.db;
    d.useable = s.avl;
    d.seg_not_present = 0;
    d.read_exec_only = !(s.type & 2);
    // Linux refuses present conforming code in the LDT; conforming only matters to privilege
    // checks of control transfers, which the virtual CPU makes: the shadow is non-conforming.
    if (code)
        d.contents = MODIFY_LDT_CONTENTS_CODE;
    else
        d.contents = expand_down ? MODIFY_LDT_CONTENTS_STACK : MODIFY_LDT_CONTENTS_DATA;
    // The window of guest-linear addresses the host may reach: [0, window).
    const uint64_t window = std::min<uint64_t>(ceiling, kMonitorBase - offset);
    const uint64_t base = s.base;
    const uint64_t limit = s.limit;
    if (!expand_down) {
        if (base >= window) {
            make_empty(h);
            return h;
        }
        encode_limit_down(d, std::min<uint64_t>(limit, window - 1 - base));
    } else {
        const uint64_t top = s.db ? 0xffffffffull : 0xffffull;
        const uint64_t e = (base + top) % kMod;  // the guest-linear address of the top offset
        if (limit >= top || e >= window) {
            make_empty(h);
            return h;
        }
        // Offsets below `lowest` map to [base, 4 GiB) when the segment wraps: out of the window.
        const uint64_t lowest = e < top ? top - e : 0;
        encode_limit_up(d, lowest ? std::max<uint64_t>(limit, lowest - 1) : limit);
        const uint64_t encoded = d.limit_in_pages ? (uint64_t(d.limit) << 12) | 0xfff : d.limit;
        if (encoded >= top) {  // rounded up to pages, nothing is left
            make_empty(h);
            return h;
        }
    }
    d.base_addr = static_cast<unsigned>((base + offset) % kMod);
    return h;
}

bool host_range(const user_desc& d, HostRange* out) {
    const uint64_t limit = d.limit_in_pages ? (uint64_t(d.limit) << 12) | 0xfff : uint64_t(d.limit);
    const bool expand_down = (d.contents & 2) == 0 && (d.contents & 1);
    uint64_t lo = 0, hi = limit;
    if (expand_down) {
        const uint64_t top = d.seg_32bit ? 0xffffffffull : 0xffffull;
        if (limit >= top) return false;
        lo = limit + 1;
        hi = top;
    }
    out->first = (uint64_t(d.base_addr) + lo) % kMod;
    out->last = (uint64_t(d.base_addr) + hi) % kMod;
    out->wraps = (uint64_t(d.base_addr) + lo) / kMod != (uint64_t(d.base_addr) + hi) / kMod;
    return true;
}

}  // namespace prevt::native
