// The debug console (0xe9) and isa-debug-exit (0xf4) through the bus.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "devices/bus.hpp"
#include "devices/debug_console.hpp"
#include "devices/debug_exit.hpp"

namespace prevt::devices {
namespace {

class DebugConsoleTest : public ::testing::Test {
protected:
    DebugConsoleTest() { bus.attach(0xe9, 1, console); }
    std::string out;
    DebugConsole console{[this](uint8_t b) { out.push_back(static_cast<char>(b)); }};
    Bus bus{"port"};
};

TEST_F(DebugConsoleTest, ReadsBackE9SoGuestsCanDetectIt) {
    EXPECT_EQ(bus.read(0xe9, 1), 0xe9u);
    EXPECT_EQ(bus.read(0xe9, 1), 0xe9u);
    EXPECT_TRUE(out.empty()) << "reads must not produce output";
}

TEST_F(DebugConsoleTest, WrittenBytesReachTheSinkInOrder) {
    for (char c : std::string("ok\n")) bus.write(0xe9, 1, static_cast<uint8_t>(c));
    EXPECT_EQ(out, "ok\n");
}

TEST_F(DebugConsoleTest, WideWriteSendsOnlyTheLowByte) {
    bus.write(0xe9, 2, 0x4241);
    bus.write(0xe9, 4, 0x44434243);
    EXPECT_EQ(out, "AC");
}

class DebugExitTest : public ::testing::Test {
protected:
    DebugExitTest() { bus.attach(0xf4, 4, exit_port); }
    std::vector<int> statuses;
    DebugExit exit_port{[this](int status) { statuses.push_back(status); }};
    Bus bus{"port"};
};

TEST_F(DebugExitTest, StatusIsValueShiftedLeftOrOne) {
    bus.write(0xf4, 4, 0);
    bus.write(0xf4, 1, 0x10);
    bus.write(0xf4, 2, 0x7f);
    EXPECT_EQ(statuses, (std::vector<int>{1, 0x21, 0xff}));
}

TEST_F(DebugExitTest, AnyOfTheFourPortsAndTheFullValueIsPassed) {
    bus.write(0xf7, 1, 0x10);
    bus.write(0xf4, 4, 0x1234);
    EXPECT_EQ(statuses, (std::vector<int>{0x21, 0x2469})) << "the machine keeps the low 8 bits";
    bus.write(0xf8, 1, 0);  // past the device: unassigned
    EXPECT_EQ(statuses.size(), 2u);
}

TEST_F(DebugExitTest, ReadsAreAllOnesAndHaveNoEffect) {
    EXPECT_EQ(bus.read(0xf4, 1), 0xffu);
    EXPECT_EQ(bus.read(0xf4, 2), 0xffffu);
    EXPECT_EQ(bus.read(0xf4, 4), 0xffffffffu);
    EXPECT_TRUE(statuses.empty());
}

}  // namespace
}  // namespace prevt::devices
