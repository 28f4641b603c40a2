// What a device that reaches guest memory on its own sees of it: the 8237's channels moving a
// floppy's bytes, the VGA reading its text buffer. Guest physical addresses, any length; the
// machine implements it over guest memory (RAM, ROM, MMIO and unassigned ranges routed as the
// CPU's accesses are, and writes into RAM heard by an engine that translated code there).
// A device never knows which engine runs the guest.
#pragma once

#include <cstdint>
#include <span>

namespace prevt::devices {

class PhysicalMemory {
public:
    virtual ~PhysicalMemory() = default;
    virtual void read(uint64_t phys, std::span<uint8_t> out) = 0;
    virtual void write(uint64_t phys, std::span<const uint8_t> in) = 0;
};

}  // namespace prevt::devices
