// The 82077AA through the bus, driven as SeaBIOS's src/hw/floppy.c drives it (floppy_pio:
// RQM/DIO before every byte; DMA channel 2 programmed before the command), on a 1.44 MB image
// whose every sector starts with its own LBA.
#include <gtest/gtest.h>

#include <vector>

#include "devices/bus.hpp"
#include "devices/floppy82077.hpp"
#include "devices/isa_dma.hpp"
#include "dma_channel2.hpp"
#include "fakes.hpp"

namespace prevt::devices {
namespace {

constexpr uint8_t kRqm = 0x80, kDio = 0x40;

class FloppyTest : public ::testing::Test {
protected:
    FloppyTest() : disk(Floppy82077::kImageBytes) {
        for (size_t lba = 0; lba < disk.bytes.size() / 512; ++lba) {
            disk.bytes[lba * 512] = static_cast<uint8_t>(lba);
            disk.bytes[lba * 512 + 1] = static_cast<uint8_t>(lba >> 8);
            disk.bytes[lba * 512 + 511] = 0xa5;
        }
        dma.attach(bus);
        fdc.attach(bus);
        // SeaBIOS's dma_setup(): the cascade open.
        out(0x0d, 0);
        out(0xda, 0);
        out(0xd6, 0xc0);
        out(0xd4, 0);
    }
    void out(uint16_t port, uint8_t v) { bus.write(port, 1, v); }
    uint8_t in(uint16_t port) { return static_cast<uint8_t>(bus.read(port, 1)); }
    // Out of reset with DMA and interrupts on, motor A on, the reset's four senses consumed.
    void enable() {
        out(0x3f2, 0x1c);
        for (int i = 0; i < 4; ++i) EXPECT_EQ(command({0x08}, 2)[0], 0xc0 | i);
    }
    // floppy_pio(): every command byte waits for RQM with DIO clear, every result byte for RQM
    // with DIO set; then RQM with DIO clear again.
    std::vector<uint8_t> command(std::vector<uint8_t> bytes, size_t result_bytes) {
        for (uint8_t b : bytes) {
            EXPECT_EQ(in(0x3f4) & (kRqm | kDio), kRqm) << "command byte " << int(b);
            out(0x3f5, b);
        }
        std::vector<uint8_t> result;
        for (size_t i = 0; i < result_bytes; ++i) {
            EXPECT_EQ(in(0x3f4) & (kRqm | kDio), kRqm | kDio) << "result byte " << i;
            result.push_back(in(0x3f5));
        }
        EXPECT_EQ(in(0x3f4) & (kRqm | kDio), kRqm) << "back in the command phase";
        return result;
    }
    void program_dma(uint32_t addr, uint32_t bytes, bool to_memory) {
        program_dma_channel2(bus, addr, bytes, to_memory ? kDmaWriteToMemory : kDmaReadFromMemory);
    }
    // SeaBIOS's floppy_read(): 0xe6 with the head in byte 1 and EOT = sector + count - 1.
    std::vector<uint8_t> read(uint8_t c, uint8_t h, uint8_t s, uint8_t eot) {
        return command({0xe6, static_cast<uint8_t>(h << 2), c, h, s, 2, eot, 0x1b, 0xff}, 7);
    }
    static unsigned lba(unsigned c, unsigned h, unsigned s) { return (c * 2 + h) * 18 + s - 1; }
    unsigned lba_at(uint32_t addr) const {
        return memory.bytes[addr] | memory.bytes[addr + 1] << 8;
    }

