// Shadow descriptors: each guest segment the guest loads is mirrored into a host LDT entry
// with DPL 3 (ring compression), base + the guest offset, and a limit chosen so that the host
// segment never reaches the monitor's area (address-space compression: host_descriptor.hpp).
//
// A descriptor cache per segment register, as the CPU has: slots are allocated by content
// (the guest selector, the guest segment's hidden part and the host descriptor made from it),
// not by selector index, and a slot's content never changes while it is valid. So loading ES
// from a GDT entry the guest has just edited gives ES a new slot and leaves DS's hidden base as
// it was; the kernel and user variants of one selector are simply two contents; and any of the
// 65,536 real-mode segments finds a slot. Entries are written with modify_ldt(2) only for a new
// content, so the guest's frequent reloads of the same selector cost no system call. When all
// slots are taken they are all dropped at once and generation() changes: an engine then shadows
// every selector it holds again (before its next entry).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/native/layout.hpp"
#include "core/vcpu_state.hpp"

namespace prevt::native {

class ShadowLdt {
public:
    explicit ShadowLdt(uint64_t guest_offset);

    // The host selector (LDT, RPL 3) whose descriptor mirrors `seg`. A null or unusable
    // segment maps to the null selector. `ceiling` below kMonitorBase: the user variant, a
    // segment that ends there.
    uint16_t shadow(const Segment& seg, uint64_t ceiling = kMonitorBase);
    // The same for a segment register in real mode: its real_mode_view (real_mode_segment.hpp),
    // selector 0 included.
    uint16_t shadow_real_mode(const Segment& seg, uint64_t ceiling = kMonitorBase);

    // The guest segment behind a host selector found in hardware after an exit (the guest
    // may have loaded a shadow selector natively, e.g. `mov %ds,%eax; mov %eax,%es`).
    // `rpl` is the RPL the guest selector is given. False if `host_selector` is not ours.
    bool guest_segment(uint16_t host_selector, unsigned rpl, Segment* out) const;
    // The guest selector (RPL 0) behind host LDT slot `slot` (0 if the slot is not ours).
    uint16_t guest_selector(unsigned slot) const;

    // False when no offset of the segment behind `host_selector` is reachable natively (its
    // host descriptor is the empty form: host_descriptor.hpp); a code segment then cannot be
    // entered at all.
    bool reachable(uint16_t host_selector) const {
        const unsigned slot = host_selector >> 3;
        return (host_selector & 4) && slot < kMonitorLdtFirst && slots_[slot].valid &&
               !slots_[slot].empty;
    }
    // The limit the host applies to the segment behind a reachable `host_selector`.
    uint32_t host_limit(uint16_t host_selector) const { return slots_[host_selector >> 3].limit; }

    // Changes when every slot was dropped (all taken): host selectors from before are void.
    uint64_t generation() const { return generation_; }
    uint64_t ldt_writes() const { return writes_; }
    uint64_t lookups() const { return lookups_; }

private:
    struct Key {
        uint32_t words[2];  // the host descriptor (user_desc's packed fields)
        uint32_t base, limit;
        uint16_t selector;
        uint16_t attributes;  // type, S, DPL, P, D/B, G, AVL of the guest segment
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const;
    };
    struct Slot {
        bool valid = false;
        bool empty = false;
        uint32_t limit = 0;  // the host descriptor's byte-granular limit
        Segment guest;
    };
    unsigned allocate(unsigned preferred);
    uint16_t shadow_present(const Segment& seg, uint64_t ceiling);
    uint16_t shadow_slow(const Segment& seg, uint64_t ceiling, uint16_t attributes);
    // The last results by selector (the engines shadow the same few segments at every
    // privilege change): checked before the host descriptor is built and looked up.
    struct Recent {
        uint64_t generation = ~0ull, ceiling = 0;
        uint32_t base = 0, limit = 0;
        uint16_t selector = 0, attributes = 0, result = 0;
    };
    std::array<Recent, 64> recent_{};
    void refill();

    std::array<Slot, kMonitorLdtFirst> slots_{};
    std::unordered_map<Key, unsigned, KeyHash> by_content_;
    std::vector<unsigned> free_;
    uint64_t offset_;
    uint64_t generation_ = 0;
    uint64_t writes_ = 0;
    uint64_t lookups_ = 0;
};

}  // namespace prevt::native
