// One Intel 8237A DMA controller (datasheet: Intel 8237A High Performance Programmable DMA
// Controller, 231466): four channels of 16-bit address and count registers and the control
// registers, at 16 consecutive registers. A PC has two (isa_dma.hpp): the master of 8-bit
// channels 0-3 at ports 0x00-0x0f and the slave of 16-bit channels 4-7 at 0xc0-0xdf, its
// registers on even ports (A0 is not wired: `stride` 2). State: new.
//
// Models: base and current address and count per channel, written through the byte pointer
// flip-flop (low byte first; a write sets both base and current, a read gives current);
// registers 0x8 status (read: terminal count bits 3:0, cleared by the read; request bits 7:4
// always 0: no device holds DREQ between accesses) and command (write: bit 2 disables the
// controller), 0x9 request (stored), 0xa single mask, 0xb mode, 0xc clear flip-flop, 0xd master
// clear (write) and temporary register (read: 0), 0xe clear all masks, 0xf write all masks
// (read: the masks, bits 7:4 set, as the 82374/PIIX do; the 8237A leaves it undefined). The
// device side: take() moves a ready channel by up to n units (bytes or words, whatever the
// pair makes of them) as a device's DREQ would, address up or down by mode bit 5, the count
// down, terminal count when the count passes 0 (the status bit; autoinitialize, mode bit 4,
// reloads current from base; without it the mask bit is set, as the datasheet says).
//
// Transfers are instantaneous: single, block and demand modes (mode bits 7:6) move the same
// bytes in one go; cascade mode (11) makes a channel never ready here (the master's cascade is
// channel 4 of the pair). Missing: memory-to-memory transfers (command bit 0, channels 0 and
// 1), software requests (the request register is stored, it starts nothing), EOP# from a
// device. Ignored: command bits 7:3 and 1 (DACK/DREQ sense, extended write, rotating priority,
// compressed timing), the 8237A's address bits 15:8 latch timing.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "devices/bus.hpp"

namespace prevt::devices {

class I8237 final : public IoDevice {
public:
    static constexpr unsigned kChannels = 4;
    static constexpr unsigned kRegisters = 16;

    // Mode register bits 3:2, the datasheet's names: a write transfer writes memory (the
    // device's bytes into memory), a read transfer reads it.
    enum class Transfer : uint8_t { kVerify = 0, kWrite = 1, kRead = 2, kIllegal = 3 };

    // `stride`: ports per register (1 for the master, 2 for the slave); attach with
    // kRegisters * stride ports. Starts as after a master clear.
    I8237(std::string name, unsigned stride);

    std::string_view name() const override { return name_; }
    uint32_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint32_t value) override;

    // The channel would answer a device's DREQ: unmasked, not cascade, controller enabled.
    bool ready(unsigned channel) const;
    // The channel passes a cascaded controller's requests: unmasked, in cascade mode, the
    // controller enabled (the slave's channel 0 for the master).
    bool cascade_open(unsigned channel) const;
    Transfer transfer_type(unsigned channel) const;
    bool decrementing(unsigned channel) const { return (channels_[channel].mode & 0x20) != 0; }

    // A run of units the channel moved: `units` addresses starting at `address` (16 bits,
    // counting up, or down when decrementing, modulo 64 Ki), and whether its last unit was the
    // terminal count. take() never crosses the 64 Ki wrap of the address (a second take()
    // continues past it) nor the terminal count.
    struct Run {
        uint16_t address = 0;
        uint32_t units = 0;
        bool terminal = false;
    };
    // Moves a ready channel by up to `max_units`; a channel not ready moves nothing.
    Run take(unsigned channel, uint32_t max_units);

    // Register state, for tests and the pair.
    uint16_t current_address(unsigned channel) const { return channels_[channel].address; }
    uint16_t current_count(unsigned channel) const { return channels_[channel].count; }
    uint8_t mode(unsigned channel) const { return channels_[channel].mode; }
    uint8_t mask() const { return mask_; }
    uint8_t status() const { return status_; }

private:
    struct Channel {
        uint16_t base_address = 0, base_count = 0;
        uint16_t address = 0, count = 0;
        uint8_t mode = 0;
    };
    uint8_t read_register(unsigned reg);
    void write_register(unsigned reg, uint8_t value);
    // The byte of a 16-bit register the flip-flop selects, toggling it.
    uint8_t read_half(uint16_t value);
    void write_half(uint16_t& base, uint16_t& current, uint8_t value);
    void master_clear();

    std::string name_;
    unsigned stride_;
    std::array<Channel, kChannels> channels_{};
    bool high_byte_ = false;  // the byte pointer flip-flop
    uint8_t command_ = 0;
    uint8_t status_ = 0;   // terminal count bits 3:0
    uint8_t request_ = 0;  // stored only
    uint8_t mask_ = 0x0f;
};

}  // namespace prevt::devices
