// An ATA hard disk as device 0 of the PC's primary ATA channel (T13/1410D, ATA/ATAPI-6; the
// command block at 0x1f0-0x1f7, the control block's 0x3f6, IRQ 14), PIO only. State: new.
// What SeaBIOS's src/hw/ata.c does is the bar.
//
// Registers: data (0x1f0, 16-bit; a 32-bit access moves two words, a byte access reads all-ones
// and is dropped, as QEMU's), error/features, sector count, LBA low/mid/high (sector number,
// cylinder low/high in CHS), device/head, status/command (reading status clears INTRQ),
// alternate status/device control (0x3f6: nIEN masks INTRQ; SRST resets the device: BSY while
// set, then DRDY|DSC, error 01h and the ATA signature 1/1/0/0; HOB reads the previous bytes
// of the 48-bit registers). Every written command block register keeps the byte it replaces
// (the 48-bit "previous" content). The selected device drives the register reads: with device
// 1 selected (absent) status and alternate status read 0 (the other registers are shared),
// as QEMU's; commands then are ignored. INTRQ is pending && !nIEN && device 0
// selected.
//
// Commands: IDENTIFY DEVICE (ata_identify.hpp), READ SECTORS (20h/21h) and WRITE SECTORS
// (30h/31h) in CHS (by the current geometry) or LBA28, READ/WRITE SECTORS EXT (24h/34h,
// LBA48), READ VERIFY SECTORS (40h/41h/42h), INITIALIZE DEVICE PARAMETERS (91h), SET FEATURES
// (EFh: 02h/82h write cache, AAh/55h read look-ahead, 66h/CCh revert to defaults, 03h PIO
// transfer modes; others abort), FLUSH CACHE (E7h/EAh), EXECUTE DEVICE DIAGNOSTIC (90h),
// RECALIBRATE (1xh), SEEK (7xh), CHECK POWER MODE (E5h: active). The data-in protocol: DRQ and
// INTRQ for each 512-byte block, the last block's end raises none; data-out: DRQ without INTRQ
// for the first block, INTRQ after each block written. After each sector the address registers
// hold the next sector and the count what remains (as QEMU). Errors: ABRT for an unknown
// command, IDENTIFY PACKET DEVICE (this is no ATAPI device), a write to a read-only image, a
// bad SET FEATURES or INITIALIZE DEVICE PARAMETERS, an address past the end of the disk (as
// QEMU; ATA-6 allows ABRT or IDNF); IDNF for a CHS address outside the geometry; UNC for a
// host read error, ABRT for a host write error; the address registers at the failed sector;
// status DRDY | ERR (DSC clear, as QEMU).
//
// Transfers are instantaneous: BSY is never seen outside SRST. Missing: DMA (no bus master:
// the PIIX3 IDE function, if the machine has one, shows no BAR 4), READ/WRITE MULTIPLE,
// device 1, power management beyond CHECK POWER MODE, SMART, security, the 0x1f0 byte-wide
// data access of 8-bit PIO mode. Ignored: write caching (writes reach the image at once;
// FLUSH CACHE asks the host to sync), read look-ahead, transfer modes.
#pragma once

#include <array>
#include <cstdint>

#include "devices/ata_identify.hpp"
#include "devices/block_device.hpp"
#include "devices/bus.hpp"
#include "devices/irq_line.hpp"

namespace prevt::devices {

class AtaDisk {
public:
    static constexpr uint16_t kCommandBase = 0x1f0;
    static constexpr unsigned kCommandPorts = 8;
    static constexpr uint16_t kControlPort = 0x3f6;
    static constexpr unsigned kIrq = 14;
    static constexpr unsigned kSectorSize = 512;

    // `disk` must hold a whole number of sectors (at least one) and outlive this; `irq` may be
    // null.
    AtaDisk(BlockDevice& disk, IrqLine* irq);
    AtaDisk(const AtaDisk&) = delete;
    AtaDisk& operator=(const AtaDisk&) = delete;

