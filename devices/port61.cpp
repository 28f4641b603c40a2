#include "devices/port61.hpp"

namespace prevt::devices {

namespace {

constexpr uint8_t kTimer2Gate = 0x01, kWritable = 0x0f, kRefreshToggle = 0x10, kTimer2Out = 0x20;
constexpr unsigned kTimer2 = 2;

}  // namespace

Port61::Port61(I8254& pit, const Clock& clock) : pit_(pit), clock_(clock) {
    pit_.set_gate(kTimer2, false);
}

uint32_t Port61::read(uint64_t offset, unsigned size) {
    const uint32_t high_bytes = size >= 4 ? 0xffffff00u : ((1u << (8 * size)) - 1) & ~0xffu;
    if (offset != 0) return high_bytes | 0xff;
    uint8_t value = control_;
    if ((clock_.now_ns() / kRefreshToggleNs) & 1) value |= kRefreshToggle;
    if (pit_.out(kTimer2)) value |= kTimer2Out;
    return high_bytes | value;
}

void Port61::write(uint64_t offset, unsigned, uint32_t value) {
    if (offset != 0) return;
    control_ = value & kWritable;
    pit_.set_gate(kTimer2, control_ & kTimer2Gate);
}

}  // namespace prevt::devices
