#include "devices/uart16550.hpp"

namespace prevt::devices {

namespace {
enum Reg : uint8_t { kData = 0, kIer = 1, kIir = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6, kScr = 7 };
constexpr uint8_t kLcrDlab = 0x80;
constexpr uint8_t kMcrOut2 = 0x08, kMcrLoop = 0x10;
constexpr uint8_t kLsrDr = 0x01, kLsrOe = 0x02, kLsrThre = 0x20, kLsrTemt = 0x40;
constexpr uint8_t kIerRda = 0x01, kIerThre = 0x02, kIerRls = 0x04, kIerMs = 0x08;
// IIR identifications, highest priority first.
constexpr uint8_t kIirNone = 0x01, kIirRls = 0x06, kIirRda = 0x04, kIirThre = 0x02;
// Modem status when not in loopback: DCD, DSR and CTS asserted (as QEMU's serial port).
constexpr uint8_t kMsrIdle = 0xb0;
}  // namespace

Uart16550::Uart16550(std::function<void(uint8_t)> sink, IrqLine* irq)
    : sink_(std::move(sink)), irq_(irq) {}

uint8_t Uart16550::interrupt_id() const {
    if ((ier_ & kIerRls) && (lsr_errors_ & kLsrOe)) return kIirRls;
    if ((ier_ & kIerRda) && !rx_.empty()) return kIirRda;
    if ((ier_ & kIerThre) && thr_empty_pending_) return kIirThre;
    (void)kIerMs;  // modem status never changes outside loopback writes: no MS interrupt
    return kIirNone;
}

void Uart16550::update_irq() {
    const bool level = interrupt_id() != kIirNone && (mcr_ & kMcrOut2);
    if (level != irq_level_) {
        irq_level_ = level;
        if (irq_) irq_->set_level(level);
    }
}

void Uart16550::transmit(uint8_t byte) {
    if (mcr_ & kMcrLoop) receive(byte);
    else sink_(byte);
    thr_empty_pending_ = true;  // the byte left at once: THR is empty again
}

void Uart16550::receive(uint8_t byte) {
    if (rx_.size() >= kFifoSize) lsr_errors_ |= kLsrOe;  // overrun: the new byte is lost
    else rx_.push_back(byte);
    update_irq();
}

uint32_t Uart16550::read(uint64_t offset, unsigned) {
    uint8_t v = 0xff;
    switch (offset & 7) {
        case kData:
            if (lcr_ & kLcrDlab) return divisor_ & 0xff;
            v = 0;
            if (!rx_.empty()) {
                v = rx_.front();
                rx_.pop_front();
            }
            break;
        case kIer: return (lcr_ & kLcrDlab) ? divisor_ >> 8 : ier_;
        case kIir:
            v = interrupt_id() | ((fcr_ & 1) ? 0xc0 : 0);
            if ((v & 0x0f) == kIirThre) thr_empty_pending_ = false;  // reading IIR clears it
            break;
        case kLcr: return lcr_;
        case kMcr: return mcr_;
        case kLsr:
            v = (rx_.empty() ? 0 : kLsrDr) | lsr_errors_ | kLsrThre | kLsrTemt;
            lsr_errors_ = 0;
            break;
        case kMsr:
            if (mcr_ & kMcrLoop)  // CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2
                return ((mcr_ & 0x02) << 3) | ((mcr_ & 0x01) << 5) | ((mcr_ & 0x04) << 4) |
                       ((mcr_ & 0x08) << 4);
            return kMsrIdle;
        case kScr: return scr_;
    }
    update_irq();
    return v;
}

void Uart16550::write(uint64_t offset, unsigned, uint32_t value) {
    const auto v = static_cast<uint8_t>(value);
    switch (offset & 7) {
        case kData:
            if (lcr_ & kLcrDlab) divisor_ = (divisor_ & 0xff00) | v;
            else transmit(v);
            break;
        case kIer:
            if (lcr_ & kLcrDlab) {
                divisor_ = static_cast<uint16_t>((divisor_ & 0x00ff) | (v << 8));
                break;
            }
            // Enabling the THRE interrupt while THR is empty raises it (as the 16550 does).
            if ((v & kIerThre) && !(ier_ & kIerThre)) thr_empty_pending_ = true;
            ier_ = v & 0x0f;
            break;
        case kIir:  // FCR
            fcr_ = v & 0xc9;
            if (v & 0x02) rx_.clear();
            break;
        case kLcr: lcr_ = v; break;
        case kMcr: mcr_ = v & 0x1f; break;
        case kLsr:
        case kMsr: break;  // read-only (factory test writes are ignored)
        case kScr: scr_ = v; break;
    }
    update_irq();
}

}  // namespace prevt::devices
