// A Motorola MC146818A real-time clock and CMOS RAM (datasheet: Motorola MC146818A, "CMOS
// Real-Time Clock Plus RAM") as a PC/AT wires it: an index port at 0x70 (bits 6:0; bit 7 is
// the PC's NMI mask), a data port at 0x71, the IRQ output on IRQ 8 (the slave 8259A's input 0),
// a 32.768 kHz time base. State: new.
//
// Models: the 128 bytes (0x00-0x0d the clock's registers, 0x0e-0x7f RAM); the time registers
// 0x00, 0x02, 0x04, 0x06-0x09 and the century at 0x32 (the PC's century byte, counted with the
// year as PC chipsets do), in BCD or binary (B.DM) and 12- or 24-hour mode (B.24/12), from a
// start time plus the clock's elapsed time (mc146818_calendar.hpp); B.SET holds updates while
// the guest writes the time, and clears B.UIE as the datasheet says; the alarm bytes 0x01,
// 0x03, 0x05 with "don't care" values 0xc0-0xff. Register A: UIP (set for the 244 us = 8 time
// base cycles before each update), the divider (DV2-0 = 010 runs it; any other value holds it
// in reset, the time stops; releasing it starts the first update 500 ms later), rate select
// (RS 3-15: 32768 >> (RS - 1) Hz; RS 1, 2: 256, 128 Hz; 0: none). Register C's flags PF, AF,
// UF (set whatever the enable bits, as the datasheet says) and IRQF; reading C clears them.
// Register D reads 0x80 (VRT: the battery is good). IRQ 8 is high while IRQF is set.
// Nothing ticks: each port access and advance() bring the divider up to the clock's time, and
// next_deadline_ns() is the next periodic tick, update or alarm whose interrupt is enabled and
// whose flag is clear (a set flag keeps IRQ 8 high until C is read, itself an access).
//
// The update cycle is instantaneous (the datasheet's 1984 us during which the time registers
// must not be read do not exist); the time changes at the end of the UIP window.
// Missing: the square-wave output (B.SQWE is stored, no pin); daylight saving (B.DSE is stored
// and ignored: the time never jumps); the 4.194304 MHz and 1.048576 MHz time bases (DV 000 and
// 001 hold the divider like 11x); the NMI itself (the mask bit is only stored); the RESET pin;
// the second bank of 128 bytes some chipsets have at ports 0x72/0x73.
// Ignored: writes to the day of the week outside B.SET (it is derived from the date: see
// mc146818_calendar.hpp), writes to C and D, to A.UIP; reads of port 0x70 return 0xff (on a PC
// it is write-only). Changing B.DM or B.24/12 shows the running time in the new format at
// once, where the chip needs the time re-written.
//
// The RAM a PC BIOS leaves (IBM PC AT Technical Reference, "CMOS RAM Address Map"; the bytes
// QEMU fills and SeaBIOS's src/hw/rtc.h, src/fw/paravirt.c and src/boot.c read):
//   0x0f shutdown status: 0 (normal POST); the guest writes it before a reset.
//   0x10 floppy drive types: drive A in bits 7:4, drive B in 3:0 (set_floppy_types()).
//   0x12 hard disk types, 0x19-0x1a, 0x1b-0x2d: 0 (SeaBIOS takes disks from fw_cfg or probes).
//   0x14 equipment: bit 0 floppy drives present, bits 7:6 their count - 1, bit 1 x87 present
//        (the guest runs on the host's FPU), bits 5:4 video 00 (EGA/VGA or none).
//   0x15/0x16 base memory in KiB, low byte first: 640 (less if RAM is smaller).
//   0x17/0x18 and 0x30/0x31 memory from 1 MiB in KiB, capped at 0xffff (63.9 MiB).
//   0x2e/0x2f checksum of 0x10-0x2d, high byte first: kept by the machine's writes
//        (set_byte(), set_memory_size(), set_floppy_types()); a guest's writes leave it alone.
//   0x34/0x35 memory from 16 MiB to 4 GiB in 64 KiB units, capped at 0xffff. SeaBIOS sizes
//        RAM from these (16 MiB + 0x34/0x35, or 1 MiB + 0x30/0x31 when they are 0).
//   0x5b-0x5d memory above 4 GiB in 64 KiB units (0 for a 32-bit guest's RAM below 4 GiB).
//   0x38, 0x3d boot order (SeaBIOS, 0 here: floppy, disk, CD-ROM in that order): 0x3d bits 3:0
//        the first device, 7:4 the second, 0x38 bits 7:4 the third (1 floppy, 2 hard disk,
//        3 CD-ROM, 4 network/BEV); 0x38 bit 0 set skips the floppy boot signature check.
//   0x39 ATA disk translation (SeaBIOS), 0x5f the CPU count - 1: 0 (one CPU).
// The machine sets any of them with set_byte().
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "devices/bus.hpp"
#include "devices/clock.hpp"
#include "devices/deadline_queue.hpp"
#include "devices/irq_line.hpp"
#include "devices/mc146818_calendar.hpp"

