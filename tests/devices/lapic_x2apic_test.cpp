// The local APIC's x2APIC mode (SDM vol. 3A, 11.12): the IA32_APIC_BASE transitions, the
// registers as MSRs with their #GP rules, the 64-bit ICR and the SELF IPI register, and the
// MMIO page going away.
#include <gtest/gtest.h>

#include "devices/bus.hpp"
#include "devices/local_apic.hpp"
#include "fakes.hpp"

namespace prevt::devices {
namespace {

constexpr uint64_t kXapic = 0xfee00000 | LocalApic::kMsrBsp | LocalApic::kMsrEnable;
constexpr uint64_t kX2apic = kXapic | LocalApic::kMsrX2apic;
constexpr uint32_t kId = 0x802, kVersion = 0x803, kTpr = 0x808, kPpr = 0x80a, kEoi = 0x80b,
                   kLdr = 0x80d, kDfr = 0x80e, kSpiv = 0x80f, kIsr = 0x810, kIrr = 0x820,
                   kEsr = 0x828, kIcr = 0x830, kIcr2 = 0x831, kLvtTimer = 0x832, kSelfIpi = 0x83f;

class X2apicTest : public ::testing::Test {
protected:
    X2apicTest() {
        bus.attach(LocalApic::kDefaultBase, LocalApic::kMmioSize, apic);
        apic.offer_x2apic(true);
    }
    uint64_t rd(uint32_t msr) {
        uint64_t v = 0;
        EXPECT_TRUE(apic.read_x2apic_msr(msr, &v)) << std::hex << msr;
        return v;
    }
    bool rd_faults(uint32_t msr) {
        uint64_t v = 0;
        return !apic.read_x2apic_msr(msr, &v);
    }
    void enter() {
        ASSERT_TRUE(apic.write_base_msr(kX2apic));
        ASSERT_TRUE(apic.write_x2apic_msr(kSpiv, 0x1ff));
    }

