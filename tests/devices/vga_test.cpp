// The VGA's registers through the bus and the text screen read from (fake) guest RAM at
// 0xb8000, in mode 3 as at power-on and as a BIOS reprograms it.
#include <gtest/gtest.h>

#include "devices/bus.hpp"
#include "devices/vga.hpp"
#include "fakes.hpp"

namespace prevt::devices {
namespace {

class VgaTest : public ::testing::Test {
protected:
    VgaTest() { vga.attach(bus); }
    void out(uint16_t port, uint8_t v) { bus.write(port, 1, v); }
    uint8_t in(uint16_t port) { return static_cast<uint8_t>(bus.read(port, 1)); }
    void crtc(uint8_t index, uint8_t value) {
        out(0x3d4, index);
        out(0x3d5, value);
    }
    void put(unsigned cell, char c, uint8_t attr) {
        memory.bytes[0xb8000 + 2 * cell] = static_cast<uint8_t>(c);
        memory.bytes[0xb8000 + 2 * cell + 1] = attr;
    }
    VectorMemory memory{0x100000};
    Vga vga{memory};
    Bus bus{"port"};
};

TEST_F(VgaTest, PowerOnIsMode3ColorText) {
    put(0, 'A', 0x07);
    put(80 * 24 + 79, 'Z', 0x1f);
    const TextScreen s = vga.text_screen();
    ASSERT_FALSE(s.graphics);
    EXPECT_EQ(s.columns, 80u);
    EXPECT_EQ(s.rows, 25u);
    EXPECT_EQ(s.character(0, 0), 'A');
    EXPECT_EQ(s.attribute(0, 0), 0x07);
    EXPECT_EQ(s.character(24, 79), 'Z');
    EXPECT_EQ(s.attribute(24, 79), 0x1f);
    EXPECT_EQ(in(0x3cc), 0x67);
}

TEST_F(VgaTest, CursorLocationAndShape) {
    crtc(0x0e, (81 * 1) >> 8);
    crtc(0x0f, 81 & 0xff);
    TextScreen s = vga.text_screen();
    EXPECT_TRUE(s.cursor_visible);
    EXPECT_EQ(s.cursor_row, 1u);
    EXPECT_EQ(s.cursor_column, 1u);
    out(0x3d4, 0x0f);
    EXPECT_EQ(in(0x3d5), 81);
    crtc(0x0a, 0x20);  // cursor off
    EXPECT_FALSE(vga.text_screen().cursor_visible);
    crtc(0x0a, 0x0d);
    crtc(0x0e, 0x10);  // past the screen
    EXPECT_FALSE(vga.text_screen().cursor_visible);
}

TEST_F(VgaTest, StartAddressScrollsTheScreen) {
    put(80 * 3, 'S', 0x07);
    crtc(0x0c, 0);
    crtc(0x0d, 80 * 3);
    const TextScreen s = vga.text_screen();
    EXPECT_EQ(s.character(0, 0), 'S');
    put(0, 'W', 0x07);  // the window wraps: the last rows come from its start
    crtc(0x0c, (16384 - 80) >> 8);
    crtc(0x0d, (16384 - 80) & 0xff);
    EXPECT_EQ(vga.text_screen().character(1, 0), 'W');
}

TEST_F(VgaTest, InputStatusTogglesAndResetsTheAttributeFlipFlop) {
    const uint8_t a = in(0x3da), b = in(0x3da);
    EXPECT_NE(a & 0x08, b & 0x08) << "vertical retrace comes and goes";
    out(0x3c0, 0x00);  // index 0 (in the middle of nothing)
    in(0x3da);         // flip-flop back to index
    out(0x3c0, 0x11);  // overscan colour register
    out(0x3c0, 0x05);
    out(0x3c0, 0x31);  // index 0x11 with PAS
    EXPECT_EQ(in(0x3c1), 0x05);
    EXPECT_EQ(in(0x3c0), 0x31);
    EXPECT_EQ(vga.attribute(0x11), 0x05);
}

TEST_F(VgaTest, MonoAddressingMovesTheCrtc) {
    out(0x3c2, 0x66);  // misc bit 0 clear: 0x3b4/0x3b5/0x3ba
    out(0x3b4, 0x0f);
    out(0x3b5, 0x42);
    EXPECT_EQ(vga.crtc(0x0f), 0x42);
    EXPECT_EQ(in(0x3d5), 0xff);
    EXPECT_EQ(in(0x3da), 0xff);
    out(0x3c2, 0x67);
    out(0x3d4, 0x0f);
    EXPECT_EQ(in(0x3d5), 0x42);
}

TEST_F(VgaTest, CrtcProtectLocksTheTimingRegisters) {
    crtc(0x11, 0x8e);  // protect on
    crtc(0x01, 0x27);
    EXPECT_EQ(vga.crtc(1), 0x4f);
    crtc(0x07, 0x00);
    EXPECT_EQ(vga.crtc(7), 0x0f) << "only bit 4 of CR7 changes";
    crtc(0x11, 0x0e);
    crtc(0x01, 0x27);
    EXPECT_EQ(vga.crtc(1), 0x27);
    EXPECT_EQ(vga.text_screen().columns, 40u);
}

TEST_F(VgaTest, DacReadsBackWhatWasWritten) {
    out(0x3c8, 10);
    for (uint8_t v : {0x3f, 0x20, 0x01, 0x02}) out(0x3c9, v);
    EXPECT_EQ(in(0x3c8), 11);
    EXPECT_EQ(in(0x3c7), 0x00);
    out(0x3c7, 10);
    EXPECT_EQ(in(0x3c7), 0x03);
    EXPECT_EQ(in(0x3c9), 0x3f);
    EXPECT_EQ(in(0x3c9), 0x20);
    EXPECT_EQ(in(0x3c9), 0x01);
    EXPECT_EQ(in(0x3c9), 0x02) << "entry 11's red";
}

TEST_F(VgaTest, GraphicsModesShowNoText) {
    out(0x3ce, 0x06);
    out(0x3cf, 0x05);  // graphics, 0xa0000
    EXPECT_TRUE(vga.text_screen().graphics);
    out(0x3cf, 0x0a);  // text at 0xb0000 (mono)
    memory.bytes[0xb0000] = 'M';
    const TextScreen s = vga.text_screen();
    EXPECT_FALSE(s.graphics);
    EXPECT_EQ(s.character(0, 0), 'M');
}

}  // namespace
}  // namespace prevt::devices
