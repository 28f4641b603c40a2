#include "devices/debug_exit.hpp"

#include <utility>

namespace prevt::devices {

DebugExit::DebugExit(std::function<void(int status)> on_exit) : on_exit_(std::move(on_exit)) {}

uint32_t DebugExit::read(uint64_t, unsigned size) {
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

void DebugExit::write(uint64_t, unsigned, uint32_t value) {
    // Shifted in 32 bits, so bit 31 of V is lost; V >= 0x40000000 gives a negative int.
    on_exit_(static_cast<int>((value << 1) | 1));
}

}  // namespace prevt::devices