    FakeClock clock;
    LocalApic apic{clock, nullptr};
    Bus bus{"mmio"};
};

TEST(X2apicNotOffered, Bit10IsReservedAndTheMsrsFault) {
    FakeClock clock;
    LocalApic apic{clock, nullptr};
    EXPECT_FALSE(apic.write_base_msr(kX2apic));
    uint64_t v;
    EXPECT_FALSE(apic.read_x2apic_msr(kVersion, &v));
}

TEST_F(X2apicTest, TransitionsFollowTheSdm) {
    EXPECT_TRUE(rd_faults(kVersion)) << "xAPIC mode: the MSRs raise #GP";
    EXPECT_FALSE(apic.write_base_msr(0xfee00000 | LocalApic::kMsrX2apic)) << "x2APIC needs EN";
    ASSERT_TRUE(apic.write_base_msr(kX2apic));
    EXPECT_TRUE(apic.x2apic_mode());
    EXPECT_FALSE(apic.write_base_msr(kXapic)) << "x2APIC -> xAPIC only through disabled";
    ASSERT_TRUE(apic.write_base_msr(0xfee00000));
    ASSERT_TRUE(apic.write_base_msr(kXapic));
    EXPECT_FALSE(apic.x2apic_mode());
}

TEST_F(X2apicTest, MmioIsNotDecodedInX2apicMode) {
    EXPECT_EQ(bus.read(LocalApic::kDefaultBase + 0x30, 4), LocalApic::kVersion);
    enter();
    EXPECT_EQ(bus.read(LocalApic::kDefaultBase + 0x30, 4), 0xffffffffu);
    EXPECT_EQ(rd(kVersion), LocalApic::kVersion);
}

TEST_F(X2apicTest, IdAndLdrAreDerivedAndReadOnly) {
    enter();
    EXPECT_EQ(rd(kId), 0u);
    EXPECT_EQ(rd(kLdr), 1u) << "cluster 0, bit 0";
    EXPECT_FALSE(apic.write_x2apic_msr(kId, 5));
    EXPECT_FALSE(apic.write_x2apic_msr(kLdr, 5));
    EXPECT_TRUE(rd_faults(kDfr)) << "no DFR in x2APIC mode";
    EXPECT_TRUE(rd_faults(kIcr2)) << "the ICR is one 64-bit MSR";
    EXPECT_TRUE(rd_faults(0x8ff));
}

TEST_F(X2apicTest, WriteOnlyAndZeroOnlyRegisters) {
    enter();
    EXPECT_TRUE(rd_faults(kEoi));
    EXPECT_TRUE(rd_faults(kSelfIpi));
    EXPECT_FALSE(apic.write_x2apic_msr(kEoi, 1)) << "EOI takes only 0";
    EXPECT_FALSE(apic.write_x2apic_msr(kEsr, 1)) << "ESR takes only 0";
    EXPECT_FALSE(apic.write_x2apic_msr(kTpr, 1ull << 32)) << "bits 63:32 of a 32-bit register";
    EXPECT_FALSE(apic.write_x2apic_msr(kPpr, 0)) << "read-only";
    EXPECT_FALSE(apic.write_x2apic_msr(kSelfIpi, 0x140)) << "bits 31:8 of SELF IPI";
}

TEST_F(X2apicTest, SelfIpiRegisterAndPriorities) {
    enter();
    ASSERT_TRUE(apic.write_x2apic_msr(kTpr, 0x50));
    ASSERT_TRUE(apic.write_x2apic_msr(kSelfIpi, 0x45));
    EXPECT_EQ(rd(kIrr + 2) & (1u << 5), 1u << 5) << "0x45 waits in the IRR";
    EXPECT_FALSE(apic.interrupt_pending());
    ASSERT_TRUE(apic.write_x2apic_msr(kTpr, 0));
    ASSERT_TRUE(apic.interrupt_pending());
    EXPECT_EQ(apic.acknowledge(), 0x45);
    EXPECT_EQ(rd(kIsr + 2) & (1u << 5), 1u << 5);
    EXPECT_EQ(rd(kPpr), 0x40u);
    ASSERT_TRUE(apic.write_x2apic_msr(kEoi, 0));
    EXPECT_EQ(rd(kIsr + 2), 0u);
}

TEST_F(X2apicTest, IcrIsOne64BitWriteWith32BitDestinations) {
    enter();
    ASSERT_TRUE(apic.write_x2apic_msr(kIcr, (uint64_t{1} << 32) | 0x41));  // APIC ID 1: not us
    EXPECT_FALSE(apic.interrupt_pending());
    ASSERT_TRUE(apic.write_x2apic_msr(kIcr, 0x42));  // APIC ID 0
    EXPECT_EQ(apic.acknowledge(), 0x42);
    ASSERT_TRUE(apic.write_x2apic_msr(kEoi, 0));
    ASSERT_TRUE(apic.write_x2apic_msr(kIcr, (uint64_t{0xffffffff} << 32) | 0x43));  // broadcast
    EXPECT_EQ(apic.acknowledge(), 0x43);
    ASSERT_TRUE(apic.write_x2apic_msr(kEoi, 0));
    ASSERT_TRUE(apic.write_x2apic_msr(kIcr, (uint64_t{0x00000001} << 32) | (1u << 11) | 0x44));
    EXPECT_EQ(apic.acknowledge(), 0x44) << "logical: cluster 0, bit 0";
    ASSERT_TRUE(apic.write_x2apic_msr(kEoi, 0));
    ASSERT_TRUE(apic.write_x2apic_msr(kIcr, (uint64_t{0x00010001} << 32) | (1u << 11) | 0x46));
    EXPECT_FALSE(apic.interrupt_pending()) << "cluster 1";
    EXPECT_EQ(rd(kIcr) >> 32, 0x00010001u);
}

TEST_F(X2apicTest, LvtAndTimerRegistersWork) {
    enter();
    ASSERT_TRUE(apic.write_x2apic_msr(kLvtTimer, 0x20050));
    EXPECT_EQ(rd(kLvtTimer), 0x20050u);
}

}  // namespace
}  // namespace prevt::devices
