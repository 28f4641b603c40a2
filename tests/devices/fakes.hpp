// Test doubles for the device models' outward interfaces: an IRQ line that records what it is
// driven to, and a clock that moves only when a test moves it.
#pragma once

#include <cstdint>

#include "devices/clock.hpp"
#include "devices/irq_line.hpp"

namespace prevt::devices {

class RecordingIrqLine final : public IrqLine {
public:
    void set_level(bool high) override {
        if (high && !level) ++rising_edges;
        level = high;
        ++calls;
    }
    bool level = false;
    int rising_edges = 0;
    int calls = 0;
};

class FakeClock final : public Clock {
public:
    uint64_t now_ns() const override { return ns; }
    uint64_t ns = 0;
};

}  // namespace prevt::devices
