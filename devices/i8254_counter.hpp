// One counter of an Intel 8254 programmable interval timer (datasheet: Intel 8254, 231164), in
// terms of its input clock: time is the absolute number of input clock periods ("ticks") since
// an arbitrary origin. i8254.hpp turns port accesses and nanoseconds into calls here. State: new.
//
// Models: modes 0-5 with GATE (counting suspended in modes 0, 2, 3, 4; OUT forced high in
// modes 2 and 3; a rising edge triggers modes 1 and 5 and reloads modes 2 and 3); the count
// shown at any tick; OUT at any tick, and the edges of OUT driven onto an IrqLine when the
// counter is settled; read/write access LSB, MSB or LSB-then-MSB with independent read and
// write byte flip-flops; the counter latch command and the read-back command's count and status
// latches (status: OUT, null count, and the programmed RW, mode and BCD bits); a count written
// in mode 0 stops counting after its first byte; a new count in modes 2 and 3 takes effect at
// the end of the current period (mode 2) or half-cycle (mode 3), in modes 1 and 5 at the next
// trigger. The count is computed from the ticks elapsed since it was loaded; nothing ticks.
//
// Missing: BCD counting (the BCD bit is stored and shown in the status byte; counting is always
// binary). Ignored: the one-clock delay between writing a count and loading it into the counting
// element: a count is loaded at the tick it is written, so in mode 0 OUT rises N ticks after the
// write, not N+1; the illegal count 1 in modes 2 and 3 leaves OUT high and never interrupts.
#pragma once

#include <cstdint>
#include <optional>

#include "devices/irq_line.hpp"

namespace prevt::devices {

class I8254Counter {
public:
    // Access modes (control word bits 5:4). kLatch is the counter latch command.
    enum Access : uint8_t { kLatch = 0, kLsb = 1, kMsb = 2, kLsbThenMsb = 3 };

    // OUT edges are driven onto `out` (may be null) whenever the counter is settled.
    void connect_out(IrqLine* out);

    // A control word addressed to this counter with access bits 5:4 non-zero: mode and access.
    void program(uint8_t control_word, uint64_t tick);
    void write_byte(uint8_t value, uint64_t tick);
    uint8_t read_byte(uint64_t tick);
    // A second latch command before the latched value is read is ignored (for either latch).
    void latch_count(uint64_t tick);
    void latch_status(uint64_t tick);
    void set_gate(bool high, uint64_t tick);

    // Brings the counter to `tick` (never earlier than the last one): applies a new count that
    // was waiting for the end of a period and drives OUT's edges since the last settle. A rising
    // edge whose high phase was missed is still driven (as a low-high pulse, ending low if OUT
    // is low by now).
    void settle(uint64_t tick);
    bool out(uint64_t tick);
    uint16_t count(uint64_t tick);
    // The first tick after the last settle at which OUT changes, if it ever does unprompted.
    std::optional<uint64_t> next_transition_tick() const;

    uint8_t mode() const { return mode_; }
    bool gate() const { return gate_; }

private:
    bool counting() const;
    uint64_t elapsed(uint64_t tick) const;  // ticks counted since the count was loaded
    void rebase(uint64_t tick);             // call before anything that changes counting()
    void start(uint64_t tick);              // load the count register into the counting element
    void load_written_count(uint64_t tick);
    bool out_at(uint64_t elapsed) const;
    uint16_t count_at(uint64_t elapsed) const;
    bool rising_edge_between(uint64_t from, uint64_t to) const;  // in (from, to]
    void drive(bool level);
    void resync(uint64_t tick);  // after a change: OUT takes its new level without an edge scan
    uint32_t written_count() const { return count_register_ ? count_register_ : 0x10000; }

    IrqLine* out_line_ = nullptr;
    bool driven_ = false;
    uint64_t settled_elapsed_ = 0;  // elapsed() at the last settle

    uint8_t mode_ = 0;       // 0-5
    uint8_t mode_bits_ = 0;  // control word bits 3:1 as written, for the status byte
    Access access_ = kLsbThenMsb;
    bool bcd_ = false;
    bool gate_ = true;

    uint16_t count_register_ = 0;
    bool count_written_ = false;  // since the last control word
    bool null_count_ = true;
    bool stopped_by_first_byte_ = false;
    bool write_msb_next_ = false;
    bool read_msb_next_ = false;

    // The counting element: n_ ticks per period, elapsed() = base_elapsed_ + ticks since
    // base_tick_ while counting().
    bool loaded_ = false;  // in modes 1 and 5: also triggered
    uint32_t n_ = 0x10000;
    uint64_t base_tick_ = 0;
    uint64_t base_elapsed_ = 0;

    // A count waiting for the end of the current period or half-cycle (modes 2 and 3).
    std::optional<uint32_t> pending_n_;
    uint64_t pending_at_elapsed_ = 0;
    uint64_t pending_start_elapsed_ = 0;

    std::optional<uint16_t> latched_count_;
    bool latched_msb_next_ = false;
    std::optional<uint8_t> latched_status_;
};

}  // namespace prevt::devices
