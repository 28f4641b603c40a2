#include "devices/floppy82077.hpp"

namespace prevt::devices {

namespace {

// Offsets from 0x3f0.
enum Reg : unsigned { kSra = 0, kSrb = 1, kDor = 2, kTdr = 3, kMsrDsr = 4, kFifo = 5, kDirCcr = 7 };

constexpr uint8_t kDsrReset = 0x80;
constexpr uint8_t kMsrRqm = 0x80, kMsrDio = 0x40, kMsrNonDma = 0x20, kMsrBusy = 0x10;
constexpr uint8_t kDirDiskChange = 0x80;
constexpr uint8_t kConfigDefault = 0x20;  // EFIFO set: the FIFO disabled, as after reset
constexpr unsigned kResetSenses = 4;      // one per drive, ST0 0xc0 | drive

}  // namespace

Floppy82077::Floppy82077(IsaDma& dma, IrqLine* irq, BlockDevice* drive_a)
    : dma_(dma), irq_(irq), drive_a_(drive_a) {}

void Floppy82077::attach(Bus& ports) {
    ports.attach(kIoBase, kLowPorts, low_);
    ports.attach(kDirPort, 1, dir_);
}

uint32_t Floppy82077::Port::read(uint64_t offset, unsigned size) {
    return read_split(offset, size, count_,
                      [this](unsigned r) { return fdc_.read_port(base_ - kIoBase + r); });
}

void Floppy82077::Port::write(uint64_t offset, unsigned size, uint32_t value) {
    write_split(offset, size, value, count_,
                [this](unsigned r, uint8_t b) { fdc_.write_port(base_ - kIoBase + r, b); });
}

uint8_t Floppy82077::msr() const {
    if (!(dor_ & kDorReset)) return 0;  // in reset: not ready for anything
    if (phase_ == Phase::kResult) return kMsrRqm | kMsrDio | kMsrBusy;
    if (phase_ == Phase::kExecution)  // non-DMA: the FIFO has a byte, or wants one
        return kMsrRqm | kMsrNonDma | kMsrBusy | (pio_write_ ? 0 : kMsrDio);
    return kMsrRqm | (command_.empty() ? 0 : kMsrBusy);
}

uint8_t Floppy82077::read_port(unsigned reg) {
    switch (reg) {
        case kDor: return dor_;
        case kTdr: return tdr_;
        case kMsrDsr: return msr();
        case kFifo: return read_fifo();
        case kDirCcr: return disk_changed_ && drive_a_ ? kDirDiskChange : 0;
        case kSra:
        case kSrb:
        default: return 0xff;  // PS/2 status registers: not in AT mode
    }
}

void Floppy82077::write_port(unsigned reg, uint8_t value) {
    switch (reg) {
        case kDor: write_dor(value); break;
        case kTdr: tdr_ = value & 0x03; break;
        case kMsrDsr:
            data_rate_ = value & 0x03;
            if ((value & kDsrReset) && (dor_ & kDorReset)) reset();  // self-clearing
            break;
        case kFifo: write_fifo(value); break;
        case kDirCcr: data_rate_ = value & 0x03; break;
        default: break;
    }
}

void Floppy82077::write_dor(uint8_t value) {
    const bool leaving_reset = !(dor_ & kDorReset) && (value & kDorReset);
    dor_ = value;
    if (!(value & kDorReset)) {
        // Held in reset: nothing runs, nothing is pending.
        phase_ = Phase::kCommand;
        pio_data_.clear();
        pio_offsets_.clear();
        command_.clear();
        result_.clear();
        interrupt_ = false;
    }
    if (leaving_reset) reset();
    update_irq();
}

void Floppy82077::reset() {
    phase_ = Phase::kCommand;
    pio_data_.clear();
    pio_offsets_.clear();
    command_.clear();
    result_.clear();
    result_interrupt_ = false;
    sense_.clear();
    for (unsigned d = 0; d < kResetSenses; ++d)
        sense_.push_back({static_cast<uint8_t>(0xc0 | d), pcn_[d]});
    if (!lock_) {
        config_ = kConfigDefault;
        pretrk_ = 0;
    }
    perpendicular_ &= 0x3c;  // GAP and WGATE clear on reset; D3-D0 stay
    raise_interrupt();
}

void Floppy82077::raise_interrupt() {
    interrupt_ = true;
    update_irq();
}

void Floppy82077::update_irq() {
    const bool level = interrupt_ && (dor_ & kDorDmaGate) && (dor_ & kDorReset);
    if (level == irq_level_) return;
    irq_level_ = level;
    if (irq_) irq_->set_level(level);
}

void Floppy82077::result(std::initializer_list<uint8_t> bytes) {
    result_.assign(bytes.begin(), bytes.end());
    phase_ = result_.empty() ? Phase::kCommand : Phase::kResult;
}

void Floppy82077::write_fifo(uint8_t value) {
    if (dor_ & kDorReset && phase_ == Phase::kExecution && pio_write_) return pio_write(value);
    if (!(dor_ & kDorReset) || phase_ != Phase::kCommand) return;  // RQM/DIO say: not now
    if (command_.empty() && result_interrupt_) {
        interrupt_ = result_interrupt_ = false;  // a new command clears a data command's INT
        update_irq();
    }
    command_.push_back(value);
    const Command* c = decode(command_[0]);
    if (command_.size() < c->length) return;
    (this->*c->run)();
    command_.clear();
}

uint8_t Floppy82077::read_fifo() {
    if (phase_ == Phase::kExecution && !pio_write_) return pio_read();
    if (phase_ != Phase::kResult || result_.empty()) return 0xff;
    if (result_interrupt_) {
        interrupt_ = result_interrupt_ = false;  // reading the result clears the INT
        update_irq();
    }
    const uint8_t b = result_.front();
    result_.pop_front();
    if (result_.empty()) phase_ = Phase::kCommand;
    return b;
}

const Floppy82077::Command* Floppy82077::decode(uint8_t opcode) const {
    static constexpr Command kSpecify{3, &Floppy82077::cmd_specify},
        kSenseDrive{2, &Floppy82077::cmd_sense_drive_status},
        kRecalibrate{2, &Floppy82077::cmd_recalibrate},
        kSenseInterrupt{1, &Floppy82077::cmd_sense_interrupt}, kSeek{3, &Floppy82077::cmd_seek},
        kReadData{9, &Floppy82077::cmd_read_data}, kWriteData{9, &Floppy82077::cmd_write_data},
        kReadId{2, &Floppy82077::cmd_read_id}, kFormat{6, &Floppy82077::cmd_format_track},
        kVersion{1, &Floppy82077::cmd_version}, kConfigure{4, &Floppy82077::cmd_configure},
        kLock{1, &Floppy82077::cmd_lock}, kDumpreg{1, &Floppy82077::cmd_dumpreg},
        kPerpendicular{2, &Floppy82077::cmd_perpendicular}, kInvalid{1, &Floppy82077::cmd_invalid};
    // Data commands carry MT (bit 7), MFM (6) and SK (5) in the opcode; the others are exact.
    switch (opcode & 0x1f) {
        case 0x06: return &kReadData;
        case 0x05: return (opcode & 0x20) ? &kInvalid : &kWriteData;
        case 0x0a: return (opcode & 0xa0) ? &kInvalid : &kReadId;
        case 0x0d: return (opcode & 0xa0) ? &kInvalid : &kFormat;
        default: break;
    }
    switch (opcode) {
        case 0x03: return &kSpecify;
        case 0x04: return &kSenseDrive;
        case 0x07: return &kRecalibrate;
        case 0x08: return &kSenseInterrupt;
        case 0x0f: return &kSeek;
        case 0x10: return &kVersion;
        case 0x13: return &kConfigure;
        case 0x14:
        case 0x94: return &kLock;
        case 0x0e: return &kDumpreg;
        case 0x12: return &kPerpendicular;
        default: return &kInvalid;
    }
}

}  // namespace prevt::devices
