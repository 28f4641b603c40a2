// System control port A: the fast A20 gate and fast init as Linux's boot code and SeaBIOS use
// them, and the A20 gate a PC's chipset makes of it and the 8042's output port.
#include <gtest/gtest.h>

#include <vector>

#include "devices/bus.hpp"
#include "devices/i8042.hpp"
#include "devices/port92.hpp"

namespace prevt::devices {
namespace {

class Port92Test : public ::testing::Test {
protected:
    Port92Test() { bus.attach(Port92::kIoBase, Port92::kPortCount, port92); }
    uint8_t inb() { return static_cast<uint8_t>(bus.read(0x92, 1)); }
    void outb(uint8_t value) { bus.write(0x92, 1, value); }

    std::vector<bool> a20_changes;
    int resets = 0;
    Port92 port92{[this](bool on) { a20_changes.push_back(on); }, [this] { ++resets; }};
    Bus bus{"port"};
};

TEST_F(Port92Test, ResetStateIsZero) {
    EXPECT_EQ(inb(), 0);
    EXPECT_FALSE(port92.a20());
}

TEST_F(Port92Test, Bit1IsTheA20GateAndReadsBack) {
    outb(0x02);
    EXPECT_EQ(inb(), 0x02);
    EXPECT_TRUE(port92.a20());
    outb(0x02);
    outb(0x00);
    EXPECT_EQ(a20_changes, (std::vector<bool>{true, false})) << "called on changes only";
    EXPECT_EQ(resets, 0);
}

TEST_F(Port92Test, ReservedBitsReadZero) {
    outb(0xfc);
    EXPECT_EQ(inb(), 0);
    EXPECT_TRUE(a20_changes.empty());
    EXPECT_EQ(resets, 0);
}

TEST_F(Port92Test, FastInitResetsOnARisingBit0Only) {
    outb(0x01);
    EXPECT_EQ(resets, 1);
    EXPECT_EQ(inb() & 0x01, 0x01) << "not self-clearing (PIIX4, ICH)";
    outb(0x03);
    EXPECT_EQ(resets, 1) << "still 1: no new transition";
    EXPECT_EQ(a20_changes, std::vector<bool>{true});
    outb(0x02);
    outb(0x03);
    EXPECT_EQ(resets, 2);
}

// arch/x86/boot/a20.c, enable_a20_fast: read, set bit 1, clear bit 0, write.
TEST_F(Port92Test, LinuxFastA20) {
    uint8_t port_a = inb();
    port_a = (port_a | 0x02) & ~0x01;
    outb(port_a);
    EXPECT_TRUE(port92.a20());
    EXPECT_EQ(resets, 0);
}

// SeaBIOS set_a20: read-modify-write of bit 1 that keeps whatever bit 0 holds.
TEST_F(Port92Test, ReadModifyWriteKeepingBit0DoesNotReset) {
    outb(0x01);
    ASSERT_EQ(resets, 1);
    outb(inb() | 0x02);
    outb(inb() & ~0x02);
    EXPECT_EQ(resets, 1);
}

TEST_F(Port92Test, WiderAccessSeesOnlyTheFirstByte) {
    bus.write(0x92, 2, 0x0102);
    EXPECT_EQ(bus.read(0x92, 2), 0xff02u);
    EXPECT_EQ(resets, 0);
}

// The chipset's A20M#: enabled while either port 0x92 bit 1 or the 8042's A20 output is set.
TEST(A20GateTest, ChipsetOrsPort92AndTheKeyboardController) {
    Bus bus{"port"};
    std::vector<bool> gate;
    const I8042* kbc_view = nullptr;
    const Port92* port92_view = nullptr;
    auto update = [&](bool) { gate.push_back(kbc_view->a20() || port92_view->a20()); };
    I8042 kbc{{nullptr, nullptr, update, nullptr}};
    Port92 port92{update, nullptr};
    kbc_view = &kbc;
    port92_view = &port92;
    kbc.attach(bus);
    bus.attach(Port92::kIoBase, Port92::kPortCount, port92);

    bus.write(0x64, 1, 0xdd);  // 8042 A20 off, port 0x92 bit 1 still 0: the gate closes
    bus.write(0x92, 1, 0x02);  // fast A20 on
    bus.write(0x64, 1, 0xdf);  // 8042 on as well
    bus.write(0x92, 1, 0x00);  // fast A20 off: the 8042 still holds it open
    bus.write(0x64, 1, 0xdd);
    EXPECT_EQ(gate, (std::vector<bool>{false, true, true, true, false}));
}

}  // namespace
}  // namespace prevt::devices
