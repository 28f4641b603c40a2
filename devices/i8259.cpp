#include "devices/i8259.hpp"

#include <stdexcept>
#include <utility>

namespace prevt::devices {

namespace {

// Port 0 takes ICW1 (bit 4 set), OCW3 (bit 3 set) or OCW2; port 1 takes ICW2-4 while the
// initialization sequence runs and OCW1 afterwards.
constexpr uint8_t kIcw1Select = 0x10, kIcw1Level = 0x08, kIcw1Single = 0x02, kIcw1NeedsIcw4 = 0x01;
constexpr uint8_t kIcw4AutoEoi = 0x02, kIcw4SpecialFullyNested = 0x10;
constexpr uint8_t kOcw3Select = 0x08, kOcw3SetSpecialMask = 0x40, kOcw3SpecialMask = 0x20,
                  kOcw3Poll = 0x04, kOcw3SetReadRegister = 0x02, kOcw3ReadIsr = 0x01;
constexpr uint8_t kPollRequest = 0x80;

// OCW2 bits 7:5 (R, SL, EOI).
enum Ocw2Command : uint8_t {
    kClearRotateInAutoEoi = 0,
    kNonSpecificEoi = 1,
    kNoOperation = 2,
    kSpecificEoi = 3,
    kSetRotateInAutoEoi = 4,
    kRotateOnNonSpecificEoi = 5,
    kSetPriority = 6,
    kRotateOnSpecificEoi = 7,
};

uint8_t bit(unsigned line) {
    return static_cast<uint8_t>(1u << line);
}

void check_line(unsigned line) {
    if (line >= I8259::kLineCount)
        throw std::out_of_range("i8259: no input IR" + std::to_string(line));
}

}  // namespace

void I8259::InputLine::set_level(bool high) {
    pic_->set_irq(line_, high);
}

I8259::I8259(std::string name) : name_(std::move(name)) {
    for (unsigned line = 0; line < kLineCount; ++line) {
        inputs_[line].pic_ = this;
        inputs_[line].line_ = line;
    }
}

uint32_t I8259::read(uint64_t offset, unsigned size) {
    return read_split(offset, size, kPortCount, [this](unsigned port) { return read_port(port); });
}

void I8259::write(uint64_t offset, unsigned size, uint32_t value) {
    write_split(offset, size, value, kPortCount,
                [this](unsigned port, uint8_t byte) { write_port(port, byte); });
}

void I8259::set_irq(unsigned line, bool level) {
    check_line(line);
    if (level && !(input_levels_ & bit(line))) edge_latched_ |= bit(line);
    input_levels_ = level ? (input_levels_ | bit(line)) : (input_levels_ & ~bit(line));
    update_int_output();
}

IrqLine* I8259::input(unsigned line) {
    check_line(line);
    return &inputs_[line];
}

uint8_t I8259::irr() const {
    // An edge request is the edge latch AND the level: it vanishes if the line falls first.
    return level_triggered_ ? input_levels_ : (edge_latched_ & input_levels_);
}

uint8_t I8259::acknowledge() {
    const std::optional<unsigned> line = highest_request();
    if (!line) return vector_base_ | kSpuriousLine;
    accept(*line);
    // ISR is updated before the slave is asked, so the slave's INT change that follows finds
    // this chip's state settled.
    uint8_t vector = vector_base_ | static_cast<uint8_t>(*line);
    if (I8259* slave = cascade_slave(*line)) vector = slave->acknowledge();
    update_int_output();
    return vector;
}

void I8259::connect_int_output(IrqLine* line) {
    int_output_ = line;
    if (int_output_) int_output_->set_level(int_level_);
}

void I8259::attach_slave(unsigned line, I8259& slave) {
    check_line(line);
    slaves_[line] = &slave;
    slave.connect_int_output(&inputs_[line]);
}

uint8_t I8259::read_port(unsigned port) {
    if (poll_pending_) return poll();  // the poll applies to the next read of either port
    if (port == 1) return imr_;
    return read_isr_ ? isr_ : irr();
}

void I8259::write_port(unsigned port, uint8_t value) {
    if (port == 0) {
        if (value & kIcw1Select) {
            write_icw1(value);
        } else if (value & kOcw3Select) {
            write_ocw3(value);
        } else {
            write_ocw2(value);
        }
    } else if (init_step_ != InitStep::kReady) {
        write_init_word(value);
    } else {
        imr_ = value;  // OCW1
    }
    update_int_output();
}

void I8259::write_icw1(uint8_t value) {
    edge_latched_ = 0;  // a line already high must fall and rise again to request
    imr_ = 0;
    isr_ = 0;
    lowest_priority_ = 7;
    special_mask_ = false;
    read_isr_ = false;
    poll_pending_ = false;
    rotate_in_auto_eoi_ = false;
    level_triggered_ = value & kIcw1Level;
    single_ = value & kIcw1Single;
    icw4_expected_ = value & kIcw1NeedsIcw4;
    if (!icw4_expected_) auto_eoi_ = special_fully_nested_ = false;
    init_step_ = InitStep::kIcw2;
}

void I8259::write_init_word(uint8_t value) {
    const InitStep after_icw3 = icw4_expected_ ? InitStep::kIcw4 : InitStep::kReady;
    switch (init_step_) {
        case InitStep::kIcw2:
            vector_base_ = value & 0xf8;
            init_step_ = single_ ? after_icw3 : InitStep::kIcw3;
            break;
        case InitStep::kIcw3:
            icw3_ = value;
            init_step_ = after_icw3;
            break;
        case InitStep::kIcw4:
            auto_eoi_ = value & kIcw4AutoEoi;
            special_fully_nested_ = value & kIcw4SpecialFullyNested;
            init_step_ = InitStep::kReady;
            break;
        case InitStep::kReady: break;
    }
}

void I8259::write_ocw2(uint8_t value) {
    const unsigned level = value & 7;
    switch (static_cast<Ocw2Command>(value >> 5)) {
        case kNonSpecificEoi: end_of_interrupt(std::nullopt, false); break;
        case kSpecificEoi: end_of_interrupt(level, false); break;
        case kRotateOnNonSpecificEoi: end_of_interrupt(std::nullopt, true); break;
        case kRotateOnSpecificEoi: end_of_interrupt(level, true); break;
        case kSetRotateInAutoEoi: rotate_in_auto_eoi_ = true; break;
        case kClearRotateInAutoEoi: rotate_in_auto_eoi_ = false; break;
        case kSetPriority: lowest_priority_ = level; break;
        case kNoOperation: break;
    }
}

void I8259::write_ocw3(uint8_t value) {
    if (value & kOcw3SetSpecialMask) special_mask_ = value & kOcw3SpecialMask;
    if (value & kOcw3SetReadRegister) read_isr_ = value & kOcw3ReadIsr;
    if (value & kOcw3Poll) poll_pending_ = true;
}

void I8259::end_of_interrupt(std::optional<unsigned> line, bool rotate) {
    if (!line) {
        // Non-specific: the highest-priority level in service. In special mask mode a masked
        // level is not cleared this way (datasheet, "Special Mask Mode").
        line = highest_priority_line(special_mask_ ? (isr_ & ~imr_) : isr_);
        if (!line) return;
    }
    isr_ &= ~bit(*line);
    if (rotate) lowest_priority_ = *line;
}

uint8_t I8259::poll() {
    poll_pending_ = false;
    const std::optional<unsigned> line = highest_request();
    if (!line) return 0;
    accept(*line);
    update_int_output();
    return kPollRequest | static_cast<uint8_t>(*line);
}

std::optional<unsigned> I8259::highest_priority_line(uint8_t lines) const {
    std::optional<unsigned> best;
    for (unsigned line = 0; line < kLineCount; ++line)
        if ((lines & bit(line)) && (!best || priority(line) < priority(*best))) best = line;
    return best;
}

std::optional<unsigned> I8259::highest_request() const {
    const std::optional<unsigned> request = highest_priority_line(irr() & ~imr_);
    if (!request) return std::nullopt;
    uint8_t blocking = isr_;
    // Special mask mode: a masked level in service does not hold off lower levels.
    if (special_mask_) blocking &= ~imr_;
    // Special fully nested mode: an in-service cascade line lets its slave's (higher) requests
    // through; the slave does its own nesting.
    if (special_fully_nested_) blocking &= ~cascade_lines();
    const std::optional<unsigned> in_service = highest_priority_line(blocking);
    if (in_service && priority(*in_service) <= priority(*request)) return std::nullopt;
    return request;
}

void I8259::accept(unsigned line) {
    edge_latched_ &= ~bit(line);
    if (!auto_eoi_) {
        isr_ |= bit(line);
    } else if (rotate_in_auto_eoi_) {
        lowest_priority_ = line;
    }
}

I8259* I8259::cascade_slave(unsigned line) const {
    return (cascade_lines() & bit(line)) ? slaves_[line] : nullptr;
}

uint8_t I8259::cascade_lines() const {
    if (single_) return 0;
    uint8_t wired = 0;
    for (unsigned line = 0; line < kLineCount; ++line)
        if (slaves_[line]) wired |= bit(line);
    return wired & icw3_;
}

void I8259::update_int_output() {
    const bool level = interrupt_pending();
    if (level == int_level_) return;
    int_level_ = level;
    if (int_output_) int_output_->set_level(level);
}

}  // namespace prevt::devices