namespace prevt::devices {

class Mc146818 final : public IoDevice, public TimedDevice {
public:
    static constexpr uint16_t kIoBase = 0x70;
    static constexpr unsigned kPortCount = 2;  // attach with this length
    static constexpr unsigned kIrq = 8;        // the slave PIC's input 0
    static constexpr unsigned kRamSize = 128;
    static constexpr uint64_t kTimeBaseHz = 32'768;

    // Floppy drive types in byte 0x10.
    enum class FloppyType : uint8_t {
        kNone = 0,
        k360K = 1,
        k1200K = 2,
        k720K = 3,
        k1440K = 4,
        k2880K = 5
    };

    // The clock shows `start_unix_seconds` (seconds since 1970-01-01 00:00 UTC; the machine
    // passes the host's time) now and counts on with `clock`, which must outlive the device.
    // Registers A and B are as a BIOS leaves them: 0x26 (divider running, 1024 Hz rate), 0x02
    // (24-hour, BCD, no interrupts). `irq8` may be null.
    Mc146818(const Clock& clock, IrqLine* irq8, int64_t start_unix_seconds);

    std::string_view name() const override { return "mc146818"; }
    // An 8-bit device: wider accesses are split into byte accesses to 0x70 and 0x71, low byte
    // first; bytes past 0x71 read as all-ones and drop writes.
    uint32_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint32_t value) override;

    // The deadline queue's view (deadline_queue.hpp). advance() sets the flags that came due
    // and drives IRQ 8; every port access is a touch.
    void advance() override { settle(); }
    std::optional<uint64_t> next_deadline_ns() const override;

    // The machine's setup of the RAM (see the map above); each keeps the checksum.
    void set_memory_size(uint64_t bytes);
    void set_floppy_types(FloppyType a, FloppyType b);
    // Any RAM byte 0x0e-0x7f but the century 0x32; throws std::out_of_range for the clock's.
    void set_byte(unsigned index, uint8_t value);
    uint8_t byte(unsigned index) const;  // the same bytes, as stored

    // Port 0x70's bit 7 as last written (set: NMI disabled on a PC; nothing else follows).
    bool nmi_masked() const { return nmi_masked_; }
    // The level last driven onto IRQ 8 (also tracked when the line is null).
    bool irq_level() const { return irq_level_; }

private:
    uint8_t read_register(unsigned index);
    void write_register(unsigned index, uint8_t value);
    uint8_t read_time(unsigned index) const;
    void write_time(unsigned index, uint8_t value);
    void write_a(uint8_t value);
    void write_b(uint8_t value);

    // Brings the divider, the time and the flags up to the clock's time and drives IRQ 8.
    void settle();
    void update_irq();
    void check_ram_index(unsigned index) const;
    void update_checksum();

    bool divider_running() const;
    uint64_t periodic_cycles() const;  // time base cycles per periodic tick, 0: none
    uint64_t count_at(uint64_t ns) const;
    uint64_t ns_of_count(uint64_t count) const;
    rtc::Format format() const;
    rtc::Alarm alarm() const;
    rtc::DateTime shown() const;  // what the time registers show now

    const Clock& clock_;
    IrqLine* irq_;
    std::array<uint8_t, kRamSize> ram_{};  // the RAM and the alarm bytes
    uint8_t index_ = 0;
    bool nmi_masked_ = false;
    uint8_t reg_a_ = 0;  // bits 6:0 (UIP is derived)
    uint8_t reg_b_ = 0;
    uint8_t flags_ = 0;  // register C's PF, AF, UF (IRQF is derived)
    bool irq_level_ = false;

    // The divider counts time base cycles: count_at(ns) = origin_count_ + cycles since
    // origin_ns_. Updates end at counts 16384 + k * 32768 (the first 500 ms after the divider
    // is released), periodic ticks at multiples of periodic_cycles().
    uint64_t origin_ns_ = 0;
    uint64_t origin_count_ = 0;
    uint64_t count_ = 0;   // the count settle() last brought everything to
    int64_t seconds_ = 0;  // the time shown, seconds since the epoch
    rtc::DateTime held_;   // the time registers while B.SET holds updates
};

}  // namespace prevt::devices
