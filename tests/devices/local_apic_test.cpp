// The local APIC through the MMIO bus at 0xfee00000: register semantics, priorities, the
// ISR/EOI cycle, IPIs to itself, the error register and the 8259 behind LINT0 (SDM vol. 3A
// ch. 11). The timer's modes are in lapic_timer_test.cpp.
#include <gtest/gtest.h>

#include <vector>

#include "devices/bus.hpp"
#include "devices/local_apic.hpp"
#include "fakes.hpp"
#include "lapic_offsets.hpp"

namespace prevt::devices {
namespace {

// An 8259 pair reduced to its CPU side.
class FakePic final : public ExtIntSource {
public:
    bool interrupt_pending() const override { return pending; }
    uint8_t acknowledge() override {
        ++acks;
        pending = false;
        return vector;
    }
    bool pending = false;
    uint8_t vector = 0x08;
    int acks = 0;
};

using namespace lapic_mmio;  // the register offsets, as the SDM gives them
constexpr uint32_t kSelf = 1u << 18, kAllIncludingSelf = 2u << 18, kAllExcludingSelf = 3u << 18;
constexpr uint32_t kNmiMode = 4u << 8, kLogical = 1u << 11, kMasked = 1u << 16;

class LocalApicTest : public ::testing::Test {
protected:
    LocalApicTest() { bus.attach(kBase, LocalApic::kMmioSize, apic); }
    uint32_t rd(uint32_t reg) { return bus.read(kBase + reg, 4); }
    void wr(uint32_t reg, uint32_t v) { bus.write(kBase + reg, 4, v); }
    void enable() { wr(kSpiv, 0x1ff); }
    void self_ipi(uint8_t vector) { wr(kIcrLow, kSelf | vector); }
    bool irr(uint8_t v) { return rd(kIrr + (v >> 5) * 0x10) & (1u << (v & 31)); }
    bool isr(uint8_t v) { return rd(kIsr + (v >> 5) * 0x10) & (1u << (v & 31)); }
    // The vectors the CPU takes, acknowledging each (IF set, nothing in between).
    std::vector<int> take_all() {
        std::vector<int> out;
        while (apic.interrupt_pending() && out.size() < 16) out.push_back(apic.acknowledge());
        return out;
    }