    VectorMemory memory{0x100000};
    IsaDma dma{memory};
    RecordingIrqLine irq;
    VectorDisk disk;
    Floppy82077 fdc{dma, &irq, &disk};
    Bus bus{"port"};
};

TEST_F(FloppyTest, HeldInResetAtPowerOnAndInterruptsWhenReleased) {
    EXPECT_EQ(in(0x3f2), 0x00);
    EXPECT_EQ(in(0x3f4), 0x00) << "no RQM in reset";
    out(0x3f2, 0x0c);
    EXPECT_TRUE(irq.level) << "the reset's interrupt";
    EXPECT_EQ(command({0x08}, 2), (std::vector<uint8_t>{0xc0, 0}));
    EXPECT_FALSE(irq.level) << "SENSE INTERRUPT STATUS clears it";
    for (int i = 1; i < 4; ++i) EXPECT_EQ(command({0x08}, 2)[0], 0xc0 | i);
    EXPECT_EQ(command({0x08}, 1), (std::vector<uint8_t>{0x80})) << "nothing pending: invalid";
}

TEST_F(FloppyTest, TheDmaGateGatesTheIrqLine) {
    out(0x3f2, 0x04);  // out of reset, DMA gate off
    EXPECT_FALSE(irq.level);
    out(0x3f2, 0x0c);
    EXPECT_TRUE(irq.level) << "the pending interrupt shows once the gate opens";
}

TEST_F(FloppyTest, RecalibrateAndSeekEndWithAnInterruptAndSense) {
    enable();
    EXPECT_EQ(in(0x3f7) & 0x80, 0x80) << "disk change set at power-on";
    command({0x07, 0x00}, 0);
    EXPECT_TRUE(irq.level);
    EXPECT_EQ(command({0x08}, 2), (std::vector<uint8_t>{0x20, 0}));
    EXPECT_FALSE(irq.level);
    EXPECT_EQ(in(0x3f7) & 0x80, 0) << "the step cleared the disk change line";
    command({0x0f, 0x04, 33}, 0);
    EXPECT_EQ(command({0x08}, 2), (std::vector<uint8_t>{0x20, 33})) << "no head bit, as QEMU";
    EXPECT_EQ(fdc.cylinder(0), 33u);
    command({0x07, 0x01}, 0);  // drive B is not there: no track 0
    EXPECT_EQ(command({0x08}, 2)[0], 0x71);
}

TEST_F(FloppyTest, SenseDriveStatusShowsTrack0AndWriteProtect) {
    enable();
    EXPECT_EQ(command({0x04, 0x04}, 1)[0], 0x20 | 0x10 | 0x08 | 0x04);
    command({0x0f, 0x00, 5}, 0);
    command({0x08}, 2);
    EXPECT_EQ(command({0x04, 0x00}, 1)[0], 0x28);
    VectorDisk ro(Floppy82077::kImageBytes, true);
    Floppy82077 fdc2{dma, nullptr, &ro};
    Bus bus2{"port"};
    fdc2.attach(bus2);
    bus2.write(0x3f2, 1, 0x0c);
    bus2.write(0x3f5, 1, 0x04);
    bus2.write(0x3f5, 1, 0x00);
    EXPECT_EQ(bus2.read(0x3f5, 1) & 0x40, 0x40u) << "a read-only image is write-protected";
}

TEST_F(FloppyTest, ReadIdAnswersAt500KbitOnly) {
    enable();
    out(0x3f7, 0x00);
    auto r = command({0x4a, 0x00}, 7);
    EXPECT_EQ(r, (std::vector<uint8_t>{0x00, 0, 0, 0, 0, 1, 2}));
    out(0x3f7, 0x02);  // 250 kbit/s: a 720 KB rate, nothing readable
    r = command({0x4a, 0x00}, 7);
    EXPECT_EQ(r[0] & 0xc0, 0x40);
    EXPECT_EQ(r[1], 0x01) << "missing address mark";
}

TEST_F(FloppyTest, ReadDataMovesSectorsByDmaAndReportsTheNextId) {
    enable();
    program_dma(0x7c00, 2 * 512, true);
    irq.rising_edges = 0;
    auto r = read(1, 1, 17, 18);
    EXPECT_EQ(irq.rising_edges, 1);
    EXPECT_EQ(r, (std::vector<uint8_t>{0x20, 0, 0, 2, 0, 1, 2}))
        << "TC at EOT on head 1 with MT: next cylinder, head 0, sector 1; ST0: seek end, the "
           "result's head (as QEMU)";
    EXPECT_EQ(lba_at(0x7c00), lba(1, 1, 17));
    EXPECT_EQ(lba_at(0x7e00), lba(1, 1, 18));
    EXPECT_EQ(memory.bytes[0x7e00 + 511], 0xa5);
    EXPECT_EQ(fdc.cylinder(0), 1u) << "the implied seek";
    EXPECT_FALSE(irq.level) << "reading the result cleared the interrupt";
}

TEST_F(FloppyTest, MultiTrackContinuesOnHeadOne) {
    enable();
    program_dma(0x10000, 3 * 512, true);
    auto r = read(3, 0, 17, 18);
    EXPECT_EQ(r, (std::vector<uint8_t>{0x24, 0, 0, 3, 1, 2, 2})) << "the implied seek: SE";
    EXPECT_EQ(lba_at(0x10000), lba(3, 0, 17));
    EXPECT_EQ(lba_at(0x10200), lba(3, 0, 18));
    EXPECT_EQ(lba_at(0x10400), lba(3, 1, 1));
}

TEST_F(FloppyTest, EndOfTrackBeforeTerminalCountIsAbnormal) {
    enable();
    program_dma(0x20000, 4 * 512, true);
    auto r = command({0x46, 0x00, 0, 0, 17, 2, 18, 0x1b, 0xff}, 7);  // no MT
    EXPECT_EQ(r[0] & 0xc0, 0x40);
    EXPECT_EQ(r[1], 0x80) << "end of cylinder";
    EXPECT_EQ(r[3], 1);
    EXPECT_EQ(r[5], 1);
    EXPECT_EQ(lba_at(0x20200), lba(0, 0, 18));
}

TEST_F(FloppyTest, BadIdsAndAMaskedChannelFail) {
    enable();
    program_dma(0x20000, 512, true);
    EXPECT_EQ(read(80, 0, 1, 1)[1], 0x04) << "cylinder 80 does not exist";
    program_dma(0x20000, 512, true);
    EXPECT_EQ(read(0, 0, 19, 19)[1], 0x04) << "sector 19 does not exist";
    program_dma(0x20000, 512, true);
    EXPECT_EQ(command({0xe6, 0x00, 0, 1, 1, 2, 1, 0x1b, 0xff}, 7)[1], 0x04)
        << "H must be the head selected";
    out(0x0a, 0x06);  // channel 2 masked
    EXPECT_EQ(read(0, 0, 1, 1)[1], 0x10) << "overrun: no DMA";
    program_dma(0x20000, 512, true);
    EXPECT_EQ(command({0xa6, 0x00, 0, 0, 1, 2, 1, 0x1b, 0xff}, 7)[1], 0x01) << "FM mode";
}

TEST_F(FloppyTest, WriteDataWritesTheImage) {
    enable();
    for (int i = 0; i < 1024; ++i) memory.bytes[0x30000 + i] = static_cast<uint8_t>(i * 7);
    program_dma(0x30000, 1024, false);
    auto r = command({0xc5, 0x04, 10, 1, 5, 2, 18, 0x1b, 0xff}, 7);
    EXPECT_EQ(r, (std::vector<uint8_t>{0x24, 0, 0, 10, 1, 7, 2}));
    const size_t at = lba(10, 1, 5) * 512;
    for (int i = 0; i < 1024; ++i) ASSERT_EQ(disk.bytes[at + i], static_cast<uint8_t>(i * 7));
    EXPECT_EQ(disk.bytes[at + 1024], static_cast<uint8_t>(lba(10, 1, 7)));
}

TEST_F(FloppyTest, WriteProtectedImageRefusesWrites) {
    VectorDisk ro(Floppy82077::kImageBytes, true);
    Floppy82077 fdc2{dma, &irq, &ro};
    Bus bus2{"port"};
    fdc2.attach(bus2);
    dma.attach(bus2);
    bus2.write(0x3f2, 1, 0x0c);
    program_dma(0x30000, 512, false);  // on the first bus: the same controllers
    for (uint8_t b : {0xc5, 0x00, 0, 0, 1, 2, 1, 0x1b, 0xff}) bus2.write(0x3f5, 1, b);
    EXPECT_EQ(bus2.read(0x3f5, 1) & 0xc0, 0x40u);
    EXPECT_EQ(bus2.read(0x3f5, 1), 0x02u) << "ST1 NW: SeaBIOS's DISK_RET_EWRITEPROTECT";
    EXPECT_EQ(ro.writes, 0);
}

TEST_F(FloppyTest, HostErrorsAreDataErrors) {
    enable();
    disk.fail = true;
    program_dma(0x20000, 512, true);
    auto r = read(0, 0, 1, 1);
    EXPECT_EQ(r[1], 0x20);
    EXPECT_EQ(r[2], 0x20);
}

TEST_F(FloppyTest, FormatTrackFillsTheSectors) {
    enable();
    command({0x0f, 0x00, 2}, 0);
    command({0x08}, 2);
    for (unsigned s = 0; s < 18; ++s) {
        const uint8_t id[4] = {2, 0, static_cast<uint8_t>(s + 1), 2};
        std::copy(id, id + 4, memory.bytes.begin() + 0x40000 + 4 * s);
    }
    program_dma(0x40000, 18 * 4, false);
    auto r = command({0x4d, 0x00, 2, 18, 0x6c, 0xf6}, 7);
    EXPECT_EQ(r[0] & 0xc0, 0);
    for (unsigned s = 1; s <= 18; ++s) EXPECT_EQ(disk.bytes[lba(2, 0, s) * 512 + 100], 0xf6);
    EXPECT_EQ(disk.bytes[lba(2, 1, 1) * 512], static_cast<uint8_t>(lba(2, 1, 1)));
}

TEST_F(FloppyTest, VersionConfigureLockDumpregPerpendicular) {
    enable();
    EXPECT_EQ(command({0x10}, 1)[0], 0x90);
    command({0x03, 0xaf, 0x02}, 0);  // SeaBIOS's SPECIFY
    command({0x13, 0x00, 0x57, 0x09}, 0);
    command({0x12, 0x80 | 0x0c | 0x01}, 0);
    EXPECT_EQ(command({0x94}, 1)[0], 0x10);
    auto d = command({0x0e}, 10);
    EXPECT_EQ(d, (std::vector<uint8_t>{0, 0, 0, 0, 0xaf, 0x02, 18, 0x80 | 0x0c | 0x01, 0x57, 9}));
    out(0x3f4, 0x80);  // DSR software reset
    for (int i = 0; i < 4; ++i) command({0x08}, 2);
    d = command({0x0e}, 10);
    EXPECT_EQ(d[8], 0x57) << "LOCK keeps CONFIGURE across a software reset";
    EXPECT_EQ(d[7], 0x80 | 0x0c) << "GAP and WGATE clear on reset";
    EXPECT_EQ(command({0x14}, 1)[0], 0x00);
    out(0x3f2, 0x08);
    out(0x3f2, 0x0c);
    for (int i = 0; i < 4; ++i) command({0x08}, 2);
    EXPECT_EQ(command({0x0e}, 10)[8], 0x20) << "unlocked: CONFIGURE back to its defaults";
}

TEST_F(FloppyTest, NonDmaReadGoesThroughTheFifoToEot) {
    enable();
    command({0x03, 0xaf, 0x03}, 0);  // SPECIFY with ND
    irq.rising_edges = 0;
    for (uint8_t b : {0xe6, 0x04, 4, 1, 17, 2, 18, 0x1b, 0xff}) out(0x3f5, b);
    EXPECT_EQ(in(0x3f4), 0xf0) << "RQM, DIO, NON-DMA, CMD BSY";
    std::vector<uint8_t> data;
    while (in(0x3f4) == 0xf0) data.push_back(in(0x3f5));
    ASSERT_EQ(data.size(), 2u * 512) << "sectors 17 and 18: up to EOT";
    EXPECT_EQ(data[0] | data[1] << 8, static_cast<int>(lba(4, 1, 17)));
    EXPECT_EQ(data[512] | data[513] << 8, static_cast<int>(lba(4, 1, 18)));
    EXPECT_EQ(irq.rising_edges, 1024 + 1) << "an edge per byte, and the result's";
    std::vector<uint8_t> r;
    for (int i = 0; i < 7; ++i) r.push_back(in(0x3f5));
    EXPECT_EQ(r[0] & 0xc0, 0x40) << "no TC without DMA: abnormal at EOT";
    EXPECT_EQ(r[1], 0x80) << "end of cylinder";
    EXPECT_EQ(r[3], 5);
    EXPECT_EQ(in(0x3f4) & 0xc0, 0x80);
}

TEST_F(FloppyTest, NonDmaWriteTakesTheFifosBytes) {
    enable();
    command({0x03, 0xaf, 0x03}, 0);
    for (uint8_t b : {0x45, 0x00, 7, 0, 18, 2, 18, 0x1b, 0xff}) out(0x3f5, b);
    EXPECT_EQ(in(0x3f4), 0xb0) << "RQM, NON-DMA, CMD BSY: the FIFO wants bytes";
    for (int i = 0; i < 512; ++i) out(0x3f5, static_cast<uint8_t>(i ^ 0x5a));
    EXPECT_EQ(in(0x3f4) & 0xc0, 0xc0) << "result phase";
    const size_t at = lba(7, 0, 18) * 512;
    for (int i = 0; i < 512; ++i) ASSERT_EQ(disk.bytes[at + i], static_cast<uint8_t>(i ^ 0x5a));
    EXPECT_EQ(in(0x3f5) & 0xc0, 0x40);
    EXPECT_EQ(in(0x3f5), 0x80);
}

TEST_F(FloppyTest, InvalidCommandsAndNoDrive) {
    enable();
    EXPECT_EQ(command({0x18}, 1)[0], 0x80);
    EXPECT_EQ(command({0x02}, 1)[0], 0x80) << "READ TRACK is not modelled";
    Floppy82077 empty{dma, nullptr, nullptr};
    Bus bus2{"port"};
    empty.attach(bus2);
    bus2.write(0x3f2, 1, 0x0c);
    EXPECT_EQ(bus2.read(0x3f7, 1) & 0x80, 0u);
    for (uint8_t b : {0x4a, 0x00}) bus2.write(0x3f5, 1, b);
    EXPECT_EQ(bus2.read(0x3f5, 1) & 0xc0, 0x40u);
    EXPECT_EQ(bus2.read(0x3f5, 1), 0x01u);
}

}  // namespace
}  // namespace prevt::devices
