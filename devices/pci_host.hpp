// The PCI host side of a PC: configuration mechanism #1 at ports 0xcf8-0xcff (PCI Local Bus
// Specification 2.1, §3.2.2.3.2) and bus 0 with its functions. State: new.
//
// Models: CONFIG_ADDRESS at 0xcf8, reached only by a 32-bit access at 0xcf8 (enable bit 31,
// bus 23:16, device 15:11, function 10:8, register 7:2; bits 30:24 and 1:0 read as 0);
// CONFIG_DATA at 0xcfc-0xcff, any width, reaching config register (address & 0xfc) + (port -
// 0xcfc): with the enable bit clear it reads all-ones and drops writes. Byte and word accesses
// at 0xcf8-0xcfb are not the address register: they go to the ISA bus, as the spec requires and
// as the 82441FX does, where 0xcf9 is the PIIX3's reset control register (given with
// set_reset_control(); without it, unassigned) and the other three ports are unassigned
// (all-ones, writes dropped). This is what lets Linux's pci_check_type1() (a byte write to 0xcfb
// before the dword probe of 0xcf8) and pci_check_type2() (which must fail) tell the mechanisms
// apart. An access is split into bytes wherever it is not a dword at 0xcf8 or wholly inside the
// data ports; data-port bytes past 0xcff read as all-ones (the CPU would split such an access).
//
// Bus 0 holds up to 32 devices of 8 functions each, added with add_function(). A configuration
// read of an absent function, or of any bus other than 0 (there are no PCI-to-PCI bridges: a
// type 1 cycle ends in master abort), returns all-ones, so the vendor ID reads 0xffff; writes to
// them are dropped. Whether software looks past function 0 is the function's business: it sets
// bit 7 of its header type (0x0e) when it has siblings, and the host does not check.
//
// Missing: configuration mechanism #2 (0xcf8 as a byte "CSE" register and 0xc000-0xcfff);
// special cycles (device 31 function 7 register 0 with bus 0 on a bridge that supports them):
// those writes are dropped; master-abort reporting in the host bridge's status register.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "devices/bus.hpp"

namespace prevt::devices {

// One function's 256-byte configuration space as the host bridge reaches it. `reg` is a byte
// offset and `size` 1, 2 or 4 with the access inside one aligned dword (reg % 4 + size <= 4),
// as a configuration cycle's byte enables are; a function need not check it.
class PciFunction {
public:
    virtual ~PciFunction() = default;
    virtual std::string_view name() const = 0;
    virtual uint32_t config_read(unsigned reg, unsigned size) = 0;
    virtual void config_write(unsigned reg, unsigned size, uint32_t value) = 0;
    // PCIRST#: every register back to its reset value.
    virtual void reset() = 0;
};

// The stored bytes of a configuration space with the datasheet's rules for writes: each byte
// has a reset value, a mask of bits that take the written value, and a mask of bits that a 1
// clears (status bits, "R/WC"); other bits are read-only. Bytes never defined read 0 and are
// read-only, as reserved registers are.
class PciConfigSpace {
public:
    static constexpr unsigned kSize = 256;

    // Define `width` bytes (1, 2 or 4) at `reg`, low byte first, and set them to `reset_value`.
    void define(unsigned reg, unsigned width, uint32_t reset_value, uint32_t writable = 0,
                uint32_t write_one_clears = 0);
    void reset() { bytes_ = reset_; }

    uint8_t byte(unsigned reg) const { return bytes_[reg & 0xff]; }
    uint32_t read(unsigned reg, unsigned size) const;
    // One byte as a guest write changes it, through the masks.
    void write_byte(unsigned reg, uint8_t value);
    void write(unsigned reg, unsigned size, uint32_t value);
    // The model's own change to a byte, past the masks (e.g. a read-only register the machine
    // sets, or a lock bit).
    void set_byte(unsigned reg, uint8_t value) { bytes_[reg & 0xff] = value; }

    // The standard header fields all functions here share (PCI 2.1 §6.2.1).
    struct Identity {
        uint16_t vendor;
        uint16_t device;
        uint8_t revision;
        uint32_t class_code;  // base class 23:16, sub-class 15:8, programming interface 7:0
        uint8_t header_type;  // bit 7: multi-function device
    };
    // Vendor, device, revision, class code and header type: read-only.
    void define_identity(const Identity& id);

private:
    std::array<uint8_t, kSize> bytes_{};
    std::array<uint8_t, kSize> reset_{};
    std::array<uint8_t, kSize> writable_{};
    std::array<uint8_t, kSize> write_one_clears_{};
};

class PciHost final : public IoDevice {
public:
    static constexpr uint16_t kIoBase = 0xcf8;
    static constexpr unsigned kPortCount = 8;  // attach with this length: 0xcf8-0xcff
    static constexpr unsigned kDevices = 32;
    static constexpr unsigned kFunctions = 8;
    static constexpr uint32_t kEnable = 0x80000000u;

    std::string_view name() const override { return "pci-host"; }
    uint32_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint32_t value) override;

    // Put `function` at bus 0, `device`:`function_number`. It must outlive the host. Throws
    // BusError if the numbers are out of range or the place is taken.
    void add_function(unsigned device, unsigned function_number, PciFunction& function);
    PciFunction* function(unsigned device, unsigned function_number) const;

    // The byte register at port 0xcf9, inside this range but on the ISA bus (the PIIX3's reset
    // control: Piix3::reset_control()). It sees offset 0 and byte accesses only. May be null.
    void set_reset_control(IoDevice* port_cf9) { port_cf9_ = port_cf9; }

    // CONFIG_ADDRESS as last written (bits 30:24 and 1:0 clear).
    uint32_t address() const { return address_; }

    // A configuration cycle of type 0 or 1, as the data ports issue it; also for the machine
    // (e.g. to check what a guest programmed). All-ones from absent functions and buses.
    uint32_t config_read(unsigned bus, unsigned device, unsigned function_number, unsigned reg,
                         unsigned size);
    void config_write(unsigned bus, unsigned device, unsigned function_number, unsigned reg,
                      unsigned size, uint32_t value);

    // PCIRST#: CONFIG_ADDRESS to 0 and every function reset.
    void reset();

private:
    uint8_t read_isa_byte(unsigned offset);
    void write_isa_byte(unsigned offset, uint8_t value);
    uint32_t read_data(unsigned port, unsigned size);
    void write_data(unsigned port, unsigned size, uint32_t value);
    PciFunction* target(unsigned bus, unsigned device, unsigned function_number) const;

    uint32_t address_ = 0;
    std::array<PciFunction*, kDevices * kFunctions> functions_{};  // indexed by devfn
    IoDevice* port_cf9_ = nullptr;
};

}  // namespace prevt::devices
