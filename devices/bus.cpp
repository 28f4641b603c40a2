#include "devices/bus.hpp"

#include <cstdio>
#include <string>

namespace prevt::devices {

namespace {
std::string range(uint64_t base, uint64_t length) {
    char buf[64];
    snprintf(buf, sizeof buf, "[0x%llx, 0x%llx)", static_cast<unsigned long long>(base),
             static_cast<unsigned long long>(base + length));
    return buf;
}
uint32_t all_ones(unsigned size) { return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1; }
}  // namespace

void Bus::attach(uint64_t base, uint64_t length, IoDevice& device) {
    if (length == 0)
        throw BusError(name_ + " bus: " + std::string(device.name()) + " has an empty range");
    // The only candidates for overlap: the entry at or below base, and the next one.
    auto next = entries_.lower_bound(base);
    if (next != entries_.end() && next->second.base < base + length)
        throw BusError(name_ + " bus: " + std::string(device.name()) + " at " +
                       range(base, length) + " overlaps " +
                       std::string(next->second.device->name()) + " at " +
                       range(next->second.base, next->second.length));
    if (next != entries_.begin()) {
        const Entry& prev = std::prev(next)->second;
        if (prev.base + prev.length > base)
            throw BusError(name_ + " bus: " + std::string(device.name()) + " at " +
                           range(base, length) + " overlaps " + std::string(prev.device->name()) +
                           " at " + range(prev.base, prev.length));
    }
    entries_.emplace(base, Entry{base, length, &device, {}});
}

Bus::Entry* Bus::lookup(uint64_t address) {
    auto it = entries_.upper_bound(address);
    if (it == entries_.begin()) return nullptr;
    Entry& e = std::prev(it)->second;
    return address < e.base + e.length ? &e : nullptr;
}

IoDevice* Bus::find(uint64_t address) const {
    Entry* e = const_cast<Bus*>(this)->lookup(address);
    return e ? e->device : nullptr;
}

// An access is dispatched to the device its first byte belongs to, even if it runs past the
// end of that device's range (the device sees the offset of the first byte).
uint32_t Bus::read(uint64_t address, unsigned size) {
    Entry* e = lookup(address);
    if (!e) {
        ++unassigned_.reads;
        return all_ones(size);
    }
    ++e->counters.reads;
    return e->device->read(address - e->base, size);
}

void Bus::write(uint64_t address, unsigned size, uint32_t value) {
    Entry* e = lookup(address);
    if (!e) {
        ++unassigned_.writes;
        return;
    }
    ++e->counters.writes;
    e->device->write(address - e->base, size, value);
}

}  // namespace prevt::devices
