// Channel 2 of the 8237A pair programmed as SeaBIOS's floppy_cmd() does: mask it, the
// flip-flop cleared before each 16-bit value, address, count - 1, mode, the page register
// (0x81), unmask. Shared by the DMA and floppy controller tests.
#pragma once

#include <cstdint>

#include "devices/bus.hpp"

namespace prevt::devices {

// Modes: single transfer, address increment, channel 2; a write transfer goes to memory.
inline constexpr uint8_t kDmaWriteToMemory = 0x46, kDmaReadFromMemory = 0x4a;

inline void program_dma_channel2(Bus& bus, uint32_t addr, uint32_t bytes, uint8_t mode) {
    auto out = [&](uint16_t port, uint32_t v) { bus.write(port, 1, static_cast<uint8_t>(v)); };
    out(0x0a, 0x06);
    out(0x0c, 0);
    out(0x04, addr);
    out(0x04, addr >> 8);
    out(0x0c, 0);
    out(0x05, bytes - 1);
    out(0x05, (bytes - 1) >> 8);
    out(0x0b, mode);
    out(0x81, addr >> 16);
    out(0x0a, 0x02);
}

}  // namespace prevt::devices
