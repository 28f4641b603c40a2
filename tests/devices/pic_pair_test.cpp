// The PC/AT's cascaded 8259A pair, programmed as a BIOS or Linux programs it, with requests
// from ISA IRQ numbers and the CPU's INTA going to the master.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "devices/bus.hpp"
#include "devices/pic_pair.hpp"
#include "devices/uart16550.hpp"
#include "fakes.hpp"

namespace prevt::devices {
namespace {

constexpr uint8_t kMasterBase = 0x20, kSlaveBase = 0x28;
constexpr uint8_t kNonSpecificEoi = 0x20;

class PicPairTest : public ::testing::Test {
protected:
    PicPairTest() { pics.attach(bus); }
    uint8_t inb(uint16_t port) { return static_cast<uint8_t>(bus.read(port, 1)); }
    void outb(uint16_t port, uint8_t value) { bus.write(port, 1, value); }

    // The AT sequence: edge triggered, cascade, master's slave on IR2, slave ID 2.
    void init(uint8_t master_icw4 = 0x01) {
        outb(0x20, 0x11);
        outb(0x21, kMasterBase);
        outb(0x21, 0x04);
        outb(0x21, master_icw4);
        outb(0xa0, 0x11);
        outb(0xa1, kSlaveBase);
        outb(0xa1, 0x02);
        outb(0xa1, 0x01);
    }
    void eoi_slave_then_master() {
        outb(0xa0, kNonSpecificEoi);
        outb(0x20, kNonSpecificEoi);
    }

