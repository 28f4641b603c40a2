// The i8042 on a port bus with recording IRQ lines and callbacks, and the helpers a guest
// driver has: Linux's i8042_command (wait for IBF clear before each write, for OBF before each
// read) and i8042_flush.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "devices/bus.hpp"
#include "devices/i8042.hpp"
#include "fakes.hpp"

namespace prevt::devices {

constexpr uint8_t kObf = 0x01, kIbf = 0x02, kSys = 0x04, kCmd = 0x08, kUnlocked = 0x10,
                  kAuxb = 0x20, kTimeout = 0x40;
constexpr uint8_t kKbdInt = 0x01, kAuxInt = 0x02, kCbSys = 0x04, kKbdDis = 0x10, kAuxDis = 0x20,
                  kXlate = 0x40;

class I8042Test : public ::testing::Test {
protected:
    I8042Test() { kbc.attach(bus); }

    uint8_t inb(uint16_t port) { return static_cast<uint8_t>(bus.read(port, 1)); }
    void outb(uint16_t port, uint8_t value) { bus.write(port, 1, value); }
    uint8_t status() { return inb(0x64); }

    // A controller command with its parameters, reading `answers` bytes.
    std::vector<uint8_t> command(uint8_t cmd, std::vector<uint8_t> params = {}, int answers = 0) {
        EXPECT_FALSE(status() & kIbf);
        outb(0x64, cmd);
        for (uint8_t p : params) {
            EXPECT_FALSE(status() & kIbf);
            outb(0x60, p);
        }
        return read_answers(answers);
    }
    // A byte to the keyboard, reading `answers` bytes.
    std::vector<uint8_t> keyboard(uint8_t byte, int answers) {
        EXPECT_FALSE(status() & kIbf);
        outb(0x60, byte);
        return read_answers(answers);
    }
    std::vector<uint8_t> read_answers(int answers) {
        std::vector<uint8_t> got;
        for (int i = 0; i < answers; ++i) {
            if (!(status() & kObf)) {
                ADD_FAILURE() << "no answer byte " << i;
                break;
            }
            got.push_back(inb(0x60));
        }
        return got;
    }
    // Everything waiting in the output buffer, as i8042_flush reads it.
    std::vector<uint8_t> flush() {
        std::vector<uint8_t> got;
        while ((status() & kObf) && got.size() < 64) got.push_back(inb(0x60));
        return got;
    }
    void write_command_byte(uint8_t value) { command(0x60, {value}); }
    uint8_t read_command_byte() { return command(0x20, {}, 1).at(0); }

    RecordingIrqLine irq1;
    RecordingIrqLine irq12;
    std::vector<bool> a20_changes;
    int resets = 0;
    I8042 kbc{
        {&irq1, &irq12, [this](bool on) { a20_changes.push_back(on); }, [this] { ++resets; }}};
    Bus bus{"port"};
};

using Bytes = std::vector<uint8_t>;

}  // namespace prevt::devices
