// The PS/2 keyboard behind the 8042: its answers to the commands atkbd and SeaBIOS send, the
// output buffer's one-byte-at-a-time feed on IRQ 1, translation, and injected keys.
#include <gtest/gtest.h>

#include "i8042_fixture.hpp"

namespace prevt::devices {
namespace {

TEST_F(I8042Test, ResetAnswersAckThenBatOneByteAtATime) {
    write_command_byte(kKbdInt | kAuxDis | kCbSys);
    const int edges = irq1.rising_edges;
    outb(0x60, 0xff);
    EXPECT_TRUE(status() & kObf);
    EXPECT_TRUE(irq1.level) << "OBF with the keyboard interrupt enabled";
    EXPECT_EQ(irq1.rising_edges, edges + 1);
    EXPECT_EQ(inb(0x60), 0xfa);
    EXPECT_TRUE(status() & kObf) << "the BAT code follows once the ACK is read";
    EXPECT_TRUE(irq1.level);
    EXPECT_EQ(irq1.rising_edges, edges + 2) << "a new edge for the second byte";
    EXPECT_EQ(inb(0x60), 0xaa);
    EXPECT_FALSE(status() & kObf);
    EXPECT_FALSE(irq1.level) << "reading the last byte lowers IRQ 1";
    EXPECT_EQ(irq12.calls, 0);
}

TEST_F(I8042Test, IdentifyUntranslated) {
    write_command_byte(kAuxDis);
    EXPECT_EQ(keyboard(0xf2, 3), (Bytes{0xfa, 0xab, 0x83}));
}

TEST_F(I8042Test, IdentifyTranslatedReads41AsLinuxExpects) {
    write_command_byte(kAuxDis | kXlate);
    EXPECT_EQ(keyboard(0xf2, 3), (Bytes{0xfa, 0xab, 0x41}));
    EXPECT_EQ(flush(), Bytes{});
}

TEST_F(I8042Test, InjectedKeysAreTranslatedToSet1) {
    write_command_byte(kKbdInt | kXlate);
    const uint8_t a[] = {0x1c, 0xf0, 0x1c};                       // A, make and break
    const uint8_t right_ctrl[] = {0xe0, 0x14, 0xe0, 0xf0, 0x14};  // extended
    ASSERT_TRUE(kbc.inject_keys(a));
    ASSERT_TRUE(kbc.inject_keys(right_ctrl));
    EXPECT_EQ(flush(), (Bytes{0x1e, 0x9e, 0xe0, 0x1d, 0xe0, 0x9d}));
}

TEST_F(I8042Test, InjectedKeysPassUntranslatedWithoutTheBit) {
    write_command_byte(kKbdInt);
    const uint8_t a[] = {0x1c, 0xf0, 0x1c};
    ASSERT_TRUE(kbc.inject_keys(a));
    EXPECT_EQ(flush(), (Bytes{0x1c, 0xf0, 0x1c}));
}

TEST_F(I8042Test, AnInhibitedKeyboardKeepsItsBytes) {
    command(0xad);
    EXPECT_TRUE(read_command_byte() & kKbdDis);
    const uint8_t esc[] = {0x76};
    ASSERT_TRUE(kbc.inject_keys(esc));
    EXPECT_FALSE(status() & kObf);
    EXPECT_FALSE(irq1.level);
    command(0xae);
    EXPECT_TRUE(irq1.level);
    EXPECT_EQ(flush(), Bytes{0x76});
}

TEST_F(I8042Test, WritingToTheKeyboardEnablesItsPort) {
    write_command_byte(kKbdDis | kAuxDis);
    EXPECT_EQ(keyboard(0xee, 1), Bytes{0xee});
    EXPECT_FALSE(read_command_byte() & kKbdDis);
}

// atkbd_probe and atkbd_activate on a translating controller, answers read on IRQ 1.
TEST_F(I8042Test, LinuxAtkbdProbeSequence) {
    write_command_byte(kKbdInt | kAuxDis | kXlate | kCbSys);
    auto irq_driven = [this](uint8_t byte) {
        outb(0x60, byte);
        Bytes got;
        while (irq1.level) got.push_back(inb(0x60));  // one byte per interrupt
        return got;
    };
    EXPECT_EQ(irq_driven(0xf2), (Bytes{0xfa, 0xab, 0x41}));
    EXPECT_EQ(irq_driven(0xf5), Bytes{0xfa}) << "deactivate";
    EXPECT_FALSE(kbc.keyboard().scanning());
    const uint8_t key[] = {0x1c};
    EXPECT_FALSE(kbc.inject_keys(key)) << "a disabled keyboard does not scan";
    EXPECT_EQ(irq_driven(0xed), Bytes{0xfa});
    EXPECT_EQ(irq_driven(0x02), Bytes{0xfa});
    EXPECT_EQ(kbc.keyboard().leds(), 0x02);
    EXPECT_EQ(irq_driven(0xf3), Bytes{0xfa});
    EXPECT_EQ(irq_driven(0x00), Bytes{0xfa});
    EXPECT_EQ(kbc.keyboard().typematic(), 0x00);
    EXPECT_EQ(irq_driven(0xf4), Bytes{0xfa}) << "activate";
    EXPECT_TRUE(kbc.inject_keys(key));
    EXPECT_EQ(flush(), Bytes{0x1e});
}

TEST_F(I8042Test, ScanCodeSetIsStoredAndReportedThroughTranslation) {
    write_command_byte(kAuxDis);
    EXPECT_EQ(keyboard(0xf0, 1), Bytes{0xfa});
    EXPECT_EQ(keyboard(0x00, 2), (Bytes{0xfa, 0x02}));
    keyboard(0xf0, 1);
    EXPECT_EQ(keyboard(0x03, 1), Bytes{0xfa});
    EXPECT_EQ(kbc.keyboard().scan_code_set(), 3);
    write_command_byte(kAuxDis | kXlate);
    keyboard(0xf0, 1);
    EXPECT_EQ(keyboard(0x00, 2), (Bytes{0xfa, 0x3f})) << "set 3's 0x03, translated";
    keyboard(0xf0, 1);
    EXPECT_EQ(keyboard(0x07, 1), Bytes{0xfe}) << "no set 7";
}

TEST_F(I8042Test, ACommandInPlaceOfAParameterIsACommand) {
    write_command_byte(kAuxDis);
    keyboard(0xed, 1);
    EXPECT_EQ(keyboard(0xf2, 3), (Bytes{0xfa, 0xab, 0x83}));
    EXPECT_EQ(kbc.keyboard().leds(), 0);
}

TEST_F(I8042Test, EchoResendAndUnsupportedCommands) {
    write_command_byte(kAuxDis);
    EXPECT_EQ(keyboard(0xee, 1), Bytes{0xee});
    EXPECT_EQ(keyboard(0xfe, 1), Bytes{0xee}) << "resend repeats the last byte sent";
    EXPECT_EQ(keyboard(0xf1, 1), Bytes{0xfe});
    EXPECT_EQ(keyboard(0x12, 1), Bytes{0xfe});
    EXPECT_EQ(keyboard(0xf8, 1), Bytes{0xfa}) << "set-3 key modes are acknowledged";
}

TEST_F(I8042Test, ResetRestoresDefaultsAndDropsQueuedKeys) {
    write_command_byte(kAuxDis | kKbdDis);  // keys queue inside the keyboard
    const uint8_t key[] = {0x1c};
    ASSERT_TRUE(kbc.inject_keys(key));
    keyboard(0xf0, 0);  // enables the port: the key, then the ACK
    EXPECT_EQ(flush(), (Bytes{0x1c, 0xfa}));
    keyboard(0x01, 1);
    EXPECT_EQ(kbc.keyboard().scan_code_set(), 1);
    const uint8_t keys[] = {0x1c, 0x32};  // A fills the output buffer, B waits in the keyboard
    ASSERT_TRUE(kbc.inject_keys(keys));
    EXPECT_EQ(keyboard(0xff, 3), (Bytes{0x1c, 0xfa, 0xaa})) << "B is gone";
    EXPECT_EQ(kbc.keyboard().scan_code_set(), 2);
    EXPECT_TRUE(kbc.keyboard().scanning());
}

TEST_F(I8042Test, AKeyThatDoesNotFitIsDroppedWhole) {
    command(0xad);
    const uint8_t key[] = {0xe0, 0x14, 0xe0, 0xf0, 0x14};
    ASSERT_TRUE(kbc.inject_keys(key));
    ASSERT_TRUE(kbc.inject_keys(key));
    ASSERT_TRUE(kbc.inject_keys(key));
    EXPECT_FALSE(kbc.inject_keys(key)) << "15 of 16 bytes used";
    const uint8_t one[] = {0x1c};
    EXPECT_TRUE(kbc.inject_keys(one));
    command(0xae);
    write_command_byte(0);
    EXPECT_EQ(flush().size(), 16u);
}

}  // namespace
}  // namespace prevt::devices
