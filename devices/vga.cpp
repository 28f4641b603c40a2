#include "devices/vga.hpp"

#include <algorithm>
#include <vector>

namespace prevt::devices {

namespace {

// Mode 3 (80x25, 16 colours, 9x16 cells) as a VGA BIOS programs it.
constexpr std::array<uint8_t, 5> kMode3Sequencer = {0x03, 0x00, 0x03, 0x00, 0x02};
constexpr std::array<uint8_t, 9> kMode3Graphics = {0x00, 0x00, 0x00, 0x00, 0x00,
                                                   0x10, 0x0e, 0x0f, 0xff};
constexpr std::array<uint8_t, 21> kMode3Attribute = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14,
                                                     0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
                                                     0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00};
constexpr std::array<uint8_t, 25> kMode3Crtc = {
    0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
    0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff};

constexpr unsigned kCrtcProtect = 0x11;  // bit 7 locks CR0-CR7
constexpr uint8_t kStatus1Retrace = 0x08, kStatus1DisplayOff = 0x01;

}  // namespace

Vga::Vga(PhysicalMemory& memory)
    : memory_(memory),
      sequencer_(kMode3Sequencer),
      graphics_(kMode3Graphics),
      attribute_(kMode3Attribute),
      crtc_(kMode3Crtc) {}

void Vga::attach(Bus& ports) {
    ports.attach(kMonoBase, kMonoPorts, mono_);
    ports.attach(kMainBase, kBlockPorts, main_);
    ports.attach(kColorBase, kBlockPorts, color_);
}

uint32_t Vga::Ports::read(uint64_t offset, unsigned size) {
    return read_split(offset, size, count_, [this](unsigned r) {
        return vga_.read_port(static_cast<uint16_t>(base_ + r));
    });
}

void Vga::Ports::write(uint64_t offset, unsigned size, uint32_t value) {
    write_split(offset, size, value, count_, [this](unsigned r, uint8_t b) {
        vga_.write_port(static_cast<uint16_t>(base_ + r), b);
    });
}

uint8_t Vga::read_port(uint16_t port) {
    // The CRTC block at 0x3b4/0x3b5/0x3ba or 0x3d4/0x3d5/0x3da, by misc bit 0.
    const uint16_t crtc_base = color() ? 0x3d0 : 0x3b0;
    if (port < 0x3c0 || port >= 0x3d0) {
        if ((port & 0xfff0) != crtc_base) return 0xff;
        switch (port & 0x0f) {
            case 0x4: return crtc_index_;
            case 0x5: return crtc_index_ < crtc_.size() ? crtc_[crtc_index_] : 0xff;
            case 0xa:  // input status 1: resets the attribute flip-flop
                attr_data_next_ = false;
                retrace_ = !retrace_;
                return retrace_ ? kStatus1Retrace | kStatus1DisplayOff : 0;
            default: return 0xff;
        }
    }
    switch (port) {
        case 0x3c0: return attr_index_;
        case 0x3c1:
            return (attr_index_ & 0x1f) < attribute_.size() ? attribute_[attr_index_ & 0x1f] : 0;
        case 0x3c2: return 0x00;  // input status 0: no switch sense, no CRT interrupt
        case 0x3c3: return subsystem_enable_;
        case 0x3c4: return seq_index_;
        case 0x3c5: return seq_index_ < sequencer_.size() ? sequencer_[seq_index_] : 0xff;
        case 0x3c6: return dac_mask_;
        case 0x3c7: return dac_reading_ ? 0x03 : 0x00;
        case 0x3c8: return dac_write_;
        case 0x3c9: {
            const uint8_t v = dac_[dac_read_ * 3 + dac_read_rgb_];
            if (++dac_read_rgb_ == 3) {
                dac_read_rgb_ = 0;
                ++dac_read_;
            }
            return v;
        }
        case 0x3ca: return feature_;
        case 0x3cc: return misc_;
        case 0x3ce: return gc_index_;
        case 0x3cf: return gc_index_ < graphics_.size() ? graphics_[gc_index_] : 0xff;
        default: return 0xff;
    }
}

void Vga::write_crtc(uint8_t value) {
    if (crtc_index_ >= crtc_.size()) return;
    if ((crtc_[kCrtcProtect] & 0x80) && crtc_index_ <= 7) {
        // Protected: only CR7 bit 4 (line compare bit 8) can change.
        if (crtc_index_ == 7) crtc_[7] = static_cast<uint8_t>((crtc_[7] & ~0x10) | (value & 0x10));
        return;
    }
    crtc_[crtc_index_] = value;
}

