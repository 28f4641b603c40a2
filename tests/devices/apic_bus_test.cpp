// The APIC bus through the MMIO bus at 0xfee00000: three local APICs, the page routed to the
// running CPU's own, and IPIs between them by physical and logical destination and by
// shorthand, NMI, INIT (the target reset, waiting for a SIPI) and start-up (latched once)
// (SDM vol. 3A 11.6, 11.4.7.3, 8.4.4). (A vector taken stays in the ISR: each next one is of a
// higher class.)
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "devices/apic_bus.hpp"
#include "devices/bus.hpp"
#include "devices/local_apic.hpp"
#include "fakes.hpp"
#include "lapic_offsets.hpp"

namespace prevt::devices {
namespace {

using namespace lapic_mmio;
constexpr uint32_t kSelf = 1u << 18, kAllIncludingSelf = 2u << 18, kAllExcludingSelf = 3u << 18;
constexpr uint32_t kLogical = 1u << 11, kAssert = 1u << 14, kLevel = 1u << 15;
constexpr uint32_t kLowest = 1u << 8, kNmi = 4u << 8, kInit = 5u << 8, kStartup = 6u << 8;

class ApicBusTest : public ::testing::Test {
public:
    ApicBusTest() {
        for (uint8_t i = 0; i < 3; ++i)
            apics.push_back(std::make_unique<LocalApic>(clock, nullptr, i));
        apic_bus = std::make_unique<ApicBus>(
            std::vector<LocalApic*>{apics[0].get(), apics[1].get(), apics[2].get()});
        mmio.attach(kBase, LocalApic::kMmioSize, *apic_bus);
        for (unsigned i = 0; i < 3; ++i) on(i).wr(kSpiv, 0x1ff);  // all software-enabled
        on(0);
    }
    // The page as CPU i sees it from now on.
    ApicBusTest& on(unsigned i) {
        apic_bus->set_current(i);
        return *this;
    }
    uint32_t rd(uint32_t reg) { return mmio.read(kBase + reg, 4); }
    void wr(uint32_t reg, uint32_t v) { mmio.write(kBase + reg, 4, v); }
    void send(uint32_t destination, uint32_t low) {
        wr(kIcrHigh, destination << 24);
        wr(kIcrLow, low);
    }
    // The vector CPU i takes next (-1: none).
    int take(unsigned i) { return apics[i]->interrupt_pending() ? apics[i]->acknowledge() : -1; }

