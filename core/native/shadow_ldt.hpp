// Shadow descriptors: each guest segment the guest loads is mirrored into a host LDT entry
// with DPL 3 (ring compression), base + the guest offset, and a limit truncated below the
// monitor's area (address-space compression: the rule is host_descriptor.hpp). Entries are written
// with modify_ldt(2) only when they change, so the guest's frequent reloads of the same selector
// cost no syscall.
//
// Slot of a guest selector: GDT index i -> host LDT entry i; LDT index j -> kGuestLdtFirst + j;
// each has a user variant (layout.hpp) that ends at a lower ceiling.
#pragma once

#include <array>
#include <cstdint>

#include "core/native/layout.hpp"
#include "core/vcpu_state.hpp"

namespace prevt::native {

class ShadowLdt {
public:
    explicit ShadowLdt(uint64_t guest_offset) : offset_(guest_offset) {}

    // The host selector (LDT, RPL 3) whose descriptor mirrors `seg`. A null or unusable
    // segment maps to the null selector. Throws GuestError for selectors prevt cannot shadow.
    // `ceiling` below kMonitorBase: the user variant, an expand-up segment ending there.
    uint16_t shadow(const Segment& seg, uint64_t ceiling = kMonitorBase);

    // The guest segment behind a host selector found in hardware after an exit (the guest
    // may have loaded a shadow selector natively, e.g. `mov %ds,%eax; mov %eax,%es`).
    // `rpl` is the RPL the guest selector is given. False if `host_selector` is not ours.
    bool guest_segment(uint16_t host_selector, unsigned rpl, Segment* out) const;

    // False when no offset of the segment behind `host_selector` is reachable natively (its
    // host descriptor is the empty form: host_descriptor.hpp); a code segment then cannot be
    // entered at all.
    bool reachable(uint16_t host_selector) const {
        const unsigned slot = host_selector >> 3;
        return (host_selector & 4) && slot < kHostLdtEntries && slots_[slot].valid &&
               !slots_[slot].empty;
    }

    // The limit the host applies to the segment behind a reachable `host_selector`.
    uint32_t host_limit(uint16_t host_selector) const { return slots_[host_selector >> 3].limit; }

    uint64_t ldt_writes() const { return writes_; }
    uint64_t lookups() const { return lookups_; }
    void invalidate_all();

private:
    struct Slot {
        bool valid = false;
        bool empty = false;
        uint32_t limit = 0;  // the host descriptor's byte-granular limit
        Segment guest;
        uint32_t words[2] = {0, 0};  // the host descriptor last written
    };
    std::array<Slot, 8192> slots_{};
    uint64_t offset_;
    uint64_t writes_ = 0;
    uint64_t lookups_ = 0;
};

unsigned host_slot_of(uint16_t guest_selector, bool user_variant = false);
// The guest selector (RPL 0) whose shadow, or user variant, is host slot `slot`.
uint16_t guest_selector_of(unsigned slot);

}  // namespace prevt::native
