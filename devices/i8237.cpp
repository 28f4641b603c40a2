#include "devices/i8237.hpp"

#include <algorithm>
#include <utility>

namespace prevt::devices {

namespace {

// Registers 0x0-0x7 are each channel's address (even) and count (odd).
enum Reg : unsigned {
    kStatusCommand = 0x8,
    kRequest = 0x9,
    kSingleMask = 0xa,
    kMode = 0xb,
    kClearFlipFlop = 0xc,
    kMasterClearTemp = 0xd,
    kClearMasks = 0xe,
    kAllMasks = 0xf,
};

constexpr uint8_t kCommandDisable = 0x04;
constexpr uint8_t kModeAutoinit = 0x10;
constexpr uint8_t kModeCascade = 0xc0;

}  // namespace

I8237::I8237(std::string name, unsigned stride) : name_(std::move(name)), stride_(stride) {
    master_clear();
}

uint32_t I8237::read(uint64_t offset, unsigned size) {
    return read_split(offset, size, kRegisters * stride_, [this](unsigned port) -> uint8_t {
        if (port % stride_) return 0xff;  // the slave's odd ports decode nothing
        return read_register(port / stride_);
    });
}

void I8237::write(uint64_t offset, unsigned size, uint32_t value) {
    write_split(offset, size, value, kRegisters * stride_, [this](unsigned port, uint8_t b) {
        if (port % stride_ == 0) write_register(port / stride_, b);
    });
}

uint8_t I8237::read_half(uint16_t value) {
    const bool high = std::exchange(high_byte_, !high_byte_);
    return static_cast<uint8_t>(high ? value >> 8 : value);
}

void I8237::write_half(uint16_t& base, uint16_t& current, uint8_t value) {
    const bool high = std::exchange(high_byte_, !high_byte_);
    base = high ? static_cast<uint16_t>((base & 0x00ff) | (value << 8))
                : static_cast<uint16_t>((base & 0xff00) | value);
    current = base;
}

uint8_t I8237::read_register(unsigned reg) {
    if (reg < 8) {
        const Channel& c = channels_[reg / 2];
        return read_half(reg % 2 ? c.count : c.address);
    }
    switch (reg) {
        case kStatusCommand: return std::exchange(status_, 0);  // TC bits clear on read
        case kAllMasks: return static_cast<uint8_t>(0xf0 | mask_);
        case kMasterClearTemp: return 0;  // the temporary register (memory-to-memory only)
        default: return 0xff;             // write-only registers
    }
}

void I8237::write_register(unsigned reg, uint8_t value) {
    if (reg < 8) {
        Channel& c = channels_[reg / 2];
        if (reg % 2)
            write_half(c.base_count, c.count, value);
        else
            write_half(c.base_address, c.address, value);
        return;
    }
    switch (reg) {
        case kStatusCommand: command_ = value; break;
        case kRequest: request_ = value & 0x07; break;
        case kSingleMask:
            if (value & 0x04)
                mask_ |= 1u << (value & 3);
            else
                mask_ &= ~(1u << (value & 3));
            break;
        case kMode: channels_[value & 3].mode = value & 0xfc; break;
        case kClearFlipFlop: high_byte_ = false; break;
        case kMasterClearTemp: master_clear(); break;
        case kClearMasks: mask_ = 0; break;
        case kAllMasks: mask_ = value & 0x0f; break;
    }
}

void I8237::master_clear() {
    command_ = status_ = request_ = 0;
    high_byte_ = false;
    mask_ = 0x0f;
}

bool I8237::ready(unsigned channel) const {
    return channel < kChannels && !(mask_ & (1u << channel)) && !(command_ & kCommandDisable) &&
           (channels_[channel].mode & kModeCascade) != kModeCascade;
}

bool I8237::cascade_open(unsigned channel) const {
    return channel < kChannels && !(mask_ & (1u << channel)) && !(command_ & kCommandDisable) &&
           (channels_[channel].mode & kModeCascade) == kModeCascade;
}

I8237::Transfer I8237::transfer_type(unsigned channel) const {
    return static_cast<Transfer>((channels_[channel].mode >> 2) & 3);
}

I8237::Run I8237::take(unsigned channel, uint32_t max_units) {
    Run run;
    if (!ready(channel) || max_units == 0) return run;
    Channel& c = channels_[channel];
    const bool down = decrementing(channel);
    // Up to the terminal count (count + 1 units) and up to the address's wrap.
    const uint32_t to_wrap = down ? uint32_t{c.address} + 1 : 0x10000u - c.address;
    run.units = std::min({max_units, uint32_t{c.count} + 1, to_wrap});
    run.address = c.address;
    run.terminal = run.units == uint32_t{c.count} + 1;
    c.address = static_cast<uint16_t>(down ? c.address - run.units : c.address + run.units);
    c.count = static_cast<uint16_t>(c.count - run.units);  // 0 - 1 = 0xffff: the terminal count
    if (run.terminal) {
        status_ |= 1u << channel;
        if (c.mode & kModeAutoinit) {
            c.address = c.base_address;
            c.count = c.base_count;
        } else {
            mask_ |= 1u << channel;  // EOP without autoinitialize sets the mask bit
        }
    }
    return run;
}

}  // namespace prevt::devices
