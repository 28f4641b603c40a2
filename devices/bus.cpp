// The port-I/O / MMIO bus: a map from range base to device, with overlap refusal and counters.
//
// Dispatch rule for accesses that straddle the end of a range: the whole access goes to the
// device that holds its first byte, with the offset of that byte; the device decides what the
// bytes past its end mean (the 8-bit devices here read them as all-ones and drop writes). A
// real ISA bus would split the access between the devices; no guest we run relies on that.
#include "devices/bus.hpp"

#include <cinttypes>
#include <cstdio>
#include <iterator>
#include <limits>
#include <string>

namespace prevt::devices {

namespace {

std::string hex(uint64_t value) {
    char buf[24];
    snprintf(buf, sizeof buf, "0x%" PRIx64, value);
    return buf;
}

// "[0x3f8, 0x400)": half-open, as the ranges are stored.
std::string hex_range(uint64_t base, uint64_t length) {
    return "[" + hex(base) + ", " + hex(base + length) + ")";
}

std::string describe(const IoDevice& device, uint64_t base, uint64_t length) {
    return std::string(device.name()) + " at " + hex_range(base, length);
}

uint32_t all_ones(unsigned size) {
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

}  // namespace

void Bus::attach(uint64_t base, uint64_t length, IoDevice& device) {
    const std::string who = name_ + " bus: cannot attach " + std::string(device.name());
    if (length == 0) throw BusError(who + " at " + hex(base) + ": empty range");
    if (length > std::numeric_limits<uint64_t>::max() - base)
        throw BusError(who + " at " + hex(base) + ": length " + hex(length) +
                       " runs past the end of the address space");

    // Ranges never overlap, so the only candidates are the first entry at or above `base` and
    // the one just below it.
    auto next = entries_.lower_bound(base);
    const Entry* clash = nullptr;
    if (next != entries_.end() && next->second.base < base + length) clash = &next->second;
    if (!clash && next != entries_.begin()) {
        const Entry& prev = std::prev(next)->second;
        if (prev.base + prev.length > base) clash = &prev;
    }
    if (clash)
        throw BusError(name_ + " bus: " + describe(device, base, length) + " overlaps " +
                       describe(*clash->device, clash->base, clash->length));
    entries_.emplace(base, Entry{base, length, &device, {}});
}

Bus::Entry* Bus::lookup(uint64_t address) {
    auto it = entries_.upper_bound(address);
    if (it == entries_.begin()) return nullptr;
    Entry& e = std::prev(it)->second;
    return address - e.base < e.length ? &e : nullptr;
}

IoDevice* Bus::find(uint64_t address) const {
    // lookup() does not modify the map; it is non-const only to hand out a mutable Entry.
    Entry* e = const_cast<Bus*>(this)->lookup(address);
    return e ? e->device : nullptr;
}

uint32_t Bus::read(uint64_t address, unsigned size) {
    Entry* e = lookup(address);
    uint32_t v;
    if (!e) {
        ++unassigned_.reads;
        v = all_ones(size);
    } else {
        ++e->counters.reads;
        v = e->device->read(address - e->base, size);
    }
    if (observer_) observer_(e ? e->device->name() : std::string_view{}, address, size, false, v);
    return v;
}

void Bus::write(uint64_t address, unsigned size, uint32_t value) {
    Entry* e = lookup(address);
    if (!e) {
        ++unassigned_.writes;
    } else {
        ++e->counters.writes;
        e->device->write(address - e->base, size, value);
    }
    if (observer_)
        observer_(e ? e->device->name() : std::string_view{}, address, size, true, value);
}

}  // namespace prevt::devices
