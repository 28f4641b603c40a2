// A 16550A UART (datasheet: TI/National PC16550D), as COM1 at 0x3f8 on a PC.
// Models: RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR, the divisor latch (DLAB); a 16-byte
// receive FIFO fed by receive(); interrupt identification with the datasheet's priorities
// (line status > received data > THR empty > modem status) and the IRQ level gated by
// MCR.OUT2 as a PC wires it; loopback (MCR bit 4), with MSR mirroring MCR.
// Transmission is instantaneous: a byte written to THR goes to the output sink at once, so
// THRE and TEMT always read as set.
// Missing: the receive trigger level and character timeout (data-available is raised as soon
// as one byte is in the FIFO); parity, framing and break errors (never produced).
// Ignored: the baud rate, word length, stop bits and parity settings.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>

#include "devices/bus.hpp"
#include "devices/irq_line.hpp"

namespace prevt::devices {

class Uart16550 final : public IoDevice {
public:
    Uart16550(std::function<void(uint8_t)> sink, IrqLine* irq);
    std::string_view name() const override { return "uart16550"; }
    uint32_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint32_t value) override;

    // A byte arriving on the serial line (host input).
    void receive(uint8_t byte);
    bool rx_ready() const { return !rx_.empty(); }

    static constexpr unsigned kFifoSize = 16;

private:
    uint8_t interrupt_id() const;  // IIR bits 3:0
    void update_irq();
    void transmit(uint8_t byte);

    std::function<void(uint8_t)> sink_;
    IrqLine* irq_;
    std::deque<uint8_t> rx_;
    uint8_t ier_ = 0, lcr_ = 0, mcr_ = 0, lsr_errors_ = 0, scr_ = 0, fcr_ = 0;
    uint16_t divisor_ = 12;  // 9600 baud from 1.8432 MHz
    bool thr_empty_pending_ = false;
    bool irq_level_ = false;
};

}  // namespace prevt::devices
