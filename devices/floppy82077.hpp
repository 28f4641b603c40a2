// The Intel 82077AA floppy disk controller in PC-AT mode (datasheet: Intel 82077AA CHMOS
// Single-Chip Floppy Disk Controller, 290166) with one 3.5" 1.44 MB drive as drive A: ports
// 0x3f0-0x3f5 and 0x3f7 (0x3f6 belongs to the ATA channel), IRQ 6, DMA channel 2 of the 8237
// pair (isa_dma.hpp). The medium is 80 cylinders, 2 heads, 18 sectors of 512 bytes (MFM,
// 500 kbit/s), sector (c, h, s) at byte ((c * 2 + h) * 18 + s - 1) * 512 of the image.
// State: new. What SeaBIOS's src/hw/floppy.c does is the bar.
//
// Registers: DOR (0x3f2, read/write: drive select, nRESET, DMA gate, motor bits), TDR (0x3f3,
// stored), MSR (0x3f4 read: RQM, DIO, CMD BSY; the drive busy bits never set: seeks end at
// once) and DSR (0x3f4 write: software reset, data rate), the FIFO (0x3f5), DIR (0x3f7 read:
// bit 7 disk change, set until a seek or recalibrate moves the head, as at power-on with a disk
// in; bits 6:0 read 0, tri-stated on an AT) and CCR (0x3f7 write: data rate). 0x3f0/0x3f1
// (SRA/SRB, PS/2 mode only) read all-ones. The command, execution and result phases of the
// datasheet; an invalid command gives one result byte, ST0 = 0x80.
//
// Reset: DOR bit 2 low holds the controller in reset (as at power-on: DOR = 0) and its rising
// edge, or DSR bit 7, resets it: the phase, the pending interrupts, SPECIFY's values stay;
// CONFIGURE's bits return to their defaults unless LOCK is set. After a reset, as with polling
// on, the interrupt is raised and four SENSE INTERRUPT STATUS answer ST0 = 0xc0 | drive (the
// datasheet's ready-line change; QEMU does the same whatever CONFIGURE's POLL says).
// The IRQ line is the interrupt gated by DOR bit 3 (DMA gate, AT mode). It is raised at reset,
// at the end of SEEK/RECALIBRATE (cleared by SENSE INTERRUPT STATUS) and when a data command
// enters its result phase (cleared by reading the first result byte or writing a command).
//
// Commands: SPECIFY, SENSE DRIVE STATUS (ST3 with write protect, track 0, two-sided, ready),
// RECALIBRATE, SENSE INTERRUPT STATUS, SEEK, READ DATA and WRITE DATA (MT, MFM; SK is
// ignored: no deleted sectors exist), READ ID, FORMAT TRACK (the sector IDs by DMA, every
// sector filled with the fill byte; N must be 2 and SC 18 for the image's geometry),
// VERSION (0x90), CONFIGURE, LOCK, DUMPREG, PERPENDICULAR MODE (stored, reported by DUMPREG).
// Data commands move their bytes through DMA channel 2 at once, sector by sector, ending at the
// 8237's terminal count (normal termination) or after EOT (abnormal, ST1 EN), with the result
// C/H/R/N of the datasheet's table (the next sector; MT continues on head 1). As QEMU (and
// SeaBIOS relies on it: it never sends SEEK before a read), a data command moves the head to
// the cylinder it names: an implied seek whatever CONFIGURE's EIS says; ST0's seek end bit is
// set when it moved the head or the result's C moved to the next cylinder, and ST0's head
// is the result's H (both as QEMU). Unlike QEMU, reaching EOT before the terminal count is
// the datasheet's abnormal termination with ST1 EN (QEMU ends normally).
// Errors: no medium, or a drive other than A: ST1 MA (no address mark found); FM mode or a
// data rate other than 500 kbit/s: ST1 MA; a sector or cylinder outside the medium, N != 2
// or H != the head selected: ST1 ND; DMA channel not ready (masked, DMA gate off): ST1 OR; a
// write to a read-only image: ST1 NW; a host I/O error: ST1 DE with ST2 DD.
//
// With SPECIFY's ND set, READ DATA and WRITE DATA go through the FIFO instead
// (floppy82077_pio.cpp): to EOT, then abnormal termination with ST1 EN (no TC without DMA).
// FORMAT TRACK needs DMA (with ND: ST1 OR).
//
// Missing: READ TRACK, READ/WRITE DELETED DATA, VERIFY, SCAN, RELATIVE SEEK (invalid commands
// here), drives B-D, media other than 1.44 MB, disk change by the user, timing (seek, settle,
// rotation: every command completes during the port write that ends it). Ignored: motor bits (a
// read with the motor off works), SPECIFY's step rate and head times, the FIFO threshold, TDR,
// power down.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "devices/block_device.hpp"
#include "devices/bus.hpp"
#include "devices/irq_line.hpp"
#include "devices/isa_dma.hpp"

namespace prevt::devices {

class Floppy82077 {
public:
    static constexpr uint16_t kIoBase = 0x3f0;  // 0x3f0-0x3f5
    static constexpr unsigned kLowPorts = 6;
    static constexpr uint16_t kDirPort = 0x3f7;
    static constexpr unsigned kIrq = 6;
    static constexpr unsigned kDmaChannel = 2;
    // The one medium: 1.44 MB, 3.5" high density.
    static constexpr unsigned kCylinders = 80, kHeads = 2, kSectors = 18, kSectorSize = 512;
    static constexpr uint64_t kImageBytes = uint64_t{kCylinders} * kHeads * kSectors * kSectorSize;

