// The 8254 PIT's register interface: latch and read-back commands, the access modes' byte
// order, and the GATE input, all over fake time.
#include <gtest/gtest.h>

#include "i8254_fixture.hpp"

namespace prevt::devices {
namespace {

TEST_F(I8254Test, LatchCommandFreezesTheCountUntilItIsRead) {
    program(0, 2, 1000);
    at(100);
    outb(kControl, 0x00);  // latch counter 0
    at(200);
    outb(kControl, 0x00);  // ignored: the first latch is unread
    at(300);
    EXPECT_EQ(inb(0x40), 900 & 0xff);
    at(400);
    EXPECT_EQ(inb(0x40), 900 >> 8) << "the latch holds both bytes";
    EXPECT_EQ(read_count(0), 600) << "read out: live again";
}

TEST_F(I8254Test, LsbOnlyAndMsbOnlyAccess) {
    outb(kControl, control_word(0, kLsb, 2));
    outb(0x40, 200);
    EXPECT_EQ(count_at(50), (150 << 8 | 150) & 0xffff) << "every read is the LSB";

    outb(kControl, control_word(0, kMsb, 2));
    outb(0x40, 0x02);  // 0x200
    EXPECT_EQ(inb(0x40), 0x02);
    at(51);
    EXPECT_EQ(inb(0x40), 0x01) << "0x1ff";
    at(50 + 0x101);
    EXPECT_EQ(inb(0x40), 0x00) << "0x0ff";
}

TEST_F(I8254Test, LiveLsbThenMsbReadsAlternate) {
    program(0, 2, 0x1234);
    at(0x34);
    EXPECT_EQ(inb(0x40), 0x00);
    at(0x35);
    EXPECT_EQ(inb(0x40), 0x11) << "the MSB of the count now, 0x11ff";
    EXPECT_EQ(inb(0x40), 0xff) << "then an LSB again";
}

TEST_F(I8254Test, ReadBackLatchesStatusThenCount) {
    outb(kControl, control_word(0, kLsbThenMsb, 2));
    outb(kControl, 0xe2);  // read-back: status of counter 0
    EXPECT_EQ(inb(0x40), 0x80 | 0x40 | 0x34) << "OUT high, null count: no count written yet";
    program(0, 2, 1000);
    at(10);
    outb(kControl, 0xc2);  // read-back: count and status of counter 0
    at(20);
    EXPECT_EQ(inb(0x40), 0x80 | 0x34) << "status first";
    EXPECT_EQ(read_count(0), 990);
    EXPECT_EQ(read_count(0), 980);

    program(2, 0, 50);
    at(30);
    outb(kControl, 0xe8);  // status of counter 2
    outb(kControl, 0xda);  // counts of counters 0 and 2
    EXPECT_EQ(inb(0x42), 0x30) << "mode 0 before terminal count: OUT low";
    EXPECT_EQ(read_count(2), 40);
    at(40);
    EXPECT_EQ(read_count(0), 970) << "counter 0's count was latched at tick 30";
}

TEST_F(I8254Test, GateSuspendsMode0AndTriggersMode1) {
    pit.set_gate(2, false);
    program(2, 0, 100);
    EXPECT_EQ(count_at(50, 2), 100) << "gate low: not counting";
    pit.set_gate(2, true);
    EXPECT_EQ(count_at(80, 2), 70);
    pit.set_gate(2, false);
    EXPECT_EQ(count_at(500, 2), 70);

    program(2, 1, 10);
    EXPECT_TRUE(pit.out(2)) << "mode 1 waits for a trigger with OUT high";
    pit.set_gate(2, true);
    at(505);
    EXPECT_FALSE(pit.out(2));
    EXPECT_EQ(read_count(2), 5);
    at(510);
    EXPECT_TRUE(pit.out(2));
}

TEST_F(I8254Test, GateLowInMode2ForcesOutHighAndRisingGateReloads) {
    program(2, 2, 10);
    at(9);
    EXPECT_FALSE(pit.out(2));
    pit.set_gate(2, false);
    EXPECT_TRUE(pit.out(2));
    EXPECT_EQ(count_at(50, 2), 1);
    pit.set_gate(2, true);
    EXPECT_EQ(count_at(53, 2), 7) << "reloaded at tick 50";
}

}  // namespace
}  // namespace prevt::devices
