// The local APIC timer with a fake clock, through the APIC's registers: one-shot and periodic
// counts at the 1 GHz bus clock and its divisors, the LVT mask, and the deadlines it gives the
// deadline queue.
#include <gtest/gtest.h>

#include <vector>

#include "devices/bus.hpp"
#include "devices/local_apic.hpp"
#include "fakes.hpp"
#include "lapic_offsets.hpp"

namespace prevt::devices {
namespace {

using namespace lapic_mmio;  // the register offsets, as the SDM gives them
constexpr uint32_t kPeriodic = 1u << 17, kMasked = 1u << 16;

class LapicTimerTest : public ::testing::Test {
protected:
    LapicTimerTest() {
        bus.attach(kBase, LocalApic::kMmioSize, apic);
        wr(kSpiv, 0x1ff);
    }
    uint32_t rd(uint32_t reg) { return bus.read(kBase + reg, 4); }
    void wr(uint32_t reg, uint32_t v) { bus.write(kBase + reg, 4, v); }
    // Moves time to `ns` and serves the timer as the run loop does; the vectors taken.
    std::vector<int> at(uint64_t ns) {
        clock.ns = ns;
        queue.serve(true, false);  // the host timer fired
        std::vector<int> taken;
        while (apic.interrupt_pending()) {
            taken.push_back(apic.acknowledge());
            wr(kEoi, 0);
        }
        return taken;
    }

    FakeClock clock;
    LocalApic apic{clock, nullptr};
    Bus bus{"mmio"};
    DeadlineQueue queue;
    void SetUp() override { queue.add(apic.timer()); }
};

TEST_F(LapicTimerTest, OneShotCountsDownAndFiresOnce) {
    wr(kDivide, 0xb);  // ÷1
    wr(kLvtTimer, 0x40);
    wr(kInitial, 1000);
    EXPECT_EQ(apic.timer().next_deadline_ns(), 1000u);
    EXPECT_TRUE(at(400).empty());
    EXPECT_EQ(rd(kCurrent), 600u);
    EXPECT_EQ(at(1000), std::vector<int>{0x40});
    EXPECT_EQ(rd(kCurrent), 0u);
    EXPECT_FALSE(apic.timer().next_deadline_ns().has_value());
    EXPECT_TRUE(at(5000).empty());
}

TEST_F(LapicTimerTest, DividerSlowsTheCount) {
    wr(kDivide, 0x3);  // ÷16
    wr(kLvtTimer, 0x40);
    wr(kInitial, 100);
    EXPECT_EQ(apic.timer().next_deadline_ns(), 1600u);
    clock.ns = 800;
    EXPECT_EQ(rd(kCurrent), 50u);
    wr(kDivide, 0xa);  // ÷128
    EXPECT_EQ(rd(kDivide), 0xau);
    EXPECT_EQ(rd(kCurrent), 50u) << "the count goes on from where it was";
    EXPECT_EQ(apic.timer().next_deadline_ns(), 800u + 50 * 128);
}

TEST_F(LapicTimerTest, DefaultDivideIsTwo) {
    wr(kLvtTimer, 0x40);
    wr(kInitial, 10);
    EXPECT_EQ(apic.timer().next_deadline_ns(), 20u);
}

TEST_F(LapicTimerTest, PeriodicReloads) {
    wr(kDivide, 0xb);
    wr(kLvtTimer, kPeriodic | 0x41);
    wr(kInitial, 100);
    EXPECT_EQ(at(100), std::vector<int>{0x41});
    EXPECT_EQ(apic.timer().next_deadline_ns(), 200u);
    clock.ns = 130;
    EXPECT_EQ(rd(kCurrent), 70u);
    EXPECT_EQ(at(200), std::vector<int>{0x41});
    EXPECT_EQ(at(750), std::vector<int>{0x41}) << "missed periods coalesce into one";
    EXPECT_EQ(apic.timer().next_deadline_ns(), 800u);
}

TEST_F(LapicTimerTest, MaskedTimerCountsButRaisesNothing) {
    wr(kDivide, 0xb);
    wr(kLvtTimer, kMasked | kPeriodic | 0x42);
    wr(kInitial, 100);
    EXPECT_TRUE(at(100).empty());
    EXPECT_EQ(apic.timer().next_deadline_ns(), 200u);
    wr(kLvtTimer, kPeriodic | 0x42);
    EXPECT_EQ(at(200), std::vector<int>{0x42});
}

TEST_F(LapicTimerTest, ZeroInitialCountStops) {
    wr(kDivide, 0xb);
    wr(kLvtTimer, 0x40);
    wr(kInitial, 100);
    wr(kInitial, 0);
    EXPECT_FALSE(apic.timer().next_deadline_ns().has_value());
    EXPECT_TRUE(at(1000).empty());
}

TEST_F(LapicTimerTest, RegisterAccessesTouchTheQueue) {
    const uint64_t before = apic.timer().touches();
    wr(kInitial, 5);
    rd(kCurrent);
    EXPECT_GT(apic.timer().touches(), before);
}

}  // namespace
}  // namespace prevt::devices
