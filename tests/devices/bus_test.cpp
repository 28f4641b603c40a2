// The bus: ranges, overlap refusal, offsets, unassigned accesses, counters.
#include <gtest/gtest.h>

#include <vector>

#include "devices/bus.hpp"

namespace prevt::devices {
namespace {

class Recorder : public IoDevice {
public:
    explicit Recorder(const char* n) : name_(n) {}
    std::string_view name() const override { return name_; }
    uint32_t read(uint64_t offset, unsigned size) override {
        reads.push_back({offset, size});
        return 0x40 + static_cast<uint32_t>(offset);
    }
    void write(uint64_t offset, unsigned, uint32_t value) override {
        writes.push_back({offset, value});
    }
    const char* name_;
    std::vector<std::pair<uint64_t, uint64_t>> reads, writes;
};

TEST(Bus, DevicesSeeOffsetsIntoTheirOwnRange) {
    Bus bus("port");
    Recorder a("a");
    bus.attach(0x3f8, 8, a);
    EXPECT_EQ(bus.read(0x3fd, 1), 0x45u);
    bus.write(0x3f8, 1, 'x');
    ASSERT_EQ(a.writes.size(), 1u);
    EXPECT_EQ(a.writes[0], (std::pair<uint64_t, uint64_t>{0, 'x'}));
    EXPECT_EQ(bus.find(0x3ff), &a);
    EXPECT_EQ(bus.find(0x400), nullptr);
    EXPECT_EQ(bus.find(0x3f7), nullptr);
}

TEST(Bus, RefusesOverlapsAndEmptyRanges) {
    Bus bus("port");
    Recorder a("a"), b("b");
    bus.attach(0x100, 0x10, a);
    EXPECT_THROW(bus.attach(0x10f, 1, b), BusError);
    EXPECT_THROW(bus.attach(0xf0, 0x11, b), BusError);
    EXPECT_THROW(bus.attach(0x108, 2, b), BusError);
    EXPECT_THROW(bus.attach(0x200, 0, b), BusError);
    EXPECT_NO_THROW(bus.attach(0x110, 1, b));
    EXPECT_NO_THROW(bus.attach(0xff, 1, b));
    try {
        bus.attach(0x105, 1, b);
        FAIL();
    } catch (const BusError& e) {
        EXPECT_NE(std::string(e.what()).find("overlaps a"), std::string::npos) << e.what();
    }
}

TEST(Bus, UnassignedReadsAreAllOnesAndWritesAreDropped) {
    Bus bus("port");
    EXPECT_EQ(bus.read(0x2f0, 1), 0xffu);
    EXPECT_EQ(bus.read(0x2f0, 2), 0xffffu);
    EXPECT_EQ(bus.read(0x2f0, 4), 0xffffffffu);
    bus.write(0x2f0, 1, 0);
    EXPECT_EQ(bus.unassigned().reads, 3u);
    EXPECT_EQ(bus.unassigned().writes, 1u);
}

TEST(Bus, CountsAccessesPerDevice) {
    Bus bus("port");
    Recorder a("a");
    bus.attach(0x80, 1, a);
    bus.read(0x80, 1);
    bus.write(0x80, 1, 1);
    bus.write(0x80, 1, 2);
    const auto& e = bus.entries().at(0x80);
    EXPECT_EQ(e.counters.reads, 1u);
    EXPECT_EQ(e.counters.writes, 2u);
}

}  // namespace
}  // namespace prevt::devices