void Vga::write_port(uint16_t port, uint8_t value) {
    const uint16_t crtc_base = color() ? 0x3d0 : 0x3b0;
    if (port < 0x3c0 || port >= 0x3d0) {
        if ((port & 0xfff0) != crtc_base) return;
        switch (port & 0x0f) {
            case 0x4: crtc_index_ = value & 0x1f; break;
            case 0x5: write_crtc(value); break;
            case 0xa: feature_ = value; break;
            default: break;
        }
        return;
    }
    switch (port) {
        case 0x3c0:
            if (attr_data_next_) {
                if ((attr_index_ & 0x1f) < attribute_.size())
                    attribute_[attr_index_ & 0x1f] = value;
            } else {
                attr_index_ = value & 0x3f;
            }
            attr_data_next_ = !attr_data_next_;
            break;
        case 0x3c2: misc_ = value; break;
        case 0x3c3: subsystem_enable_ = value & 1; break;
        case 0x3c4: seq_index_ = value & 0x07; break;
        case 0x3c5:
            if (seq_index_ < sequencer_.size()) sequencer_[seq_index_] = value;
            break;
        case 0x3c6: dac_mask_ = value; break;
        case 0x3c7:
            dac_read_ = value;
            dac_read_rgb_ = 0;
            dac_reading_ = true;
            break;
        case 0x3c8:
            dac_write_ = value;
            dac_write_rgb_ = 0;
            dac_reading_ = false;
            break;
        case 0x3c9:
            dac_[dac_write_ * 3 + dac_write_rgb_] = value & 0x3f;
            if (++dac_write_rgb_ == 3) {
                dac_write_rgb_ = 0;
                ++dac_write_;
            }
            break;
        case 0x3ce: gc_index_ = value & 0x0f; break;
        case 0x3cf:
            if (gc_index_ < graphics_.size()) graphics_[gc_index_] = value;
            break;
        default: break;
    }
}

TextScreen Vga::text_screen() {
    TextScreen s;
    if ((graphics_[6] & 0x01) || (attribute_[0x10] & 0x01)) {
        s.graphics = true;
        return s;
    }
    // The memory window (GR6 bits 3:2).
    static constexpr uint32_t kWindowBase[4] = {0xa0000, 0xa0000, 0xb0000, 0xb8000};
    static constexpr uint32_t kWindowSize[4] = {0x20000, 0x10000, 0x8000, 0x8000};
    const unsigned map = (graphics_[6] >> 2) & 3;
    std::vector<uint8_t> window(kWindowSize[map]);
    memory_.read(kWindowBase[map], window);
    const unsigned vertical_end =
        crtc_[0x12] | (crtc_[7] & 0x02) << 7 | (crtc_[7] & 0x40) << 3;  // bits 8 and 9
    const unsigned char_height = (crtc_[9] & 0x1f) + 1;
    s.columns = std::min<unsigned>(crtc_[1] + 1u, 256);
    s.rows = std::clamp((vertical_end + 1) / char_height, 1u, 128u);
    const unsigned stride = crtc_[0x13] * 2u;  // characters per row in memory
    const unsigned start = crtc_[0x0c] << 8 | crtc_[0x0d];
    const size_t cells_in_window = window.size() / 2;
    s.cells.resize(size_t{s.rows} * s.columns);
    for (unsigned r = 0; r < s.rows; ++r)
        for (unsigned c = 0; c < s.columns; ++c) {
            const size_t cell = (start + size_t{r} * stride + c) % cells_in_window;
            s.cells[size_t{r} * s.columns + c] =
                static_cast<uint16_t>(window[2 * cell] | window[2 * cell + 1] << 8);
        }
    const unsigned cursor = crtc_[0x0e] << 8 | crtc_[0x0f];
    const unsigned offset = cursor - start;  // from the screen's first cell (mod 2^32)
    if (stride != 0 && offset < s.rows * stride) {
        s.cursor_row = offset / stride;
        s.cursor_column = offset % stride;
        s.cursor_visible = !(crtc_[0x0a] & 0x20) && s.cursor_column < s.columns;
    }
    if (!s.cursor_visible) s.cursor_row = s.cursor_column = 0;
    return s;
}

}  // namespace prevt::devices
