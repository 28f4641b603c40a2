// The fixture for the 8254 tests: the PIT on a port bus at 0x40-0x43, a fake clock that
// tests move in input clock ticks from an origin that is not zero, and IRQ0 recorded.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>

#include "devices/bus.hpp"
#include "devices/i8254.hpp"
#include "fakes.hpp"

namespace prevt::devices {

// Control words: counter << 6 | access << 4 | mode << 1.
inline constexpr uint8_t kControl = 0x43;
inline uint8_t control_word(unsigned counter, unsigned access, unsigned mode) {
    return static_cast<uint8_t>(counter << 6 | access << 4 | mode << 1);
}
inline constexpr unsigned kLsb = 1, kMsb = 2, kLsbThenMsb = 3;

class I8254Test : public ::testing::Test {
protected:
    static constexpr uint64_t kOrigin = 5'000;  // ticks: time does not start at zero

    I8254Test() {
        bus.attach(I8254::kIoBase, I8254::kPortCount, pit);
        at(0);
    }
    uint8_t inb(uint16_t port) { return static_cast<uint8_t>(bus.read(port, 1)); }
    void outb(uint16_t port, uint8_t value) { bus.write(port, 1, value); }

    // Moves the fake clock to the first nanosecond of `ticks` after the origin.
    void at(uint64_t ticks) { clock.ns = I8254::first_ns_of_tick(kOrigin + ticks); }
    uint64_t ns_of(uint64_t ticks) const { return I8254::first_ns_of_tick(kOrigin + ticks); }

    void program(unsigned counter, unsigned mode, uint16_t count) {
        outb(kControl, control_word(counter, kLsbThenMsb, mode));
        outb(0x40 + counter, static_cast<uint8_t>(count));
        outb(0x40 + counter, static_cast<uint8_t>(count >> 8));
    }
    uint16_t read_count(unsigned counter) {
        const uint8_t lsb = inb(0x40 + counter);
        return static_cast<uint16_t>(lsb | inb(0x40 + counter) << 8);
    }
    uint16_t count_at(uint64_t ticks, unsigned counter = 0) {
        at(ticks);
        return read_count(counter);
    }
    bool irq_at(uint64_t ticks) {
        at(ticks);
        pit.update();
        return irq0.level;
    }

    FakeClock clock;
    RecordingIrqLine irq0;
    I8254 pit{clock, &irq0};
    Bus bus{"port"};
};

}  // namespace prevt::devices
