#include "core/text_display.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace prevt {

namespace {

// Code page 437, the PC's character set, as Unicode code points (0x00 and 0xff: blanks).
constexpr std::array<uint16_t, 256> kCp437 = {
    0x0020, 0x263a, 0x263b, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022, 0x25d8, 0x25cb, 0x25d9, 0x2642,
    0x2640, 0x266a, 0x266b, 0x263c, 0x25ba, 0x25c4, 0x2195, 0x203c, 0x00b6, 0x00a7, 0x25ac, 0x21a8,
    0x2191, 0x2193, 0x2192, 0x2190, 0x221f, 0x2194, 0x25b2, 0x25bc, 0x0020, 0x0021, 0x0022, 0x0023,
    0x0024, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003a, 0x003b,
    0x003c, 0x003d, 0x003e, 0x003f, 0x0040, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
    0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f, 0x0050, 0x0051, 0x0052, 0x0053,
    0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005a, 0x005b, 0x005c, 0x005d, 0x005e, 0x005f,
    0x0060, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006a, 0x006b,
    0x006c, 0x006d, 0x006e, 0x006f, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
    0x0078, 0x0079, 0x007a, 0x007b, 0x007c, 0x007d, 0x007e, 0x2302, 0x00c7, 0x00fc, 0x00e9, 0x00e2,
    0x00e4, 0x00e0, 0x00e5, 0x00e7, 0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
    0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9, 0x00ff, 0x00d6, 0x00dc, 0x00a2,
    0x00a3, 0x00a5, 0x20a7, 0x0192, 0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
    0x00bf, 0x2310, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb, 0x2591, 0x2592, 0x2593, 0x2502,
    0x2524, 0x2561, 0x2562, 0x2556, 0x2555, 0x2563, 0x2551, 0x2557, 0x255d, 0x255c, 0x255b, 0x2510,
    0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f, 0x255a, 0x2554, 0x2569, 0x2566,
    0x2560, 0x2550, 0x256c, 0x2567, 0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256b,
    0x256a, 0x2518, 0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580, 0x03b1, 0x00df, 0x0393, 0x03c0,
    0x03a3, 0x03c3, 0x00b5, 0x03c4, 0x03a6, 0x0398, 0x03a9, 0x03b4, 0x221e, 0x03c6, 0x03b5, 0x2229,
    0x2261, 0x00b1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00f7, 0x2248, 0x00b0, 0x2219, 0x00b7, 0x221a,
    0x207f, 0x00b2, 0x25a0, 0x0020};

void put_utf8(std::string& out, uint8_t cp437) {
    const uint16_t u = kCp437[cp437];
    if (u < 0x80) {
        out += static_cast<char>(u);
    } else if (u < 0x800) {
        out += static_cast<char>(0xc0 | u >> 6);
        out += static_cast<char>(0x80 | (u & 0x3f));
    } else {
        out += static_cast<char>(0xe0 | u >> 12);
        out += static_cast<char>(0x80 | ((u >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (u & 0x3f));
    }
}

// The VGA's colour numbers (blue = 1, red = 4) in ANSI's order (red = 1, blue = 4).
constexpr std::array<unsigned, 8> kAnsiColour = {0, 4, 2, 6, 1, 5, 3, 7};

std::string sgr(uint8_t attribute) {
    const unsigned fg = attribute & 0x0f, bg = (attribute >> 4) & 0x07;
    return "\x1b[0;" + std::to_string((fg & 8 ? 90 : 30) + kAnsiColour[fg & 7]) + ";" +
           std::to_string(40 + kAnsiColour[bg]) + "m";
}

std::string move_to(unsigned row, unsigned column) {
    return "\x1b[" + std::to_string(row + 1) + ";" + std::to_string(column + 1) + "H";
}

constexpr const char* kGraphicsLine = "[prevt: the VGA is in a graphics mode: no text to show]";

}  // namespace

std::string screen_text(const devices::TextScreen& screen) {
    if (screen.graphics) return std::string(kGraphicsLine) + "\n";
    std::string text;
    for (unsigned r = 0; r < screen.rows; ++r) {
        std::string line;
        size_t used = 0;  // bytes up to the last non-blank cell
        for (unsigned c = 0; c < screen.columns; ++c) {
            const uint8_t ch = screen.character(r, c);
            put_utf8(line, ch);
            if (kCp437[ch] != 0x0020) used = line.size();
        }
        line.resize(used);
        text += line;
        text += '\n';
    }
    return text;
}

std::string TerminalDisplay::redraw(const devices::TextScreen* before,
                                    const devices::TextScreen& now) {
    const bool full = !before || before->graphics != now.graphics || before->rows != now.rows ||
                      before->columns != now.columns;
    std::string out = "\x1b[?25l";  // the cursor hidden while drawing
    if (full) out += "\x1b[0m\x1b[2J";
    if (now.graphics) {
        if (full) out += move_to(0, 0) + kGraphicsLine;
        return out;
    }
    for (unsigned r = 0; r < now.rows; ++r) {
        const auto first = now.cells.begin() + static_cast<long>(r * now.columns);
        if (!full && std::equal(first, first + now.columns,
                                before->cells.begin() + static_cast<long>(r * now.columns)))
            continue;
        out += move_to(r, 0);
        int attribute = -1;
        for (unsigned c = 0; c < now.columns; ++c) {
            const uint8_t a = now.attribute(r, c);
            if (a != attribute) out += sgr(a);
            attribute = a;
            put_utf8(out, now.character(r, c));
        }
    }
    out += "\x1b[0m";
    if (now.cursor_visible) out += move_to(now.cursor_row, now.cursor_column) + "\x1b[?25h";
    return out;
}

void TerminalDisplay::show(const devices::TextScreen& screen) {
    if (drawn_ && screen == last_) return;
    const std::string out = redraw(drawn_ ? &last_ : nullptr, screen);
    out_.write(out.data(), out.size());
    last_ = screen;
    drawn_ = true;
}

TerminalDisplay::~TerminalDisplay() {
    if (!drawn_) return;
    const std::string out = "\x1b[0m" + move_to(last_.rows, 0) + "\x1b[?25h\n";
    out_.write(out.data(), out.size());
}

}  // namespace prevt
