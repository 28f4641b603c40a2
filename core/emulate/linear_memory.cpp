#include "core/emulate/linear_memory.hpp"

#include <cstring>

namespace prevt {

void FlatPhysicalMemory::read(uint32_t linear, void* out, unsigned len, bool) {
    if (ram_.read_bytes(linear, out, len)) return;
    auto* dst = static_cast<uint8_t*>(out);
    for (unsigned i = 0; i < len; ++i)  // byte-wise: an access may straddle the end of RAM
        dst[i] = static_cast<uint8_t>(ram_.read(uint32_t(linear + i), 1));
}

void FlatPhysicalMemory::write(uint32_t linear, const void* in, unsigned len, bool) {
    if (ram_.write_bytes(linear, in, len)) return;
    auto* src = static_cast<const uint8_t*>(in);
    for (unsigned i = 0; i < len; ++i) ram_.write(uint32_t(linear + i), 1, src[i]);
}

}  // namespace prevt
