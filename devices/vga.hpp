// The VGA's registers and its text modes (IBM VGA Technical Reference; the register files
// every VGA-compatible has): ports 0x3c0-0x3cf, the CRTC and input status 1 at 0x3d4/0x3d5/
// 0x3da (color) or 0x3b4/0x3b5/0x3ba (mono, by the misc output register's bit 0; the other
// set reads all-ones), and the text screen read from video memory. State: new.
//
// Video memory is plain guest RAM, not MMIO: under bt an MMIO range means that every guest
// store to the screen exits to the monitor (a callout or a fault each), while a BIOS or DOS
// writes the screen constantly; RAM costs nothing when written and the text is read from it
// (through PhysicalMemory) only when the host redraws or dumps the screen. The price: the
// VGA's planar memory is not modelled (text mode's odd/even planes are the RAM's bytes as
// they are: character, attribute; the font plane written at 0xa0000 lands in RAM too and is
// ignored), and graphics modes show nothing.
//
// Registers: misc output (0x3c2 write, 0x3cc read), input status 0 (0x3c2 read: 0), feature
// control (0x3da/0x3ba write, 0x3ca read), video subsystem enable (0x3c3), the sequencer
// (0x3c4/0x3c5, 5 registers), the graphics controller (0x3ce/0x3cf, 9), the attribute
// controller (0x3c0 index and data through the flip-flop that reading input status 1 resets,
// 0x3c1 data read, 21 registers, index bit 5 PAS stored and read back), the DAC (0x3c6 mask,
// 0x3c7 read index / state, 0x3c8 write index, 0x3c9 data: 256 x 3 six-bit values, read and
// written in RGB order), the CRTC (25 registers; CR11 bit 7 write-protects CR0-CR7 except
// CR7 bit 4), input status 1 (bits 0 and 3 toggle on every read: a program that waits for
// retrace, or for its end, sees both). At power-on they hold mode 3's values (80x25 color
// text at 0xb8000) as a VGA BIOS leaves them, so that a guest without a VGA BIOS has a screen.
//
// The text screen: text when GR6 bit 0 and AR10 bit 0 are clear; the memory window from GR6
// bits 3:2 (0xb8000 for 32 KiB in mode 3, 0xb0000 for mono); columns CR1 + 1, rows the
// vertical display end over the character height (CR12, CR7 bits 1 and 6, CR9 bits 4:0);
// a row every 2 * CR13 characters from the start address (CR0C/CR0D), wrapping inside the
// window; the cursor at CR0E/CR0F (hidden by CR0A bit 5 or when off the screen).
// Missing: graphics modes, planar memory and the write modes, the font, blinking, split
// screen (CR18), panning, the palette's effect on colours (the renderer uses the attribute's
// 16 colours directly), VBE. Ignored: timing registers (stored only).
#pragma once

#include <array>
#include <cstdint>

#include "devices/bus.hpp"
#include "devices/physical_memory.hpp"
#include "devices/text_screen.hpp"

namespace prevt::devices {

class Vga {
public:
    static constexpr uint16_t kMonoBase = 0x3b0, kMainBase = 0x3c0, kColorBase = 0x3d0;
    static constexpr unsigned kMonoPorts = 12;  // 0x3b0-0x3bb (0x3bc: the parallel port)
    static constexpr unsigned kBlockPorts = 16;

    // `memory` (video memory is guest RAM at 0xa0000-0xbffff) must outlive this.
    explicit Vga(PhysicalMemory& memory);
    Vga(const Vga&) = delete;
    Vga& operator=(const Vga&) = delete;

    void attach(Bus& ports);

    // What the screen shows now.
    TextScreen text_screen();

    uint8_t crtc(unsigned index) const { return crtc_[index]; }
    uint8_t misc_output() const { return misc_; }
    uint8_t attribute(unsigned index) const { return attribute_[index]; }

private:
    class Ports final : public IoDevice {
    public:
        Ports(Vga& vga, uint16_t base, unsigned count) : vga_(vga), base_(base), count_(count) {}
        std::string_view name() const override { return "vga"; }
        uint32_t read(uint64_t offset, unsigned size) override;
        void write(uint64_t offset, unsigned size, uint32_t value) override;

    private:
        Vga& vga_;
        uint16_t base_;
        unsigned count_;
    };
    uint8_t read_port(uint16_t port);
    void write_port(uint16_t port, uint8_t value);
    // The CRTC and input status 1 answer at 0x3dx with misc bit 0 set, else at 0x3bx.
    bool color() const { return misc_ & 1; }
    void write_crtc(uint8_t value);

    PhysicalMemory& memory_;
    Ports mono_{*this, kMonoBase, kMonoPorts};
    Ports main_{*this, kMainBase, kBlockPorts};
    Ports color_{*this, kColorBase, kBlockPorts};

    uint8_t misc_ = 0x67;
    uint8_t feature_ = 0;
    uint8_t subsystem_enable_ = 1;
    uint8_t seq_index_ = 0, gc_index_ = 0, crtc_index_ = 0, attr_index_ = 0x20;
    bool attr_data_next_ = false;  // the attribute controller's flip-flop
    bool retrace_ = false;
    std::array<uint8_t, 5> sequencer_{};
    std::array<uint8_t, 9> graphics_{};
    std::array<uint8_t, 21> attribute_{};
    std::array<uint8_t, 25> crtc_{};
    uint8_t dac_mask_ = 0xff;
    uint8_t dac_read_ = 0, dac_write_ = 0;           // entry indexes
    unsigned dac_read_rgb_ = 0, dac_write_rgb_ = 0;  // which of R, G, B comes next
    bool dac_reading_ = false;                       // the last index written was 0x3c7
    std::array<uint8_t, 256 * 3> dac_{};
};

}  // namespace prevt::devices
