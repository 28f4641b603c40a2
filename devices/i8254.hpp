// An Intel 8254 programmable interval timer (datasheet: Intel 8254, 231164) as a PC wires it:
// ports 0x40-0x43, a 1.193182 MHz input clock on all three counters, counter 0's OUT on IRQ0,
// counters 0 and 1 gated high, counter 2's gate and OUT on port 0x61 (port61.hpp). State: new.
//
// Models: the three counters (i8254_counter.hpp: modes 0-5, access modes, latches, GATE); the
// control word register: counter select, the counter latch command and the read-back command
// (count and/or status of any set of counters). Time comes from an injected Clock and counting
// is computed from it, never ticked: update() drives IRQ0 for the time now, and
// next_event_ns() says when counter 0's OUT next changes, for an engine to arm a host timer.
// Missing: BCD counting (see i8254_counter.hpp); counter 1's OUT (DRAM refresh on a PC) goes
// nowhere. Ignored: reads of the control word register (all-ones: the 8254 does not drive the
// bus for them).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "devices/bus.hpp"
#include "devices/clock.hpp"
#include "devices/deadline_queue.hpp"
#include "devices/i8254_counter.hpp"
#include "devices/irq_line.hpp"

namespace prevt::devices {

class I8254 final : public IoDevice, public TimedDevice {
public:
    static constexpr uint16_t kIoBase = 0x40;
    static constexpr unsigned kPortCount = 4;  // attach with this length
    static constexpr unsigned kCounterCount = 3;
    static constexpr uint64_t kInputHz = 1'193'182;

    // `irq0` receives counter 0's OUT (may be null). The clock must outlive the timer.
    I8254(const Clock& clock, IrqLine* irq0);

    std::string_view name() const override { return "i8254"; }
    // An 8-bit device: wider accesses are split into byte accesses to consecutive ports, low
    // byte first; bytes past the control word register read as all-ones and drop writes.
    uint32_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint32_t value) override;

    // Drives IRQ0 (and settles every counter) for the clock's time now. Call it at least at
    // each next_event_ns(); any port access also does it.
    void update();
    // When counter 0's OUT next changes after the last update or port access, or nullopt if it
    // will not change unless the guest reprograms it. May lie in the past if time has moved on
    // since: then it is due at once.
    std::optional<uint64_t> next_event_ns() const;
    // The deadline queue's view (deadline_queue.hpp): the same two. Every port access, gate
    // change and OUT read counts as a touch.
    void advance() override { update(); }
    std::optional<uint64_t> next_deadline_ns() const override { return next_event_ns(); }

    // GATE input of `counter` (only counter 2's is not tied high on a PC).
    void set_gate(unsigned counter, bool high);
    bool gate(unsigned counter) const { return counters_.at(counter).gate(); }
    // OUT of `counter` now.
    bool out(unsigned counter);

    // The input clock's tick count at `ns` (floor), and the first nanosecond of tick `tick`.
    static uint64_t tick_at(uint64_t ns);
    static uint64_t first_ns_of_tick(uint64_t tick);

private:
    uint64_t now_tick() const { return tick_at(clock_.now_ns()); }
    void write_control_word(uint8_t value);
    I8254Counter& counter(unsigned index);

    const Clock& clock_;
    std::array<I8254Counter, kCounterCount> counters_;
};

}  // namespace prevt::devices
