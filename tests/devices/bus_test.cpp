// The bus: ranges, overlap refusal, offsets, unassigned accesses, counters.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "devices/bus.hpp"

namespace prevt::devices {
namespace {

struct Access {
    uint64_t offset;
    unsigned size;
    uint32_t value;
    bool operator==(const Access&) const = default;
};

// Records what it sees; reads return 0x40 + offset.
class Recorder : public IoDevice {
public:
    explicit Recorder(const char* name) : name_(name) {}
    std::string_view name() const override { return name_; }
    uint32_t read(uint64_t offset, unsigned size) override {
        reads.push_back({offset, size, 0});
        return 0x40 + static_cast<uint32_t>(offset);
    }
    void write(uint64_t offset, unsigned size, uint32_t value) override {
        writes.push_back({offset, size, value});
    }
    const char* name_;
    std::vector<Access> reads, writes;
};

std::string attach_error(Bus& bus, uint64_t base, uint64_t length, IoDevice& device) {
    try {
        bus.attach(base, length, device);
    } catch (const BusError& e) {
        return e.what();
    }
    return "";
}

TEST(Bus, DevicesSeeOffsetsIntoTheirOwnRange) {
    Bus bus("port");
    Recorder com1("com1"), com2("com2");
    bus.attach(0x3f8, 8, com1);
    bus.attach(0x2f8, 8, com2);
    EXPECT_EQ(bus.read(0x3fd, 1), 0x45u);
    EXPECT_EQ(bus.read(0x2f9, 2), 0x41u);
    bus.write(0x3f8, 1, 'x');
    bus.write(0x2ff, 4, 0x12345678);
    EXPECT_EQ(com1.reads, (std::vector<Access>{{5, 1, 0}}));
    EXPECT_EQ(com1.writes, (std::vector<Access>{{0, 1, 'x'}}));
    EXPECT_EQ(com2.reads, (std::vector<Access>{{1, 2, 0}}));
    EXPECT_EQ(com2.writes, (std::vector<Access>{{7, 4, 0x12345678}}));
}

TEST(Bus, FindCoversExactlyTheRange) {
    Bus bus("port");
    Recorder a("a");
    bus.attach(0x3f8, 8, a);
    EXPECT_EQ(bus.find(0x3f7), nullptr);
    EXPECT_EQ(bus.find(0x3f8), &a);
    EXPECT_EQ(bus.find(0x3ff), &a);
    EXPECT_EQ(bus.find(0x400), nullptr);
    EXPECT_EQ(bus.find(0), nullptr);
}

TEST(Bus, RefusesOverlaps) {
    Bus bus("port");
    Recorder a("a"), b("b");
    bus.attach(0x100, 0x10, a);
    EXPECT_THROW(bus.attach(0x10f, 1, b), BusError);     // last byte
    EXPECT_THROW(bus.attach(0xf0, 0x11, b), BusError);   // reaches the first byte
    EXPECT_THROW(bus.attach(0x108, 2, b), BusError);     // inside
    EXPECT_THROW(bus.attach(0xf0, 0x40, b), BusError);   // encloses
    EXPECT_THROW(bus.attach(0x100, 0x10, b), BusError);  // identical
    EXPECT_NO_THROW(bus.attach(0x110, 1, b));            // adjacent above
    EXPECT_NO_THROW(bus.attach(0xff, 1, b));             // adjacent below
    EXPECT_EQ(bus.entries().size(), 3u);
}

TEST(Bus, OverlapMessageNamesBothDevicesAndRangesInHex) {
    Bus bus("port");
    Recorder com1("uart16550"), other("debug-exit");
    bus.attach(0x3f8, 8, com1);
    const std::string msg = attach_error(bus, 0x3fc, 4, other);
    EXPECT_EQ(msg, "port bus: debug-exit at [0x3fc, 0x400) overlaps uart16550 at [0x3f8, 0x400)");
}

TEST(Bus, RefusesEmptyAndWrappingRanges) {
    Bus bus("mmio");
    Recorder a("a");
    EXPECT_NE(attach_error(bus, 0x200, 0, a).find("empty range"), std::string::npos);
    const uint64_t top = std::numeric_limits<uint64_t>::max() - 0xf;
    EXPECT_NE(attach_error(bus, top, 0x20, a).find("past the end"), std::string::npos);
    EXPECT_TRUE(bus.entries().empty());
    EXPECT_NO_THROW(bus.attach(top, 0xf, a));
    EXPECT_EQ(bus.find(top + 0xe), &a);
}

TEST(Bus, UnassignedReadsAreAllOnesOfTheWidthAndWritesAreDropped) {
    Bus bus("port");
    Recorder a("a");
    bus.attach(0x3f8, 8, a);
    EXPECT_EQ(bus.read(0x2f0, 1), 0xffu);
    EXPECT_EQ(bus.read(0x2f0, 2), 0xffffu);
    EXPECT_EQ(bus.read(0x2f0, 4), 0xffffffffu);
    EXPECT_EQ(bus.read(0x400, 1), 0xffu);  // just past a device
    bus.write(0x2f0, 1, 0);
    bus.write(0x3f7, 4, 0);  // ends inside a device but starts outside it: unassigned
    EXPECT_TRUE(a.writes.empty());
    EXPECT_EQ(bus.unassigned().reads, 4u);
    EXPECT_EQ(bus.unassigned().writes, 2u);
}

TEST(Bus, StraddlingAccessGoesToTheDeviceOfItsFirstByte) {
    Bus bus("port");
    Recorder a("a"), b("b");
    bus.attach(0x10, 2, a);
    bus.attach(0x12, 2, b);
    EXPECT_EQ(bus.read(0x11, 4), 0x41u);
    EXPECT_EQ(a.reads, (std::vector<Access>{{1, 4, 0}}));
    EXPECT_TRUE(b.reads.empty());
}

TEST(Bus, CountsAccessesPerDevice) {
    Bus bus("port");
    Recorder a("a"), b("b");
    bus.attach(0x80, 1, a);
    bus.attach(0x3f8, 8, b);
    bus.read(0x80, 1);
    bus.write(0x80, 1, 1);
    bus.write(0x80, 1, 2);
    bus.read(0x3fd, 1);
    bus.read(0x3fd, 1);
    bus.read(0x81, 1);
    EXPECT_EQ(bus.entries().at(0x80).counters.reads, 1u);
    EXPECT_EQ(bus.entries().at(0x80).counters.writes, 2u);
    EXPECT_EQ(bus.entries().at(0x3f8).counters.reads, 2u);
    EXPECT_EQ(bus.entries().at(0x3f8).counters.writes, 0u);
    EXPECT_EQ(bus.unassigned().reads, 1u);
    EXPECT_EQ(bus.unassigned().writes, 0u);
    EXPECT_EQ(bus.name(), "port");
}

}  // namespace
}  // namespace prevt::devices
