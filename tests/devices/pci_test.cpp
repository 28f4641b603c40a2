// The PCI host bridge (configuration mechanism #1 at 0xcf8-0xcff) with the 440FX's two
// functions behind it, driven through the port bus as a BIOS and Linux's pci/direct.c do.
#include <gtest/gtest.h>

#include <optional>
#include <utility>
#include <vector>

#include "devices/bus.hpp"
#include "devices/i440fx.hpp"
#include "devices/pci_host.hpp"
#include "devices/piix3.hpp"

namespace prevt::devices {
namespace {

constexpr uint16_t kAddr = 0xcf8, kRc = 0xcf9, kData = 0xcfc;
constexpr unsigned kPiix3Device = 1;

// CONFIG_ADDRESS for bus:device.function, register `reg` (bits 1:0 dropped), enable set.
constexpr uint32_t conf1(unsigned bus, unsigned device, unsigned function, unsigned reg) {
    return PciHost::kEnable | (bus << 16) | (device << 11) | (function << 8) | (reg & 0xfc);
}

// A function built the way later devices (VGA, IDE) will be: a PciConfigSpace with masks,
// whose status bits the "hardware" (the test) sets.
class FakeFunction final : public PciFunction {
public:
    FakeFunction() {
        config.define_identity({0x1234, 0x5678, 0x01, 0x030000, 0x00});
        config.define(0x04, 2, 0x0000, 0x0007);          // I/O, memory, bus master
        config.define(0x06, 2, 0x0200, 0x0000, 0xf900);  // status: R/WC bits
        config.define(0x3c, 1, 0x00, 0xff);
    }
    std::string_view name() const override { return "fake"; }
    uint32_t config_read(unsigned reg, unsigned size) override { return config.read(reg, size); }
    void config_write(unsigned reg, unsigned size, uint32_t value) override {
        config.write(reg, size, value);
    }
    void reset() override { config.reset(); }
    PciConfigSpace config;
};

class PciTest : public ::testing::Test {
protected:
    PciTest() {
        host.add_function(0, 0, pmc);
        host.add_function(kPiix3Device, 0, piix3);
        host.set_reset_control(&piix3.reset_control());
        bus.attach(PciHost::kIoBase, PciHost::kPortCount, host);
        pmc.set_pam_observer([this](unsigned i, uint8_t v) { pam_writes.emplace_back(i, v); });
        piix3.set_reset_request([this](bool hard) { resets.push_back(hard); });
    }
    uint8_t inb(uint16_t port) { return static_cast<uint8_t>(bus.read(port, 1)); }
    uint16_t inw(uint16_t port) { return static_cast<uint16_t>(bus.read(port, 2)); }
    uint32_t inl(uint16_t port) { return bus.read(port, 4); }
    void outb(uint16_t port, uint8_t value) { bus.write(port, 1, value); }
    void outw(uint16_t port, uint16_t value) { bus.write(port, 2, value); }
    void outl(uint16_t port, uint32_t value) { bus.write(port, 4, value); }

    // Linux's pci_conf1_read/write: the address, then the data port at (reg & 3).
    uint32_t read_config(unsigned device, unsigned reg, unsigned size, unsigned bus_nr = 0,
                         unsigned function = 0) {
        outl(kAddr, conf1(bus_nr, device, function, reg));
        const uint16_t port = static_cast<uint16_t>(kData + (reg & 3));
        return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
    }
    void write_config(unsigned device, unsigned reg, unsigned size, uint32_t value,
                      unsigned bus_nr = 0, unsigned function = 0) {
        outl(kAddr, conf1(bus_nr, device, function, reg));
        bus.write(static_cast<uint16_t>(kData + (reg & 3)), size, value);
    }

