#include "devices/ata_disk.hpp"

namespace prevt::devices {

namespace {

// The command block's registers, as offsets from 0x1f0.
enum Reg : unsigned {
    kData = 0,
    kError = 1,
    kCount = 2,
    kLow = 3,
    kMid = 4,
    kHigh = 5,
    kDevice = 6,
    kStatus = 7
};

}  // namespace

AtaDisk::AtaDisk(BlockDevice& disk, IrqLine* irq)
    : disk_(disk),
      irq_(irq),
      sectors_(disk.size() / kSectorSize),
      current_(default_geometry(sectors_)) {
    signature();
}

void AtaDisk::attach(Bus& ports) {
    ports.attach(kCommandBase, kCommandPorts, command_port_);
    ports.attach(kControlPort, 1, control_port_);
}

uint32_t AtaDisk::Port::read(uint64_t offset, unsigned size) {
    if (control_)
        return read_split(offset, size, 1, [this](unsigned) -> uint8_t {
            return ata_.device1_selected() ? 0 : ata_.status_;  // alternate status
        });
    if (offset == kData) {
        if (size == 2) return ata_.read_data();
        if (size == 4) return ata_.read_data() | uint32_t{ata_.read_data()} << 16;
        return 0xff;
    }
    return read_split(offset, size, kCommandPorts, [this](unsigned r) {
        return r == kData ? uint8_t{0xff} : ata_.read_register(r);
    });
}

void AtaDisk::Port::write(uint64_t offset, unsigned size, uint32_t value) {
    if (control_)
        return write_split(offset, size, value, 1,
                           [this](unsigned, uint8_t b) { ata_.write_control(b); });
    if (offset == kData) {
        if (size >= 2) ata_.write_data(static_cast<uint16_t>(value));
        if (size == 4) ata_.write_data(static_cast<uint16_t>(value >> 16));
        return;
    }
    write_split(offset, size, value, kCommandPorts, [this](unsigned r, uint8_t b) {
        if (r != kData) ata_.write_register(r, b);
    });
}

uint8_t AtaDisk::read_register(unsigned reg) {
    if (device1_selected() && reg == kStatus) return 0;  // nobody answers for device 1
    const bool hob = control_ & kControlHob;
    auto pick = [hob](const Reg& r) { return hob ? r.prev : r.now; };
    switch (reg) {
        case kError: return error_;
        case kCount: return pick(count_);
        case kLow: return pick(lba_low_);
        case kMid: return pick(lba_mid_);
        case kHigh: return pick(lba_high_);
        case kDevice: return device_;
        case kStatus:
            pending_ = false;  // reading status acknowledges INTRQ
            update_irq();
            return status_;
        default: return 0xff;
    }
}

void AtaDisk::write_register(unsigned reg, uint8_t value) {
    control_ &= ~kControlHob;  // a command block write clears HOB
    switch (reg) {
        case kError: features_.set(value); break;
        case kCount: count_.set(value); break;
        case kLow: lba_low_.set(value); break;
        case kMid: lba_mid_.set(value); break;
        case kHigh: lba_high_.set(value); break;
        case kDevice:
            device_ = value;
            update_irq();  // only the selected device drives INTRQ
            break;
        case kStatus: execute(value); break;
        default: break;
    }
}

void AtaDisk::write_control(uint8_t value) {
    const bool was_reset = control_ & kControlSrst;
    control_ = value;
    if ((value & kControlSrst) && !was_reset) {
        status_ = kBsy;
        transfer_ = Transfer::kNone;
        pending_ = false;
    } else if (!(value & kControlSrst) && was_reset) {
        status_ = kReady;
        error_ = 0x01;
        current_ = default_geometry(sectors_);
        signature();
    }
    update_irq();
}

void AtaDisk::signature() {
    count_.set(1);
    lba_low_.set(1);
    lba_mid_.set(0);
    lba_high_.set(0);
    device_ = 0;
}

void AtaDisk::update_irq() {
    const bool level = pending_ && !(control_ & kControlNien) && !device1_selected();
    if (level == irq_level_) return;
    irq_level_ = level;
    if (irq_) irq_->set_level(level);
}

void AtaDisk::raise_interrupt() {
    pending_ = true;
    update_irq();
}

void AtaDisk::complete() {
    status_ = kReady;
    transfer_ = Transfer::kNone;
    raise_interrupt();
}

void AtaDisk::abort(uint8_t error) {
    error_ = error;
    status_ = kDrdy | kErr;  // DSC clear, as QEMU
    transfer_ = Transfer::kNone;
    raise_interrupt();
}

}  // namespace prevt::devices
