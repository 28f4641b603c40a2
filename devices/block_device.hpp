// A disk as a device model sees it: bytes at offsets, a size, and whether it may be written.
// The host side (core/disk_image.hpp: a file, read-write, read-only or -snapshot) implements
// it; tests use a vector. Devices read and write whole sectors; a false return is a host I/O
// error, which a device reports to the guest as its media error.
#pragma once

#include <cstdint>
#include <span>

namespace prevt::devices {

class BlockDevice {
public:
    virtual ~BlockDevice() = default;
    virtual uint64_t size() const = 0;   // in bytes
    virtual bool read_only() const = 0;  // writes are refused (a write-protected floppy)
    virtual bool read(uint64_t offset, std::span<uint8_t> out) = 0;
    virtual bool write(uint64_t offset, std::span<const uint8_t> in) = 0;
    virtual bool flush() = 0;  // what was written is on the host's storage
};

}  // namespace prevt::devices