    FakeClock clock;
    std::vector<std::unique_ptr<LocalApic>> apics;
    std::unique_ptr<ApicBus> apic_bus;
    Bus mmio{"mmio"};
};

TEST_F(ApicBusTest, EachCpuSeesItsOwnApicAtTheSameAddress) {
    for (unsigned i = 0; i < 3; ++i) EXPECT_EQ(on(i).rd(kId), i << 24) << "APIC ID = index";
    EXPECT_TRUE(apics[0]->base_msr() & LocalApic::kMsrBsp) << "CPU 0 is the BSP";
    EXPECT_FALSE(apics[1]->base_msr() & LocalApic::kMsrBsp);
    on(1).wr(kTpr, 0x20);
    EXPECT_EQ(on(1).rd(kTpr), 0x20u);
    EXPECT_EQ(on(0).rd(kTpr), 0u) << "CPU 0's TPR is its own";
}

TEST_F(ApicBusTest, ApLint0IsMaskedBspIsVirtualWire) {
    EXPECT_EQ(on(0).rd(kLvtLint0), 0x700u);
    EXPECT_EQ(on(1).rd(kLvtLint0) & (1u << 16), 1u << 16);
}

TEST_F(ApicBusTest, FixedIpiByPhysicalDestination) {
    send(2, 0x41);
    EXPECT_EQ(take(2), 0x41);
    EXPECT_EQ(take(1), -1) << "only APIC ID 2 is addressed";
    EXPECT_EQ(take(0), -1);
    EXPECT_EQ(apic_bus->take_woken(), 1u << 2);
    EXPECT_EQ(apic_bus->take_woken(), 0u) << "taken once";
}

TEST_F(ApicBusTest, PhysicalBroadcastReachesAll) {
    send(0xff, 0x42);
    for (unsigned i = 0; i < 3; ++i) EXPECT_EQ(take(i), 0x42) << i;
    EXPECT_EQ(apic_bus->take_woken(), 0b110u) << "the sender is not woken";
}

TEST_F(ApicBusTest, Shorthands) {
    on(1).wr(kIcrLow, kSelf | 0x50);
    EXPECT_EQ(take(1), 0x50);
    EXPECT_EQ(take(0), -1);
    wr(kIcrLow, kAllExcludingSelf | 0x61);
    EXPECT_EQ(take(0), 0x61);
    EXPECT_EQ(take(2), 0x61);
    EXPECT_EQ(take(1), -1) << "all excluding self";
    wr(kIcrLow, kAllIncludingSelf | 0x72);
    for (unsigned i = 0; i < 3; ++i) EXPECT_EQ(take(i), 0x72) << i;
}

TEST_F(ApicBusTest, LogicalFlatAndCluster) {
    on(1).wr(kLdr, 0x02u << 24);
    on(2).wr(kLdr, 0x04u << 24);
    on(0).send(0x06, kLogical | 0x60);  // flat: a bit per CPU
    EXPECT_EQ(take(1), 0x60);
    EXPECT_EQ(take(2), 0x60);
    EXPECT_EQ(take(0), -1) << "CPU 0's LDR is 0";
    for (unsigned i = 0; i < 3; ++i) on(i).wr(kDfr, 0x0fffffff);  // cluster model
    on(1).wr(kLdr, 0x11u << 24);                                  // cluster 1, bit 0
    on(2).wr(kLdr, 0x21u << 24);                                  // cluster 2, bit 0
    on(0).send(0x21, kLogical | 0x71);
    EXPECT_EQ(take(2), 0x71);
    EXPECT_EQ(take(1), -1) << "another cluster";
}

TEST_F(ApicBusTest, LowestPriorityReachesOneCpu) {
    send(0xff, kLowest | 0x70);
    EXPECT_EQ(take(0) + take(1) + take(2), 0x70 - 2) << "one of the three";
}

TEST_F(ApicBusTest, NmiIpi) {
    send(1, kNmi);
    EXPECT_FALSE(apics[1]->nmi_pending()) << "an AP waiting for a SIPI ignores NMIs";
    uint8_t vector = 0;
    send(1, kStartup | 0x10);
    EXPECT_TRUE(apics[1]->take_sipi(&vector));
    send(1, kNmi);
    EXPECT_TRUE(apics[1]->nmi_pending()) << "started: it takes them";
    EXPECT_FALSE(apics[0]->nmi_pending());
}

TEST_F(ApicBusTest, InitResetsAndStartupIsLatchedOnce) {
    on(1).wr(kTpr, 0x30);
    on(1).wr(kLdr, 0x02u << 24);
    on(0).send(0, kAllExcludingSelf | kInit | kAssert);
    EXPECT_TRUE(apics[1]->take_init());
    EXPECT_FALSE(apics[1]->take_init()) << "taken once";
    EXPECT_TRUE(apics[2]->take_init());
    EXPECT_FALSE(apics[0]->take_init());
    EXPECT_EQ(on(1).rd(kTpr), 0u) << "INIT resets the APIC";
    EXPECT_EQ(rd(kLdr), 0u);
    EXPECT_EQ(rd(kSpiv), 0xffu) << "software-disabled again";
    EXPECT_EQ(rd(kId), 1u << 24) << "but keeps its ID";
    on(0).send(0, kAllExcludingSelf | kStartup | 0x9a);
    on(0).send(0, kAllExcludingSelf | kStartup | 0x9b);  // the second SIPI: ignored
    uint8_t vector = 0;
    EXPECT_TRUE(apics[1]->take_sipi(&vector));
    EXPECT_EQ(vector, 0x9a);
    EXPECT_FALSE(apics[1]->take_sipi(&vector));
    EXPECT_TRUE(apics[2]->take_sipi(&vector));
    EXPECT_FALSE(apics[0]->take_sipi(&vector)) << "the BSP was not waiting";
}

TEST_F(ApicBusTest, InitLevelDeassertDoesNothing) {
    on(1).wr(kTpr, 0x30);
    on(0).send(1, kInit | kLevel);  // level clear, trigger level: the de-assert
    EXPECT_FALSE(apics[1]->take_init());
    EXPECT_EQ(on(1).rd(kTpr), 0x30u);
}

TEST_F(ApicBusTest, ApsWaitForSipiFromPowerOn) {
    on(0).send(2, kStartup | 0x10);
    uint8_t vector = 0;
    EXPECT_TRUE(apics[2]->take_sipi(&vector));
    EXPECT_EQ(vector, 0x10);
}

}  // namespace
}  // namespace prevt::devices