    I440fx pmc;
    Piix3 piix3;
    PciHost host;
    Bus bus{"port"};
    std::vector<std::pair<unsigned, uint8_t>> pam_writes;
    std::vector<bool> resets;
};

TEST_F(PciTest, IdsReadAtEveryWidthAndOffset) {
    struct Expect {
        unsigned device;
        uint32_t ids, class_rev;
        uint8_t header_type;
    };
    for (const Expect& e : {Expect{0, 0x12378086, 0x06000002, 0x00},
                            Expect{kPiix3Device, 0x70008086, 0x06010000, 0x00}}) {
        SCOPED_TRACE(e.device);
        EXPECT_EQ(read_config(e.device, 0x00, 4), e.ids);
        EXPECT_EQ(read_config(e.device, 0x00, 2), e.ids & 0xffff);
        EXPECT_EQ(read_config(e.device, 0x02, 2), e.ids >> 16);
        for (unsigned i = 0; i < 4; ++i) {
            EXPECT_EQ(read_config(e.device, i, 1), (e.ids >> (8 * i)) & 0xff) << "byte " << i;
            EXPECT_EQ(read_config(e.device, 0x08 + i, 1), (e.class_rev >> (8 * i)) & 0xff);
        }
        EXPECT_EQ(read_config(e.device, 0x08, 4), e.class_rev);
        EXPECT_EQ(read_config(e.device, 0x0a, 2), e.class_rev >> 16);
        EXPECT_EQ(read_config(e.device, 0x0e, 1), e.header_type);
        // The data port's offset selects the byte, whatever CONFIG_ADDRESS bits 1:0 were.
        outl(kAddr, conf1(0, e.device, 0, 0) | 3);
        EXPECT_EQ(inl(kData), e.ids);
        EXPECT_EQ(inw(kData + 2), e.ids >> 16);
        EXPECT_EQ(inb(kData + 1), (e.ids >> 8) & 0xff);
    }
}

TEST_F(PciTest, DataBytesPastTheLastPortReadAllOnes) {
    outl(kAddr, conf1(0, 0, 0, 0));
    EXPECT_EQ(inw(kData + 3), 0xff12) << "one config byte (0x03), then 0xd00: not ours";
    EXPECT_EQ(inw(kData + 1), 0x3780);
}

TEST_F(PciTest, AbsentFunctionsAndBusesReadAllOnesAndDropWrites) {
    EXPECT_EQ(read_config(2, 0x00, 4), 0xffffffffu);
    EXPECT_EQ(read_config(2, 0x00, 2), 0xffff);
    EXPECT_EQ(read_config(2, 0x0e, 1), 0xff);
    EXPECT_EQ(read_config(0, 0x00, 4, 0, 1), 0xffffffffu) << "00:00.1";
    EXPECT_EQ(read_config(kPiix3Device, 0x00, 2, 0, 1), 0xffff) << "00:01.1: no IDE here";
    EXPECT_EQ(read_config(31, 0x00, 4, 0, 7), 0xffffffffu);
    EXPECT_EQ(read_config(0, 0x00, 4, 1), 0xffffffffu) << "bus 1: no bridge";
    EXPECT_EQ(read_config(0, 0x00, 4, 255), 0xffffffffu);
    write_config(0, 0x3c, 1, 0x0b, 1);  // bus 1, device 0: must not reach 00:00.0
    write_config(2, 0x3c, 1, 0x0b);
    EXPECT_EQ(read_config(0, 0x3c, 1), 0);
    EXPECT_EQ(read_config(2, 0x3c, 1), 0xff);
}

TEST_F(PciTest, EnableBitClearReadsAllOnesAndDropsWrites) {
    outl(kAddr, 0x0000003c);  // 00:00.0 register 0x3c, enable clear
    EXPECT_EQ(inl(kAddr), 0x0000003cu);
    EXPECT_EQ(inl(kData), 0xffffffffu);
    EXPECT_EQ(inw(kData), 0xffff);
    EXPECT_EQ(inb(kData + 1), 0xff);
    outb(kData, 0x0b);
    outl(kAddr, 0x00000000);
    EXPECT_EQ(inl(kData), 0xffffffffu) << "vendor/device hidden too";
    EXPECT_EQ(read_config(0, 0x3c, 1), 0) << "the write with the enable bit clear was dropped";
}

TEST_F(PciTest, AddressRegisterKeepsOnlyItsFields) {
    outl(kAddr, 0xffffffff);
    EXPECT_EQ(inl(kAddr), 0x80fffffcu) << "bits 30:24 reserved, 1:0 zero";
    outl(kAddr, 0x12345678);
    EXPECT_EQ(inl(kAddr), 0x00345678u);
    EXPECT_EQ(host.address(), 0x00345678u);
}

TEST_F(PciTest, ByteAndWordAccessesAt0xcf8AreTheIsaBus) {
    outl(kAddr, 0x80000800);
    outb(kAddr, 0x00);
    outb(kAddr + 3, 0x01);
    outw(kAddr + 2, 0x0000);
    EXPECT_EQ(inl(kAddr), 0x80000800u) << "byte and word writes do not reach CONFIG_ADDRESS";
    EXPECT_EQ(inb(kAddr), 0xff);
    EXPECT_EQ(inb(kAddr + 2), 0xff);
    EXPECT_EQ(inb(kAddr + 3), 0xff);
    EXPECT_EQ(inw(kAddr + 2), 0xffff);
    EXPECT_EQ(inw(kAddr), 0x00ff) << "0xcf8 unassigned, 0xcf9 the reset control register (0)";
}

TEST_F(PciTest, LinuxCheckType1Works) {
    // arch/x86/pci/direct.c, pci_check_type1().
    outb(0xcfb, 0x01);
    const uint32_t saved = inl(kAddr);
    outl(kAddr, 0x80000000);
    ASSERT_EQ(inl(kAddr), 0x80000000u);
    // pci_sanity_check(): some devfn on bus 0 is a host bridge or an Intel device.
    bool sane = false;
    for (unsigned devfn = 0; devfn < 256 && !sane; ++devfn) {
        const unsigned device = devfn >> 3, function = devfn & 7;
        if (read_config(device, 0x0a, 2, 0, function) == 0x0600) sane = true;
        if (read_config(device, 0x00, 2, 0, function) == 0x8086) sane = true;
    }
    EXPECT_TRUE(sane);
    outl(kAddr, saved);
    EXPECT_EQ(inl(kAddr), saved);
    EXPECT_TRUE(resets.empty()) << "the probe's byte write to 0xcfb is not 0xcf9";
}

TEST_F(PciTest, LinuxCheckType2Fails) {
    // pci_check_type2(): mechanism #2 would read back the zeros written to 0xcf8 and 0xcfa.
    outb(0xcfb, 0x00);
    outb(0xcf8, 0x00);
    outb(0xcfa, 0x00);
    EXPECT_FALSE(inb(0xcf8) == 0x00 && inb(0xcfa) == 0x00);
}

TEST_F(PciTest, ResetControlAsksForAResetOnRcpuRisingEdge) {
    EXPECT_EQ(inb(kRc), 0x00);
    outb(kRc, 0x02);  // Linux reboot=pci: SRST first
    EXPECT_TRUE(resets.empty());
    EXPECT_EQ(inb(kRc), 0x02);
    outb(kRc, 0x06);  // then RCPU
    ASSERT_EQ(resets.size(), 1u);
    EXPECT_TRUE(resets[0]) << "SRST set: a hard reset";
    outb(kRc, 0x06);
    EXPECT_EQ(resets.size(), 1u) << "RCPU already set: no edge";
    outb(kRc, 0x00);
    outb(kRc, 0x04);
    ASSERT_EQ(resets.size(), 2u);
    EXPECT_FALSE(resets[1]) << "SRST clear: a soft reset";
    EXPECT_EQ(inb(kRc), 0x04);
    outb(kRc, 0xf9);
    EXPECT_EQ(inb(kRc), 0x00) << "reserved bits read 0";
    outl(kAddr, 0x00000600);  // a dword at 0xcf8 is CONFIG_ADDRESS, never RC
    EXPECT_EQ(inb(kRc), 0x00);
    EXPECT_EQ(resets.size(), 2u);
    outb(kRc, 0x02);
    host.reset();
    EXPECT_EQ(inb(kRc), 0x00) << "PCIRST# clears RC";
    EXPECT_EQ(inl(kAddr), 0u);
}

TEST_F(PciTest, CommandRegistersKeepTheirHardwiredBits) {
    EXPECT_EQ(read_config(0, 0x04, 2), 0x0006);
    write_config(0, 0x04, 2, 0xffff);
    EXPECT_EQ(read_config(0, 0x04, 2), 0x0146) << "82441FX: SERR# and PERR enables writable";
    write_config(0, 0x04, 2, 0x0000);
    EXPECT_EQ(read_config(0, 0x04, 2), 0x0006) << "memory and bus master stay on";

    EXPECT_EQ(read_config(kPiix3Device, 0x04, 2), 0x0007);
    write_config(kPiix3Device, 0x04, 2, 0xffff);
    EXPECT_EQ(read_config(kPiix3Device, 0x04, 2), 0x010f);
    write_config(kPiix3Device, 0x04, 1, 0x00);
    EXPECT_EQ(read_config(kPiix3Device, 0x04, 2), 0x0107) << "a byte write leaves 0x05 alone";
}

TEST_F(PciTest, IdentityRegistersAreReadOnly) {
    for (unsigned device : {0u, kPiix3Device}) {
        const uint32_t ids = read_config(device, 0x00, 4), class_rev = read_config(device, 0x08, 4);
        const uint32_t header = read_config(device, 0x0c, 4);
        write_config(device, 0x00, 4, 0);
        write_config(device, 0x08, 4, 0xffffffff);
        write_config(device, 0x0c, 4, 0xffffffff);
        write_config(device, 0x10, 4, 0xffffffff);  // no BARs: sizing reads 0
        EXPECT_EQ(read_config(device, 0x00, 4), ids);
        EXPECT_EQ(read_config(device, 0x08, 4), class_rev);
        EXPECT_EQ(read_config(device, 0x10, 4), 0u);
        EXPECT_EQ(read_config(device, 0x0e, 1), (header >> 16) & 0xff);
    }
    EXPECT_EQ(read_config(0, 0x0d, 1), 0xf8) << "the PMC's latency timer: bits 7:3";
}

TEST_F(PciTest, StatusBitsAreWriteOneToClear) {
    write_config(0, 0x06, 2, 0xffff);
    EXPECT_EQ(read_config(0, 0x06, 2), 0x0280) << "DEVSEL and fast back-to-back read-only";
    write_config(kPiix3Device, 0x04, 4, 0xffff0000);  // command and status in one dword
    EXPECT_EQ(read_config(kPiix3Device, 0x04, 4), 0x02000007u);

    FakeFunction fake;
    host.add_function(2, 0, fake);
    fake.config.set_byte(0x07, 0x32);  // received master abort and target abort (13, 12)
    EXPECT_EQ(read_config(2, 0x06, 2), 0x3200);
    write_config(2, 0x06, 2, 0x1000);  // clear target abort only
    EXPECT_EQ(read_config(2, 0x06, 2), 0x2200);
    write_config(2, 0x04, 4, 0x00000005);  // a dword of command with zeros in status
    EXPECT_EQ(read_config(2, 0x06, 2), 0x2200) << "writing 0 leaves a status bit alone";
    EXPECT_EQ(read_config(2, 0x04, 2), 0x0005);
    write_config(2, 0x04, 4, 0xffff0000);
    EXPECT_EQ(read_config(2, 0x04, 4), 0x02000000u);
}

TEST_F(PciTest, PamWritesReachTheObserverAndReadBack) {
    write_config(0, 0x59, 1, 0x30);  // BIOS: 0xf0000 read and write DRAM
    ASSERT_EQ(pam_writes.size(), 1u);
    EXPECT_EQ(pam_writes[0], std::make_pair(0u, uint8_t{0x30}));
    EXPECT_EQ(pmc.pam(0), 0x30);
    EXPECT_EQ(read_config(0, 0x59, 1), 0x30);
    pam_writes.clear();
    write_config(0, 0x58, 4, 0x11ffff10);  // DRAMT, PAM0, PAM1, PAM2 in one dword
    ASSERT_EQ(pam_writes.size(), 3u);
    EXPECT_EQ(pam_writes[0], std::make_pair(0u, uint8_t{0x30})) << "reserved low nibble";
    EXPECT_EQ(pam_writes[1], std::make_pair(1u, uint8_t{0x33})) << "bits 7:6 and 3:2 reserved";
    EXPECT_EQ(pam_writes[2], std::make_pair(2u, uint8_t{0x11}));
    EXPECT_EQ(read_config(0, 0x58, 4), 0x11333010u);
    pam_writes.clear();
    write_config(0, 0x5e, 2, 0x2101);  // PAM5, PAM6
    EXPECT_EQ(pam_writes, (std::vector<std::pair<unsigned, uint8_t>>{{5, 0x01}, {6, 0x21}}));

    EXPECT_TRUE(pmc.pam_attributes(0xf8000).read_dram);
    EXPECT_TRUE(pmc.pam_attributes(0xf8000).write_dram);
    EXPECT_TRUE(pmc.pam_attributes(0xc4000).write_dram);
    EXPECT_TRUE(pmc.pam_attributes(0xc8000).read_dram);
    EXPECT_FALSE(pmc.pam_attributes(0xc8000).write_dram);
    EXPECT_TRUE(pmc.pam_attributes(0xcc000).read_dram) << "PAM2 high: read-only DRAM";
    EXPECT_FALSE(pmc.pam_attributes(0xcc000).write_dram);
    EXPECT_TRUE(pmc.pam_attributes(0xe0000).read_dram) << "PAM5 low";
    EXPECT_FALSE(pmc.pam_attributes(0xe4000).read_dram) << "PAM5 high";
    EXPECT_TRUE(pmc.pam_attributes(0xeffff).write_dram) << "PAM6 high";
    EXPECT_FALSE(pmc.pam_attributes(0xd0000).read_dram);

    pam_writes.clear();
    pmc.reset();
    EXPECT_EQ(pam_writes.size(), I440fx::kPamCount) << "reset tells the machine to unmap";
    EXPECT_EQ(read_config(0, 0x58, 4), 0x00000010u);
}

TEST_F(PciTest, PamSegments) {
    EXPECT_EQ(I440fx::pam_segment(0xc0000).pam_index, 1u);
    EXPECT_EQ(I440fx::pam_segment(0xc3fff).shift, 0u);
    EXPECT_EQ(I440fx::pam_segment(0xc4000).shift, 4u);
    EXPECT_EQ(I440fx::pam_segment(0xd7fff).pam_index, 3u);
    EXPECT_EQ(I440fx::pam_segment(0xd7fff).base, 0xd4000u);
    EXPECT_EQ(I440fx::pam_segment(0xec000).pam_index, 6u);
    const I440fx::PamSegment bios = I440fx::pam_segment(0xfffff);
    EXPECT_EQ(bios.base, 0xf0000u);
    EXPECT_EQ(bios.size, 0x10000u);
    EXPECT_EQ(bios.pam_index, 0u);
    EXPECT_EQ(bios.shift, 4u);
}

TEST_F(PciTest, SmramLocksWithDLck) {
    std::vector<uint8_t> seen;
    pmc.set_smram_observer([&seen](uint8_t v) { seen.push_back(v); });
    EXPECT_EQ(read_config(0, 0x72, 1), 0x02);
    write_config(0, 0x72, 1, 0x4f);  // D_OPEN | SMRAME, base bits written as 111b
    EXPECT_EQ(read_config(0, 0x72, 1), 0x4a) << "C_BASE_SEG reads 010b";
    write_config(0, 0x72, 1, 0x5a);  // lock
    EXPECT_EQ(read_config(0, 0x72, 1), 0x1a) << "D_LCK clears D_OPEN";
    write_config(0, 0x72, 1, 0x42);  // try to open and unlock
    EXPECT_EQ(read_config(0, 0x72, 1), 0x12) << "locked: D_OPEN and D_LCK read-only";
    write_config(0, 0x72, 1, 0x2a);
    EXPECT_EQ(read_config(0, 0x72, 1), 0x3a) << "D_CLS and SMRAME still writable";
    EXPECT_EQ(seen, (std::vector<uint8_t>{0x4a, 0x1a, 0x12, 0x3a}));
    host.reset();
    EXPECT_EQ(read_config(0, 0x72, 1), 0x02) << "only a reset unlocks";
}

TEST_F(PciTest, InterruptLineIsWritableAndPinReadOnly) {
    for (unsigned device : {0u, kPiix3Device}) {
        write_config(device, 0x3c, 4, 0xffffff0b);
        EXPECT_EQ(read_config(device, 0x3c, 1), 0x0b);
        EXPECT_EQ(read_config(device, 0x3d, 1), 0x00) << "no interrupt pin";
        EXPECT_EQ(read_config(device, 0x3c, 4), 0x0000000bu);
    }
}

TEST_F(PciTest, ResetValuesABiosReads) {
    EXPECT_EQ(read_config(0, 0x50, 2), 0x0100);
    EXPECT_EQ(read_config(0, 0x53, 1), 0x80);
    EXPECT_EQ(read_config(0, 0x57, 1), 0x01);  // DRAMC
    EXPECT_EQ(read_config(0, 0x58, 1), 0x10);
    EXPECT_EQ(read_config(0, 0x60, 4), 0x01010101u);
    EXPECT_EQ(read_config(0, 0x64, 4), 0x01010101u);
    EXPECT_EQ(read_config(0, 0x70, 2), 0x1020);

    EXPECT_EQ(read_config(kPiix3Device, 0x4c, 4), 0x0003004du);
    EXPECT_EQ(read_config(kPiix3Device, 0x60, 4), 0x80808080u);
    EXPECT_EQ(read_config(kPiix3Device, 0x69, 1), 0x02);  // TOM
    EXPECT_EQ(read_config(kPiix3Device, 0x70, 1), 0x80);
    EXPECT_EQ(read_config(kPiix3Device, 0x76, 2), 0x0c0c);
    EXPECT_EQ(read_config(kPiix3Device, 0x78, 2), 0x0002);
    EXPECT_EQ(read_config(kPiix3Device, 0x82, 1), 0x00);
    EXPECT_EQ(read_config(kPiix3Device, 0xa0, 1), 0x08);
    EXPECT_EQ(read_config(kPiix3Device, 0xa8, 1), 0x0f);
    write_config(kPiix3Device, 0x82, 1, 0xff);
    EXPECT_EQ(read_config(kPiix3Device, 0x82, 1), 0x0f) << "DLC: bits 3:0";
}

TEST_F(PciTest, PirqRoutes) {
    for (unsigned i = 0; i < Piix3::kPirqCount; ++i) EXPECT_EQ(piix3.pirq_irq(i), std::nullopt);
    write_config(kPiix3Device, 0x60, 4, 0x0e0b0a09);  // A=9, B=10, C=11, D=14
    EXPECT_EQ(piix3.pirq_irq(0), 9u);
    EXPECT_EQ(piix3.pirq_irq(1), 10u);
    EXPECT_EQ(piix3.pirq_irq(2), 11u);
    EXPECT_EQ(piix3.pirq_irq(3), 14u);
    write_config(kPiix3Device, 0x61, 1, 0xfa);
    EXPECT_EQ(read_config(kPiix3Device, 0x61, 1), 0x8a) << "bits 6:4 reserved";
    EXPECT_EQ(piix3.pirq_irq(1), std::nullopt) << "IRQROUTEN# set";
    write_config(kPiix3Device, 0x62, 1, 0x02);
    EXPECT_EQ(piix3.pirq_irq(2), std::nullopt) << "IRQ 2 is not routable";
    write_config(kPiix3Device, 0x63, 1, 0x0d);
    EXPECT_EQ(piix3.pirq_irq(3), std::nullopt) << "IRQ 13 is not routable";
}

TEST_F(PciTest, DrbsFromRamSize) {
    pmc.set_dram_size(64ull << 20);
    EXPECT_EQ(read_config(0, 0x60, 4), 0x08080808u);
    EXPECT_EQ(read_config(0, 0x64, 4), 0x08080808u);
    pmc.set_dram_size(256ull << 20);  // two full 128 MiB rows
    EXPECT_EQ(read_config(0, 0x60, 4), 0x20202010u);
    pmc.set_dram_size(200ull << 20);
    EXPECT_EQ(read_config(0, 0x60, 2), 0x1910);  // 128 MiB + 72 MiB: 16, 25
    pmc.set_dram_size(3ull << 20);
    EXPECT_EQ(pmc.drb(0), 1) << "rounded up to 8 MiB";
    pmc.set_dram_size(4ull << 30);
    EXPECT_EQ(read_config(0, 0x64, 4), 0x80706050u) << "capped at 1 GiB";
    EXPECT_EQ(pmc.drb(7), 0x80);
    host.reset();
    EXPECT_EQ(pmc.drb(7), 0x80) << "kept across reset";
}

TEST_F(PciTest, AddFunctionRefusesTakenAndOutOfRangePlaces) {
    FakeFunction fake;
    EXPECT_THROW(host.add_function(0, 0, fake), BusError);
    EXPECT_THROW(host.add_function(32, 0, fake), BusError);
    EXPECT_THROW(host.add_function(3, 8, fake), BusError);
    host.add_function(kPiix3Device, 1, fake);
    EXPECT_EQ(host.function(kPiix3Device, 1), &fake);
    EXPECT_EQ(read_config(kPiix3Device, 0x00, 4, 0, 1), 0x56781234u);
    EXPECT_EQ(host.config_read(0, 0, 0, 0x02, 2), 0x1237u);
    EXPECT_EQ(host.config_read(1, 0, 0, 0x00, 4), 0xffffffffu);
}

}  // namespace
}  // namespace prevt::devices