    PicPair pics;
    Bus bus{"port"};
};

TEST_F(PicPairTest, ChipsSitAtTheirAtPorts) {
    EXPECT_EQ(bus.find(0x20), &pics.master());
    EXPECT_EQ(bus.find(0x21), &pics.master());
    EXPECT_EQ(bus.find(0xa0), &pics.slave());
    EXPECT_EQ(bus.find(0xa1), &pics.slave());
    EXPECT_EQ(bus.find(0x22), nullptr);
}

TEST_F(PicPairTest, MasterIrqGetsTheMasterVector) {
    init();
    pics.set_irq(0, true);
    ASSERT_TRUE(pics.interrupt_pending());
    EXPECT_EQ(pics.acknowledge(), kMasterBase + 0);
    EXPECT_EQ(pics.master().isr(), 0x01);
    EXPECT_EQ(pics.slave().isr(), 0x00);
}

TEST_F(PicPairTest, SlaveIrqGoesThroughTheCascadeLine) {
    init();
    pics.set_irq(12, true);
    EXPECT_EQ(pics.master().irr(), 0x04) << "the slave's INT is the master's IR2";
    ASSERT_TRUE(pics.interrupt_pending());
    EXPECT_EQ(pics.acknowledge(), kSlaveBase + 4);
    EXPECT_EQ(pics.master().isr(), 0x04);
    EXPECT_EQ(pics.slave().isr(), 0x10);
    EXPECT_FALSE(pics.interrupt_pending());
    eoi_slave_then_master();
    EXPECT_EQ(pics.master().isr(), 0x00);
    EXPECT_EQ(pics.slave().isr(), 0x00);
}

TEST_F(PicPairTest, SlaveLevelsAreServedInPriorityOrder) {
    init();
    pics.set_irq(14, true);
    pics.set_irq(9, true);
    EXPECT_EQ(pics.acknowledge(), kSlaveBase + 1);
    EXPECT_FALSE(pics.interrupt_pending());
    eoi_slave_then_master();
    ASSERT_TRUE(pics.interrupt_pending()) << "IRQ 14 still waits on the slave";
    EXPECT_EQ(pics.acknowledge(), kSlaveBase + 6);
}

TEST_F(PicPairTest, MasterLevelsAboveTheCascadeNestOverSlaveService) {
    init();
    pics.set_irq(8, true);
    EXPECT_EQ(pics.acknowledge(), kSlaveBase + 0);
    pics.set_irq(3, true);
    EXPECT_FALSE(pics.interrupt_pending()) << "IRQ 3 ranks below the cascade line";
    pics.set_irq(1, true);
    ASSERT_TRUE(pics.interrupt_pending());
    EXPECT_EQ(pics.acknowledge(), kMasterBase + 1);
}

TEST_F(PicPairTest, FullyNestedMasterBlocksAHigherSlaveLevelUntilSpecialFullyNested) {
    init();
    pics.set_irq(12, true);
    EXPECT_EQ(pics.acknowledge(), kSlaveBase + 4);
    pics.set_irq(8, true);
    EXPECT_FALSE(pics.interrupt_pending()) << "the master's IR2 is in service";

    init(0x11);  // ICW4: 8086 mode, special fully nested
    pics.set_irq(12, false);
    pics.set_irq(8, false);
    pics.set_irq(12, true);
    EXPECT_EQ(pics.acknowledge(), kSlaveBase + 4);
    pics.set_irq(8, true);
    ASSERT_TRUE(pics.interrupt_pending()) << "SFNM lets the slave's higher level through";
    EXPECT_EQ(pics.acknowledge(), kSlaveBase + 0);
    EXPECT_EQ(pics.slave().isr(), 0x11);
}

TEST_F(PicPairTest, VanishedSlaveRequestIsTheMastersSpuriousIrq7) {
    init();
    pics.set_irq(10, true);
    ASSERT_TRUE(pics.interrupt_pending());
    pics.set_irq(10, false);
    EXPECT_EQ(pics.acknowledge(), kMasterBase + 7);
    EXPECT_EQ(pics.master().isr(), 0);
    EXPECT_EQ(pics.slave().isr(), 0);
}

TEST_F(PicPairTest, MaskingTheCascadeLineHidesTheSlave) {
    init();
    outb(0x21, 0x04);
    pics.set_irq(11, true);
    EXPECT_FALSE(pics.interrupt_pending());
    outb(0x21, 0x00);
    EXPECT_EQ(pics.acknowledge(), kSlaveBase + 3);
}

TEST_F(PicPairTest, SingleModeMasterAnswersForItsIr2Itself) {
    outb(0x20, 0x13);  // single: no slaves as far as the master knows
    outb(0x21, kMasterBase);
    outb(0x21, 0x01);
    outb(0xa0, 0x13);
    outb(0xa1, kSlaveBase);
    outb(0xa1, 0x01);
    pics.set_irq(13, true);
    EXPECT_EQ(pics.acknowledge(), kMasterBase + 2);
    EXPECT_EQ(pics.slave().isr(), 0) << "the slave saw no INTA";
}

TEST_F(PicPairTest, CpuIntOutputFollowsTheMaster) {
    RecordingIrqLine cpu_int;
    pics.connect_int_output(&cpu_int);
    init();
    pics.line(15)->set_level(true);
    EXPECT_TRUE(cpu_int.level);
    pics.acknowledge();
    EXPECT_FALSE(cpu_int.level);
}

TEST_F(PicPairTest, CascadeAndOutOfRangeIrqsCannotBeDriven) {
    EXPECT_THROW(pics.set_irq(2, true), std::out_of_range);
    EXPECT_THROW(pics.line(2), std::out_of_range);
    EXPECT_THROW(pics.set_irq(16, true), std::out_of_range);
    EXPECT_NO_THROW(pics.line(9));
}

TEST_F(PicPairTest, UartOnIrq4InterruptsThroughTheMaster) {
    std::string sent;
    Uart16550 com1([&](uint8_t b) { sent.push_back(static_cast<char>(b)); }, pics.line(4));
    bus.attach(0x3f8, Uart16550::kRegisterCount, com1);
    init();
    outb(0x3f8 + 4, 0x08);  // MCR.OUT2
    outb(0x3f8 + 1, 0x01);  // IER: received data
    com1.receive('k');
    ASSERT_TRUE(pics.interrupt_pending());
    EXPECT_EQ(pics.acknowledge(), kMasterBase + 4);
    EXPECT_EQ(inb(0x3f8), 'k');
    outb(0x20, kNonSpecificEoi);
    EXPECT_FALSE(pics.interrupt_pending());
}

}  // namespace
}  // namespace prevt::devices
