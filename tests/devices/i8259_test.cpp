// One 8259A driven through the port bus at 0x20, as a guest's interrupt code would drive it,
// with requests coming in through set_irq() and its IrqLine inputs.
#include <gtest/gtest.h>

#include <stdexcept>

#include "devices/bus.hpp"
#include "devices/i8259.hpp"
#include "fakes.hpp"

namespace prevt::devices {
namespace {

// Command bytes, as the datasheet's OCW2 and OCW3 tables name them.
constexpr uint8_t kNonSpecificEoi = 0x20, kRotateOnNonSpecificEoi = 0xa0;
constexpr uint8_t kSetRotateInAutoEoi = 0x80, kClearRotateInAutoEoi = 0x00;
constexpr uint8_t kReadIrr = 0x0a, kReadIsr = 0x0b, kPoll = 0x0c;
constexpr uint8_t kSetSpecialMask = 0x68, kResetSpecialMask = 0x48;
uint8_t specific_eoi(unsigned line) {
    return static_cast<uint8_t>(0x60 | line);
}
uint8_t rotate_on_specific_eoi(unsigned line) {
    return static_cast<uint8_t>(0xe0 | line);
}
uint8_t set_priority(unsigned lowest) {
    return static_cast<uint8_t>(0xc0 | lowest);
}

class I8259Test : public ::testing::Test {
protected:
    static constexpr uint16_t kCommand = 0x20, kData = 0x21;
    static constexpr uint8_t kBase = 0x30;
    I8259Test() { bus.attach(kCommand, I8259::kPortCount, pic); }
    uint8_t inb(uint16_t port) { return static_cast<uint8_t>(bus.read(port, 1)); }
    void outb(uint16_t port, uint8_t value) { bus.write(port, 1, value); }

    // Single chip, 8086 mode; `level` selects ICW1.LTIM, `icw4` adds AEOI or SFNM bits.
    void init(bool level = false, uint8_t icw4 = 0x01) {
        outb(kCommand, level ? 0x1b : 0x13);
        outb(kData, kBase);
        outb(kData, icw4);
    }
    // A fresh rising edge on a line that may already be high.
    void retrigger(unsigned line) {
        pic.set_irq(line, false);
        pic.set_irq(line, true);
    }

