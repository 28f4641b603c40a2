// A text-mode screen as the VGA shows it (vga.hpp): the cells (character and attribute, as in
// video memory: character in the low byte), the cursor, or "graphics mode" when the VGA is not
// in a text mode. The host side renders it (core/text_display.hpp).
#pragma once

#include <cstdint>
#include <vector>

namespace prevt::devices {

struct TextScreen {
    unsigned columns = 0, rows = 0;
    std::vector<uint16_t> cells;  // rows * columns, row by row
    bool graphics = false;        // a graphics mode: no cells
    bool cursor_visible = false;
    unsigned cursor_row = 0, cursor_column = 0;

    uint8_t character(unsigned row, unsigned column) const {
        return static_cast<uint8_t>(cells[row * columns + column]);
    }
    uint8_t attribute(unsigned row, unsigned column) const {
        return static_cast<uint8_t>(cells[row * columns + column] >> 8);
    }
    bool operator==(const TextScreen&) const = default;
};

}  // namespace prevt::devices