    // `drive_a` may be null (no drive); its size must be kImageBytes. `irq` may be null.
    Floppy82077(IsaDma& dma, IrqLine* irq, BlockDevice* drive_a);
    Floppy82077(const Floppy82077&) = delete;
    Floppy82077& operator=(const Floppy82077&) = delete;

    // Attaches 0x3f0-0x3f5 and 0x3f7.
    void attach(Bus& ports);

    bool irq_level() const { return irq_level_; }
    uint8_t dor() const { return dor_; }
    uint8_t msr() const;
    unsigned cylinder(unsigned drive) const { return pcn_[drive & 3]; }

private:
    class Port final : public IoDevice {
    public:
        Port(Floppy82077& fdc, uint16_t base, unsigned count)
            : fdc_(fdc), base_(base), count_(count) {}
        std::string_view name() const override { return "fdc82077"; }
        uint32_t read(uint64_t offset, unsigned size) override;
        void write(uint64_t offset, unsigned size, uint32_t value) override;

    private:
        Floppy82077& fdc_;
        uint16_t base_;
        unsigned count_;
    };
    static constexpr uint8_t kDorReset = 0x04;    // nRESET: 0 holds the controller in reset
    static constexpr uint8_t kDorDmaGate = 0x08;  // AT mode: DRQ and INT enabled
    enum class Phase { kCommand, kExecution, kResult };
    // One command: its byte count (with the opcode) and what runs when all bytes are in.
    struct Command {
        uint8_t length;
        void (Floppy82077::*run)();
    };

    uint8_t read_port(unsigned reg);
    void write_port(unsigned reg, uint8_t value);
    void write_dor(uint8_t value);
    void write_fifo(uint8_t value);
    uint8_t read_fifo();
    void reset();
    void update_irq();
    void raise_interrupt();
    void result(std::initializer_list<uint8_t> bytes);
    const Command* decode(uint8_t opcode) const;

    // The commands (floppy82077_commands.cpp).
    void cmd_specify();
    void cmd_sense_drive_status();
    void cmd_recalibrate();
    void cmd_sense_interrupt();
    void cmd_seek();
    void cmd_read_data();
    void cmd_write_data();
    void cmd_read_id();
    void cmd_format_track();
    void cmd_version();
    void cmd_configure();
    void cmd_lock();
    void cmd_dumpreg();
    void cmd_perpendicular();
    void cmd_invalid();
    // READ DATA and WRITE DATA: the loop over sectors and the result.
    void transfer(bool write);
    // The same without DMA (SPECIFY's ND, floppy82077_pio.cpp): the sectors from the command's
    // ID to EOT go through the FIFO in an execution phase; the result follows its last byte.
    void start_pio(bool write, unsigned c, unsigned head, unsigned r, bool seek_end);
    uint8_t pio_read();
    void pio_write(uint8_t value);
    void end_pio();
    // INT during a non-DMA execution phase: an edge for each byte the FIFO has (or wants).
    void pulse_interrupt();
    // The medium is in drive `drive` and readable at the current data rate in MFM.
    bool medium_readable(unsigned drive, bool mfm) const;
    uint64_t sector_offset(unsigned c, unsigned h, unsigned s) const;
    void finish_data_command(uint8_t st0, uint8_t st1, uint8_t st2, uint8_t c, uint8_t h, uint8_t r,
                             uint8_t n);

    IsaDma& dma_;
    IrqLine* irq_;
    BlockDevice* drive_a_;
    Port low_{*this, kIoBase, kLowPorts};
    Port dir_{*this, kDirPort, 1};

    uint8_t dor_ = 0;  // power-on: held in reset
    uint8_t tdr_ = 0;
    uint8_t data_rate_ = 0;  // CCR/DSR bits 1:0; 0 = 500 kbit/s
    bool disk_changed_ = true;
    Phase phase_ = Phase::kCommand;
    std::vector<uint8_t> command_;  // the bytes of the command being received
    std::deque<uint8_t> result_;
    bool interrupt_ = false;         // the controller's INT, before DOR's gate
    bool result_interrupt_ = false;  // INT came with a data command's result phase
    bool irq_level_ = false;
    // SENSE INTERRUPT STATUS answers: ST0 and PCN, oldest first.
    std::deque<std::array<uint8_t, 2>> sense_;
    std::array<uint8_t, 4> pcn_{};  // present cylinder number per drive
    uint8_t head_ = 0;              // the head of drive A's last command
    // SPECIFY, CONFIGURE, LOCK, PERPENDICULAR MODE and the last EOT, as DUMPREG shows them.
    uint8_t specify1_ = 0, specify2_ = 0;
    uint8_t config_ = 0x20;  // EIS 0, EFIFO 1 (FIFO off), POLL 0, FIFOTHR 0
    uint8_t pretrk_ = 0;
    bool lock_ = false;
    uint8_t perpendicular_ = 0;  // D3-D0 in bits 5:2, GAP, WGATE
    uint8_t last_eot_ = kSectors;
    // The non-DMA execution phase: the bytes of the sectors at pio_offsets_ (read from the
    // image, or written into it sector by sector), how many moved, and the result after them.
    std::vector<uint8_t> pio_data_;
    std::vector<uint64_t> pio_offsets_;
    size_t pio_position_ = 0;
    bool pio_write_ = false;
    std::array<uint8_t, 7> pio_result_{};
};

}  // namespace prevt::devices
