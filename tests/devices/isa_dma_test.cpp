// The 8237A pair through the bus, programmed as SeaBIOS's floppy driver and dma_setup() do,
// and the device side a floppy controller uses (write_memory/read_memory, terminal count).
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "devices/bus.hpp"
#include "devices/isa_dma.hpp"
#include "devices/post_port.hpp"
#include "dma_channel2.hpp"
#include "fakes.hpp"

namespace prevt::devices {
namespace {

class IsaDmaTest : public ::testing::Test {
protected:
    IsaDmaTest() {
        dma.attach(bus);
        bus.attach(PostPort::kIoBase, PostPort::kPortCount, post);  // 0x80 stays the POST port
    }
    void out(uint16_t port, uint8_t v) { bus.write(port, 1, v); }
    uint8_t in(uint16_t port) { return static_cast<uint8_t>(bus.read(port, 1)); }
    // SeaBIOS's dma_setup(): both controllers cleared, channel 4 cascading, unmasked.
    void bios_setup() {
        out(0x0d, 0);
        out(0xda, 0);
        out(0xd6, 0xc0);
        out(0xd4, 0x00);
    }
    // SeaBIOS's floppy_cmd(): channel 2, `mode`, `bytes` at `addr`.
    void program_channel2(uint32_t addr, uint16_t bytes, uint8_t mode) {
        program_dma_channel2(bus, addr, bytes, mode);
    }
    static std::vector<uint8_t> pattern(size_t n) {
        std::vector<uint8_t> v(n);
        std::iota(v.begin(), v.end(), uint8_t{1});
        return v;
    }
    VectorMemory memory{0x40000};
    IsaDma dma{memory};
    PostPort post;
    Bus bus{"port"};
};

TEST_F(IsaDmaTest, AddressAndCountGoThroughTheFlipFlop) {
    out(0x0c, 0);
    out(0x02, 0x34);
    out(0x02, 0x12);
    out(0x03, 0xff);
    out(0x03, 0x01);
    EXPECT_EQ(dma.master().current_address(1), 0x1234);
    EXPECT_EQ(dma.master().current_count(1), 0x01ff);
    out(0x0c, 0);
    EXPECT_EQ(in(0x02), 0x34);
    EXPECT_EQ(in(0x02), 0x12);
    out(0x0c, 0);
    EXPECT_EQ(in(0x03), 0xff) << "clear flip-flop: low byte next";
}

TEST_F(IsaDmaTest, FloppyReadLandsInMemoryAndEndsAtTerminalCount) {
    bios_setup();
    program_channel2(0x17c00, 1024, 0x46);  // single, increment, write transfer (to memory)
    const std::vector<uint8_t> sector = pattern(512);
    auto first = dma.write_memory(2, sector);
    EXPECT_EQ(first.bytes, 512u);
    EXPECT_FALSE(first.terminal);
    auto second = dma.write_memory(2, sector);
    EXPECT_EQ(second.bytes, 512u);
    EXPECT_TRUE(second.terminal);
    EXPECT_TRUE(std::equal(sector.begin(), sector.end(), memory.bytes.begin() + 0x17c00));
    EXPECT_TRUE(std::equal(sector.begin(), sector.end(), memory.bytes.begin() + 0x17e00));
    EXPECT_EQ(memory.bytes[0x18000], 0) << "nothing past the count";
    EXPECT_EQ(in(0x08) & 0x0f, 0x04) << "TC of channel 2 in the status";
    EXPECT_EQ(in(0x08) & 0x0f, 0x00) << "cleared by the read";
    EXPECT_TRUE(dma.master().mask() & 0x04) << "EOP masks a channel without autoinit";
    EXPECT_EQ(dma.write_memory(2, sector).bytes, 0u);
}

TEST_F(IsaDmaTest, StopsAtTheTerminalCountInsideABuffer) {
    bios_setup();
    program_channel2(0x1000, 100, 0x46);
    const std::vector<uint8_t> sector = pattern(512);
    auto m = dma.write_memory(2, sector);
    EXPECT_EQ(m.bytes, 100u);
    EXPECT_TRUE(m.terminal);
    EXPECT_EQ(memory.bytes[0x1000 + 99], 100);
    EXPECT_EQ(memory.bytes[0x1000 + 100], 0);
}

TEST_F(IsaDmaTest, FloppyWriteReadsMemory) {
    bios_setup();
    const std::vector<uint8_t> data = pattern(512);
    std::copy(data.begin(), data.end(), memory.bytes.begin() + 0x2345);
    program_channel2(0x2345, 512, 0x4a);  // read transfer (from memory)
    std::vector<uint8_t> got(512);
    auto m = dma.read_memory(2, got);
    EXPECT_EQ(m.bytes, 512u);
    EXPECT_TRUE(m.terminal);
    EXPECT_EQ(got, data);
}

TEST_F(IsaDmaTest, MaskedOrUncascadedChannelsMoveNothing) {
    program_channel2(0x1000, 512, 0x46);  // no bios_setup: channel 4 is not cascading
    const std::vector<uint8_t> sector = pattern(512);
    EXPECT_EQ(dma.write_memory(2, sector).bytes, 0u);
    bios_setup();
    program_channel2(0x1000, 512, 0x46);
    out(0x0a, 0x06);  // mask channel 2
    EXPECT_FALSE(dma.ready(2));
    EXPECT_EQ(dma.write_memory(2, sector).bytes, 0u);
    out(0x0e, 0);  // clear all masks
    EXPECT_TRUE(dma.ready(2));
    out(0x08, 0x04);  // command: controller disabled
    EXPECT_FALSE(dma.ready(2));
    EXPECT_EQ(memory.writes, 0);
}

TEST_F(IsaDmaTest, AMismatchedTransferCountsButTouchesNoMemory) {
    bios_setup();
    program_channel2(0x1000, 512, 0x4a);  // programmed to read memory
    const std::vector<uint8_t> sector = pattern(512);
    auto m = dma.write_memory(2, sector);
    EXPECT_EQ(m.bytes, 512u);
    EXPECT_TRUE(m.terminal);
    EXPECT_EQ(memory.writes, 0);
    program_channel2(0x1000, 512, 0x42);  // verify
    EXPECT_EQ(dma.write_memory(2, sector).bytes, 512u);
    EXPECT_EQ(memory.writes, 0);
}

TEST_F(IsaDmaTest, AddressWrapsInsideThePage) {
    bios_setup();
    program_channel2(0x1fff0, 32, 0x46);
    const std::vector<uint8_t> data = pattern(32);
    EXPECT_EQ(dma.write_memory(2, data).bytes, 32u);
    EXPECT_EQ(memory.bytes[0x1fff0], 1);
    EXPECT_EQ(memory.bytes[0x1ffff], 16);
    EXPECT_EQ(memory.bytes[0x10000], 17) << "the page does not carry: the AT's 64 KiB wrap";
    EXPECT_EQ(memory.bytes[0x20000], 0);
}

TEST_F(IsaDmaTest, DecrementingChannelFillsDownwards) {
    bios_setup();
    program_channel2(0x1003, 4, 0x66);  // decrement
    const std::vector<uint8_t> data = {1, 2, 3, 4};
    EXPECT_EQ(dma.write_memory(2, data).bytes, 4u);
    EXPECT_EQ(memory.bytes[0x1003], 1);
    EXPECT_EQ(memory.bytes[0x1000], 4);
}

TEST_F(IsaDmaTest, AutoinitReloadsTheBaseRegisters) {
    bios_setup();
    program_channel2(0x1000, 16, 0x56);  // autoinit
    const std::vector<uint8_t> data = pattern(16);
    EXPECT_TRUE(dma.write_memory(2, data).terminal);
    EXPECT_TRUE(dma.ready(2)) << "autoinit keeps the channel unmasked";
    EXPECT_EQ(dma.master().current_address(2), 0x1000);
    EXPECT_EQ(dma.master().current_count(2), 15);
}

TEST_F(IsaDmaTest, SixteenBitChannelsCountWordsInA128KiBPage) {
    bios_setup();
    out(0xd8, 0);     // slave flip-flop
    out(0xc4, 0x00);  // channel 5 word address 0x8000 -> byte 0x10000 in the page
    out(0xc4, 0x80);
    out(0xc6, 3);  // 4 words
    out(0xc6, 0);
    out(0xd6, 0x45);  // channel 5: single, write transfer
    out(0x8b, 0x03);  // page bit 0 ignored: 0x20000
    out(0xd4, 0x01);  // unmask channel 5
    const std::vector<uint8_t> data = pattern(10);
    auto m = dma.write_memory(5, data);
    EXPECT_EQ(m.bytes, 8u);
    EXPECT_TRUE(m.terminal);
    EXPECT_EQ(memory.bytes[0x30000], 1);
    EXPECT_EQ(memory.bytes[0x30007], 8);
    EXPECT_EQ(memory.bytes[0x30008], 0);
}

TEST_F(IsaDmaTest, MasterClearAndTheMaskRegisters) {
    bios_setup();
    out(0x0e, 0);
    EXPECT_EQ(in(0x0f), 0xf0);
    out(0x0f, 0x05);
    EXPECT_EQ(in(0x0f), 0xf5);
    out(0x0a, 0x01);  // unmask channel 1
    EXPECT_EQ(in(0x0f), 0xf5 & ~0x02);
    out(0x0d, 0);
    EXPECT_EQ(in(0x0f), 0xff) << "master clear masks every channel";
    EXPECT_EQ(in(0xc1), 0xff) << "the slave's odd ports decode nothing";
}

TEST_F(IsaDmaTest, PageRegistersReadBackAndLeavePort80Alone) {
    for (uint16_t p = 0x81; p <= 0x8f; ++p) out(p, static_cast<uint8_t>(p));
    for (uint16_t p = 0x81; p <= 0x8f; ++p) EXPECT_EQ(in(p), p & 0xff);
    EXPECT_EQ(dma.page(2), 0x81);
    EXPECT_EQ(dma.page(0), 0x87);
    EXPECT_EQ(dma.page(7), 0x8a);
    out(0x80, 0x42);
    EXPECT_EQ(post.last_code(), 0x42);
    EXPECT_EQ(in(0x80), 0xff);
}

}  // namespace
}  // namespace prevt::devices
