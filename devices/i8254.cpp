#include "devices/i8254.hpp"

#include <stdexcept>
#include <string>

namespace prevt::devices {

namespace {

constexpr uint64_t kNsPerSecond = 1'000'000'000;
constexpr unsigned kControlPort = 3;
constexpr uint8_t kReadBack = 3;  // control word bits 7:6
// Read-back command: bits 5 and 4 are active low; bits 3:1 select counters 2, 1, 0.
constexpr uint8_t kReadBackNoCount = 0x20, kReadBackNoStatus = 0x10;

}  // namespace

I8254::I8254(const Clock& clock, IrqLine* irq0) : clock_(clock) {
    counters_[0].connect_out(irq0);
}

uint64_t I8254::tick_at(uint64_t ns) {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(ns) * kInputHz / kNsPerSecond);
}

uint64_t I8254::first_ns_of_tick(uint64_t tick) {
    const unsigned __int128 scaled = static_cast<unsigned __int128>(tick) * kNsPerSecond;
    return static_cast<uint64_t>((scaled + kInputHz - 1) / kInputHz);
}

uint32_t I8254::read(uint64_t offset, unsigned size) {
    touch();
    // The control word register (and beyond) reads as all-ones.
    return read_split(offset, size, kControlPort,
                      [this](unsigned port) { return counters_[port].read_byte(now_tick()); });
}

void I8254::write(uint64_t offset, unsigned size, uint32_t value) {
    touch();
    write_split(offset, size, value, kControlPort + 1, [this](unsigned port, uint8_t byte) {
        if (port < kControlPort)
            counters_[port].write_byte(byte, now_tick());
        else
            write_control_word(byte);
    });
}

void I8254::write_control_word(uint8_t value) {
    const uint64_t tick = now_tick();
    const unsigned select = value >> 6;
    if (select == kReadBack) {
        for (unsigned index = 0; index < kCounterCount; ++index) {
            if (!(value & (2u << index))) continue;
            if (!(value & kReadBackNoStatus)) counters_[index].latch_status(tick);
            if (!(value & kReadBackNoCount)) counters_[index].latch_count(tick);
        }
        return;
    }
    if (((value >> 4) & 3) == I8254Counter::kLatch) {
        counters_[select].latch_count(tick);
    } else {
        counters_[select].program(value, tick);
    }
}

void I8254::update() {
    const uint64_t tick = now_tick();
    for (I8254Counter& c : counters_) c.settle(tick);
}

std::optional<uint64_t> I8254::next_event_ns() const {
    const std::optional<uint64_t> tick = counters_[0].next_transition_tick();
    if (!tick) return std::nullopt;
    return first_ns_of_tick(*tick);
}

I8254Counter& I8254::counter(unsigned index) {
    if (index >= kCounterCount)
        throw std::out_of_range("i8254: no counter " + std::to_string(index));
    return counters_[index];
}

void I8254::set_gate(unsigned index, bool high) {
    touch();
    counter(index).set_gate(high, now_tick());
}

bool I8254::out(unsigned index) {
    touch();
    return counter(index).out(now_tick());
}

}  // namespace prevt::devices
