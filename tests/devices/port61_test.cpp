// Port 0x61 with the 8254 behind it: counter 2's gate and OUT, the refresh toggle, and the
// speaker enable, used the way BIOSes and Linux's TSC calibration use them.
#include <gtest/gtest.h>

#include "devices/bus.hpp"
#include "devices/i8254.hpp"
#include "devices/port61.hpp"
#include "fakes.hpp"

namespace prevt::devices {
namespace {

constexpr uint8_t kGate = 0x01, kSpeaker = 0x02, kRefresh = 0x10, kOut2 = 0x20;

class Port61Test : public ::testing::Test {
protected:
    Port61Test() {
        clock.ns = 1'000'000'000;
        bus.attach(I8254::kIoBase, I8254::kPortCount, pit);
        bus.attach(Port61::kIoBase, Port61::kPortCount, port61);
    }
    uint8_t inb(uint16_t port) { return static_cast<uint8_t>(bus.read(port, 1)); }
    void outb(uint16_t port, uint8_t value) { bus.write(port, 1, value); }
    void advance_ticks(uint64_t ticks) {
        clock.ns = I8254::first_ns_of_tick(I8254::tick_at(clock.ns) + ticks);
    }

    FakeClock clock;
    I8254 pit{clock, nullptr};
    Port61 port61{pit, clock};
    Bus bus{"port"};
};

TEST_F(Port61Test, ResetStateHasCounter2Ungated) {
    EXPECT_FALSE(pit.gate(2));
    EXPECT_TRUE(pit.gate(0));
    EXPECT_EQ(inb(0x61) & 0x0f, 0);
    EXPECT_FALSE(port61.speaker_enabled());
}

TEST_F(Port61Test, LowBitsAreStoredAndBit0GatesCounter2) {
    outb(0x61, 0xff);
    EXPECT_EQ(inb(0x61) & 0xcf, 0x0f) << "bits 6 and 7 read as 0; writes to 4-7 are dropped";
    EXPECT_TRUE(port61.speaker_enabled());
    outb(0x61, kSpeaker);
    EXPECT_FALSE(port61.speaker_enabled()) << "no gate, no tone";
}

TEST_F(Port61Test, Out2IsBit5AndCountsOnlyWhileGated) {
    outb(0x43, 0xb0);  // counter 2, LSB then MSB, mode 0
    outb(0x42, 100);
    outb(0x42, 0);
    advance_ticks(500);
    EXPECT_EQ(inb(0x61) & kOut2, 0) << "gate low: counter 2 has not counted";
    outb(0x61, kGate);
    advance_ticks(99);
    EXPECT_EQ(inb(0x61) & kOut2, 0);
    advance_ticks(1);
    EXPECT_EQ(inb(0x61) & kOut2, kOut2);
}

TEST_F(Port61Test, LinuxStyleCalibrationLoopSeesOut2Rise) {
    // arch/x86/kernel/tsc.c: gate on, speaker off, mode 0 with a 50 ms count, poll bit 5.
    outb(0x61, (inb(0x61) & ~kSpeaker) | kGate);
    outb(0x43, 0xb0);
    const uint16_t latch = 1'193'182 / 20;
    outb(0x42, latch & 0xff);
    outb(0x42, latch >> 8);
    const uint64_t start = clock.ns;
    int polls = 0;
    while (!(inb(0x61) & kOut2)) {
        clock.ns += 1000;
        ASSERT_LT(++polls, 100'000);
    }
    const uint64_t elapsed = clock.ns - start;
    EXPECT_GE(elapsed, 49'999'000u);
    EXPECT_LE(elapsed, 50'001'000u);
}

TEST_F(Port61Test, RefreshBitTogglesEvery15085ns) {
    const uint64_t start =
        100'000 * Port61::kRefreshToggleNs;  // a toggle, after the fixture's time
    clock.ns = start;
    const uint8_t first = inb(0x61) & kRefresh;
    clock.ns = start + Port61::kRefreshToggleNs - 1;
    EXPECT_EQ(inb(0x61) & kRefresh, first);
    clock.ns = start + Port61::kRefreshToggleNs;
    EXPECT_NE(inb(0x61) & kRefresh, first);
    clock.ns = start + 2 * Port61::kRefreshToggleNs;
    EXPECT_EQ(inb(0x61) & kRefresh, first);
}

TEST_F(Port61Test, WiderAccessReadsAllOnesBeyondThePort) {
    EXPECT_EQ(bus.read(0x61, 2) & 0xff00, 0xff00u);
}

}  // namespace
}  // namespace prevt::devices
