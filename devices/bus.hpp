// Port-I/O and MMIO buses: devices are attached to an address range and see only offsets
// into their own range. Ranges never overlap (attach() refuses). Unassigned ports read as
// all-ones (0xff per byte) and ignore writes, as on a PC's ISA bus; unassigned MMIO likewise.
// Every access is counted per device for `--stats`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace prevt::devices {

// One device model. `size` is the access width in bytes (1, 2 or 4).
class IoDevice {
public:
    virtual ~IoDevice() = default;
    virtual std::string_view name() const = 0;
    virtual uint32_t read(uint64_t offset, unsigned size) = 0;
    virtual void write(uint64_t offset, unsigned size, uint32_t value) = 0;
};

// An 8-bit device on the ISA bus: a wider access is split into byte accesses to consecutive
// registers, low byte first, as the bus does; bytes past the device's `count` registers read
// as all-ones and drop writes. `read_byte(reg)` / `write_byte(reg, byte)` serve one register.
template <class ReadByte>
uint32_t read_split(uint64_t offset, unsigned size, unsigned count, ReadByte read_byte) {
    uint32_t value = 0;
    for (unsigned i = 0; i < size && i < 4; ++i) {
        const uint64_t reg = offset + i;
        const uint8_t byte = reg < count ? read_byte(static_cast<unsigned>(reg)) : 0xff;
        value |= uint32_t{byte} << (8 * i);
    }
    return value;
}
template <class WriteByte>
void write_split(uint64_t offset, unsigned size, uint32_t value, unsigned count,
                 WriteByte write_byte) {
    for (unsigned i = 0; i < size && i < 4; ++i) {
        const uint64_t reg = offset + i;
        if (reg < count)
            write_byte(static_cast<unsigned>(reg), static_cast<uint8_t>(value >> (8 * i)));
    }
}

class BusError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct BusCounters {
    uint64_t reads = 0;
    uint64_t writes = 0;
};

// A bus keyed by [base, base+length). Used for the 64 KiB port space and for MMIO.
class Bus {
public:
    explicit Bus(std::string_view name) : name_(name) {}

    // Throws BusError if the range is empty or overlaps one already attached.
    void attach(uint64_t base, uint64_t length, IoDevice& device);

    // Reads of unassigned addresses return all-ones of the access width.
    uint32_t read(uint64_t address, unsigned size);
    void write(uint64_t address, unsigned size, uint32_t value);

    // The device at `address`, or nullptr.
    IoDevice* find(uint64_t address) const;

    struct Entry {
        uint64_t base;
        uint64_t length;
        IoDevice* device;
        BusCounters counters;
    };
    const std::map<uint64_t, Entry>& entries() const { return entries_; }
    const BusCounters& unassigned() const { return unassigned_; }
    std::string_view name() const { return name_; }

    // Told of every access after it is done (the monitor's `--trace io`): the device's name
    // (empty for unassigned), the address, width, direction and the value read or written.
    using Observer = std::function<void(std::string_view device, uint64_t address, unsigned size,
                                        bool write, uint32_t value)>;
    void set_observer(Observer o) { observer_ = std::move(o); }

private:
    Entry* lookup(uint64_t address);
    std::string name_;
    std::map<uint64_t, Entry> entries_;  // keyed by base
    BusCounters unassigned_;
    Observer observer_;
};

}  // namespace prevt::devices