    I8259 pic;
    Bus bus{"port"};
};

TEST_F(I8259Test, EverythingIsMaskedUntilInitialized) {
    EXPECT_EQ(inb(kData), 0xff);
    pic.set_irq(1, true);
    EXPECT_FALSE(pic.interrupt_pending());
    EXPECT_EQ(pic.irr(), 0x02);
}

TEST_F(I8259Test, InitializationSetsVectorBaseAndClearsImr) {
    outb(kCommand, 0x13);  // edge, single, ICW4 needed
    outb(kData, kBase | 0x05);
    outb(kData, 0x01);  // 8086 mode
    EXPECT_EQ(pic.vector_base(), kBase) << "ICW2's low bits are not part of the base";
    EXPECT_EQ(inb(kData), 0x00);
    EXPECT_FALSE(pic.level_triggered());
    pic.set_irq(3, true);
    ASSERT_TRUE(pic.interrupt_pending());
    EXPECT_EQ(pic.acknowledge(), kBase + 3);
    EXPECT_EQ(pic.isr(), 0x08);
    EXPECT_EQ(pic.irr(), 0x00);
    EXPECT_FALSE(pic.interrupt_pending());
}

TEST_F(I8259Test, WithoutIcw4TheNextDataWriteIsOcw1) {
    outb(kCommand, 0x12);  // single, no ICW4
    outb(kData, kBase);
    outb(kData, 0xa5);
    EXPECT_EQ(inb(kData), 0xa5);
}

TEST_F(I8259Test, CascadeModeTakesIcw3BeforeIcw4) {
    outb(kCommand, 0x11);  // cascade, ICW4 needed
    outb(kData, kBase);
    outb(kData, 0x04);  // ICW3
    outb(kData, 0x03);  // ICW4: AEOI
    outb(kData, 0xfb);  // OCW1
    EXPECT_EQ(inb(kData), 0xfb);
    pic.set_irq(2, true);
    EXPECT_EQ(pic.acknowledge(), kBase + 2) << "no slave is wired: the master answers itself";
    EXPECT_EQ(pic.isr(), 0) << "AEOI came from ICW4";
}

TEST_F(I8259Test, MaskedRequestWaitsInIrr) {
    init();
    outb(kData, 0x02);
    pic.set_irq(1, true);
    EXPECT_FALSE(pic.interrupt_pending());
    outb(kCommand, kReadIrr);
    EXPECT_EQ(inb(kCommand), 0x02) << "IRR shows masked requests";
    outb(kData, 0x00);
    EXPECT_TRUE(pic.interrupt_pending());
    EXPECT_EQ(pic.acknowledge(), kBase + 1);
}

TEST_F(I8259Test, LowestNumberedLineWinsAndInServiceBlocksLowerLevels) {
    init();
    pic.set_irq(5, true);
    pic.set_irq(3, true);
    EXPECT_EQ(pic.acknowledge(), kBase + 3);
    EXPECT_FALSE(pic.interrupt_pending()) << "IR5 is below IR3, which is in service";
    outb(kCommand, kNonSpecificEoi);
    EXPECT_EQ(pic.acknowledge(), kBase + 5);
    EXPECT_EQ(pic.isr(), 0x20);
}

TEST_F(I8259Test, HigherLevelNestsAndNonSpecificEoiEndsTheHighest) {
    init();
    pic.set_irq(5, true);
    EXPECT_EQ(pic.acknowledge(), kBase + 5);
    pic.set_irq(1, true);
    ASSERT_TRUE(pic.interrupt_pending());
    EXPECT_EQ(pic.acknowledge(), kBase + 1);
    EXPECT_EQ(pic.isr(), 0x22);
    outb(kCommand, kNonSpecificEoi);
    EXPECT_EQ(pic.isr(), 0x20);
    outb(kCommand, kNonSpecificEoi);
    EXPECT_EQ(pic.isr(), 0x00);
}

TEST_F(I8259Test, SpecificEoiEndsTheNamedLevel) {
    init();
    pic.set_irq(5, true);
    pic.acknowledge();
    pic.set_irq(1, true);
    pic.acknowledge();
    outb(kCommand, specific_eoi(5));
    EXPECT_EQ(pic.isr(), 0x02);
}

TEST_F(I8259Test, RotateOnNonSpecificEoiMakesTheServedLevelLowest) {
    init();
    pic.set_irq(0, true);
    EXPECT_EQ(pic.acknowledge(), kBase + 0);
    outb(kCommand, kRotateOnNonSpecificEoi);
    EXPECT_EQ(pic.isr(), 0);
    pic.set_irq(0, false);
    pic.set_irq(0, true);
    pic.set_irq(7, true);
    EXPECT_EQ(pic.acknowledge(), kBase + 7) << "after rotation IR1 is highest, IR0 lowest";
    outb(kCommand, kNonSpecificEoi);
    EXPECT_EQ(pic.acknowledge(), kBase + 0);
}

TEST_F(I8259Test, SetPriorityChoosesTheLowestLevel) {
    init();
    outb(kCommand, set_priority(4));  // IR5 highest ... IR4 lowest
    pic.set_irq(2, true);
    pic.set_irq(5, true);
    EXPECT_EQ(pic.acknowledge(), kBase + 5);
    EXPECT_FALSE(pic.interrupt_pending()) << "IR2 ranks below IR5 now";
}

TEST_F(I8259Test, RotateOnSpecificEoiEndsAndRotates) {
    init();
    pic.set_irq(6, true);
    pic.acknowledge();
    outb(kCommand, rotate_on_specific_eoi(3));  // ends nothing in service; IR3 becomes lowest
    EXPECT_EQ(pic.isr(), 0x40);
    outb(kCommand, rotate_on_specific_eoi(6));
    EXPECT_EQ(pic.isr(), 0x00);
    pic.set_irq(0, true);
    pic.set_irq(7, true);
    EXPECT_EQ(pic.acknowledge(), kBase + 7) << "IR6 lowest: IR7 is highest";
}

TEST_F(I8259Test, AutoEoiLeavesIsrClearAndCanRotate) {
    init(false, 0x03);
    pic.set_irq(4, true);
    EXPECT_EQ(pic.acknowledge(), kBase + 4);
    EXPECT_EQ(pic.isr(), 0);
    pic.set_irq(6, true);
    EXPECT_TRUE(pic.interrupt_pending()) << "nothing in service blocks IR6";

    outb(kCommand, kSetRotateInAutoEoi);
    EXPECT_EQ(pic.acknowledge(), kBase + 6);  // IR6 becomes lowest: IR7 is highest
    retrigger(4);
    retrigger(6);
    pic.set_irq(7, true);
    EXPECT_EQ(pic.acknowledge(), kBase + 7);  // IR7 becomes lowest: IR0 is highest
    EXPECT_EQ(pic.acknowledge(), kBase + 4);  // IR4 becomes lowest: IR5 is highest

    outb(kCommand, kClearRotateInAutoEoi);
    EXPECT_EQ(pic.acknowledge(), kBase + 6);
    retrigger(6);
    retrigger(7);
    EXPECT_EQ(pic.acknowledge(), kBase + 6) << "no rotation: IR6 still ranks above IR7";
}

TEST_F(I8259Test, EdgeRequestIsLatchedOncePerRisingEdge) {
    init();
    pic.set_irq(2, true);
    EXPECT_EQ(pic.acknowledge(), kBase + 2);
    outb(kCommand, kNonSpecificEoi);
    EXPECT_FALSE(pic.interrupt_pending()) << "a line held high requests once";
    pic.set_irq(2, false);
    pic.set_irq(2, true);
    EXPECT_TRUE(pic.interrupt_pending());
}

TEST_F(I8259Test, LevelRequestFollowsTheLine) {
    init(true);
    EXPECT_TRUE(pic.level_triggered());
    pic.set_irq(2, true);
    EXPECT_EQ(pic.acknowledge(), kBase + 2);
    outb(kCommand, kNonSpecificEoi);
    EXPECT_TRUE(pic.interrupt_pending()) << "still high after EOI: requested again";
    pic.set_irq(2, false);
    EXPECT_FALSE(pic.interrupt_pending());
    EXPECT_EQ(pic.irr(), 0);
}

TEST_F(I8259Test, Icw1ResetsEdgeSense) {
    pic.set_irq(3, true);  // high before and during initialization
    init();
    EXPECT_FALSE(pic.interrupt_pending()) << "the line must rise after ICW1";
    pic.set_irq(3, false);
    pic.set_irq(3, true);
    EXPECT_TRUE(pic.interrupt_pending());
}

TEST_F(I8259Test, VanishedRequestGivesSpuriousIrq7) {
    for (bool level : {false, true}) {
        SCOPED_TRACE(level ? "level" : "edge");
        init(level);
        pic.set_irq(4, true);
        EXPECT_TRUE(pic.interrupt_pending());
        pic.set_irq(4, false);  // gone before the CPU acknowledged
        EXPECT_EQ(pic.acknowledge(), kBase + 7);
        EXPECT_EQ(pic.isr(), 0) << "a spurious IRQ 7 sets no ISR bit";
    }
}

TEST_F(I8259Test, ReadRegisterSelectPicksIrrOrIsrAndImrIsOnTheDataPort) {
    init();
    outb(kData, 0x80);
    pic.set_irq(1, true);
    pic.set_irq(6, true);
    pic.acknowledge();
    EXPECT_EQ(inb(kCommand), 0x40) << "IRR is read after ICW1";
    outb(kCommand, kReadIsr);
    EXPECT_EQ(inb(kCommand), 0x02);
    EXPECT_EQ(inb(kCommand), 0x02) << "the selection sticks";
    EXPECT_EQ(inb(kData), 0x80);
    outb(kCommand, kReadIrr);
    EXPECT_EQ(inb(kCommand), 0x40);
    EXPECT_EQ(bus.read(kCommand, 2), 0x8040u) << "a word read spans IRR and IMR";
}

TEST_F(I8259Test, PollCommandActsAsAcknowledgeOnTheNextRead) {
    init();
    outb(kCommand, kPoll);
    EXPECT_EQ(inb(kCommand), 0x00) << "nothing requesting";
    pic.set_irq(5, true);
    outb(kCommand, kPoll);
    EXPECT_EQ(inb(kData), 0x85) << "the poll answers on either port";
    EXPECT_EQ(pic.isr(), 0x20);
    EXPECT_EQ(pic.irr(), 0x00);
    EXPECT_EQ(inb(kData), 0x00) << "one read only: IMR again";
}

TEST_F(I8259Test, SpecialMaskModeLetsLowerLevelsThroughAMaskedInServiceLevel) {
    init();
    pic.set_irq(3, true);
    EXPECT_EQ(pic.acknowledge(), kBase + 3);
    pic.set_irq(5, true);
    EXPECT_FALSE(pic.interrupt_pending());
    outb(kData, 0x08);
    outb(kCommand, kSetSpecialMask);
    ASSERT_TRUE(pic.interrupt_pending());
    EXPECT_EQ(pic.acknowledge(), kBase + 5);
    outb(kCommand, kNonSpecificEoi);
    EXPECT_EQ(pic.isr(), 0x08) << "the masked level is not ended by a non-specific EOI";
    outb(kCommand, kResetSpecialMask);
    outb(kCommand, kNonSpecificEoi);
    EXPECT_EQ(pic.isr(), 0x00);
}

TEST_F(I8259Test, InputLinesAndIntOutputAreIrqLines) {
    RecordingIrqLine cpu_int;
    pic.connect_int_output(&cpu_int);
    init();
    pic.input(6)->set_level(true);
    EXPECT_TRUE(cpu_int.level);
    EXPECT_EQ(pic.acknowledge(), kBase + 6);
    EXPECT_FALSE(cpu_int.level);
    EXPECT_EQ(cpu_int.rising_edges, 1);
    EXPECT_THROW(pic.set_irq(8, true), std::out_of_range);
    EXPECT_THROW(pic.input(8), std::out_of_range);
}

}  // namespace
}  // namespace prevt::devices
