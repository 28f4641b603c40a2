// A 16550A UART (datasheet: TI/National PC16550D), as COM1 at 0x3f8 on a PC. State: stable.
//
// Models: RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR, and the divisor latch DLL/DLM when
// LCR.DLAB is set; a 16-byte receive FIFO fed by receive(); interrupt identification with the
// datasheet's priorities (line status > received data > THR empty > modem status); the IRQ
// output gated by MCR.OUT2 as a PC wires it; loopback (MCR bit 4): transmitted bytes are
// received, MSR mirrors MCR and the MSR delta bits and modem status interrupt follow MCR.
// Transmission is instantaneous: a byte written to THR reaches the output sink at once, so
// LSR.THRE and LSR.TEMT always read as set and the THR empty interrupt re-arms on every write.
// Outside loopback the modem inputs are fixed: DCD, DSR and CTS asserted, RI clear.
//
// Missing: the receive trigger level and the character timeout (IIR 0xc): received data is
// signalled as soon as one byte is waiting; parity, framing and break errors and LSR bit 7
// (never produced); the 16450 mode's one-byte receive holding register: with FCR.0 clear the
// receiver still buffers 16 bytes, which only loses fewer bytes than the hardware would.
// Ignored: baud rate, word length, stop bits, parity, break control, DMA mode (FCR.3),
// the transmit FIFO reset (the transmit side never holds a byte) and writes to LSR and MSR.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "devices/bus.hpp"
#include "devices/irq_line.hpp"

namespace prevt::devices {

class Uart16550 final : public IoDevice {
public:
    static constexpr unsigned kRegisterCount = 8;  // attach with this length
    static constexpr unsigned kFifoSize = 16;

    // `sink` receives every transmitted byte; `irq` may be null (no interrupt controller).
    Uart16550(std::function<void(uint8_t)> sink, IrqLine* irq);

    std::string_view name() const override { return "uart16550"; }
    // The UART is an 8-bit device: a wider access is split into byte accesses to consecutive
    // registers, low byte first, as the ISA bus does. Bytes past the last register read as
    // all-ones and drop writes.
    uint32_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint32_t value) override;

    // A byte arriving on the serial input (host to guest). When the FIFO is full the byte is
    // lost and LSR.OE is set; in loopback the serial input is disconnected and the byte is lost.
    void receive(uint8_t byte);
    // Received data waits for the guest (LSR.DR).
    bool rx_ready() const { return rx_count_ != 0; }
    // receive() would not overrun: the host side can use this for flow control.
    bool can_receive() const { return rx_count_ < kFifoSize; }
    // The level last driven onto the IRQ line (also tracked when the line is null).
    bool irq_level() const { return irq_level_; }

private:
    uint8_t read_register(unsigned reg);
    void write_register(unsigned reg, uint8_t value);
    void write_fcr(uint8_t value);
    void write_mcr(uint8_t value);
    void transmit(uint8_t byte);
    void push_rx(uint8_t byte);
    uint8_t pop_rx();
    void clear_rx() { rx_head_ = rx_count_ = 0; }

    bool loopback() const;
    uint8_t modem_inputs() const;  // CTS, DSR, RI, DCD in their MSR positions (bits 7:4)
    uint8_t interrupt_id() const;  // IIR bits 3:0
    void update_irq();

    std::function<void(uint8_t)> sink_;
    IrqLine* irq_;

    // The receive FIFO: a ring of rx_count_ bytes starting at rx_head_.
    std::array<uint8_t, kFifoSize> rx_{};
    unsigned rx_head_ = 0;
    unsigned rx_count_ = 0;

    uint8_t ier_ = 0;
    uint8_t fcr_ = 0;  // the programmable bits only: FIFO enable, DMA mode, trigger level
    uint8_t lcr_ = 0;
    uint8_t mcr_ = 0;
    uint8_t scr_ = 0;
    uint8_t lsr_errors_ = 0;  // LSR bits cleared by reading LSR (only OE is ever set)
    uint8_t msr_deltas_ = 0;  // MSR bits 3:0, cleared by reading MSR
    uint16_t divisor_ = 12;   // 9600 baud from the PC's 1.8432 MHz clock
    bool thr_empty_pending_ = false;
    bool irq_level_ = false;
};

}  // namespace prevt::devices