    FakeClock clock;
    FakePic pic;
    LocalApic apic{clock, &pic};
    Bus bus{"mmio"};
};

TEST_F(LocalApicTest, ResetState) {
    EXPECT_EQ(rd(kId), 0u) << "the BSP's ID is 0";
    EXPECT_EQ(rd(kVersion), 0x00050014u) << "integrated APIC, six LVT entries";
    EXPECT_EQ(rd(kSpiv), 0xffu) << "software-disabled, vector 0xff";
    EXPECT_EQ(rd(kDfr), 0xffffffffu) << "flat model";
    EXPECT_EQ(rd(kLvtTimer), kMasked);
    EXPECT_EQ(rd(kLvtError), kMasked);
    EXPECT_EQ(rd(kLvtLint0), 0x700u) << "BSP: ExtINT, unmasked (virtual wire, as QEMU)";
    EXPECT_EQ(apic.base_msr(), 0xfee00900u) << "base 0xfee00000, enabled, BSP";
    EXPECT_FALSE(apic.interrupt_pending());
}

TEST_F(LocalApicTest, WritableBitsOnly) {
    wr(kId, 0xffffffff);
    EXPECT_EQ(rd(kId), 0xff000000u);
    wr(kLdr, 0xffffffff);
    EXPECT_EQ(rd(kLdr), 0xff000000u);
    wr(kDfr, 0);
    EXPECT_EQ(rd(kDfr), 0x0fffffffu) << "cluster model; bits 27:0 read as ones";
    wr(kTpr, 0xffffffff);
    EXPECT_EQ(rd(kTpr), 0xffu);
    wr(kVersion, 0);
    EXPECT_EQ(rd(kVersion), 0x00050014u) << "read-only";
    enable();
    wr(kLvtTimer, 0xffffffff);
    EXPECT_EQ(rd(kLvtTimer), 0x000300ffu) << "vector, mask, periodic; no TSC-deadline bit";
    wr(kLvtLint1, 0xffffffff);
    EXPECT_EQ(rd(kLvtLint1), 0x0001a7ffu) << "delivery status and remote IRR are read-only";
}

TEST_F(LocalApicTest, SoftwareDisableMasksTheLvt) {
    enable();
    wr(kLvtTimer, 0x40);
    EXPECT_EQ(rd(kLvtTimer), 0x40u);
    wr(kSpiv, 0xff);
    EXPECT_EQ(rd(kLvtTimer), kMasked | 0x40) << "software disable sets every mask bit";
    wr(kLvtTimer, 0x41);
    EXPECT_EQ(rd(kLvtTimer), kMasked | 0x41) << "and they cannot be cleared while disabled";
}

TEST_F(LocalApicTest, SelfIpiIsAcceptedAndAcknowledgedIntoTheIsr) {
    enable();
    self_ipi(0x40);
    EXPECT_TRUE(irr(0x40));
    ASSERT_TRUE(apic.interrupt_pending());
    EXPECT_EQ(apic.acknowledge(), 0x40);
    EXPECT_FALSE(irr(0x40));
    EXPECT_TRUE(isr(0x40));
    EXPECT_EQ(rd(kPpr), 0x40u) << "the PPR follows the ISR's class";
    EXPECT_FALSE(apic.interrupt_pending());
    wr(kEoi, 0);
    EXPECT_FALSE(isr(0x40));
    EXPECT_EQ(rd(kPpr), 0u);
}

TEST_F(LocalApicTest, HighestPriorityFirstAndNestingByClass) {
    enable();
    self_ipi(0x31);
    self_ipi(0x52);
    self_ipi(0x55);
    EXPECT_EQ(apic.acknowledge(), 0x55);
    EXPECT_FALSE(apic.interrupt_pending()) << "0x52 is in the class being served";
    wr(kEoi, 0);
    EXPECT_EQ(apic.acknowledge(), 0x52);
    self_ipi(0x60);
    EXPECT_EQ(apic.acknowledge(), 0x60) << "a higher class nests";
    EXPECT_EQ(rd(kPpr), 0x60u);
    wr(kEoi, 0);  // ends 0x60, the highest in service
    EXPECT_TRUE(isr(0x52));
    EXPECT_FALSE(isr(0x60));
    wr(kEoi, 0);
    EXPECT_EQ(take_all(), std::vector<int>{0x31});
}

// kvm-unit-tests x86/eventinj.c: with the TPR at 0xf0 two self-IPIs wait; TPR 0x20 lets 62
// (class 3) through, TPR 0 then 32.
TEST_F(LocalApicTest, TprHoldsLowerClasses) {
    enable();
    wr(kTpr, 0xf0);
    self_ipi(32);
    self_ipi(62);
    EXPECT_FALSE(apic.interrupt_pending());
    EXPECT_EQ(rd(kPpr), 0xf0u);
    wr(kTpr, 0x20);
    EXPECT_EQ(take_all(), std::vector<int>{62});
    wr(kEoi, 0);
    EXPECT_FALSE(apic.interrupt_pending()) << "32 is class 2, not above the TPR's";
    wr(kTpr, 0);
    EXPECT_EQ(take_all(), std::vector<int>{32});
}

TEST_F(LocalApicTest, TprSlotCanLiveElsewhere) {
    enable();
    wr(kTpr, 0x30);
    TprSlot slot;
    apic.bind_tpr_slot(&slot);
    EXPECT_EQ(slot.tpr, 0x30u) << "the value moves with the slot";
    self_ipi(0x45);
    EXPECT_EQ(slot.pending_class, 4u);
    slot.tpr = 0x50;  // a translator's plain store
    EXPECT_EQ(rd(kTpr), 0x50u);
    EXPECT_FALSE(apic.interrupt_pending());
    slot.tpr = 0;
    EXPECT_EQ(take_all(), std::vector<int>{0x45});
    EXPECT_EQ(slot.pending_class, 0u);
}

TEST_F(LocalApicTest, SoftwareDisabledHoldsFixedInterrupts) {
    self_ipi(0x40);  // accepted into the IRR even while disabled
    EXPECT_TRUE(irr(0x40));
    EXPECT_FALSE(apic.interrupt_pending());
    enable();
    EXPECT_EQ(take_all(), std::vector<int>{0x40});
}

TEST_F(LocalApicTest, Destinations) {
    enable();
    wr(kIcrHigh, 0x01000000);  // physical 1: not this CPU
    wr(kIcrLow, 0x41);
    EXPECT_FALSE(irr(0x41));
    wr(kIcrHigh, 0xff000000);  // broadcast
    wr(kIcrLow, 0x42);
    EXPECT_TRUE(irr(0x42));
    wr(kLdr, 0x04000000);  // flat: bit 2
    wr(kIcrHigh, 0x06000000);
    wr(kIcrLow, kLogical | 0x43);
    EXPECT_TRUE(irr(0x43));
    wr(kIcrHigh, 0x08000000);
    wr(kIcrLow, kLogical | 0x44);
    EXPECT_FALSE(irr(0x44));
    wr(kDfr, 0x0fffffff);  // cluster
    wr(kLdr, 0x21000000);  // cluster 2, member bit 0
    wr(kIcrHigh, 0x23000000);
    wr(kIcrLow, kLogical | 0x45);
    EXPECT_TRUE(irr(0x45));
    wr(kIcrHigh, 0x31000000);  // cluster 3
    wr(kIcrLow, kLogical | 0x46);
    EXPECT_FALSE(irr(0x46));
    wr(kIcrLow, kAllExcludingSelf | 0x47);
    EXPECT_FALSE(irr(0x47));
    wr(kIcrLow, kAllIncludingSelf | 0x48);
    EXPECT_TRUE(irr(0x48));
    EXPECT_EQ(rd(kIcrLow) & (1u << 12), 0u) << "delivery status idle";
}

TEST_F(LocalApicTest, NmiIpi) {
    enable();
    wr(kIcrHigh, 0);
    wr(kIcrLow, kNmiMode);  // kvm-unit-tests' apic_self_nmi: physical destination 0
    EXPECT_TRUE(apic.nmi_pending());
    EXPECT_FALSE(apic.interrupt_pending()) << "an NMI is not INTR";
    apic.nmi_taken();
    EXPECT_FALSE(apic.nmi_pending());
}

TEST_F(LocalApicTest, ErrorStatusIsWriteThenRead) {
    enable();
    wr(kLvtError, 0xfe);
    self_ipi(3);  // an illegal vector
    EXPECT_EQ(rd(kEsr), 0u) << "not latched until written";
    wr(kEsr, 0);
    EXPECT_EQ(rd(kEsr), 1u << 5) << "send illegal vector";
    EXPECT_TRUE(irr(0xfe)) << "the error LVT's interrupt";
    rd(0x2f0);  // no CMCI entry with six LVTs: an illegal register
    wr(kEsr, 0);
    EXPECT_EQ(rd(kEsr), 1u << 7);
    wr(kEsr, 0);
    EXPECT_EQ(rd(kEsr), 0u);
}

TEST_F(LocalApicTest, PicPassesWhileDisabledOrThroughExtIntLint0) {
    pic.pending = true;
    pic.vector = 0x20;
    EXPECT_TRUE(apic.interrupt_pending()) << "software-disabled: the 8259 goes straight through";
    EXPECT_EQ(apic.acknowledge(), 0x20);
    EXPECT_EQ(pic.acks, 1);
    enable();
    pic.pending = true;
    EXPECT_TRUE(apic.interrupt_pending()) << "LINT0 ExtINT: virtual wire";
    wr(kLvtLint0, 0x700 | kMasked);
    EXPECT_FALSE(apic.interrupt_pending()) << "LINT0 masked: the 8259 is cut off";
    ASSERT_TRUE(apic.write_base_msr(0xfee00000 | LocalApic::kMsrBsp));  // globally disabled
    EXPECT_TRUE(apic.interrupt_pending()) << "globally disabled: the 8259 goes straight through";
}

TEST_F(LocalApicTest, FixedInterruptsComeBeforeExtInt) {
    enable();
    pic.pending = true;
    self_ipi(0x40);
    EXPECT_EQ(apic.acknowledge(), 0x40);
    EXPECT_EQ(apic.acknowledge(), 0x08);
    EXPECT_EQ(pic.acks, 1);
}

TEST_F(LocalApicTest, SpuriousWhenNothingIsLeft) {
    wr(kSpiv, 0x1ef);
    EXPECT_EQ(apic.acknowledge(), 0xef);
}

TEST_F(LocalApicTest, BaseMsr) {
    EXPECT_FALSE(apic.write_base_msr(0xfee00900 | 1)) << "bits 7:0 reserved";
    EXPECT_FALSE(apic.write_base_msr(0xfee00900 | (1u << 10))) << "no x2APIC";
    EXPECT_FALSE(apic.write_base_msr(0x1fee00900ull)) << "above MAXPHYADDR (32)";
    ASSERT_TRUE(apic.write_base_msr(0xfee00000));
    EXPECT_EQ(apic.base_msr(), 0xfee00100u) << "the BSP bit is read-only";
    EXPECT_EQ(rd(kVersion), 0xffffffffu) << "globally disabled: the registers are not decoded";
    wr(kTpr, 0x10);
    ASSERT_TRUE(apic.write_base_msr(0xfee00900));
    EXPECT_EQ(rd(kTpr), 0u) << "writes while disabled were dropped";
    EXPECT_EQ(rd(kSpiv) & 0x100, 0u) << "re-enabled software-disabled";
}

TEST_F(LocalApicTest, NarrowAccesses) {
    wr(kTpr, 0x5a);
    EXPECT_EQ(bus.read(kBase + kTpr, 1), 0x5au);
    EXPECT_EQ(bus.read(kBase + kVersion + 2, 1), 0x05u);
    EXPECT_EQ(bus.read(kBase + kTpr + 4, 4), 0u) << "bytes 4-15 of a slot are reserved";
    bus.write(kBase + kTpr, 1, 0x10);
    EXPECT_EQ(rd(kTpr), 0x5au) << "sub-dword writes are dropped";
}

}  // namespace
}  // namespace prevt::devices
