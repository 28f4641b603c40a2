// Terminal bytes as PS/2 set 2 key strokes (--display text's keyboard).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/terminal_keys.hpp"

namespace prevt {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes type(TerminalKeys& k, const std::string& s) {
    Bytes out;
    for (char c : s) {
        const Bytes b = k.feed(static_cast<uint8_t>(c));
        out.insert(out.end(), b.begin(), b.end());
    }
    return out;
}

TEST(TerminalKeys, LettersDigitsAndEnter) {
    TerminalKeys k;
    EXPECT_EQ(type(k, "v"), (Bytes{0x2a, 0xf0, 0x2a}));
    EXPECT_EQ(type(k, "1"), (Bytes{0x16, 0xf0, 0x16}));
    EXPECT_EQ(type(k, "\r"), (Bytes{0x5a, 0xf0, 0x5a}));
    EXPECT_EQ(type(k, "\x7f"), (Bytes{0x66, 0xf0, 0x66})) << "Backspace";
}

TEST(TerminalKeys, ShiftedCharactersHoldShift) {
    TerminalKeys k;
    EXPECT_EQ(type(k, "A"), (Bytes{0x12, 0x1c, 0xf0, 0x1c, 0xf0, 0x12}));
    EXPECT_EQ(type(k, ":"), (Bytes{0x12, 0x4c, 0xf0, 0x4c, 0xf0, 0x12}));
    EXPECT_EQ(type(k, "~"), (Bytes{0x12, 0x0e, 0xf0, 0x0e, 0xf0, 0x12})) << "the table's end";
    EXPECT_EQ(type(k, "\\"), (Bytes{0x5d, 0xf0, 0x5d}));
}

TEST(TerminalKeys, ControlCharactersHoldCtrl) {
    TerminalKeys k;
    EXPECT_EQ(type(k, "\x03"), (Bytes{0x14, 0x21, 0xf0, 0x21, 0xf0, 0x14})) << "Ctrl-C";
}

TEST(TerminalKeys, EscapeSequencesAreExtendedKeys) {
    TerminalKeys k;
    EXPECT_EQ(type(k, "\x1b[A"), (Bytes{0xe0, 0x75, 0xe0, 0xf0, 0x75})) << "up";
    EXPECT_EQ(type(k, "\x1b[3~"), (Bytes{0xe0, 0x71, 0xe0, 0xf0, 0x71})) << "delete";
    EXPECT_EQ(type(k, "\x1bOP"), (Bytes{0x05, 0xf0, 0x05})) << "F1";
    EXPECT_EQ(type(k, "\x1b[15~"), (Bytes{0x03, 0xf0, 0x03})) << "F5";
}

TEST(TerminalKeys, ALoneEscapeIsTheEscKey) {
    TerminalKeys k;
    EXPECT_TRUE(type(k, "\x1b").empty()) << "waits for what follows";
    EXPECT_EQ(k.flush(), (Bytes{0x76, 0xf0, 0x76}));
    EXPECT_TRUE(k.flush().empty());
    EXPECT_EQ(type(k, "\x1bx"), (Bytes{0x76, 0xf0, 0x76, 0x22, 0xf0, 0x22}));
}

}  // namespace
}  // namespace prevt
