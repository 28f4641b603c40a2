#include "devices/i8042.hpp"

#include <utility>

namespace prevt::devices {

namespace {

// Status register.
constexpr uint8_t kStatusObf = 0x01, kStatusSys = 0x04, kStatusCommand = 0x08,
                  kStatusNotInhibited = 0x10, kStatusAux = 0x20, kStatusTimeout = 0x40;
// Command byte.
constexpr uint8_t kCbKeyboardInt = 0x01, kCbAuxInt = 0x02, kCbSys = 0x04, kCbKeyboardDisable = 0x10,
                  kCbAuxDisable = 0x20, kCbTranslate = 0x40;
// Output port: reset (active low), A20, and the lines QEMU reads as ones (the idle keyboard
// and aux clock and data lines); bits 4 and 5 mirror OBF from the keyboard and the aux port.
constexpr uint8_t kOutReset = 0x01, kOutA20 = 0x02, kOutIdleLines = 0xcc, kOutKeyboardObf = 0x10,
                  kOutAuxObf = 0x20;
constexpr uint8_t kInputPort = 0xb0;
constexpr uint8_t kSelfTestPassed = 0x55, kInterfaceOk = 0x00, kNoDevice = 0xfe;
constexpr uint8_t kBreakPrefix = 0xf0;

enum Command : uint8_t {
    kReadRam = 0x20,   // 0x20-0x3f
    kWriteRam = 0x60,  // 0x60-0x7f
    kAuxDisable = 0xa7,
    kAuxEnable = 0xa8,
    kAuxTest = 0xa9,
    kSelfTest = 0xaa,
    kKeyboardTest = 0xab,
    kKeyboardDisable = 0xad,
    kKeyboardEnable = 0xae,
    kReadInputPort = 0xc0,
    kReadOutputPort = 0xd0,
    kWriteOutputPort = 0xd1,
    kWriteKeyboardBuffer = 0xd2,
    kWriteAuxBuffer = 0xd3,
    kWriteAux = 0xd4,
    kA20Off = 0xdd,
    kA20On = 0xdf,
    kPulse = 0xf0,  // 0xf0-0xff
};

// Scan code set 2 to set 1, as the 8042 translates: codes 0x00-0x7f, and 0x83 (F7) and 0x84
// (Alt+SysRq), the two set-2 codes above 0x7f; every other byte passes unchanged.
constexpr uint8_t kSet2ToSet1[0x80] = {
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

uint8_t set2_to_set1(uint8_t code) {
    if (code < 0x80) return kSet2ToSet1[code];
    if (code == 0x83) return 0x41;
    if (code == 0x84) return 0x54;
    return code;
}

}  // namespace

uint32_t I8042::Port::read(uint64_t offset, unsigned size) {
    return read_split(offset, size, 1,
                      [this](unsigned) { return command_ ? kbc_.status() : kbc_.read_data(); });
}

void I8042::Port::write(uint64_t offset, unsigned size, uint32_t value) {
    write_split(offset, size, value, 1, [this](unsigned, uint8_t byte) {
        command_ ? kbc_.write_command(byte) : kbc_.write_data(byte);
    });
}

I8042::I8042(Wiring wiring) : wiring_(std::move(wiring)) {
    ram_[0] = kPowerOnCommandByte;
}

void I8042::attach(Bus& ports) {
    ports.attach(kDataPort, 1, data_port_);
    ports.attach(kCommandPort, 1, command_port_);
}

bool I8042::inject_keys(std::span<const uint8_t> bytes) {
    const bool accepted = keyboard_.inject(bytes);
    fill_output_buffer();
    return accepted;
}

uint8_t I8042::status() const {
    uint8_t value = kStatusNotInhibited | (command_byte() & kCbSys);
    if (last_write_command_) value |= kStatusCommand;
    if (obf_) value |= kStatusObf | out_.flags;
    return value;
}

uint8_t I8042::read_data() {
    if (!obf_) return last_data_;
    last_data_ = out_.value;
    obf_ = false;
    update_irqs();  // the line drops, and rises again if another byte follows: a new edge
    fill_output_buffer();
    return last_data_;
}

void I8042::write_data(uint8_t value) {
    last_write_command_ = false;
    if (const uint8_t command = std::exchange(waiting_command_, 0)) {
        command_data(command, value);
        return;
    }
    set_command_byte(command_byte() & ~kCbKeyboardDisable);
    keyboard_.receive(value);
    fill_output_buffer();
}

void I8042::write_command(uint8_t command) {
    last_write_command_ = true;
    waiting_command_ = 0;
    if (command >= kReadRam && command < kReadRam + ram_.size()) {
        answer(ram_[command - kReadRam]);
        return;
    }
    if ((command >= kWriteRam && command < kWriteRam + ram_.size()) ||
        (command >= kWriteOutputPort && command <= kWriteAux)) {
        waiting_command_ = command;
        return;
    }
    if (command >= kPulse) {
        if (!(command & kOutReset)) pulse_reset();
        return;
    }
    switch (command) {
        case kAuxDisable: set_command_byte(command_byte() | kCbAuxDisable); break;
        case kAuxEnable: set_command_byte(command_byte() & ~kCbAuxDisable); break;
        case kAuxTest: answer(kInterfaceOk); break;
        case kSelfTest:
            set_command_byte(command_byte() | kCbSys);
            answer(kSelfTestPassed);
            break;
        case kKeyboardTest: answer(kInterfaceOk); break;
        case kKeyboardDisable: set_command_byte(command_byte() | kCbKeyboardDisable); break;
        case kKeyboardEnable: set_command_byte(command_byte() & ~kCbKeyboardDisable); break;
        case kReadInputPort: answer(kInputPort); break;
        case kReadOutputPort: answer(output_port()); break;
        case kA20Off: set_a20(false); break;
        case kA20On: set_a20(true); break;
        default: break;  // unknown: ignored
    }
}

void I8042::command_data(uint8_t command, uint8_t value) {
    if (command >= kWriteRam && command < kWriteRam + ram_.size()) {
        if (command == kWriteRam) {
            set_command_byte(value);
        } else {
            ram_[command - kWriteRam] = value;
        }
        return;
    }
    switch (command) {
        case kWriteOutputPort: write_output_port(value); break;
        case kWriteKeyboardBuffer: answer(value); break;
        case kWriteAuxBuffer: answer(value, kStatusAux); break;
        case kWriteAux:
            set_command_byte(command_byte() & ~kCbAuxDisable);
            answer(kNoDevice, kStatusAux | kStatusTimeout);
            break;
    }
}

void I8042::set_command_byte(uint8_t value) {
    ram_[0] = value;
    fill_output_buffer();  // enabling the keyboard port may release its bytes
    update_irqs();         // the interrupt enables gate a byte already waiting
}

void I8042::write_output_port(uint8_t value) {
    set_a20(value & kOutA20);
    if (!(value & kOutReset)) pulse_reset();
}

void I8042::set_a20(bool enabled) {
    if (enabled == a20_) return;
    a20_ = enabled;
    if (wiring_.a20) wiring_.a20(enabled);
}

void I8042::pulse_reset() {
    if (wiring_.reset) wiring_.reset();
}

uint8_t I8042::output_port() const {
    uint8_t value = kOutReset | kOutIdleLines | (a20_ ? kOutA20 : 0);
    if (obf_) value |= (out_.flags & kStatusAux) ? kOutAuxObf : kOutKeyboardObf;
    return value;
}

void I8042::answer(uint8_t value, uint8_t flags) {
    if (answer_count_ < kQueueSize) {
        answers_[(answer_head_ + answer_count_) % kQueueSize] = {value, flags};
        ++answer_count_;
    }
    fill_output_buffer();
}

void I8042::fill_output_buffer() {
    if (obf_) return;
    if (answer_count_ != 0) {
        out_ = answers_[answer_head_];
        answer_head_ = (answer_head_ + 1) % kQueueSize;
        --answer_count_;
        obf_ = true;
    } else if (!(command_byte() & kCbKeyboardDisable)) {
        // The controller takes bytes from the keyboard only while its port is enabled; with
        // translation, a break prefix is folded into the next code's bit 7.
        while (!obf_ && keyboard_.has_output()) {
            uint8_t code = keyboard_.pop_output();
            if (command_byte() & kCbTranslate) {
                if (code == kBreakPrefix) {
                    translate_break_ = true;
                    continue;
                }
                code = set2_to_set1(code) | (std::exchange(translate_break_, false) ? 0x80 : 0);
            }
            out_ = {code, 0};
            obf_ = true;
        }
    }
    update_irqs();
}

void I8042::update_irqs() {
    const bool aux = out_.flags & kStatusAux;
    const bool irq1 = obf_ && !aux && (command_byte() & kCbKeyboardInt);
    const bool irq12 = obf_ && aux && (command_byte() & kCbAuxInt);
    if (irq1 != irq1_level_) {
        irq1_level_ = irq1;
        if (wiring_.keyboard_irq) wiring_.keyboard_irq->set_level(irq1);
    }
    if (irq12 != irq12_level_) {
        irq12_level_ = irq12;
        if (wiring_.aux_irq) wiring_.aux_irq->set_level(irq12);
    }
}

}  // namespace prevt::devices
