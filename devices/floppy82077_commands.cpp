// The 82077AA's commands (floppy82077.hpp): each runs when its last byte is written and leaves
// the result phase, the sense queue and the interrupt as the datasheet says.
#include <algorithm>
#include <array>

#include "devices/floppy82077.hpp"

namespace prevt::devices {

namespace {

constexpr uint8_t kMt = 0x80, kMfm = 0x40;
// ST0: interrupt code (bits 7:6), seek end, equipment check, not ready, head, unit.
constexpr uint8_t kSt0Abnormal = 0x40, kSt0Invalid = 0x80, kSt0SeekEnd = 0x20,
                  kSt0EquipmentCheck = 0x10;
// ST1 and ST2.
constexpr uint8_t kSt1EndOfCylinder = 0x80, kSt1DataError = 0x20, kSt1Overrun = 0x10,
                  kSt1NoData = 0x04, kSt1NotWritable = 0x02, kSt1MissingAddressMark = 0x01;
constexpr uint8_t kSt2DataErrorInData = 0x20;
// ST3: write protected, ready, track 0, two-sided, head, unit.
constexpr uint8_t kSt3WriteProtected = 0x40, kSt3Ready = 0x20, kSt3Track0 = 0x10,
                  kSt3TwoSided = 0x08;
constexpr uint8_t kSizeCode512 = 2;
constexpr uint8_t kNonDma = 0x01;  // SPECIFY byte 2 bit 0

}  // namespace

bool Floppy82077::medium_readable(unsigned drive, bool mfm) const {
    return drive == 0 && drive_a_ && mfm && data_rate_ == 0;
}

uint64_t Floppy82077::sector_offset(unsigned c, unsigned h, unsigned s) const {
    return ((uint64_t{c} * kHeads + h) * kSectors + s - 1) * kSectorSize;
}

void Floppy82077::cmd_specify() {
    specify1_ = command_[1];
    specify2_ = command_[2];
    result({});
}

void Floppy82077::cmd_sense_drive_status() {
    const unsigned drive = command_[1] & 3;
    uint8_t st3 = command_[1] & 0x07;
    if (drive == 0 && drive_a_) {
        st3 |= kSt3Ready | kSt3TwoSided;
        if (drive_a_->read_only()) st3 |= kSt3WriteProtected;
        if (pcn_[0] == 0) st3 |= kSt3Track0;
    }
    result({st3});
}

void Floppy82077::cmd_recalibrate() {
    const unsigned drive = command_[1] & 3;
    uint8_t st0 = kSt0SeekEnd | drive;
    if (drive == 0 && drive_a_) {
        pcn_[0] = 0;
        disk_changed_ = false;  // the step pulse with a disk in clears the change line
    } else {
        st0 |= kSt0Abnormal | kSt0EquipmentCheck;  // no track 0 signal after 79 steps
    }
    sense_.push_back({st0, pcn_[drive]});
    result({});
    raise_interrupt();
}

void Floppy82077::cmd_seek() {
    const unsigned drive = command_[1] & 3;
    pcn_[drive] = command_[2];
    if (drive == 0 && drive_a_) {
        head_ = (command_[1] >> 2) & 1;
        disk_changed_ = false;
    }
    // ST0 without the head bit, as QEMU.
    sense_.push_back({static_cast<uint8_t>(kSt0SeekEnd | drive), pcn_[drive]});
    result({});
    raise_interrupt();
}

void Floppy82077::cmd_sense_interrupt() {
    if (sense_.empty()) return cmd_invalid();
    const std::array<uint8_t, 2> s = sense_.front();
    sense_.pop_front();
    interrupt_ = false;
    update_irq();
    result({s[0], s[1]});
}

void Floppy82077::cmd_read_data() {
    transfer(false);
}
void Floppy82077::cmd_write_data() {
    transfer(true);
}

void Floppy82077::finish_data_command(uint8_t st0, uint8_t st1, uint8_t st2, uint8_t c, uint8_t h,
                                      uint8_t r, uint8_t n) {
    result({st0, st1, st2, c, h, r, n});
    result_interrupt_ = true;
    raise_interrupt();
}

void Floppy82077::transfer(bool write) {
    const uint8_t op = command_[0];
    const unsigned drive = command_[1] & 3;
    unsigned head = (command_[1] >> 2) & 1;
    unsigned c = command_[2], r = command_[4];
    const unsigned h_id = command_[3], n = command_[5], eot = command_[6];
    last_eot_ = static_cast<uint8_t>(eot);
    // Seek end (as QEMU): the implied seek moved the head, or the result moved to the next
    // cylinder.
    bool seek_end = false;
    auto st0 = [&](uint8_t ic) {
        return static_cast<uint8_t>(ic | (seek_end ? kSt0SeekEnd : 0) | head << 2 | drive);
    };
    if (!medium_readable(drive, op & kMfm))
        return finish_data_command(st0(kSt0Abnormal), kSt1MissingAddressMark, 0, c, h_id, r, n);
    seek_end = pcn_[0] != c;
    pcn_[0] = static_cast<uint8_t>(c);  // the implied seek
    head_ = static_cast<uint8_t>(head);
    if (write && drive_a_->read_only())
        return finish_data_command(st0(kSt0Abnormal), kSt1NotWritable, 0, c, h_id, r, n);
    if (h_id != head)  // the medium's IDs carry the physical head
        return finish_data_command(st0(kSt0Abnormal), kSt1NoData, 0, c, h_id, r, n);
    if (specify2_ & kNonDma) return start_pio(write, c, head, r, seek_end);
    std::array<uint8_t, kSectorSize> buffer;
    for (;;) {
        if (n != kSizeCode512 || c >= kCylinders || r < 1 || r > kSectors)
            return finish_data_command(st0(kSt0Abnormal), kSt1NoData, 0, c, head, r, n);
        if (!(dor_ & kDorDmaGate) || !dma_.ready(kDmaChannel))
            return finish_data_command(st0(kSt0Abnormal), kSt1Overrun, 0, c, head, r, n);
        const uint64_t offset = sector_offset(c, head, r);
        IsaDma::Moved moved;
        bool ok = true;
        if (write) {
            moved = dma_.read_memory(kDmaChannel, buffer);
            // A sector cut short by the terminal count is finished with zeros: the
            // controller always writes whole sectors.
            if (moved.bytes < buffer.size())
                std::fill(buffer.begin() + static_cast<long>(moved.bytes), buffer.end(), 0);
            ok = drive_a_->write(offset, buffer);
        } else {
            ok = drive_a_->read(offset, buffer);
            if (ok) moved = dma_.write_memory(kDmaChannel, buffer);
        }
        if (!ok)
            return finish_data_command(st0(kSt0Abnormal), kSt1DataError, kSt2DataErrorInData, c,
                                       head, r, n);
        // The next sector's ID: past EOT, head 1 with MT on head 0, else the next cylinder.
        bool end_of_track = false;
        if (r == eot) {
            r = 1;
            if ((op & kMt) && head == 0) {
                head = 1;
            } else {
                ++c;
                seek_end = true;
                if (op & kMt) head = 0;
                end_of_track = true;
            }
        } else {
            ++r;
        }
        if (moved.terminal)
            return finish_data_command(st0(0), 0, 0, static_cast<uint8_t>(c),
                                       static_cast<uint8_t>(head), static_cast<uint8_t>(r), n);
        if (end_of_track)  // EOT reached before the terminal count
            return finish_data_command(st0(kSt0Abnormal), kSt1EndOfCylinder, 0,
                                       static_cast<uint8_t>(c), static_cast<uint8_t>(head),
                                       static_cast<uint8_t>(r), n);
    }
}

void Floppy82077::cmd_read_id() {
    const unsigned drive = command_[1] & 3;
    const uint8_t head = (command_[1] >> 2) & 1;
    const uint8_t st0 = static_cast<uint8_t>(head << 2 | drive);
    if (!medium_readable(drive, command_[0] & kMfm))
        return finish_data_command(st0 | kSt0Abnormal, kSt1MissingAddressMark, 0, pcn_[drive], head,
                                   1, kSizeCode512);
    head_ = head;
    // The first ID under the head: sector 1 (the disk's rotation is not modelled).
    finish_data_command(st0, 0, 0, pcn_[0], head, 1, kSizeCode512);
}

void Floppy82077::cmd_format_track() {
    const unsigned drive = command_[1] & 3;
    const uint8_t head = (command_[1] >> 2) & 1;
    const uint8_t n = command_[2], sc = command_[3], fill = command_[5];
    const uint8_t st0 = static_cast<uint8_t>(head << 2 | drive);
    const uint8_t c = pcn_[drive];
    if (!medium_readable(drive, command_[0] & kMfm))
        return finish_data_command(st0 | kSt0Abnormal, kSt1MissingAddressMark, 0, c, head, 1, n);
    if (drive_a_->read_only())
        return finish_data_command(st0 | kSt0Abnormal, kSt1NotWritable, 0, c, head, 1, n);
    // The image holds 18 sectors of 512 bytes per track: any other layout cannot be kept.
    if (n != kSizeCode512 || sc != kSectors || c >= kCylinders)
        return finish_data_command(st0 | kSt0Abnormal, kSt1NoData, 0, c, head, 1, n);
    if (specify2_ & kNonDma)  // the sector IDs only by DMA here
        return finish_data_command(st0 | kSt0Abnormal, kSt1Overrun, 0, c, head, 1, n);
    std::array<uint8_t, kSectorSize> sector;
    sector.fill(fill);
    for (unsigned i = 0; i < sc; ++i) {
        std::array<uint8_t, 4> id{};  // C, H, R, N of one sector, by DMA
        const IsaDma::Moved moved =
            (dor_ & kDorDmaGate) ? dma_.read_memory(kDmaChannel, id) : IsaDma::Moved{};
        if (moved.bytes < id.size())
            return finish_data_command(st0 | kSt0Abnormal, kSt1Overrun, 0, c, head, 1, n);
        if (id[0] != c || id[1] != head || id[2] < 1 || id[2] > kSectors || id[3] != n)
            return finish_data_command(st0 | kSt0Abnormal, kSt1NoData, 0, c, head, 1, n);
        if (!drive_a_->write(sector_offset(c, head, id[2]), sector))
            return finish_data_command(st0 | kSt0Abnormal, kSt1DataError, kSt2DataErrorInData, c,
                                       head, 1, n);
    }
    last_eot_ = sc;
    finish_data_command(st0, 0, 0, c, head, 1, n);
}

void Floppy82077::cmd_version() {
    result({0x90});
}

void Floppy82077::cmd_configure() {
    config_ = command_[2] & 0x7f;
    pretrk_ = command_[3];
    result({});
}

void Floppy82077::cmd_lock() {
    lock_ = command_[0] & 0x80;
    result({static_cast<uint8_t>(lock_ ? 0x10 : 0x00)});
}

void Floppy82077::cmd_dumpreg() {
    result({pcn_[0], pcn_[1], pcn_[2], pcn_[3], specify1_, specify2_, last_eot_,
            static_cast<uint8_t>((lock_ ? 0x80 : 0) | perpendicular_), config_, pretrk_});
}

void Floppy82077::cmd_perpendicular() {
    const uint8_t v = command_[1];
    // OW (bit 7) allows D3-D0 to change; GAP and WGATE always do.
    if (v & 0x80) perpendicular_ = static_cast<uint8_t>((perpendicular_ & 0x03) | (v & 0x3c));
    perpendicular_ = static_cast<uint8_t>((perpendicular_ & 0x3c) | (v & 0x03));
    result({});
}

void Floppy82077::cmd_invalid() {
    result({kSt0Invalid});
}

}  // namespace prevt::devices
