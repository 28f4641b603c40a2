// Port-I/O and MMIO buses: devices are attached to an address range and see only offsets
// into their own range. Ranges never overlap (attach() refuses). Unassigned ports read as
// all-ones (0xff per byte) and ignore writes, as on a PC's ISA bus; unassigned MMIO likewise.
// Every access is counted per device for `--stats`.
#pragma once

#include <cstdint>
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

private:
    Entry* lookup(uint64_t address);
    std::string name_;
    std::map<uint64_t, Entry> entries_;  // keyed by base
    BusCounters unassigned_;
};

}  // namespace prevt::devices
