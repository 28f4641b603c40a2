#include "devices/ps2_keyboard.hpp"

namespace prevt::devices {

namespace {

constexpr uint8_t kAck = 0xfa, kResend = 0xfe, kBatPassed = 0xaa, kEcho = 0xee;
constexpr uint8_t kIdFirst = 0xab, kIdSecond = 0x83;  // an MF2 keyboard, untranslated
constexpr uint8_t kDefaultTypematic = 0x2b;           // 10.9 characters/s, 500 ms delay

enum Command : uint8_t {
    kSetLeds = 0xed,
    kEchoCmd = 0xee,
    kScanCodeSet = 0xf0,
    kIdentify = 0xf2,
    kTypematic = 0xf3,
    kEnable = 0xf4,
    kDefaultDisable = 0xf5,
    kSetDefaults = 0xf6,
    kSet3AllTypematic = 0xf7,  // through 0xfa: set-3 key modes, no parameter
    kSet3AllTypematicMakeBreak = 0xfa,
    kResendCmd = 0xfe,
    kReset = 0xff,
};

}  // namespace

void Ps2Keyboard::receive(uint8_t byte) {
    const uint8_t pending = awaiting_parameter_;
    awaiting_parameter_ = 0;
    // Parameters are below 0x80; a byte with bit 7 set is a new command.
    if (pending != 0 && byte < 0x80) {
        parameter(pending, byte);
    } else {
        command(byte);
    }
}

void Ps2Keyboard::command(uint8_t byte) {
    switch (byte) {
        case kReset:
            set_defaults();
            clear_output();
            send(kAck);
            send(kBatPassed);
            break;
        case kResendCmd: send(last_sent_); break;
        case kSetDefaults:
        case kDefaultDisable:
            set_defaults();
            clear_output();
            scanning_ = byte == kSetDefaults;
            send(kAck);
            break;
        case kEnable:
            scanning_ = true;
            send(kAck);
            break;
        case kIdentify:
            send(kAck);
            send(kIdFirst);
            send(kIdSecond);
            break;
        case kSetLeds:
        case kScanCodeSet:
        case kTypematic:
            awaiting_parameter_ = byte;
            send(kAck);
            break;
        case kEchoCmd: send(kEcho); break;
        default:
            send(byte >= kSet3AllTypematic && byte <= kSet3AllTypematicMakeBreak ? kAck : kResend);
            break;
    }
}

void Ps2Keyboard::parameter(uint8_t command, uint8_t byte) {
    switch (command) {
        case kSetLeds:
            leds_ = byte & 0x07;
            send(kAck);
            break;
        case kTypematic:
            typematic_ = byte & 0x7f;
            send(kAck);
            break;
        case kScanCodeSet:
            if (byte == 0) {
                send(kAck);
                send(scan_code_set_);
            } else if (byte <= 3) {
                scan_code_set_ = byte;
                send(kAck);
            } else {
                send(kResend);
            }
            break;
    }
}

bool Ps2Keyboard::inject(std::span<const uint8_t> bytes) {
    if (!scanning_ || bytes.size() > kBufferSize - count_) return false;
    for (uint8_t byte : bytes) send(byte);
    return true;
}

uint8_t Ps2Keyboard::pop_output() {
    const uint8_t byte = out_[head_];
    head_ = (head_ + 1) % kBufferSize;
    --count_;
    last_sent_ = byte;
    return byte;
}

void Ps2Keyboard::set_defaults() {
    scanning_ = true;
    leds_ = 0;
    scan_code_set_ = 2;
    typematic_ = kDefaultTypematic;
}

void Ps2Keyboard::send(uint8_t byte) {
    if (count_ == kBufferSize) return;  // only when keys fill the buffer; answers are short
    out_[(head_ + count_) % kBufferSize] = byte;
    ++count_;
}

}  // namespace prevt::devices
