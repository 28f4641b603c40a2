// The PC/AT's two 8237A DMA controllers and its DMA page registers (IBM PC AT Technical
// Reference, "DMA Controller"; i8237.hpp for one chip): the master (channels 0-3, 8-bit, ports
// 0x00-0x0f), the slave (channels 4-7, 16-bit, ports 0xc0-0xdf; channel 4 cascades the
// master), the page register file at 0x81-0x8f (a 74LS612: channel 2 at 0x81, 3 at 0x82, 1 at
// 0x83, 0 at 0x87, 6 at 0x89, 7 at 0x8a, 5 at 0x8b; the others are spare bytes that read back).
// Port 0x80, the file's first byte, is the POST port (post_port.hpp): not taken here. State: new.
//
// The device side: a device on channel n moves its bytes with write_memory() (device to
// memory, the 8237's write transfer: a floppy read) or read_memory() (memory to device: a
// floppy write), as long as the channel is ready, up to the terminal count, which it is told
// of (the PC's TC line, which ends a floppy command). An 8-bit channel addresses byte
// page << 16 | address; a 16-bit channel word address << 1 within a 128 KiB page (page bit 0
// ignored), counting words. The address wraps inside its page (64 KiB or 128 KiB), as on the AT:
// a buffer crossing it wraps to the page's start. A channel programmed for another transfer
// type than the device asks for moves its count and touches no memory (verify mode always;
// the data of a mismatched transfer would be the bus's noise).
//
// A master channel moves only while the slave's channel 0 passes the cascade (cascade mode,
// unmasked: a BIOS sets it up, SeaBIOS in dma_setup()).
//
// Missing: DREQ held by a device between accesses (transfers are done in the call), the
// refresh "channel", memory-to-memory transfers. Ignored: nothing else.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "devices/bus.hpp"
#include "devices/i8237.hpp"
#include "devices/physical_memory.hpp"

namespace prevt::devices {

class IsaDma {
public:
    static constexpr uint16_t kMasterBase = 0x00, kSlaveBase = 0xc0, kPageBase = 0x81;
    static constexpr unsigned kPagePorts = 15;  // 0x81-0x8f
    static constexpr unsigned kChannels = 8;

    // `memory` must outlive the controllers.
    explicit IsaDma(PhysicalMemory& memory);
    IsaDma(const IsaDma&) = delete;
    IsaDma& operator=(const IsaDma&) = delete;

    // Attaches the master, the slave and the page registers (0x81-0x8f).
    void attach(Bus& ports);

    struct Moved {
        size_t bytes = 0;       // of the device's buffer (a 16-bit channel moves pairs)
        bool terminal = false;  // the channel reached its terminal count (TC)
    };
    // Device to memory: up to data.size() bytes, fewer when the channel reaches its terminal
    // count or is not ready (0).
    Moved write_memory(unsigned channel, std::span<const uint8_t> data);
    // Memory to device: fills up to data.size() bytes likewise.
    Moved read_memory(unsigned channel, std::span<uint8_t> data);

    bool ready(unsigned channel) const;
    I8237& master() { return master_; }
    I8237& slave() { return slave_; }
    uint8_t page(unsigned channel) const;

private:
    class PageRegisters final : public IoDevice {
    public:
        std::string_view name() const override { return "dma-page"; }
        uint32_t read(uint64_t offset, unsigned size) override;
        void write(uint64_t offset, unsigned size, uint32_t value) override;
        std::array<uint8_t, kPagePorts> bytes{};
    };
    // Both directions: `copy(phys, offset, bytes, reversed_unit)` moves one run between memory
    // and the buffer (reversed_unit: the unit size when the run counts down, else 0).
    template <class Copy>
    Moved move(unsigned channel, size_t length, I8237::Transfer wanted, Copy copy);

    PhysicalMemory& memory_;
    I8237 master_{"dma-master", 1};
    I8237 slave_{"dma-slave", 2};
    PageRegisters pages_;
};

}  // namespace prevt::devices
