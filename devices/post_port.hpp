// The POST code port at 0x80, as QEMU's PC presents it: BIOSes write their progress codes
// there for a POST card, and Linux writes it as an I/O delay (outb to 0x80 after slow ports,
// io_delay()), very often. State: new.
//
// Models: a write stores the byte (last_code() shows it, for --stats and debugging); a read
// gives all-ones, as QEMU's port (its ioport80 drops writes and reads 0xff) and a chipset that
// forwards 0x80 writes to the LPC bus for a POST card. Differs from the PC/AT, where 0x80 is the
// spare register of the 74LS612 DMA page register file and reads back: the project's goldens
// come from QEMU, and no guest depends on the AT's read-back. Missing: the DMA page registers
// at 0x81-0x8f (not attached here). Ignored: nothing.
#pragma once

#include <cstdint>

#include "devices/bus.hpp"

namespace prevt::devices {

class PostPort final : public IoDevice {
public:
    static constexpr uint16_t kIoBase = 0x80;
    static constexpr unsigned kPortCount = 1;  // attach with this length

    std::string_view name() const override { return "post"; }
    // Only the first byte of an access is the port; the others read as all-ones and are dropped.
    uint32_t read(uint64_t offset, unsigned size) override {
        return read_split(offset, size, kPortCount, [](unsigned) { return uint8_t{0xff}; });
    }
    void write(uint64_t offset, unsigned size, uint32_t value) override {
        write_split(offset, size, value, kPortCount, [this](unsigned, uint8_t b) { code_ = b; });
    }

    uint8_t last_code() const { return code_; }

private:
    uint8_t code_ = 0;
};

}  // namespace prevt::devices
