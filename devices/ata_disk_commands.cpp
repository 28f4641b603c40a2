// The ATA disk's commands (ata_disk.hpp): the address registers, the PIO data-in and data-out
// protocols, the non-data commands.
#include <algorithm>

#include "devices/ata_disk.hpp"

namespace prevt::devices {

uint8_t AtaDisk::address(bool ext, uint64_t* lba) const {
    uint64_t a;
    if (ext) {
        a = uint64_t{lba_low_.now} | uint64_t{lba_mid_.now} << 8 | uint64_t{lba_high_.now} << 16 |
            uint64_t{lba_low_.prev} << 24 | uint64_t{lba_mid_.prev} << 32 |
            uint64_t{lba_high_.prev} << 40;
    } else if (device_ & kDeviceLba) {
        a = uint64_t{lba_low_.now} | uint64_t{lba_mid_.now} << 8 | uint64_t{lba_high_.now} << 16 |
            uint64_t{device_ & 0x0fu} << 24;
    } else {
        const unsigned c = lba_mid_.now | lba_high_.now << 8, h = device_ & 0x0f, s = lba_low_.now;
        if (s < 1 || s > current_.sectors || h >= current_.heads || c >= current_.cylinders)
            return kIdnf;  // no such sector ID
        a = (uint64_t{c} * current_.heads + h) * current_.sectors + s - 1;
    }
    *lba = a;
    return a < sectors_ ? 0 : kAbrt;  // past the end: ABRT, as QEMU (ATA-6 allows IDNF too)
}

void AtaDisk::set_address(bool ext, uint64_t lba) {
    if (ext) {
        lba_low_ = {static_cast<uint8_t>(lba), static_cast<uint8_t>(lba >> 24)};
        lba_mid_ = {static_cast<uint8_t>(lba >> 8), static_cast<uint8_t>(lba >> 32)};
        lba_high_ = {static_cast<uint8_t>(lba >> 16), static_cast<uint8_t>(lba >> 40)};
    } else if (device_ & kDeviceLba) {
        lba_low_.now = static_cast<uint8_t>(lba);
        lba_mid_.now = static_cast<uint8_t>(lba >> 8);
        lba_high_.now = static_cast<uint8_t>(lba >> 16);
        device_ = static_cast<uint8_t>((device_ & 0xf0) | ((lba >> 24) & 0x0f));
    } else {
        const uint64_t per_cylinder = uint64_t{current_.heads} * current_.sectors;
        const uint64_t c = lba / per_cylinder;
        lba_low_.now = static_cast<uint8_t>(lba % current_.sectors + 1);
        lba_mid_.now = static_cast<uint8_t>(c);
        lba_high_.now = static_cast<uint8_t>(c >> 8);
        device_ =
            static_cast<uint8_t>((device_ & 0xf0) | (lba / current_.sectors % current_.heads));
    }
}

uint32_t AtaDisk::count(bool ext) const {
    if (ext) {
        const uint32_t n = count_.now | uint32_t{count_.prev} << 8;
        return n ? n : 65536;
    }
    return count_.now ? count_.now : 256;
}

void AtaDisk::set_count(bool ext, uint32_t n) {
    count_.now = static_cast<uint8_t>(n);
    if (ext) count_.prev = static_cast<uint8_t>(n >> 8);
}

void AtaDisk::execute(uint8_t command) {
    if (device1_selected() || (status_ & kBsy)) return;  // no device 1; in reset
    error_ = 0;
    pending_ = false;
    transfer_ = Transfer::kNone;
    update_irq();
    switch (command) {
        case 0x20:
        case 0x21: return start_read(false);
        case 0x24: return start_read(true);
        case 0x30:
        case 0x31: return start_write(false);
        case 0x34: return start_write(true);
        case 0x40:
        case 0x41: return read_verify(false);
        case 0x42: return read_verify(true);
        case 0xec: return identify();
        case 0xef: return set_features();
        case 0x91: return initialize_device_parameters();
        case 0xe7:
        case 0xea: return flush();
        case 0x90:  // EXECUTE DEVICE DIAGNOSTIC: device 0 passed, no device 1
            signature();
            error_ = 0x01;
            return complete();
        case 0xe5:  // CHECK POWER MODE: active or idle
            count_.set(0xff);
            return complete();
        default:
            if ((command & 0xf0) == 0x10) return complete();  // RECALIBRATE
            if ((command & 0xf0) == 0x70) return seek();
            return abort(kAbrt);  // IDENTIFY PACKET DEVICE (A1h) too: no ATAPI here
    }
}

bool AtaDisk::load_sector() {
    if (lba_ >= sectors_) {
        set_address(ext_, lba_);
        abort(kAbrt);
        return false;
    }
    if (!disk_.read(lba_ * kSectorSize, buffer_)) {
        set_address(ext_, lba_);
        abort(kUnc);
        return false;
    }
    position_ = 0;
    transfer_ = Transfer::kIn;
    status_ = kReady | kDrq;
    raise_interrupt();
    return true;
}

void AtaDisk::start_read(bool ext) {
    uint64_t lba = 0;
    if (const uint8_t e = address(ext, &lba)) return abort(e);
    ext_ = ext;
    lba_ = lba;
    remaining_ = count(ext);
    sector_command_ = true;
    load_sector();
}

void AtaDisk::start_write(bool ext) {
    uint64_t lba = 0;
    if (disk_.read_only()) return abort(kAbrt);
    if (const uint8_t e = address(ext, &lba)) return abort(e);
    ext_ = ext;
    lba_ = lba;
    remaining_ = count(ext);
    position_ = 0;
    transfer_ = Transfer::kOut;
    status_ = kReady | kDrq;  // the first block's DRQ comes without an interrupt
}

void AtaDisk::identify() {
    const std::array<uint16_t, 256> id = identify_device(sectors_, current_);
    for (unsigned i = 0; i < id.size(); ++i) {
        buffer_[2 * i] = static_cast<uint8_t>(id[i]);
        buffer_[2 * i + 1] = static_cast<uint8_t>(id[i] >> 8);
    }
    remaining_ = 1;
    sector_command_ = false;
    position_ = 0;
    transfer_ = Transfer::kIn;
    status_ = kReady | kDrq;
    raise_interrupt();
}

uint16_t AtaDisk::read_data() {
    if (transfer_ != Transfer::kIn || device1_selected()) return 0xffff;
    const uint16_t word = static_cast<uint16_t>(buffer_[position_] | buffer_[position_ + 1] << 8);
    position_ += 2;
    if (position_ < kSectorSize) return word;
    --remaining_;
    if (sector_command_) {
        set_address(ext_, lba_ + 1);
        set_count(ext_, remaining_);
    }
    if (remaining_ == 0) {
        transfer_ = Transfer::kNone;
        status_ = kReady;  // the last block of a data-in command raises no interrupt
        return word;
    }
    ++lba_;
    load_sector();
    return word;
}

void AtaDisk::write_data(uint16_t word) {
    if (transfer_ != Transfer::kOut || device1_selected()) return;
    buffer_[position_] = static_cast<uint8_t>(word);
    buffer_[position_ + 1] = static_cast<uint8_t>(word >> 8);
    position_ += 2;
    if (position_ < kSectorSize) return;
    if (lba_ >= sectors_) {
        set_address(ext_, lba_);
        return abort(kAbrt);
    }
    if (!disk_.write(lba_ * kSectorSize, buffer_)) {
        set_address(ext_, lba_);
        return abort(kAbrt);
    }
    --remaining_;
    set_address(ext_, lba_ + 1);
    set_count(ext_, remaining_);
    if (remaining_ == 0) return complete();
    ++lba_;
    position_ = 0;
    status_ = kReady | kDrq;
    raise_interrupt();
}

void AtaDisk::read_verify(bool ext) {
    uint64_t lba = 0;
    if (const uint8_t e = address(ext, &lba)) return abort(e);
    const uint64_t end = lba + count(ext);
    if (end > sectors_) {
        set_address(ext, sectors_);
        return abort(kAbrt);
    }
    set_address(ext, end);
    set_count(ext, 0);
    complete();
}

void AtaDisk::set_features() {
    switch (features_.now) {
        case 0x02:
        case 0x82:
        case 0xaa:
        case 0x55:
        case 0x66:
        case 0xcc: return complete();
        case 0x03: {
            const uint8_t mode = count_.now;
            // PIO default (00h/01h) or flow-control PIO modes 0-4 (08h-0ch).
            if (mode <= 0x01 || (mode >= 0x08 && mode <= 0x0c)) return complete();
            return abort(kAbrt);
        }
        default: return abort(kAbrt);
    }
}

void AtaDisk::initialize_device_parameters() {
    const uint16_t spt = count_.now, heads = static_cast<uint16_t>((device_ & 0x0f) + 1);
    if (spt == 0) return abort(kAbrt);
    current_.sectors = spt;
    current_.heads = heads;
    current_.cylinders =
        static_cast<uint16_t>(std::min<uint64_t>(sectors_ / (uint64_t{spt} * heads), 65535));
    complete();
}

void AtaDisk::seek() {
    uint64_t lba = 0;
    if (const uint8_t e = address(false, &lba)) return abort(e);
    complete();
}

void AtaDisk::flush() {
    if (!disk_.flush()) return abort(kAbrt);
    complete();
}

}  // namespace prevt::devices
