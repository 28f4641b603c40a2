// The 8042 controller through ports 0x60/0x64: Linux's i8042 probe (controller, aux port),
// the command byte's interrupt gating, the output port's A20 and reset lines, and the pulse
// commands Linux's reboot and boot A20 code send.
#include <gtest/gtest.h>

#include "i8042_fixture.hpp"

namespace prevt::devices {
namespace {

TEST_F(I8042Test, PowerOnState) {
    EXPECT_EQ(status(), kUnlocked) << "empty, SYS clear, keyboard not inhibited";
    EXPECT_EQ(read_command_byte(), I8042::kPowerOnCommandByte);
    EXPECT_TRUE(kbc.a20());
    EXPECT_TRUE(a20_changes.empty()) << "the initial level is read, not called back";
    EXPECT_EQ(irq1.calls, 2) << "the 0x20 answer raised IRQ 1 and reading it lowered it";
    EXPECT_EQ(irq12.calls, 0);
}

TEST_F(I8042Test, StatusTracksTheLastPortWritten) {
    outb(0x64, 0xae);
    EXPECT_TRUE(status() & kCmd);
    write_command_byte(I8042::kPowerOnCommandByte);
    EXPECT_FALSE(status() & kCmd) << "the command byte itself went to 0x60";
}

// drivers/input/serio/i8042.c: i8042_controller_check, _selftest and _init.
TEST_F(I8042Test, LinuxControllerProbe) {
    const uint8_t key[] = {0x1c};
    ASSERT_TRUE(kbc.inject_keys(key));
    EXPECT_EQ(flush(), Bytes{0x1c}) << "i8042_flush empties what the BIOS left";

    uint8_t ctr[2] = {read_command_byte(), read_command_byte()};
    ASSERT_EQ(ctr[0], ctr[1]) << "Linux wants a stable CTR read";
    uint8_t ctr_value = (ctr[0] | kKbdDis) & ~kKbdInt;
    EXPECT_TRUE(status() & kUnlocked) << "else \"Warning: Keylock active\"";
    write_command_byte(ctr_value);
    EXPECT_EQ(read_command_byte(), ctr_value);

    const int irq1_calls = irq1.calls;
    write_command_byte(ctr_value & ~kAuxInt);
    EXPECT_EQ(command(0xaa, {}, 1), Bytes{0x55});
    EXPECT_TRUE(status() & kSys) << "self test sets SYS";
    EXPECT_TRUE(read_command_byte() & kCbSys);
    EXPECT_EQ(command(0xab, {}, 1), Bytes{0x00}) << "keyboard interface test";
    EXPECT_EQ(irq1.calls, irq1_calls) << "no IRQ 1 with the interrupt disabled";
    EXPECT_EQ(irq12.calls, 0);
    EXPECT_EQ(flush(), Bytes{});
}

// i8042_check_aux, then i8042_check_mux, as on a PC whose aux port has nothing plugged in.
TEST_F(I8042Test, LinuxAuxCheckFindsAPlainAuxPort) {
    write_command_byte(kAuxDis | kKbdDis | kXlate | kCbSys);  // as SeaBIOS and Linux leave it
    outb(0x64, 0xd3);
    outb(0x60, 0x5a);
    ASSERT_TRUE(status() & kObf);
    EXPECT_TRUE(status() & kAuxb) << "the loop answer must come from the aux side";
    EXPECT_FALSE(status() & kTimeout);
    EXPECT_EQ(inb(0x60), 0x5a) << "even with the aux port disabled";
    EXPECT_FALSE(status() & kAuxb) << "AUXB goes with the byte";

    write_command_byte(read_command_byte() & ~kAuxDis);  // so that 0xa7 has work to do
    command(0xa7);
    EXPECT_TRUE(read_command_byte() & kAuxDis) << "i8042_toggle_aux(false) polls CTR bit 5";
    command(0xa8);
    EXPECT_FALSE(read_command_byte() & kAuxDis);

    // The IRQ 12 delivery test: aux enabled with its interrupt, a loop byte nobody reads.
    write_command_byte((read_command_byte() | kAuxInt) & ~kAuxDis);
    EXPECT_EQ(irq12.rising_edges, 0);
    command(0xd3, {0xa5});
    EXPECT_TRUE(irq12.level);
    EXPECT_FALSE(irq1.level);
    EXPECT_EQ(status() & (kObf | kAuxb), kObf | kAuxb);
    EXPECT_EQ(inb(0x60), 0xa5);
    EXPECT_FALSE(irq12.level) << "reading 0x60 lowers IRQ 12";
    EXPECT_EQ(irq12.rising_edges, 1);

    // i8042_set_mux_mode: a plain loop echoes 0xa4, so no active multiplexer.
    for (uint8_t probe : {0xf0, 0x56, 0xa4}) EXPECT_EQ(command(0xd3, {probe}, 1), Bytes{probe});
    EXPECT_EQ(command(0xa9, {}, 1), Bytes{0x00}) << "aux interface test passes";
}

TEST_F(I8042Test, BytesToTheAbsentMouseAnswerFeWithTimeout) {
    write_command_byte(kAuxInt | kAuxDis | kXlate);
    command(0xd4, {0xf2});  // psmouse's GETID
    EXPECT_EQ(status() & (kObf | kAuxb | kTimeout), kObf | kAuxb | kTimeout);
    EXPECT_TRUE(irq12.level);
    EXPECT_FALSE(irq1.level);
    EXPECT_EQ(inb(0x60), 0xfe);
    EXPECT_FALSE(read_command_byte() & kAuxDis) << "sending to the aux port enables it";
    EXPECT_EQ(status() & kTimeout, 0);
}

TEST_F(I8042Test, CommandByteInterruptBitsGateIrqsOnAWaitingByte) {
    write_command_byte(0);
    command(0xd2, {0x42});  // a byte as if from the keyboard, left unread
    EXPECT_FALSE(irq1.level);
    write_command_byte(kKbdInt);
    EXPECT_TRUE(status() & kObf) << "0x60 with data does not disturb the output buffer";
    EXPECT_TRUE(irq1.level) << "enabling the interrupt raises the line for the waiting byte";
    write_command_byte(0);
    EXPECT_FALSE(irq1.level);
    EXPECT_EQ(flush(), Bytes{0x42});
}

TEST_F(I8042Test, ControllerRamBytesBehindCommands20And60) {
    command(0x65, {0x99});
    EXPECT_EQ(command(0x25, {}, 1), Bytes{0x99});
    EXPECT_EQ(read_command_byte(), I8042::kPowerOnCommandByte) << "byte 5 is not byte 0";
    command(0x60, {0x47});
    EXPECT_EQ(command(0x20, {}, 1), Bytes{0x47});
}

TEST_F(I8042Test, OutputPortCarriesA20AndReset) {
    const uint8_t port = command(0xd0, {}, 1).at(0);
    EXPECT_EQ(port & 0x03, 0x03) << "reset released, A20 enabled";
    command(0xd1, {static_cast<uint8_t>(port & ~0x02)});
    EXPECT_EQ(a20_changes, std::vector<bool>{false});
    EXPECT_FALSE(kbc.a20());
    EXPECT_EQ(command(0xd0, {}, 1).at(0) & 0x03, 0x01);
    command(0xd1, {0xdf});
    EXPECT_EQ(a20_changes, (std::vector<bool>{false, true}));
    command(0xd1, {0xdf});
    EXPECT_EQ(a20_changes.size(), 2u) << "called on changes only";
    EXPECT_EQ(resets, 0);

    command(0xd1, {0xde});  // bit 0 clear: CPU reset
    EXPECT_EQ(resets, 1);
    EXPECT_EQ(command(0xd0, {}, 1).at(0) & 0x03, 0x03) << "the reset is a pulse; A20 kept";
}

TEST_F(I8042Test, ChipsetA20Commands) {
    command(0xdd);
    EXPECT_EQ(a20_changes, std::vector<bool>{false});
    command(0xdf);
    EXPECT_EQ(a20_changes, (std::vector<bool>{false, true}));
    EXPECT_EQ(flush(), Bytes{}) << "no answer";
}

TEST_F(I8042Test, PulseCommandsResetOnAClearBit0) {
    command(0xff);  // pulse nothing (Linux's "null command" after enable_a20_kbc)
    command(0xfd);
    EXPECT_EQ(resets, 0);
    // arch/x86/kernel/reboot.c, BOOT_KBD: up to ten times kb_wait() and 0xfe.
    for (int i = 0; i < 10; ++i) command(0xfe);
    EXPECT_EQ(resets, 10);
    command(0xf0);
    EXPECT_EQ(resets, 11) << "every even pulse command pulses bit 0";
    EXPECT_TRUE(kbc.a20()) << "pulsing bit 1 does not drop A20";
    EXPECT_TRUE(a20_changes.empty());
}

// arch/x86/boot/a20.c: empty_8042 and enable_a20_kbc, from A20 off.
TEST_F(I8042Test, LinuxBootEnablesA20ThroughTheOutputPort) {
    command(0xdd);
    a20_changes.clear();
    auto empty_8042 = [this] {
        for (int loops = 0; loops < 100; ++loops) {
            const uint8_t s = status();
            if (s & kObf) {
                inb(0x60);
            } else if (!(s & kIbf)) {
                return true;
            }
        }
        return false;
    };
    ASSERT_TRUE(empty_8042());
    outb(0x64, 0xd1);
    ASSERT_TRUE(empty_8042());
    outb(0x60, 0xdf);
    ASSERT_TRUE(empty_8042());
    outb(0x64, 0xff);
    ASSERT_TRUE(empty_8042());
    EXPECT_EQ(a20_changes, std::vector<bool>{true});
    EXPECT_EQ(resets, 0);
}

TEST_F(I8042Test, UnknownCommandsAreIgnoredAndAbandonAWaitingCommand) {
    outb(0x64, 0xd1);  // waits for the output port value ...
    outb(0x64, 0xa1);  // ... but an unknown command (AMI version) comes instead
    EXPECT_EQ(status() & kObf, 0) << "no answer";
    outb(0x60, 0xee);  // so this byte goes to the keyboard: echo
    EXPECT_EQ(read_answers(1), Bytes{0xee});
    EXPECT_TRUE(kbc.a20()) << "the output port was not written";
    EXPECT_EQ(resets, 0);
}

TEST_F(I8042Test, WriteKeyboardBufferComesBackOnIrq1Untranslated) {
    write_command_byte(kKbdInt | kXlate);
    command(0xd2, {0x1c});
    EXPECT_TRUE(irq1.level);
    EXPECT_EQ(status() & kAuxb, 0);
    EXPECT_EQ(inb(0x60), 0x1c);
    EXPECT_FALSE(irq1.level);
}

TEST_F(I8042Test, EmptyDataPortRereadsTheLastByte) {
    command(0xd2, {0x37});
    EXPECT_EQ(inb(0x60), 0x37);
    EXPECT_EQ(inb(0x60), 0x37);
    EXPECT_EQ(status() & kObf, 0);
}

TEST_F(I8042Test, WiderAccessesSeeOnlyTheFirstByte) {
    command(0xd2, {0x12});
    EXPECT_EQ(bus.read(0x64, 2) & 0xff00, 0xff00u);
    EXPECT_EQ(bus.read(0x60, 2), 0xff12u);
    bus.write(0x64, 2, 0xaaaa);  // only 0xaa reaches the controller
    EXPECT_EQ(read_answers(1), Bytes{0x55});
}

}  // namespace
}  // namespace prevt::devices
