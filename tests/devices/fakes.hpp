// Test doubles for the device models' outward interfaces: an IRQ line that records what it is
// driven to, a clock that moves only when a test moves it, guest memory and a disk in vectors.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "devices/block_device.hpp"
#include "devices/clock.hpp"
#include "devices/irq_line.hpp"
#include "devices/physical_memory.hpp"

namespace prevt::devices {

class RecordingIrqLine final : public IrqLine {
public:
    void set_level(bool high) override {
        if (high && !level) ++rising_edges;
        level = high;
        ++calls;
    }
    bool level = false;
    int rising_edges = 0;
    int calls = 0;
};

class FakeClock final : public Clock {
public:
    uint64_t now_ns() const override { return ns; }
    uint64_t ns = 0;
};

// Guest physical memory of `bytes` bytes; accesses past the end read 0xff and are dropped.
class VectorMemory final : public PhysicalMemory {
public:
    explicit VectorMemory(size_t bytes) : bytes(bytes, 0) {}
    void read(uint64_t phys, std::span<uint8_t> out) override {
        for (size_t i = 0; i < out.size(); ++i)
            out[i] = phys + i < bytes.size() ? bytes[phys + i] : 0xff;
        ++reads;
    }
    void write(uint64_t phys, std::span<const uint8_t> in) override {
        for (size_t i = 0; i < in.size(); ++i)
            if (phys + i < bytes.size()) bytes[phys + i] = in[i];
        ++writes;
    }
    std::vector<uint8_t> bytes;
    int reads = 0, writes = 0;
};

// A disk in a vector; `fail` makes every access a host I/O error.
class VectorDisk final : public BlockDevice {
public:
    explicit VectorDisk(size_t bytes, bool read_only = false)
        : bytes(bytes, 0), read_only_(read_only) {}
    uint64_t size() const override { return bytes.size(); }
    bool read_only() const override { return read_only_; }
    bool read(uint64_t offset, std::span<uint8_t> out) override {
        if (fail || offset + out.size() > bytes.size()) return false;
        std::copy_n(bytes.begin() + offset, out.size(), out.begin());
        return true;
    }
    bool write(uint64_t offset, std::span<const uint8_t> in) override {
        if (fail || read_only_ || offset + in.size() > bytes.size()) return false;
        std::copy(in.begin(), in.end(), bytes.begin() + offset);
        ++writes;
        return true;
    }
    bool flush() override {
        ++flushes;
        return !fail;
    }
    std::vector<uint8_t> bytes;
    bool fail = false;
    int writes = 0, flushes = 0;

private:
    bool read_only_;
};

}  // namespace prevt::devices