    void attach(Bus& ports);  // 0x1f0-0x1f7 and 0x3f6

    uint64_t sectors() const { return sectors_; }
    uint8_t status() const { return status_; }
    bool irq_level() const { return irq_level_; }
    const AtaGeometry& geometry() const { return current_; }

private:
    // Status, error, device control and device register bits (ATA-6 7.x).
    static constexpr uint8_t kBsy = 0x80, kDrdy = 0x40, kDsc = 0x10, kDrq = 0x08, kErr = 0x01;
    static constexpr uint8_t kReady = kDrdy | kDsc;
    static constexpr uint8_t kUnc = 0x40, kIdnf = 0x10, kAbrt = 0x04;
    static constexpr uint8_t kControlNien = 0x02, kControlSrst = 0x04, kControlHob = 0x80;
    static constexpr uint8_t kDeviceLba = 0x40;

    class Port final : public IoDevice {
    public:
        Port(AtaDisk& ata, bool control) : ata_(ata), control_(control) {}
        std::string_view name() const override { return control_ ? "ata-control" : "ata"; }
        uint32_t read(uint64_t offset, unsigned size) override;
        void write(uint64_t offset, unsigned size, uint32_t value) override;

    private:
        AtaDisk& ata_;
        bool control_;
    };
    // A 48-bit capable register: what was written last and the byte before it.
    struct Reg {
        uint8_t now = 0, prev = 0;
        void set(uint8_t v) {
            prev = now;
            now = v;
        }
    };
    enum class Transfer { kNone, kIn, kOut };

    uint8_t read_register(unsigned reg);
    void write_register(unsigned reg, uint8_t value);
    uint16_t read_data();
    void write_data(uint16_t word);
    void write_control(uint8_t value);
    void execute(uint8_t command);
    bool device1_selected() const { return device_ & 0x10; }

    // The commands.
    void start_read(bool ext);
    void start_write(bool ext);
    void read_verify(bool ext);
    void identify();
    void set_features();
    void initialize_device_parameters();
    void seek();
    void flush();
    void signature();

    // The address the registers name (LBA28, LBA48 or CHS): 0, or the error bits: IDNF for a
    // CHS address outside the current geometry, ABRT past the end of the disk. count(): the
    // sectors (0 means 256, or 65536 for 48-bit).
    uint8_t address(bool ext, uint64_t* lba) const;
    uint32_t count(bool ext) const;
    void set_address(bool ext, uint64_t lba);
    void set_count(bool ext, uint32_t n);
    // Next sector of a multi-sector command: registers advanced, the next block loaded.
    bool load_sector();
    void complete();  // the command is done without error
    void abort(uint8_t error);
    void raise_interrupt();
    void update_irq();

    BlockDevice& disk_;
    IrqLine* irq_;
    uint64_t sectors_;
    AtaGeometry current_;
    Port command_port_{*this, false};
    Port control_port_{*this, true};

    uint8_t status_ = 0x50;  // DRDY | DSC
    uint8_t error_ = 0x01;   // diagnostic code: passed
    uint8_t device_ = 0;
    uint8_t control_ = 0;
    Reg features_, count_, lba_low_, lba_mid_, lba_high_;
    bool pending_ = false;  // INTRQ before nIEN and device selection
    bool irq_level_ = false;

    // The PIO block being transferred and the command it belongs to.
    Transfer transfer_ = Transfer::kNone;
    std::array<uint8_t, kSectorSize> buffer_{};
    unsigned position_ = 0;        // bytes of buffer_ moved
    bool ext_ = false;             // 48-bit command
    bool sector_command_ = false;  // a READ SECTORS: the address registers follow the sectors
    uint64_t lba_ = 0;             // the sector in buffer_
    uint32_t remaining_ = 0;       // sectors left, including the one in buffer_
};

}  // namespace prevt::devices
