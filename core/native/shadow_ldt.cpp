#include "core/native/shadow_ldt.hpp"

#include <asm/ldt.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "core/errors.hpp"
#include "core/native/layout.hpp"

namespace prevt::native {

namespace {

// The host descriptor for a guest segment: same type, DPL 3, moved and truncated.
user_desc make_host_descriptor(unsigned slot, const Segment& s, uint64_t offset, uint64_t ceiling) {
    user_desc d{};
    d.entry_number = slot;
    const uint64_t base = (uint64_t(s.base) + offset) & 0xffffffffu;
    uint64_t limit = s.limit;
    const bool code = s.type & 8;
    const bool expand_down = !code && (s.type & 4);
    if (!expand_down) {
        // Address-space compression: an expand-up segment ends below the monitor's area (or
        // the user ceiling). Guest linear L lives at host L + offset.
        const uint64_t end = std::min<uint64_t>(ceiling + offset, kMonitorBase);
        if (base >= end)
            limit = 0;
        else if (base + limit >= end)
            limit = end - 1 - base;
    }
    d.base_addr = static_cast<unsigned>(base);
    if (limit > 0xfffff) {
        d.limit_in_pages = 1;
        d.limit = static_cast<unsigned>(limit >= 0xfff ? (limit - 0xfff) >> 12 : 0);
        if (((uint64_t(d.limit) << 12) | 0xfff) > limit && d.limit > 0) --d.limit;
    } else {
        d.limit = static_cast<unsigned>(limit);
    }
    d.seg_32bit = s.db;
    if (code) {
        d.contents = (s.type & 4) ? MODIFY_LDT_CONTENTS_CODE | 1 : MODIFY_LDT_CONTENTS_CODE;
        d.read_exec_only = !(s.type & 2);
    } else {
        d.contents = expand_down ? MODIFY_LDT_CONTENTS_STACK : MODIFY_LDT_CONTENTS_DATA;
        d.read_exec_only = !(s.type & 2);
    }
    d.seg_not_present = 0;
    d.useable = s.avl;
    return d;
}

}  // namespace

unsigned host_slot_of(uint16_t guest_selector, bool user_variant) {
    const unsigned index = guest_selector >> 3;
    if (guest_selector & 4) {
        if (index >= kGuestLdtEntries)
            throw GuestError("guest LDT selector " + std::to_string(guest_selector) +
                             " is beyond the entries prevt can shadow");
        return kGuestLdtFirst + index + (user_variant ? kGuestLdtEntries : 0);
    }
    if (index >= kGuestGdtEntries)
        throw GuestError("guest GDT selector " + std::to_string(guest_selector) +
                         " is beyond the entries prevt can shadow");
    return index + (user_variant ? kGuestGdtEntries : 0);
}

uint16_t guest_selector_of(unsigned slot) {
    if (slot < kGuestLdtFirst) return static_cast<uint16_t>((slot % kGuestGdtEntries) << 3);
    return static_cast<uint16_t>((((slot - kGuestLdtFirst) % kGuestLdtEntries) << 3) | 4);
}

uint16_t ShadowLdt::shadow(const Segment& seg, uint64_t ceiling) {
    ++lookups_;
    if ((seg.selector & ~3u) == 0 || !seg.present) return 0;
    const unsigned slot = host_slot_of(seg.selector, ceiling < kMonitorBase);
    user_desc d = make_host_descriptor(slot, seg, offset_, ceiling);
    // The first two words of user_desc after entry_number fully describe the descriptor.
    uint32_t words[2] = {d.base_addr, d.limit | (d.seg_32bit << 20) | (d.contents << 21) |
                                          (d.read_exec_only << 23) | (d.limit_in_pages << 24) |
                                          (d.useable << 26)};
    Slot& s = slots_[slot];
    if (!s.valid || s.words[0] != words[0] || s.words[1] != words[1]) {
        if (syscall(SYS_modify_ldt, 0x11, &d, sizeof d) != 0)
            throw GuestError(std::string("modify_ldt refused a shadow descriptor: ") +
                             strerror(errno));
        ++writes_;
        s.valid = true;
        s.words[0] = words[0];
        s.words[1] = words[1];
    }
    s.guest = seg;
    return static_cast<uint16_t>((slot << 3) | 4 | 3);
}

bool ShadowLdt::guest_segment(uint16_t host_selector, unsigned rpl, Segment* out) const {
    if ((host_selector & ~3u) == 0) {
        *out = Segment{};
        out->selector = host_selector & 3;
        out->present = false;
        return true;
    }
    if (!(host_selector & 4)) return false;
    const unsigned slot = host_selector >> 3;
    if (slot >= kMonitorLdtFirst || !slots_[slot].valid) return false;
    *out = slots_[slot].guest;
    out->selector = static_cast<uint16_t>((out->selector & ~3u) | rpl);
    return true;
}

void ShadowLdt::invalidate_all() {
    for (Slot& s : slots_) s.valid = false;
}

}  // namespace prevt::native
