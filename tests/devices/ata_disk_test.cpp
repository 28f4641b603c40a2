// The ATA disk through the bus, driven as SeaBIOS's src/hw/ata.c drives it (detection with
// 0x55/0xaa, SRST with nIEN, IDENTIFY PACKET before IDENTIFY, PIO reads and writes by
// insw/outsw), on a disk whose every sector starts with its own LBA.
#include <gtest/gtest.h>

#include <vector>

#include "devices/ata_disk.hpp"
#include "devices/bus.hpp"
#include "fakes.hpp"

namespace prevt::devices {
namespace {

constexpr uint8_t kBsy = 0x80, kDrq = 0x08, kErr = 0x01;

class AtaTest : public ::testing::Test {
protected:
    static constexpr size_t kSectors = 16384;  // 8 MiB: 16 cylinders of 16 heads x 63
    AtaTest() : disk(kSectors * 512) {
        for (size_t lba = 0; lba < kSectors; ++lba) {
            disk.bytes[lba * 512] = static_cast<uint8_t>(lba);
            disk.bytes[lba * 512 + 1] = static_cast<uint8_t>(lba >> 8);
        }
        ata.attach(bus);
    }
    void out(uint16_t port, uint8_t v) { bus.write(port, 1, v); }
    uint8_t in(uint16_t port) { return static_cast<uint8_t>(bus.read(port, 1)); }
    std::vector<uint16_t> insw(size_t words) {
        std::vector<uint16_t> v;
        for (size_t i = 0; i < words; ++i) v.push_back(static_cast<uint16_t>(bus.read(0x1f0, 2)));
        return v;
    }
    void lba28(uint32_t lba, uint8_t count, uint8_t command) {
        out(0x1f6, static_cast<uint8_t>(0xe0 | (lba >> 24)));
        out(0x1f2, count);
        out(0x1f3, static_cast<uint8_t>(lba));
        out(0x1f4, static_cast<uint8_t>(lba >> 8));
        out(0x1f5, static_cast<uint8_t>(lba >> 16));
        out(0x1f7, command);
    }
    VectorDisk disk;
    RecordingIrqLine irq;
    AtaDisk ata{disk, &irq};
    Bus bus{"port"};
};

TEST_F(AtaTest, PowerOnShowsTheAtaSignature) {
    EXPECT_EQ(in(0x1f7), 0x50);
    EXPECT_EQ(in(0x1f2), 1);
    EXPECT_EQ(in(0x1f3), 1);
    EXPECT_EQ(in(0x1f4), 0);
    EXPECT_EQ(in(0x1f5), 0);
    EXPECT_EQ(in(0x1f1), 1) << "diagnostic code: passed";
}

TEST_F(AtaTest, DetectionSeesDeviceZeroAndNoDeviceOne) {
    out(0x1f6, 0xa0);
    out(0x1f2, 0x55);
    out(0x1f3, 0xaa);
    EXPECT_EQ(in(0x1f2), 0x55);
    EXPECT_EQ(in(0x1f3), 0xaa);
    EXPECT_EQ(in(0x1f6), 0xa0);
    out(0x1f6, 0xb0);
    out(0x1f2, 0x55);
    out(0x1f3, 0xaa);
    EXPECT_EQ(in(0x1f2), 0x55) << "the command block registers are shared";
    EXPECT_EQ(in(0x1f6), 0xb0);
    EXPECT_EQ(in(0x1f7), 0);
    EXPECT_EQ(in(0x3f6), 0);
    out(0x1f7, 0xec);  // ignored: nobody is there
    out(0x1f6, 0xa0);
    EXPECT_EQ(in(0x1f7) & kDrq, 0);
}

TEST_F(AtaTest, SoftwareResetIsBusyThenSignature) {
    out(0x1f6, 0xa5);
    out(0x1f2, 9);
    out(0x3f6, 0x0e);  // HD15 | nIEN | SRST
    EXPECT_EQ(in(0x1f7) & kBsy, kBsy);
    out(0x3f6, 0x0a);
    EXPECT_EQ(in(0x1f7), 0x50);
    EXPECT_EQ(in(0x1f2), 1);
    EXPECT_EQ(in(0x1f3), 1);
    EXPECT_EQ(in(0x1f6), 0);
    EXPECT_FALSE(irq.level);
}

TEST_F(AtaTest, IdentifyPacketAbortsAndIdentifyDescribesTheDisk) {
    out(0x1f6, 0xa0);
    out(0x1f7, 0xa1);
    EXPECT_EQ(in(0x1f7) & (kErr | kDrq), kErr);
    EXPECT_EQ(in(0x1f1), 0x04) << "ABRT: not an ATAPI device";
    out(0x1f7, 0xec);
    EXPECT_TRUE(irq.level);
    EXPECT_EQ(in(0x3f6) & kDrq, kDrq);
    EXPECT_TRUE(irq.level) << "the alternate status leaves INTRQ alone";
    EXPECT_EQ(in(0x1f7) & (kDrq | kErr | kBsy), kDrq);
    EXPECT_FALSE(irq.level) << "the status read acknowledges it";
    const std::vector<uint16_t> id = insw(256);
    EXPECT_EQ(in(0x1f7), 0x50);
    EXPECT_EQ(id[1], 16);
    EXPECT_EQ(id[3], 16);
    EXPECT_EQ(id[6], 63);
    EXPECT_EQ(id[60] | id[61] << 16, kSectors);
    EXPECT_EQ(id[100], kSectors);
    EXPECT_TRUE(id[83] & (1 << 10)) << "48-bit";
    EXPECT_TRUE(id[49] & (1 << 9)) << "LBA";
    EXPECT_EQ(id[93] & 0xdf61, 0x4041) << "SeaBIOS then skips device 1";
    EXPECT_EQ(id[27], ('p' << 8) | 'r');
    uint8_t sum = 0;
    for (uint16_t w : id) sum = static_cast<uint8_t>(sum + (w & 0xff) + (w >> 8));
    EXPECT_EQ(sum, 0);
    EXPECT_EQ(id[255] & 0xff, 0xa5);
}

TEST_F(AtaTest, ReadSectorsLba28BlockByBlock) {
    out(0x3f6, 0x08);
    irq.rising_edges = 0;
    lba28(1000, 2, 0x20);
    for (unsigned block = 0; block < 2; ++block) {
        EXPECT_EQ(irq.rising_edges, static_cast<int>(block + 1)) << "INTRQ per block";
        EXPECT_EQ(in(0x1f7), 0x58);
        const std::vector<uint16_t> data = insw(256);
        EXPECT_EQ(data[0], 1000 + block);
    }
    EXPECT_EQ(irq.rising_edges, 2) << "none after the last block";
    EXPECT_EQ(in(0x1f7), 0x50);
    EXPECT_EQ(in(0x1f2), 0);
    EXPECT_EQ(in(0x1f3), 1002 & 0xff) << "the address registers at the next sector";
    EXPECT_EQ(in(0x1f4), 1002 >> 8);
}

TEST_F(AtaTest, ReadSectorsChsByTheDefaultGeometry) {
    out(0x1f6, 0xa0 | 2);  // head 2
    out(0x1f2, 1);
    out(0x1f3, 3);  // sector 3
    out(0x1f4, 1);  // cylinder 1
    out(0x1f5, 0);
    out(0x1f7, 0x20);
    EXPECT_EQ(insw(256)[0], (1 * 16 + 2) * 63 + 2);
    out(0x1f3, 64);  // sector 64 is not in the geometry
    out(0x1f7, 0x20);
    EXPECT_EQ(in(0x1f7) & kErr, kErr);
    EXPECT_EQ(in(0x1f1), 0x10) << "IDNF";
}

TEST_F(AtaTest, ThirtyTwoBitDataAccessMovesTwoWords) {
    lba28(7, 1, 0x20);
    EXPECT_EQ(bus.read(0x1f0, 4), 7u);
    EXPECT_EQ(bus.read(0x1f0, 1), 0xffu) << "byte access: QEMU's all-ones";
}

TEST_F(AtaTest, WriteSectorsInterruptsAfterEachBlock) {
    irq.rising_edges = 0;
    lba28(50, 2, 0x30);
    EXPECT_EQ(in(0x1f7), 0x58);
    EXPECT_EQ(irq.rising_edges, 0) << "the first block's DRQ comes without INTRQ";
    for (unsigned i = 0; i < 256; ++i) bus.write(0x1f0, 2, 0x1100 + i);
    EXPECT_EQ(irq.rising_edges, 1);
    EXPECT_EQ(in(0x1f7), 0x58);
    for (unsigned i = 0; i < 256; ++i) bus.write(0x1f0, 2, 0x2200 + i);
    EXPECT_EQ(irq.rising_edges, 2);
    EXPECT_EQ(in(0x1f7), 0x50);
    EXPECT_EQ(disk.bytes[50 * 512], 0x00);
    EXPECT_EQ(disk.bytes[50 * 512 + 1], 0x11);
    EXPECT_EQ(disk.bytes[51 * 512 + 511], 0x22);
    EXPECT_EQ(disk.bytes[52 * 512], 52) << "nothing past the count";
}

TEST_F(AtaTest, ReadOnlyDisksAndOutOfRangeAddressesFail) {
    VectorDisk ro(4096, true);
    AtaDisk ata2{ro, nullptr};
    Bus bus2{"port"};
    ata2.attach(bus2);
    bus2.write(0x1f6, 1, 0xe0);
    bus2.write(0x1f2, 1, 1);
    bus2.write(0x1f7, 1, 0x30);
    EXPECT_EQ(bus2.read(0x1f7, 1), 0x41u);
    EXPECT_EQ(bus2.read(0x1f1, 1), 0x04u);
    lba28(kSectors, 1, 0x20);
    EXPECT_EQ(in(0x1f1), 0x04) << "past the end: ABRT, as QEMU";
    lba28(kSectors - 1, 2, 0x20);  // the second sector is past the end
    EXPECT_EQ(insw(256)[0], static_cast<uint16_t>(kSectors - 1));
    EXPECT_EQ(in(0x1f7) & kErr, kErr);
    EXPECT_EQ(in(0x1f1), 0x04);
    disk.fail = true;
    lba28(0, 1, 0x20);
    EXPECT_EQ(in(0x1f1), 0x40) << "UNC for a host read error";
}

TEST_F(AtaTest, ReadSectorsExtUses48BitRegisters) {
    out(0x1f6, 0x40);
    out(0x1f2, 0);  // count 15:8
    out(0x1f2, 1);
    out(0x1f3, 0);  // LBA 31:24
    out(0x1f3, 0x34);
    out(0x1f4, 0);
    out(0x1f4, 0x12);
    out(0x1f5, 0);
    out(0x1f5, 0);
    out(0x1f7, 0x24);
    EXPECT_EQ(insw(256)[0], 0x1234);
    out(0x3f6, 0x80);  // HOB
    EXPECT_EQ(in(0x1f3), 0);
    out(0x3f6, 0x00);
    EXPECT_EQ(in(0x1f3), 0x35);
}

TEST_F(AtaTest, NienMasksTheInterrupt) {
    out(0x3f6, 0x0a);
    out(0x1f7, 0xe7);  // FLUSH CACHE
    EXPECT_FALSE(irq.level);
    out(0x3f6, 0x08);
    EXPECT_TRUE(irq.level) << "still pending when nIEN clears";
    EXPECT_EQ(in(0x1f7), 0x50);
    EXPECT_FALSE(irq.level);
    EXPECT_EQ(disk.flushes, 1);
}

TEST_F(AtaTest, SetFeaturesAndInitializeDeviceParameters) {
    out(0x1f1, 0x03);
    out(0x1f2, 0x0c);  // PIO mode 4
    out(0x1f7, 0xef);
    EXPECT_EQ(in(0x1f7), 0x50);
    out(0x1f2, 0x45);  // UDMA 5: no DMA here
    out(0x1f7, 0xef);
    EXPECT_EQ(in(0x1f7), 0x41);
    out(0x1f1, 0x99);
    out(0x1f7, 0xef);
    EXPECT_EQ(in(0x1f1), 0x04);
    out(0x1f6, 0xa0 | 3);  // 4 heads
    out(0x1f2, 17);        // 17 sectors per track
    out(0x1f7, 0x91);
    EXPECT_EQ(in(0x1f7), 0x50);
    EXPECT_EQ(ata.geometry().heads, 4);
    out(0x1f6, 0xa0 | 1);
    out(0x1f2, 1);
    out(0x1f3, 2);
    out(0x1f4, 1);
    out(0x1f5, 0);
    out(0x1f7, 0x20);
    EXPECT_EQ(insw(256)[0], (1 * 4 + 1) * 17 + 1);
    out(0x1f7, 0xec);
    const std::vector<uint16_t> id = insw(256);
    EXPECT_EQ(id[55], 4);
    EXPECT_EQ(id[56], 17);
    EXPECT_EQ(id[3], 16) << "the default geometry stays";
}

TEST_F(AtaTest, ReadVerifyAndUnknownCommands) {
    lba28(100, 10, 0x40);
    EXPECT_EQ(in(0x1f7), 0x50);
    EXPECT_EQ(in(0x1f3), 110);
    EXPECT_EQ(in(0x1f2), 0);
    lba28(kSectors - 5, 10, 0x40);
    EXPECT_EQ(in(0x1f1), 0x04);
    out(0x1f7, 0xc4);  // READ MULTIPLE: not modelled
    EXPECT_EQ(in(0x1f1), 0x04);
    out(0x1f7, 0x90);  // EXECUTE DEVICE DIAGNOSTIC
    EXPECT_EQ(in(0x1f1), 0x01);
    EXPECT_EQ(in(0x1f2), 1);
}

}  // namespace
}  // namespace prevt::devices
