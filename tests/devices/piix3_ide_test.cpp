// The PIIX3's IDE function at 00:01.1 as SeaBIOS's PCI scan and ata_scan() see it through
// configuration mechanism #1: an IDE controller in legacy mode with no bus master BAR.
#include <gtest/gtest.h>

#include "devices/bus.hpp"
#include "devices/pci_host.hpp"
#include "devices/piix3.hpp"
#include "devices/piix3_ide.hpp"

namespace prevt::devices {
namespace {

class Piix3IdeTest : public ::testing::Test {
protected:
    Piix3IdeTest() {
        piix3.set_multi_function();
        pci.add_function(1, 0, piix3);
        pci.add_function(1, 1, ide);
        bus.attach(PciHost::kIoBase, PciHost::kPortCount, pci);
    }
    uint32_t read(unsigned fn, unsigned reg, unsigned size) {
        bus.write(0xcf8, 4, 0x80000000u | 1u << 11 | fn << 8 | (reg & 0xfc));
        return bus.read(0xcfc + (reg & 3), size);
    }
    void write(unsigned fn, unsigned reg, unsigned size, uint32_t v) {
        bus.write(0xcf8, 4, 0x80000000u | 1u << 11 | fn << 8 | (reg & 0xfc));
        bus.write(0xcfc + (reg & 3), size, v);
    }
    Piix3 piix3;
    Piix3Ide ide;
    PciHost pci;
    Bus bus{"port"};
};

TEST_F(Piix3IdeTest, IsALegacyModeIdeControllerBesideTheIsaBridge) {
    EXPECT_EQ(read(0, 0x0e, 1), 0x80u) << "function 0 says functions 1-7 may exist";
    EXPECT_EQ(read(1, 0x00, 4), 0x70108086u);
    EXPECT_EQ(read(1, 0x08, 4) >> 8, 0x010180u);
    EXPECT_EQ(read(1, 0x0e, 1), 0x00u);
}

TEST_F(Piix3IdeTest, NoBarTakesAnAddress) {
    for (unsigned bar = 0x10; bar <= 0x24; bar += 4) {
        write(1, bar, 4, 0xffffffff);
        EXPECT_EQ(read(1, bar, 4), 0u) << "BAR at " << bar;
    }
}

TEST_F(Piix3IdeTest, TimingRegistersAreStoredAndReset) {
    write(1, 0x40, 2, 0xa307);
    write(1, 0x04, 2, 0xffff);
    EXPECT_EQ(read(1, 0x40, 2), 0xa307u);
    EXPECT_EQ(read(1, 0x04, 2), 0x0005u);
    ide.reset();
    EXPECT_EQ(read(1, 0x40, 2), 0u);
    piix3.reset();
    EXPECT_EQ(read(0, 0x0e, 1), 0x80u) << "the header type survives PCIRST#";
}

}  // namespace
}  // namespace prevt::devices
