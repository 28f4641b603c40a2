// The two 8259A chips of a PC/AT (datasheet: Intel 8259A, 231468), wired as the AT wires them:
// the master at ports 0x20-0x21 serves IRQ 0-7, the slave at 0xa0-0xa1 serves IRQ 8-15, and
// the slave's INT drives the master's IR2. State: new.
//
// Models: the wiring and the ISA IRQ numbering; everything else is the chips' (i8259.hpp).
// Missing: the PIIX ELCR (0x4d0/0x4d1); the ISA bus's IRQ2 pin, which an AT routes to IRQ9:
// IRQ 2 is the cascade and cannot be driven. Ignored: nothing.
#pragma once

#include <cstdint>

#include "devices/bus.hpp"
#include "devices/ext_int_source.hpp"
#include "devices/i8259.hpp"
#include "devices/irq_line.hpp"

namespace prevt::devices {

class PicPair final : public ExtIntSource {
public:
    static constexpr uint16_t kMasterBase = 0x20;
    static constexpr uint16_t kSlaveBase = 0xa0;
    static constexpr unsigned kCascadeIrq = 2;
    static constexpr unsigned kIrqCount = 16;

    PicPair();
    PicPair(const PicPair&) = delete;
    PicPair& operator=(const PicPair&) = delete;

    // Attaches both chips to the port bus at their AT addresses.
    void attach(Bus& ports);

    // ISA IRQ `irq` (0-15). Throws std::out_of_range for 16 and above and for the cascade, 2.
    void set_irq(unsigned irq, bool level);
    IrqLine* line(unsigned irq);

    // The CPU side: the master's INT output and its INTA cycle (which reaches the slave).
    // (The local APIC reaches them as ExtINT: ext_int_source.hpp.)
    bool interrupt_pending() const override { return master_.int_output(); }
    uint8_t acknowledge() override { return master_.acknowledge(); }
    // INT changes are also driven onto `cpu_int` (may be null), e.g. to kick a halted vCPU.
    void connect_int_output(IrqLine* cpu_int) { master_.connect_int_output(cpu_int); }

    I8259& master() { return master_; }
    I8259& slave() { return slave_; }

private:
    I8259& chip_for(unsigned irq);

    I8259 master_{"i8259-master"};
    I8259 slave_{"i8259-slave"};
};

}  // namespace prevt::devices
