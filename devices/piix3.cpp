#include "devices/piix3.hpp"

namespace prevt::devices {

namespace {

constexpr unsigned kCommand = 0x04, kStatus = 0x06, kInterruptLine = 0x3c;
// PCICMD: I/O space (0), memory space (1), bus master (2) hardwired on; special cycle enable
// (3) and SERR# enable (8) R/W.
constexpr uint16_t kCommandReset = 0x0007, kCommandWritable = 0x0108;
// PCISTS: DEVSEL# medium (10:9); SSE (14), RMA (13), RTA (12), STA (11) R/WC.
constexpr uint16_t kStatusReset = 0x0200, kStatusWriteOneClears = 0x7800;

// PIRQRC: IRQROUTEN# (7, set: disabled) and the IRQ (3:0); bits 6:4 reserved.
constexpr uint8_t kPirqReset = 0x80, kPirqWritable = 0x8f, kPirqDisabled = 0x80;
// ISA IRQs a PIRQ can be routed to: 3-7, 9-12, 14, 15.
constexpr uint16_t kRoutableIrqs = 0xdef8;

// RC: RCPU (2) and SRST (1); the rest reserved.
constexpr uint8_t kRcCpuReset = 0x04, kRcHardReset = 0x02, kRcStored = 0x06;

}  // namespace

Piix3::Piix3(ResetRequest on_reset) : on_reset_(std::move(on_reset)) {
    config_.define_identity({0x8086, 0x7000, 0x00, 0x060100, 0x00});
    config_.define(kCommand, 2, kCommandReset, kCommandWritable);
    config_.define(kStatus, 2, kStatusReset, 0, kStatusWriteOneClears);
    config_.define(kInterruptLine, 1, 0x00, 0xff);

    config_.define(0x4c, 1, 0x4d, 0xff);      // IORT: ISA I/O recovery timer
    config_.define(0x4e, 2, 0x0003, 0x01ff);  // XBCS: X-bus chip selects, APIC chip select
    for (unsigned i = 0; i < kPirqCount; ++i)
        config_.define(kPirqrc + i, 1, kPirqReset, kPirqWritable);
    config_.define(kTom, 1, 0x02, 0xfe);              // TOM: top of memory, forwarding enables
    config_.define(0x6a, 2, 0x0000, 0xffd7);          // MSTAT: miscellaneous status
    config_.define(0x70, 1, 0x80, 0xff);              // MBIRQ0: motherboard device IRQ route
    config_.define(0x76, 1, 0x0c, 0x8f);              // MBDMA0: motherboard device DMA
    config_.define(0x77, 1, 0x0c, 0x8f);              // MBDMA1
    config_.define(0x78, 2, 0x0002, 0xffff);          // PCSC: programmable chip select
    config_.define(0x80, 1, 0x00, 0x7f);              // APICBASE
    config_.define(0x82, 1, 0x00, 0x0f);              // DLC: deterministic latency control
    config_.define(0xa0, 1, 0x08, 0xff);              // SMICNTL
    config_.define(0xa2, 2, 0x0000, 0xffff);          // SMIEN
    config_.define(0xa4, 4, 0x00000000, 0xffffffff);  // SEE: system event enable
    config_.define(0xa8, 1, 0x0f, 0xff);              // FTMR: fast off timer
    config_.define(0xaa, 2, 0x0000, 0xffff);          // SMIREQ
    config_.define(0xac, 1, 0x00, 0xff);              // CTLTMR: clock scale STPCLK low timer
    config_.define(0xae, 1, 0x00, 0xff);              // CTLTMRH: STPCLK high timer
}

void Piix3::set_multi_function() {
    config_.define_identity({0x8086, 0x7000, 0x00, 0x060100, 0x80});
}

void Piix3::config_write(unsigned reg, unsigned size, uint32_t value) {
    config_.write(reg, size, value);
}

void Piix3::reset() {
    config_.reset();
    reset_control_.value_ = 0;
}

std::optional<unsigned> Piix3::pirq_irq(unsigned pirq) const {
    const uint8_t route = pirq_route(pirq);
    if (route & kPirqDisabled) return std::nullopt;
    const unsigned irq = route & 0x0f;
    if (!((kRoutableIrqs >> irq) & 1)) return std::nullopt;
    return irq;
}

uint32_t Piix3::ResetControl::read(uint64_t offset, unsigned size) {
    const uint32_t high_bytes = size >= 4 ? 0xffffff00u : ((1u << (8 * size)) - 1) & ~0xffu;
    return high_bytes | (offset == 0 ? value_ : 0xff);
}

void Piix3::ResetControl::write(uint64_t offset, unsigned, uint32_t value) {
    if (offset != 0) return;
    const uint8_t before = value_;
    value_ = static_cast<uint8_t>(value & kRcStored);
    // The callback may reset the machine, and with it this register: nothing after it.
    if ((value_ & kRcCpuReset) && !(before & kRcCpuReset) && piix3_.on_reset_)
        piix3_.on_reset_((value_ & kRcHardReset) != 0);
}

}  // namespace prevt::devices
