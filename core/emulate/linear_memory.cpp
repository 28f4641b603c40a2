#include "core/emulate/linear_memory.hpp"

#include <algorithm>
#include <cstdint>

namespace prevt {

// Linear addresses wrap at 4 GiB; each part goes through the memory map whole, so a 4-byte
// access to an MMIO register is one access of the device, not four.
void FlatPhysicalMemory::read(uint32_t linear, void* out, unsigned len, bool) {
    linear &= mask_;
    const uint64_t first = std::min<uint64_t>(len, (1ull << 32) - linear);
    ram_.load(linear, out, first);
    if (len > first) ram_.load(0, static_cast<uint8_t*>(out) + first, len - first);
}

void FlatPhysicalMemory::write(uint32_t linear, const void* in, unsigned len, bool) {
    linear &= mask_;
    const uint64_t first = std::min<uint64_t>(len, (1ull << 32) - linear);
    ram_.store(linear, in, first);
    if (len > first) ram_.store(0, static_cast<const uint8_t*>(in) + first, len - first);
}

}  // namespace prevt
