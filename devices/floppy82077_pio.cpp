// The 82077AA's non-DMA data transfers (floppy82077.hpp; SPECIFY's ND bit): READ DATA and
// WRITE DATA move their sectors through the FIFO in an execution phase, MSR showing RQM, DIO
// (a read) and NON-DMA, INT pulsing for every byte, as an interrupt-driven or polling driver
// expects. A PC's TC comes from the DMA controller only, so a non-DMA transfer always runs to
// EOT (the next cylinder with MT) and ends as the datasheet says: abnormal, ST1 EN.
#include "devices/floppy82077.hpp"

namespace prevt::devices {

namespace {

constexpr uint8_t kMt = 0x80;
constexpr uint8_t kSt0Abnormal = 0x40, kSt0SeekEnd = 0x20;
constexpr uint8_t kSt1EndOfCylinder = 0x80, kSt1DataError = 0x20, kSt1NoData = 0x04;
constexpr uint8_t kSt2DataErrorInData = 0x20;
constexpr uint8_t kSizeCode512 = 2;

}  // namespace

void Floppy82077::start_pio(bool write, unsigned c, unsigned head, unsigned r, bool seek_end) {
    const uint8_t op = command_[0];
    const unsigned drive = command_[1] & 3, n = command_[5], eot = command_[6];
    const unsigned c0 = c, head0 = head, r0 = r;
    auto st0 = [&](uint8_t ic) {
        return static_cast<uint8_t>(ic | (seek_end ? kSt0SeekEnd : 0) | head << 2 | drive);
    };
    // The sectors up to EOT, and the result after the last of them.
    pio_offsets_.clear();
    uint8_t st1 = 0;
    for (;;) {
        if (n != kSizeCode512 || c >= kCylinders || r < 1 || r > kSectors) {
            st1 = kSt1NoData;
            break;
        }
        pio_offsets_.push_back(sector_offset(c, head, r));
        if (r != eot) {
            ++r;
            continue;
        }
        r = 1;
        if ((op & kMt) && head == 0) {
            head = 1;
            continue;
        }
        ++c;
        seek_end = true;
        if (op & kMt) head = 0;
        st1 = kSt1EndOfCylinder;
        break;
    }
    pio_result_ = {st0(kSt0Abnormal),
                   st1,
                   0,
                   static_cast<uint8_t>(c),
                   static_cast<uint8_t>(head),
                   static_cast<uint8_t>(r),
                   static_cast<uint8_t>(n)};
    if (pio_offsets_.empty())
        return finish_data_command(pio_result_[0], pio_result_[1], 0, pio_result_[3],
                                   pio_result_[4], pio_result_[5], pio_result_[6]);
    pio_write_ = write;
    pio_position_ = 0;
    pio_data_.assign(pio_offsets_.size() * kSectorSize, 0);
    if (!write)
        for (size_t i = 0; i < pio_offsets_.size(); ++i) {
            const std::span<uint8_t> sector(pio_data_.data() + i * kSectorSize, kSectorSize);
            if (!drive_a_->read(pio_offsets_[i], sector))
                return finish_data_command(st0(kSt0Abnormal), kSt1DataError, kSt2DataErrorInData,
                                           static_cast<uint8_t>(c0), static_cast<uint8_t>(head0),
                                           static_cast<uint8_t>(r0), static_cast<uint8_t>(n));
        }
    phase_ = Phase::kExecution;
    pulse_interrupt();
}

uint8_t Floppy82077::pio_read() {
    const uint8_t b = pio_data_[pio_position_++];
    if (pio_position_ == pio_data_.size())
        end_pio();
    else
        pulse_interrupt();
    return b;
}

void Floppy82077::pio_write(uint8_t value) {
    pio_data_[pio_position_++] = value;
    if (pio_position_ % kSectorSize == 0) {
        const size_t i = pio_position_ / kSectorSize - 1;
        const std::span<const uint8_t> sector(pio_data_.data() + i * kSectorSize, kSectorSize);
        if (!drive_a_->write(pio_offsets_[i], sector)) {
            pio_result_[0] |= kSt0Abnormal;
            pio_result_[1] = kSt1DataError;
            pio_result_[2] = kSt2DataErrorInData;
            return end_pio();
        }
    }
    if (pio_position_ == pio_data_.size())
        end_pio();
    else
        pulse_interrupt();
}

void Floppy82077::end_pio() {
    pio_data_.clear();
    pio_offsets_.clear();
    interrupt_ = false;  // the result's interrupt is a new edge
    update_irq();
    const std::array<uint8_t, 7>& r = pio_result_;
    finish_data_command(r[0], r[1], r[2], r[3], r[4], r[5], r[6]);
}

void Floppy82077::pulse_interrupt() {
    interrupt_ = false;
    update_irq();
    interrupt_ = true;
    update_irq();
}

}  // namespace prevt::devices
