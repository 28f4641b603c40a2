#include "devices/pci_host.hpp"

#include <algorithm>
#include <string>

namespace prevt::devices {

namespace {

// CONFIG_ADDRESS fields (PCI 2.1 §3.2.2.3.2, figure 3-1). Bits 30:24 are reserved and read 0;
// bits 1:0 are hardwired to 0 for mechanism #1 (01 would select a type 1 cycle on the bus).
constexpr uint32_t kAddressWritable = PciHost::kEnable | 0x00fffffcu;
constexpr unsigned kCf9 = 1;       // 0xcf9 as an offset into the range
constexpr unsigned kDataPort = 4;  // 0xcfc

uint32_t all_ones(unsigned size) {
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

}  // namespace

void PciConfigSpace::define(unsigned reg, unsigned width, uint32_t reset_value, uint32_t writable,
                            uint32_t write_one_clears) {
    for (unsigned i = 0; i < width && reg + i < kSize; ++i) {
        const unsigned r = reg + i, shift = 8 * i;
        reset_[r] = bytes_[r] = static_cast<uint8_t>(reset_value >> shift);
        writable_[r] = static_cast<uint8_t>(writable >> shift);
        write_one_clears_[r] = static_cast<uint8_t>(write_one_clears >> shift);
    }
}

void PciConfigSpace::define_identity(const Identity& id) {
    define(0x00, 2, id.vendor);
    define(0x02, 2, id.device);
    define(0x08, 1, id.revision);
    define(0x09, 3, id.class_code);
    define(0x0e, 1, id.header_type);
}

uint32_t PciConfigSpace::read(unsigned reg, unsigned size) const {
    uint32_t value = 0;
    for (unsigned i = 0; i < size && i < 4; ++i) value |= uint32_t{byte(reg + i)} << (8 * i);
    return value;
}

void PciConfigSpace::write_byte(unsigned reg, uint8_t value) {
    reg &= 0xff;
    const uint8_t keep = static_cast<uint8_t>(~writable_[reg]);
    uint8_t next = static_cast<uint8_t>((bytes_[reg] & keep) | (value & writable_[reg]));
    next = static_cast<uint8_t>(next & ~(value & write_one_clears_[reg]));
    bytes_[reg] = next;
}

void PciConfigSpace::write(unsigned reg, unsigned size, uint32_t value) {
    for (unsigned i = 0; i < size && i < 4; ++i)
        write_byte(reg + i, static_cast<uint8_t>(value >> (8 * i)));
}

void PciHost::add_function(unsigned device, unsigned function_number, PciFunction& function) {
    const std::string who = "pci: cannot add " + std::string(function.name()) +
                            " at 00:" + std::to_string(device) + "." +
                            std::to_string(function_number);
    if (device >= kDevices || function_number >= kFunctions)
        throw BusError(who + ": device numbers are 0-31 and function numbers 0-7");
    PciFunction*& slot = functions_[device * kFunctions + function_number];
    if (slot) throw BusError(who + ": " + std::string(slot->name()) + " is there");
    slot = &function;
}

PciFunction* PciHost::function(unsigned device, unsigned function_number) const {
    return target(0, device, function_number);
}

PciFunction* PciHost::target(unsigned bus, unsigned device, unsigned function_number) const {
    if (bus != 0 || device >= kDevices || function_number >= kFunctions) return nullptr;
    return functions_[device * kFunctions + function_number];
}

uint32_t PciHost::config_read(unsigned bus, unsigned device, unsigned function_number, unsigned reg,
                              unsigned size) {
    PciFunction* f = target(bus, device, function_number);
    return f ? f->config_read(reg & 0xff, size) : all_ones(size);  // master abort
}

void PciHost::config_write(unsigned bus, unsigned device, unsigned function_number, unsigned reg,
                           unsigned size, uint32_t value) {
    if (PciFunction* f = target(bus, device, function_number))
        f->config_write(reg & 0xff, size, value);
}

void PciHost::reset() {
    address_ = 0;
    for (PciFunction* f : functions_)
        if (f) f->reset();
}

uint32_t PciHost::read(uint64_t offset, unsigned size) {
    if (offset == 0 && size == 4) return address_;
    if (offset >= kDataPort) return read_data(static_cast<unsigned>(offset - kDataPort), size);
    return read_split(offset, size, kPortCount, [this](unsigned port) {
        return port < kDataPort ? read_isa_byte(port)
                                : static_cast<uint8_t>(read_data(port - kDataPort, 1));
    });
}

void PciHost::write(uint64_t offset, unsigned size, uint32_t value) {
    if (offset == 0 && size == 4) {
        address_ = value & kAddressWritable;
        return;
    }
    if (offset >= kDataPort) {
        write_data(static_cast<unsigned>(offset - kDataPort), size, value);
        return;
    }
    write_split(offset, size, value, kPortCount, [this](unsigned port, uint8_t byte) {
        if (port < kDataPort) {
            write_isa_byte(port, byte);
        } else {
            write_data(port - kDataPort, 1, byte);
        }
    });
}

uint8_t PciHost::read_isa_byte(unsigned offset) {
    if (offset == kCf9 && port_cf9_) return static_cast<uint8_t>(port_cf9_->read(0, 1));
    return 0xff;
}

void PciHost::write_isa_byte(unsigned offset, uint8_t value) {
    if (offset == kCf9 && port_cf9_) port_cf9_->write(0, 1, value);
}

// `port` is 0-3 (0xcfc-0xcff). Bytes past 0xcff are not ours: all-ones.
uint32_t PciHost::read_data(unsigned port, unsigned size) {
    const unsigned inside = std::min(size, 4 - port);
    uint32_t value = all_ones(size);
    if (address_ & kEnable) {
        const uint32_t data = config_read((address_ >> 16) & 0xff, (address_ >> 11) & 0x1f,
                                          (address_ >> 8) & 0x7, (address_ & 0xfc) + port, inside);
        value = (value & ~all_ones(inside)) | (data & all_ones(inside));
    }
    return value;
}

void PciHost::write_data(unsigned port, unsigned size, uint32_t value) {
    if (!(address_ & kEnable)) return;
    const unsigned inside = std::min(size, 4 - port);
    config_write((address_ >> 16) & 0xff, (address_ >> 11) & 0x1f, (address_ >> 8) & 0x7,
                 (address_ & 0xfc) + port, inside, value & all_ones(inside));
}

}  // namespace prevt::devices
