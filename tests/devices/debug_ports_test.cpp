// The debug console (0xe9) and isa-debug-exit (0xf4) through the bus.
#include <gtest/gtest.h>

#include <string>

#include "devices/bus.hpp"
#include "devices/debug_console.hpp"
#include "devices/debug_exit.hpp"

namespace prevt::devices {
namespace {

TEST(DebugConsole, ReadsBackE9AndWritesBytes) {
    std::string out;
    DebugConsole con([&](uint8_t b) { out.push_back(static_cast<char>(b)); });
    Bus bus("port");
    bus.attach(0xe9, 1, con);
    EXPECT_EQ(bus.read(0xe9, 1), 0xe9u);
    bus.write(0xe9, 1, 'o');
    bus.write(0xe9, 1, 'k');
    EXPECT_EQ(out, "ok");
}

TEST(DebugExit, StatusIsValueShiftedOrOne) {
    int status = -1;
    DebugExit ex([&](int s) { status = s; });
    Bus bus("port");
    bus.attach(0xf4, 4, ex);
    bus.write(0xf4, 4, 0);
    EXPECT_EQ(status, 1);
    bus.write(0xf4, 1, 0x10);
    EXPECT_EQ(status, 0x21);
    EXPECT_EQ(bus.read(0xf4, 1), 0xffu);
}

}  // namespace
}  // namespace prevt::devices
