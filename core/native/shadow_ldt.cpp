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
#include "core/native/real_mode_segment.hpp"

namespace prevt::native {

namespace {
// The guest segment's attributes that its later use depends on: not the accessed bit (type
// bit 0: the CPU sets it on every load), not G (the limit is byte-granular already).
uint16_t attributes_of(const Segment& s) {
    return static_cast<uint16_t>((s.type & ~1u) | (s.s << 4) | (s.dpl << 5) | (s.present << 7) |
                                 (s.db << 8) | (s.avl << 10));
}
}  // namespace

std::size_t ShadowLdt::KeyHash::operator()(const Key& k) const {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (uint64_t v : {uint64_t(k.words[0]), uint64_t(k.words[1]), uint64_t(k.base),
                       uint64_t(k.limit), uint64_t(k.selector) << 16 | k.attributes})
        h = (h ^ v) * 0x100000001b3ull;
    return static_cast<size_t>(h ^ (h >> 29));
}

ShadowLdt::ShadowLdt(uint64_t guest_offset) : offset_(guest_offset) {
    free_.reserve(kMonitorLdtFirst);
    refill();
}

// The order slots are handed out when the preferred one is taken: first those no selector
// prefers in the usual guest (GDT indices 2048-4095, LDT indices 2048 and up), lowest first
// (the host kernel's UMIP emulation, which the trap engine shows, fails for LDT entries near
// the top: measured with sgdt through SS in slot 8063), then the rest. Slot 0 is never used.
void ShadowLdt::refill() {
    free_.clear();
    for (unsigned i = kMonitorLdtFirst; i-- > 1;)
        if (!(i >= 2048 && i < 4096) && i < 4096 + 2048) free_.push_back(i);
    for (unsigned i = kMonitorLdtFirst; i-- > 4096 + 2048;) free_.push_back(i);
    for (unsigned i = 4096; i-- > 2048;) free_.push_back(i);
}

// A free slot, the preferred one if it is free; when none is left, all are dropped
// (generation() changes). free_ is a stack of candidates: a slot taken out of order stays in
// it, marked valid, and is skipped when it comes up.
unsigned ShadowLdt::allocate(unsigned preferred) {
    if (preferred && preferred < kMonitorLdtFirst && !slots_[preferred].valid) return preferred;
    while (!free_.empty() && slots_[free_.back()].valid) free_.pop_back();
    if (free_.empty()) {
        for (Slot& s : slots_) s.valid = false;
        by_content_.clear();
        refill();
        ++generation_;
        if (preferred && preferred < kMonitorLdtFirst) return preferred;
    }
    const unsigned slot = free_.back();
    free_.pop_back();
    return slot;
}

uint16_t ShadowLdt::shadow(const Segment& seg, uint64_t ceiling) {
    if ((seg.selector & ~3u) == 0 || !seg.present) {
        ++lookups_;
        return 0;
    }
    return shadow_present(seg, ceiling);
}

uint16_t ShadowLdt::shadow_real_mode(const Segment& seg, uint64_t ceiling) {
    return shadow_present(real_mode_view(seg), ceiling);
}

uint16_t ShadowLdt::shadow_present(const Segment& seg, uint64_t ceiling) {
    ++lookups_;
    const uint16_t attributes = attributes_of(seg);
    Recent& r = recent_[((seg.selector >> 3) ^ (ceiling >> 26)) % recent_.size()];
    if (r.generation == generation_ && r.selector == seg.selector && r.base == seg.base &&
        r.limit == seg.limit && r.attributes == attributes && r.ceiling == ceiling)
        return r.result;
    const uint16_t result = shadow_slow(seg, ceiling, attributes);
    r = {generation_, ceiling, seg.base, seg.limit, seg.selector, attributes, result};
    return result;
}

uint16_t ShadowLdt::shadow_slow(const Segment& seg, uint64_t ceiling, uint16_t attributes) {
    HostDescriptor host = make_host_descriptor(0, seg, offset_, ceiling);
    user_desc& d = host.desc;
    // The fields of user_desc after entry_number fully describe the descriptor.
    const Key key{
        {d.base_addr, d.limit | (d.seg_32bit << 20) | (d.contents << 21) |
                          (d.read_exec_only << 23) | (d.limit_in_pages << 24) | (d.useable << 26)},
        seg.base,
        seg.limit,
        static_cast<uint16_t>(seg.selector & ~3u),
        attributes_of(seg)};
    if (auto it = by_content_.find(key); it != by_content_.end())
        return static_cast<uint16_t>((it->second << 3) | 4 | 3);
    // The teaching view (docs/substrate.md): guest GDT index i prefers host entry i, guest LDT
    // index j entry 4096 + j, so `push %cs` at guest 0x08 shows 0x0f while the slot is free.
    const unsigned index = seg.selector >> 3;
    const unsigned slot = allocate((seg.selector & 4) ? 4096 + index : index);
    d.entry_number = slot;
    if (syscall(SYS_modify_ldt, 0x11, &d, sizeof d) != 0) {
        const int err = errno;
        slots_[slot].valid = false;
        throw HostError("modify_ldt refused a shadow descriptor (entry " + std::to_string(slot) +
                        "): " + strerror(err));
    }
    ++writes_;
    Slot& s = slots_[slot];
    s.valid = true;
    s.guest = seg;
    s.guest.selector = key.selector;
    s.empty = host.empty;
    s.limit = d.limit_in_pages ? (d.limit << 12) | 0xfff : d.limit;
    by_content_.emplace(key, slot);
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

uint16_t ShadowLdt::guest_selector(unsigned slot) const {
    return slot < kMonitorLdtFirst && slots_[slot].valid ? slots_[slot].guest.selector : 0;
}

}  // namespace prevt::native
