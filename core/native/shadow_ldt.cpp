#include "core/native/shadow_ldt.hpp"

#include <asm/ldt.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/errors.hpp"
#include "core/native/host_descriptor.hpp"
#include "core/native/layout.hpp"

namespace prevt::native {

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
    const HostDescriptor host = make_host_descriptor(slot, seg, offset_, ceiling);
    user_desc d = host.desc;
    // The first two words of user_desc after entry_number fully describe the descriptor.
    uint32_t words[2] = {d.base_addr, d.limit | (d.seg_32bit << 20) | (d.contents << 21) |
                                          (d.read_exec_only << 23) | (d.limit_in_pages << 24) |
                                          (d.useable << 26)};
    Slot& s = slots_[slot];
    if (!s.valid || s.words[0] != words[0] || s.words[1] != words[1]) {
        if (syscall(SYS_modify_ldt, 0x11, &d, sizeof d) != 0) {
            const int err = errno;
            throw HostError("modify_ldt refused a shadow descriptor (entry " +
                            std::to_string(slot) + "): " + strerror(err));
        }
        ++writes_;
        s.valid = true;
        s.words[0] = words[0];
        s.words[1] = words[1];
    }
    s.guest = seg;
    s.empty = host.empty;
    s.limit = d.limit_in_pages ? (d.limit << 12) | 0xfff : d.limit;
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
