#include "devices/uart16550.hpp"

#include <utility>

namespace prevt::devices {

namespace {

// Register offsets. Offsets 0 and 1 are DLL and DLM while LCR.DLAB is set; offset 2 reads IIR
// and writes FCR.
enum Reg : unsigned {
    kData = 0,
    kIer = 1,
    kIirFcr = 2,
    kLcr = 3,
    kMcr = 4,
    kLsr = 5,
    kMsr = 6,
    kScr = 7
};

constexpr uint8_t kIerRxData = 0x01, kIerThrEmpty = 0x02, kIerLineStatus = 0x04,
                  kIerModemStatus = 0x08;
// IIR bits 3:0, highest priority first; bit 0 set means "no interrupt pending".
constexpr uint8_t kIirLineStatus = 0x06, kIirRxData = 0x04, kIirThrEmpty = 0x02,
                  kIirModemStatus = 0x00, kIirNone = 0x01;
constexpr uint8_t kIirFifosEnabled = 0xc0;
constexpr uint8_t kFcrEnable = 0x01, kFcrClearRx = 0x02, kFcrProgrammable = 0xc9;
constexpr uint8_t kLcrDlab = 0x80;
constexpr uint8_t kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08, kMcrLoop = 0x10,
                  kMcrWritable = 0x1f;
constexpr uint8_t kLsrDataReady = 0x01, kLsrOverrun = 0x02, kLsrThrEmpty = 0x20,
                  kLsrTransmitterEmpty = 0x40;
constexpr uint8_t kMsrTrailingRi = 0x04, kMsrCts = 0x10, kMsrDsr = 0x20, kMsrRi = 0x40,
                  kMsrDcd = 0x80;
// The modem inputs outside loopback: a null-modem peer that is always there.
constexpr uint8_t kMsrIdleInputs = kMsrDcd | kMsrDsr | kMsrCts;

}  // namespace

Uart16550::Uart16550(std::function<void(uint8_t)> sink, IrqLine* irq)
    : sink_(std::move(sink)), irq_(irq) {}

uint32_t Uart16550::read(uint64_t offset, unsigned size) {
    return read_split(offset, size, kRegisterCount,
                      [this](unsigned reg) { return read_register(reg); });
}

void Uart16550::write(uint64_t offset, unsigned size, uint32_t value) {
    write_split(offset, size, value, kRegisterCount,
                [this](unsigned reg, uint8_t byte) { write_register(reg, byte); });
}

uint8_t Uart16550::read_register(unsigned reg) {
    const bool dlab = lcr_ & kLcrDlab;
    uint8_t value = 0;
    switch (reg) {
        case kData:
            if (dlab) return static_cast<uint8_t>(divisor_);
            value = rx_ready() ? pop_rx() : 0;  // an empty FIFO reads as 0 (as QEMU)
            break;
        case kIer: return dlab ? static_cast<uint8_t>(divisor_ >> 8) : ier_;
        case kIirFcr:
            value = interrupt_id() | ((fcr_ & kFcrEnable) ? kIirFifosEnabled : 0);
            // Reading IIR acknowledges THR empty, but only when that is what it reports.
            if ((value & 0x0f) == kIirThrEmpty) thr_empty_pending_ = false;
            break;
        case kLcr: return lcr_;
        case kMcr: return mcr_;
        case kLsr:
            value = (rx_ready() ? kLsrDataReady : 0) | lsr_errors_ | kLsrThrEmpty |
                    kLsrTransmitterEmpty;
            lsr_errors_ = 0;
            break;
        case kMsr:
            value = modem_inputs() | msr_deltas_;
            msr_deltas_ = 0;
            break;
        case kScr: return scr_;
    }
    update_irq();
    return value;
}

void Uart16550::write_register(unsigned reg, uint8_t value) {
    const bool dlab = lcr_ & kLcrDlab;
    switch (reg) {
        case kData:
            if (dlab) {
                divisor_ = static_cast<uint16_t>((divisor_ & 0xff00) | value);
            } else {
                transmit(value);
            }
            break;
        case kIer:
            if (dlab) {
                divisor_ = static_cast<uint16_t>((divisor_ & 0x00ff) | (value << 8));
                break;
            }
            // Enabling the THR empty interrupt while THR is empty raises it at once (a 16550A
            // quirk that Linux's 8250 driver probes for); THR is always empty here.
            if ((value & kIerThrEmpty) && !(ier_ & kIerThrEmpty)) thr_empty_pending_ = true;
            ier_ = value & 0x0f;
            break;
        case kIirFcr: write_fcr(value); break;
        case kLcr: lcr_ = value; break;
        case kMcr: write_mcr(value); break;
        case kLsr:
        case kMsr: break;  // factory-test writes: ignored
        case kScr: scr_ = value; break;
    }
    update_irq();
}

void Uart16550::write_fcr(uint8_t value) {
    // Changing the FIFO enable bit clears the FIFOs; with it clear, the other bits are not
    // programmed (datasheet, FCR bit 0).
    if ((value & kFcrEnable) != (fcr_ & kFcrEnable)) clear_rx();
    if (!(value & kFcrEnable)) {
        fcr_ = 0;
        return;
    }
    if (value & kFcrClearRx) clear_rx();  // self-clearing: not stored
    fcr_ = value & kFcrProgrammable;
}

void Uart16550::write_mcr(uint8_t value) {
    const uint8_t before = modem_inputs();
    mcr_ = value & kMcrWritable;
    const uint8_t after = modem_inputs();
    // Delta bits: CTS, DSR and DCD changed; RI only on its trailing (1 -> 0) edge.
    const uint8_t changed = (before ^ after) >> 4;
    msr_deltas_ |= changed & ~kMsrTrailingRi;
    if ((before & kMsrRi) && !(after & kMsrRi)) msr_deltas_ |= kMsrTrailingRi;
}

void Uart16550::transmit(uint8_t byte) {
    if (loopback()) {
        push_rx(byte);
    } else {
        sink_(byte);
    }
    thr_empty_pending_ = true;  // the byte left THR at once
}

void Uart16550::receive(uint8_t byte) {
    if (loopback()) return;  // SIN is disconnected in loopback
    push_rx(byte);
    update_irq();
}

void Uart16550::push_rx(uint8_t byte) {
    if (rx_count_ == kFifoSize) {
        lsr_errors_ |= kLsrOverrun;  // the FIFO keeps its bytes; the new one is lost
        return;
    }
    rx_[(rx_head_ + rx_count_) % kFifoSize] = byte;
    ++rx_count_;
}

uint8_t Uart16550::pop_rx() {
    const uint8_t byte = rx_[rx_head_];
    rx_head_ = (rx_head_ + 1) % kFifoSize;
    --rx_count_;
    return byte;
}

bool Uart16550::loopback() const {
    return mcr_ & kMcrLoop;
}

uint8_t Uart16550::modem_inputs() const {
    if (!loopback()) return kMsrIdleInputs;
    // Loopback wiring: RTS -> CTS, DTR -> DSR, OUT1 -> RI, OUT2 -> DCD.
    return ((mcr_ & kMcrRts) ? kMsrCts : 0) | ((mcr_ & kMcrDtr) ? kMsrDsr : 0) |
           ((mcr_ & kMcrOut1) ? kMsrRi : 0) | ((mcr_ & kMcrOut2) ? kMsrDcd : 0);
}

uint8_t Uart16550::interrupt_id() const {
    if ((ier_ & kIerLineStatus) && lsr_errors_) return kIirLineStatus;
    if ((ier_ & kIerRxData) && rx_ready()) return kIirRxData;
    if ((ier_ & kIerThrEmpty) && thr_empty_pending_) return kIirThrEmpty;
    if ((ier_ & kIerModemStatus) && msr_deltas_) return kIirModemStatus;
    return kIirNone;
}

void Uart16550::update_irq() {
    // On a PC the UART's INTR pin reaches the PIC only through a buffer enabled by the OUT2
    // pin. Loopback forces the OUT2 pin inactive, so a PC sees no interrupt in loopback even
    // though IIR reports one.
    const bool level = interrupt_id() != kIirNone && (mcr_ & kMcrOut2) && !loopback();
    if (level == irq_level_) return;
    irq_level_ = level;
    if (irq_) irq_->set_level(level);
}

}  // namespace prevt::devices
