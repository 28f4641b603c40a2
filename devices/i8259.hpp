// One Intel 8259A programmable interrupt controller (datasheet: Intel 8259A, 231468), as either
// chip of a PC's pair (see pic_pair.hpp for the pair at 0x20 and 0xa0). State: new.
//
// Models: the ICW1-ICW4 initialization sequence (LTIM edge/level trigger for all inputs,
// single/cascade, IC4, vector base from ICW2, ICW3, and from ICW4 AEOI and special fully nested
// mode); OCW1 (IMR); OCW2 (non-specific and specific EOI, rotate on non-specific EOI, rotate in
// AEOI mode set/clear, set priority, rotate on specific EOI); OCW3 (read IRR/ISR select, poll
// command, special mask mode); priority resolution with rotation; cascading: a slave chip is
// wired to an input of a master with attach_slave(), and the master's INTA returns the slave's
// vector when the line it acknowledges is a cascade line. Edge-triggered inputs set IRR on a
// rising edge and, as the datasheet requires the request to stay high until INTA, lose it when
// the line falls first; level-triggered inputs follow the level. An INTA with nothing left to
// serve returns the spurious vector base+7 and sets no ISR bit.
//
// Missing: the PIIX ELCR registers (0x4d0/0x4d1, per-line edge/level control): the trigger mode
// is the same for all eight lines of a chip; MCS-80/85 mode (ICW4.uPM clear): INTA always
// returns an 8086 vector; the slave ID from ICW3 is stored but not compared with the cascade
// address: the slave wired to a line answers for it. Ignored: ICW1.ADI and A7-A5, ICW4 buffered
// mode and M/S. ICW1 also clears ISR and the rotate-in-AEOI flag (the datasheet is silent).
// Before the first ICW1 all eight inputs are masked.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "devices/bus.hpp"
#include "devices/irq_line.hpp"

namespace prevt::devices {

class I8259 final : public IoDevice {
public:
    static constexpr unsigned kPortCount = 2;  // attach with this length
    static constexpr unsigned kLineCount = 8;
    static constexpr uint8_t kSpuriousLine = 7;

    // The IrqLine a device is given for one input: set_level(h) is set_irq(line, h).
    class InputLine final : public IrqLine {
    public:
        void set_level(bool high) override;

    private:
        friend class I8259;
        I8259* pic_ = nullptr;
        unsigned line_ = 0;
    };

    explicit I8259(std::string name = "i8259");
    // The input lines point back at the chip: it cannot move.
    I8259(const I8259&) = delete;
    I8259& operator=(const I8259&) = delete;

    std::string_view name() const override { return name_; }
    // An 8-bit device: wider accesses are split into byte accesses to consecutive ports, low
    // byte first; bytes past the second port read as all-ones and drop writes.
    uint32_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint32_t value) override;

    // The level on input IR`line` (0-7). Throws std::out_of_range for other lines.
    void set_irq(unsigned line, bool level);
    IrqLine* input(unsigned line);

    // The INT output: an unmasked request outranks everything in service.
    bool interrupt_pending() const { return highest_request().has_value(); }
    // The INT output as last driven (updated after every change of the chip's state): what a
    // CPU polling at every exit reads, without resolving priorities again.
    bool int_output() const { return int_level_; }
    // One INTA cycle: returns the vector, moves the request from IRR to ISR (or, in AEOI mode,
    // serves it without setting ISR), and on a cascade line asks the slave for the vector.
    uint8_t acknowledge();

    // INT changes are also driven onto `line` (may be null); attach_slave() uses this.
    void connect_int_output(IrqLine* line);
    // Wires `slave`'s INT to input `line` and lets INTA of that line reach the slave (when this
    // chip is programmed for cascade mode with the line's ICW3 bit set).
    void attach_slave(unsigned line, I8259& slave);

    uint8_t irr() const;
    uint8_t isr() const { return isr_; }
    uint8_t imr() const { return imr_; }
    uint8_t vector_base() const { return vector_base_; }
    bool level_triggered() const { return level_triggered_; }

private:
    enum class InitStep { kReady, kIcw2, kIcw3, kIcw4 };

    uint8_t read_port(unsigned port);
    void write_port(unsigned port, uint8_t value);
    void write_icw1(uint8_t value);
    void write_init_word(uint8_t value);  // ICW2-ICW4, in the order ICW1 asked for
    void write_ocw2(uint8_t value);
    void write_ocw3(uint8_t value);
    void end_of_interrupt(std::optional<unsigned> line, bool rotate);
    uint8_t poll();

    // Priority 0 is the highest; the line after lowest_priority_ has it.
    unsigned priority(unsigned line) const { return (line - lowest_priority_ - 1) & 7; }
    std::optional<unsigned> highest_priority_line(uint8_t lines) const;
    std::optional<unsigned> highest_request() const;
    void accept(unsigned line);  // the IRR -> ISR half of INTA and poll
    I8259* cascade_slave(unsigned line) const;
    uint8_t cascade_lines() const;
    void update_int_output();

    std::string name_;
    std::array<InputLine, kLineCount> inputs_;
    std::array<I8259*, kLineCount> slaves_{};
    IrqLine* int_output_ = nullptr;
    bool int_level_ = false;

    uint8_t input_levels_ = 0;  // the wires, as last driven by set_irq
    uint8_t edge_latched_ = 0;  // rising edges not yet acknowledged (edge mode)
    uint8_t isr_ = 0;
    uint8_t imr_ = 0xff;
    uint8_t vector_base_ = 0;
    uint8_t icw3_ = 0;
    unsigned lowest_priority_ = 7;
    InitStep init_step_ = InitStep::kReady;
    bool icw4_expected_ = false;
    bool level_triggered_ = false;
    bool single_ = true;
    bool auto_eoi_ = false;
    bool special_fully_nested_ = false;
    bool rotate_in_auto_eoi_ = false;
    bool special_mask_ = false;
    bool read_isr_ = false;
    bool poll_pending_ = false;
};

}  // namespace prevt::devices
