// The text screen on the host: plain text for --screen-dump (CP437 as UTF-8, blanks trimmed)
// and the ANSI redraw of --display text (only the rows that changed, colours, the cursor).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/text_display.hpp"

namespace prevt {
namespace {

devices::TextScreen blank(unsigned columns = 80, unsigned rows = 25) {
    devices::TextScreen s;
    s.columns = columns;
    s.rows = rows;
    s.cells.assign(size_t{columns} * rows, 0x0720);
    return s;
}

void put(devices::TextScreen& s, unsigned row, unsigned column, const std::string& text,
         uint8_t attribute = 0x07) {
    for (size_t i = 0; i < text.size(); ++i)
        s.cells[row * s.columns + column + i] =
            static_cast<uint16_t>(static_cast<uint8_t>(text[i]) | attribute << 8);
}

TEST(ScreenText, RowsTrimmedOneLineEach) {
    devices::TextScreen s = blank();
    put(s, 0, 0, "A:\\>");
    put(s, 2, 10, "ver");
    const std::string text = screen_text(s);
    EXPECT_EQ(text.substr(0, 20), "A:\\>\n\n" + std::string(10, ' ') + "ver\n");
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 25);
}

TEST(ScreenText, Cp437BecomesUtf8) {
    devices::TextScreen s = blank(4, 1);
    s.cells[0] = 0x07c9;  // box drawing, double down and right
    s.cells[1] = 0x0700;  // NUL: a blank
    s.cells[2] = 0x0782;  // e acute
    s.cells[3] = 0x07ff;  // non-breaking space: a blank, trimmed
    EXPECT_EQ(screen_text(s), "\xe2\x95\x94 \xc3\xa9\n");
}

TEST(ScreenText, GraphicsModeSaysSo) {
    devices::TextScreen s;
    s.graphics = true;
    EXPECT_NE(screen_text(s).find("graphics mode"), std::string::npos);
}

TEST(TerminalRedraw, FirstDrawClearsAndPlacesTheCursor) {
    devices::TextScreen s = blank(4, 2);
    put(s, 1, 0, "hi", 0x1e);  // yellow on blue
    s.cursor_visible = true;
    s.cursor_row = 1;
    s.cursor_column = 2;
    const std::string out = TerminalDisplay::redraw(nullptr, s);
    EXPECT_NE(out.find("\x1b[2J"), std::string::npos);
    EXPECT_NE(out.find("\x1b[0;93;44mhi"), std::string::npos) << "VGA yellow/blue in ANSI";
    EXPECT_NE(out.find("\x1b[2;3H\x1b[?25h"), std::string::npos) << "cursor at row 2, column 3";
}

TEST(TerminalRedraw, OnlyChangedRowsAreDrawn) {
    const devices::TextScreen before = blank(4, 3);
    devices::TextScreen now = before;
    put(now, 2, 1, "x");
    const std::string out = TerminalDisplay::redraw(&before, now);
    EXPECT_EQ(out.find("\x1b[2J"), std::string::npos);
    EXPECT_NE(out.find("\x1b[3;1H"), std::string::npos);
    EXPECT_EQ(out.find("\x1b[1;1H"), std::string::npos);
    EXPECT_EQ(out.find("\x1b[?25h"), std::string::npos) << "hidden cursor stays hidden";
}

}  // namespace
}  // namespace prevt
